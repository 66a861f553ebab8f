// Coupon limits survive kill -9: never a use without its order, never an order without its
// use, never more uses than the limit (issue 19).
//
// A forked child opens an engine and places orders from several threads, each with one of two
// coupons: FLASH (usage_limit kFlashLimit in total, reached during the rounds) or ONCE
// (per_customer_limit kPerCustomer, over kCustomers customers). After each placement returns
// OK it writes the order's number and id to a pipe. The parent SIGKILLs the child at a random
// moment, reopens the store and checks:
//   - every acknowledged order exists, with its coupon among its promotions;
//   - the orders carrying FLASH are exactly FLASH's `used` and at most its limit; per customer,
//     the orders carrying ONCE are exactly that customer's uses and at most the limit;
//   - placing an acknowledged request again replays its order and counts no second use.
// The store is kept across rounds, so recovery runs on top of earlier recoveries.
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "commerce/engine.h"
#include "crash/acked_child.h"
#include "unit/test_dir.h"

using namespace commerce;

namespace {

constexpr int kWriterThreads = 4;
constexpr int64_t kFlashLimit = 120;
constexpr int64_t kPerCustomer = 3;
constexpr int kCustomers = 40;

EngineOptions Options(const std::string& dir, const std::string& driver) {
  EngineOptions o;
  o.path = dir;
  o.driver = driver;
  o.run_background = false;
  o.storage.lmdb_checkpoint_bytes = 256 << 10;
  o.storage.lmdb_checkpoint_interval_ms = 20;
  return o;
}

std::string CustomerOf(uint64_t n) { return "c" + std::to_string(n % kCustomers); }
const char* CodeOf(uint64_t n) { return n % 2 ? "ONCE" : "FLASH"; }

PlaceOrder Request(uint64_t n) {
  PlaceOrder r;
  r.idempotency_key = "k-" + std::to_string(n);
  r.customer_id = CustomerOf(n);
  r.lines.push_back({"S0", 1});
  r.shipping_address = Address{"Crash Tester", "1 Kill Street", "", "Sigville", "", "east", "US"};
  r.coupon_codes = {CodeOf(n)};
  return r;
}

void Setup(const std::string& dir, const std::string& driver) {
  auto engine = Engine::open(Options(dir, driver));
  REQUIRE(engine.ok());
  Engine& e = **engine;
  Product p;
  p.id = "p-S0";
  p.title = "Product S0";
  p.variants.push_back(Variant{});
  p.variants[0].sku = "S0";
  p.variants[0].price = Money{1000, "USD"};
  REQUIRE(e.catalog().upsert(p).ok());
  REQUIRE(e.inventory().upsert_warehouse({"wh-a", "A", "east", 1, true}).ok());
  REQUIRE(e.inventory().receive("S0", "wh-a", 1'000'000).ok());
  for (int i = 0; i < kCustomers; ++i) {
    Customer c;
    c.id = "c" + std::to_string(i);
    c.email = c.id + "@example.com";
    REQUIRE(e.customers().create(c).ok());
  }
  Promotion promo;
  promo.id = "crash";
  promo.name = "Crash 10%";
  promo.currency = "USD";
  promo.action = PromotionAction::kPercentOffLines;
  promo.percent_bp = 1000;
  promo.requires_coupon = true;
  REQUIRE(e.promotions().create(promo).ok());
  Coupon flash;
  flash.code = "FLASH";
  flash.promotion_id = "crash";
  flash.usage_limit = kFlashLimit;
  REQUIRE(e.promotions().create_coupon(flash).ok());
  Coupon once;
  once.code = "ONCE";
  once.promotion_id = "crash";
  once.per_customer_limit = kPerCustomer;
  REQUIRE(e.promotions().create_coupon(once).ok());
  REQUIRE(e.close().ok());
}

[[noreturn]] void RunChild(const std::string& dir, const std::string& driver, uint64_t first,
                           int pipe_fd) {
  auto engine = Engine::open(Options(dir, driver));
  if (!engine.ok()) _exit(3);
  Orders& orders = (*engine)->orders();
  std::atomic<uint64_t> next{first};
  std::vector<std::thread> threads;
  for (int t = 0; t < kWriterThreads; ++t) {
    threads.emplace_back([&] {
      for (;;) {
        uint64_t n = next.fetch_add(1);
        auto o = orders.place(Request(n));
        if (!o.ok()) {
          if (o.status().IsFailedPrecondition()) {  // the coupon is used up
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
            continue;
          }
          _exit(4);
        }
        commerce::testing::WriteAck(pipe_fd, n, o->id);
      }
    });
  }
  for (auto& t : threads) t.join();
  _exit(0);
}

void VerifyStore(const std::string& dir, const std::string& driver,
                 const std::map<uint64_t, std::string>& acked) {
  auto engine = Engine::open(Options(dir, driver));
  REQUIRE(engine.ok());
  Engine& e = **engine;
  for (const auto& [n, id] : acked) {
    INFO("acknowledged order " << n << " " << id);
    auto o = e.orders().get(id);
    REQUIRE(o.ok());
    REQUIRE(o->promotions.size() == 1);
    CHECK(o->promotions[0].coupon_code == CodeOf(n));
  }
  int64_t flash = 0;
  std::map<std::string, int64_t> once;
  OrderListOptions page;
  page.limit = 1000;
  for (;;) {
    auto got = e.orders().list({}, page);
    REQUIRE(got.ok());
    for (const auto& o : got->items)
      for (const auto& a : o.promotions) {
        if (a.coupon_code == "FLASH") ++flash;
        if (a.coupon_code == "ONCE") ++once[o.customer_id];
      }
    if (got->next_cursor.empty()) break;
    page.cursor = got->next_cursor;
  }
  auto coupon = e.promotions().get_coupon("FLASH");
  REQUIRE(coupon.ok());
  CHECK(coupon->used == flash);
  CHECK(flash <= kFlashLimit);
  for (int i = 0; i < kCustomers; ++i) {
    const std::string c = "c" + std::to_string(i);
    auto uses = e.promotions().coupon_uses("ONCE", c);
    REQUIRE(uses.ok());
    CHECK(*uses == once[c]);
    CHECK(*uses <= kPerCustomer);
  }
  // A replay counts nothing.
  if (!acked.empty()) {
    const auto& [n, id] = *acked.begin();
    bool replayed = false;
    auto again = e.orders().place(Request(n), &replayed);
    REQUIRE(again.ok());
    CHECK(replayed);
    CHECK(again->id == id);
    CHECK(e.promotions().get_coupon("FLASH")->used == flash);
  }
}

void CrashLoop(const std::string& driver, int rounds) {
  commerce::testing::TempDir dir;
  Setup(dir.path(), driver);
  std::mt19937_64 rng(driver == "lmdb" ? 21 : 22);
  std::map<uint64_t, std::string> all_acked;
  uint64_t first = 0;
  for (int round = 0; round < rounds; ++round) {
    INFO("round " << round);
    // Killed 0..150 ms after the first acknowledgement (every coupon used up: the child
    // acknowledges nothing more, and the 5 s guard kills it).
    auto acked = commerce::testing::RunKilledChild(
        [&](int fd) { RunChild(dir.path(), driver, first, fd); }, rng, 150);
    all_acked.insert(acked.begin(), acked.end());
    first = (acked.empty() ? first : acked.rbegin()->first) + 1000;
    VerifyStore(dir.path(), driver, all_acked);
  }
  INFO("acknowledged orders over all rounds: " << all_acked.size());
  CHECK(all_acked.size() > 0);
}

}  // namespace

TEST_CASE("coupons: uses and their orders survive SIGKILL together, never past the limit",
          "[crash][promotions]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  SECTION(driver) { CrashLoop(driver, 10); }
}
