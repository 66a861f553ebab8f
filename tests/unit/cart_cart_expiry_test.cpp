// Tests of the cart expiry consumer (src/cart/cart_expiry.cpp) on every driver (PostgreSQL too
// when a server is named: ctest's postgres_carts): carts untouched for the ttl are removed by
// the background round, not by callers, with a CartExpired event; a touched cart is kept until
// its own time comes; a round with nothing due writes nothing; rounds racing edits expire each
// cart once, as its last write left it.
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "commerce/cart.h"
#include "commerce/engine.h"
#include "test_dir.h"
#include "test_engine.h"

namespace cart_cart_expiry_test {

namespace {

using commerce::Code;
using namespace std::chrono_literals;

// An engine with a short cart ttl, no background thread (the test runs the rounds), and one
// product to put in carts.
class Shop {
 public:
  // background: run the engine's own background thread, ticking every 5 ms.
  Shop(const std::string& driver, std::chrono::milliseconds ttl, bool background = false) {
    commerce::EngineOptions o;
    o.path = dir_.path();
    commerce::testing::UseTestDriver(o, driver, "expiry");
    o.cart_ttl = ttl;
    o.run_background = background;
    o.background_tick = std::chrono::milliseconds(5);
    auto e = commerce::Engine::open(o);
    INFO(e.status().ToString());
    REQUIRE(e.ok());
    engine_ = std::move(e).value();
    commerce::Product p;
    p.id = "mug";
    p.title = "Mug";
    p.variants.push_back({"MUG", {}, commerce::Money{899, "USD"}, "", {}});
    REQUIRE(engine_->catalog().upsert(p).ok());
  }
  commerce::Engine& engine() { return *engine_; }
  commerce::Carts& carts() { return engine_->carts(); }
  void NewCart(const std::string& id) {
    commerce::NewCart c;
    c.id = id;
    REQUIRE(carts().create(c).ok());
  }
  void Add(const std::string& cart, const std::string& sku, int64_t q) {
    REQUIRE(carts().add(cart, sku, q).ok());
  }
  std::string NewCustomer(const std::string& email) {
    commerce::Customer c;
    c.email = email;
    auto r = engine_->customers().create(c);
    REQUIRE(r.ok());
    return r->id;
  }
  uint64_t LastSeq() { return engine_->events().last_seq().value_or(0); }
  std::vector<commerce::Event> EventsAfter(uint64_t seq) {
    auto e = engine_->events().tail(seq + 1, 1000);
    REQUIRE(e.ok());
    return *e;
  }

 private:
  commerce::testing::TempDir dir_;
  std::unique_ptr<commerce::Engine> engine_;
};

std::set<std::string> Subjects(const std::vector<commerce::Event>& events, const std::string& type) {
  std::set<std::string> out;
  for (const auto& e : events)
    if (e.type == type) out.insert(e.subject);
  return out;
}

}  // namespace

TEST_CASE("expiry: untouched carts go, a touched cart stays until its own time", "[carts]") {
  auto driver = GENERATE(from_range(commerce::testing::TestStorageDrivers()));
  CAPTURE(driver);
  // The ttl leaves room for a loaded machine between touching b and the round; where the
  // round still ends after b's own time, b's survival is not asserted (its expiry is, later).
  constexpr auto kTtl = 200ms;
  Shop shop(driver, kTtl);
  shop.NewCart("a");
  shop.NewCart("b");
  shop.NewCart("c");
  shop.Add("c", "MUG", 1);
  std::this_thread::sleep_for(kTtl + 50ms);
  const auto touched = std::chrono::steady_clock::now();
  shop.Add("b", "MUG", 1);  // b is touched: its clock starts again
  const uint64_t seq = shop.LastSeq();

  REQUIRE(shop.engine().run_background_once().ok());
  const bool b_due = std::chrono::steady_clock::now() - touched >= kTtl;
  CHECK(shop.carts().get("a").status().code() == Code::kNotFound);
  CHECK(shop.carts().get("c").status().code() == Code::kNotFound);
  auto events = shop.EventsAfter(seq);
  if (!b_due) {
    REQUIRE(shop.carts().get("b").ok());
    CHECK(Subjects(events, "CartExpired") == std::set<std::string>{"a", "c"});
  }

  const uint64_t seq2 = shop.LastSeq();
  std::this_thread::sleep_for(kTtl + 50ms);
  REQUIRE(shop.engine().run_background_once().ok());
  CHECK(shop.carts().get("b").status().code() == Code::kNotFound);
  if (!b_due) CHECK(Subjects(shop.EventsAfter(seq2), "CartExpired") == std::set<std::string>{"b"});
}

TEST_CASE("expiry: nothing is expired by callers, only by the background round", "[carts]") {
  auto driver = GENERATE(from_range(commerce::testing::TestStorageDrivers()));
  CAPTURE(driver);
  constexpr auto kTtl = 400ms;
  Shop shop(driver, kTtl);
  shop.NewCart("a");
  std::this_thread::sleep_for(kTtl + 50ms);
  // Past its time, the cart is still there and writable until the consumer runs.
  REQUIRE(shop.carts().get("a").ok());
  const auto touched = std::chrono::steady_clock::now();
  REQUIRE(shop.carts().add("a", "MUG", 1).ok());
  REQUIRE(shop.engine().run_background_once().ok());
  // The add just now touched it: it stays, unless the round itself ended a whole ttl after
  // the add (a loaded machine; with 100 ms this failed once in CI under -j2).
  if (std::chrono::steady_clock::now() - touched < kTtl) CHECK(shop.carts().get("a").ok());
}

TEST_CASE("expiry: deleted and merged-away carts leave no trouble behind", "[carts]") {
  auto driver = GENERATE(from_range(commerce::testing::TestStorageDrivers()));
  CAPTURE(driver);
  Shop shop(driver, 20ms);
  const std::string gus = shop.NewCustomer("gus@example.com");
  shop.NewCart("gone");
  shop.NewCart("guest");
  shop.Add("guest", "MUG", 1);
  REQUIRE(shop.carts().remove_cart("gone").ok());
  auto target = shop.carts().merge_guest_into_customer("guest", gus);
  REQUIRE(target.ok());
  std::this_thread::sleep_for(40ms);
  const uint64_t seq = shop.LastSeq();
  REQUIRE(shop.engine().run_background_once().ok());
  // Only the customer's cart remained to expire.
  CHECK(Subjects(shop.EventsAfter(seq), "CartExpired") == std::set<std::string>{target->id});
  CHECK(shop.carts().get(target->id).status().code() == Code::kNotFound);
  REQUIRE(shop.engine().run_background_once().ok());  // the index is empty now
}

TEST_CASE("expiry: the engine's background thread expires carts by itself", "[carts]") {
  auto driver = GENERATE(from_range(commerce::testing::TestStorageDrivers()));
  CAPTURE(driver);
  Shop shop(driver, 30ms, /*background=*/true);
  shop.NewCart("a");
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (shop.carts().get("a").ok() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(5ms);
  CHECK(shop.carts().get("a").status().code() == Code::kNotFound);
  CHECK(Subjects(shop.EventsAfter(0), "CartExpired") == std::set<std::string>{"a"});
}

TEST_CASE("expiry: a round with nothing due writes nothing", "[carts]") {
  auto driver = GENERATE(from_range(commerce::testing::TestStorageDrivers()));
  CAPTURE(driver);
  Shop shop(driver, 1h);
  shop.NewCart("a");
  shop.Add("a", "MUG", 1);
  REQUIRE(shop.engine().run_background_once().ok());  // the rows of a's events, the cursors
  const commerce::StorageStats before = shop.engine().storage().stats();
  REQUIRE(shop.engine().run_background_once().ok());
  REQUIRE(shop.engine().run_background_once().ok());
  const commerce::StorageStats after = shop.engine().storage().stats();
  // No group commit (and no fsync) per idle round: the batch prepared was empty.
  CHECK(after.groups == before.groups);
  CHECK(after.mutations == before.mutations);
  CHECK(shop.carts().get("a").ok());
}

namespace {

// The updated_at_ms member of a Cart* event's data.
int64_t UpdatedAt(const commerce::Event& e) {
  const std::string member = "\"updated_at_ms\":";
  auto at = e.data.find(member);
  REQUIRE(at != std::string::npos);
  return std::stoll(e.data.substr(at + member.size()));
}

}  // namespace

TEST_CASE("expiry: rounds racing edits never expire a cart touched after they read it",
          "[carts][concurrency]") {
  auto driver = GENERATE(from_range(commerce::testing::TestStorageDrivers()));
  CAPTURE(driver);
  constexpr auto kTtl = 60ms;
  Shop shop(driver, kTtl);
  constexpr int kCarts = 6;
  const uint64_t seq = shop.LastSeq();
  for (int i = 0; i < kCarts; ++i) shop.NewCart("c" + std::to_string(i));

  // Editors touch their carts with pauses around the ttl, so that rounds keep finding carts
  // due in their snapshot that an edit touches before the round's batch is applied.
  std::atomic<bool> stop{false};
  std::atomic<int> rounds{0}, round_errors{0}, edit_errors{0};
  std::thread rounder([&] {
    while (!stop) {
      if (!shop.engine().run_background_once().ok()) ++round_errors;
      ++rounds;
    }
  });
  std::vector<std::thread> editors;
  for (int i = 0; i < kCarts; ++i)
    editors.emplace_back([&, i] {
      const std::string id = "c" + std::to_string(i);
      for (int n = 0; n < 30; ++n) {
        std::this_thread::sleep_for(kTtl - 10ms + std::chrono::milliseconds((n * 7 + i * 3) % 20));
        auto r = shop.carts().add(id, "MUG", 1);
        if (!r.ok()) {
          // Expired for real (untouched for the ttl): its edits end there.
          if (r.status().code() != Code::kNotFound) ++edit_errors;
          return;
        }
      }
    });
  for (auto& t : editors) t.join();
  std::this_thread::sleep_for(kTtl + 20ms);
  stop = true;
  rounder.join();
  REQUIRE(shop.engine().run_background_once().ok());
  CHECK(round_errors == 0);
  CHECK(edit_errors == 0);
  CHECK(rounds > 0);

  // Every cart is gone by now, each expired once, and each expiry deleted the cart as its last
  // write left it: a round that read it older than an edit since was prepared again.
  std::map<std::string, int64_t> last_written;
  std::map<std::string, int> expired;
  for (const auto& e : shop.EventsAfter(seq)) {
    if (e.type == "CartCreated" || e.type == "CartUpdated") {
      last_written[e.subject] = UpdatedAt(e);
    } else if (e.type == "CartExpired") {
      CAPTURE(e.subject);
      ++expired[e.subject];
      CHECK(UpdatedAt(e) == last_written[e.subject]);
    }
  }
  CHECK(expired.size() == size_t{kCarts});
  for (const auto& [id, n] : expired) CHECK(n == 1);
  for (int i = 0; i < kCarts; ++i)
    CHECK(shop.carts().get("c" + std::to_string(i)).status().code() == Code::kNotFound);
}

}  // namespace cart_cart_expiry_test
