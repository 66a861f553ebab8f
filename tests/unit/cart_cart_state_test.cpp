// Tests of the pure cart CRDT (src/cart/cart_state.cpp): argument checks, the behaviour of
// each edit, and the merge's properties over many random histories — commutative,
// associative, idempotent, no lost add, no resurrection — checked against a model (a ledger
// of every add and every dot a removal observed). No storage: a few seconds in a plain build.
#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "commerce/cart.h"
#include "commerce/inventory.h"
#include "unit/test_scale.h"

namespace cart_cart_state_test {

namespace {

using commerce::CartDot;
using commerce::CartState;
using commerce::CartStateAdd;
using commerce::CartStateClear;
using commerce::CartStateQuantity;
using commerce::CartStateRemove;
using commerce::CartStateSetQuantity;
using commerce::Code;
using commerce::MergeCartStates;
using commerce::Money;

CartState NewState(std::string id = "cart-1", std::string currency = "USD") {
  CartState s;
  s.cart_id = std::move(id);
  s.currency = std::move(currency);
  return s;
}

Money Usd(int64_t minor) { return Money{minor, "USD"}; }

CartState Merge(const CartState& a, const CartState& b) {
  auto m = MergeCartStates(a, b);
  INFO(m.status().ToString());
  REQUIRE(m.ok());
  return *m;
}

// Every dot that is live (an add without a tombstone) in the state, with its SKU.
std::map<CartDot, std::string> LiveDots(const CartState& s) {
  std::map<CartDot, std::string> out;
  for (const auto& [sku, line] : s.lines)
    for (const auto& a : line.adds)
      if (!std::binary_search(line.removed.begin(), line.removed.end(), a.dot)) out[a.dot] = sku;
  return out;
}

bool IsRemovedIn(const CartState& s, const std::string& sku, const CartDot& d) {
  auto it = s.lines.find(sku);
  return it != s.lines.end() &&
         std::binary_search(it->second.removed.begin(), it->second.removed.end(), d);
}

}  // namespace

TEST_CASE("cart state: add, set, remove, clear and their quantities", "[carts]") {
  CartState s = NewState();
  REQUIRE(CartStateAdd(s, "r1", "A", 2, Usd(500), 10).ok());
  REQUIRE(CartStateAdd(s, "r1", "A", 3, Usd(450), 11).ok());
  REQUIRE(CartStateAdd(s, "r1", "B", 1, Usd(100), 12).ok());
  CHECK(CartStateQuantity(s, "A") == 5);
  CHECK(CartStateQuantity(s, "B") == 1);
  CHECK(CartStateQuantity(s, "C") == 0);
  CHECK(s.clock.at("r1") == 3);
  REQUIRE(s.lines.at("A").adds.size() == 2);
  CHECK(s.lines.at("A").adds[0].dot == CartDot{"r1", 1});
  CHECK(s.lines.at("A").adds[1].dot == CartDot{"r1", 2});

  // set_quantity removes what it saw and adds one dot with the new quantity.
  REQUIRE(CartStateSetQuantity(s, "r1", "A", 7, Usd(450), 13).ok());
  CHECK(CartStateQuantity(s, "A") == 7);
  CHECK(s.lines.at("A").adds.size() == 1);
  CHECK(s.lines.at("A").removed == std::vector<CartDot>{{"r1", 1}, {"r1", 2}});

  // Setting the quantity it already has at the same price records nothing.
  CartState before = s;
  REQUIRE(CartStateSetQuantity(s, "r1", "A", 7, Usd(450), 14).ok());
  CHECK(s == before);

  REQUIRE(CartStateSetQuantity(s, "r1", "B", 0, Usd(100), 15).ok());
  CHECK(CartStateQuantity(s, "B") == 0);
  CHECK(s.lines.at("B").removed == std::vector<CartDot>{{"r1", 3}});

  CartStateRemove(s, "nothing-here");  // no line: no change
  CartStateClear(s);
  CHECK(CartStateQuantity(s, "A") == 0);
  CHECK(s.lines.at("A").adds.empty());
  CHECK(s.lines.at("A").removed.size() == 3);
}

TEST_CASE("cart state: bad arguments are rejected and leave the state as it was", "[carts]") {
  CartState s = NewState();
  REQUIRE(CartStateAdd(s, "r1", "A", 1, Usd(500), 10).ok());
  const CartState before = s;

  struct Case {
    const char* what;
    commerce::Status status;
    Code code;
    const char* needle;
  };
  std::vector<Case> cases = {
      {"zero", CartStateAdd(s, "r1", "A", 0, Usd(1), 1), Code::kInvalidArgument, "quantity"},
      {"negative", CartStateAdd(s, "r1", "A", -3, Usd(1), 1), Code::kInvalidArgument, "quantity"},
      {"huge", CartStateAdd(s, "r1", "A", commerce::kMaxQuantity + 1, Usd(1), 1),
       Code::kInvalidArgument, "quantity"},
      {"line past the cap", CartStateAdd(s, "r1", "A", commerce::kMaxQuantity, Usd(1), 1),
       Code::kInvalidArgument, "quantity"},
      {"other currency", CartStateAdd(s, "r1", "B", 1, Money{100, "EUR"}, 1),
       Code::kInvalidArgument, "currency"},
      {"negative price", CartStateAdd(s, "r1", "B", 1, Usd(-1), 1), Code::kInvalidArgument,
       "unit_price"},
      {"empty sku", CartStateAdd(s, "r1", "", 1, Usd(1), 1), Code::kInvalidArgument, "sku"},
      {"empty replica", CartStateAdd(s, "", "B", 1, Usd(1), 1), Code::kInvalidArgument, "replica"},
      {"set negative", CartStateSetQuantity(s, "r1", "A", -1, Usd(1), 1),
       Code::kInvalidArgument, "quantity"},
      {"set huge", CartStateSetQuantity(s, "r1", "A", commerce::kMaxQuantity + 1, Usd(1), 1),
       Code::kInvalidArgument, "quantity"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.what, c.status.ToString());
    CHECK(c.status.code() == c.code);
    CHECK(c.status.message().find(c.needle) != std::string::npos);
  }
  CHECK(s == before);
}

TEST_CASE("cart state: at most 500 lines and 10,000 dots", "[carts]") {
  CartState s = NewState();
  for (size_t i = 0; i < commerce::kMaxCartLines; ++i)
    REQUIRE(CartStateAdd(s, "r1", "SKU-" + std::to_string(i), 1, Usd(1), 1).ok());
  auto st = CartStateAdd(s, "r1", "one-more", 1, Usd(1), 1);
  CHECK(st.code() == Code::kResourceExhausted);
  CHECK(st.message().find("500 lines") != std::string::npos);
  // An existing line can still grow, and after a removal a new SKU fits again.
  REQUIRE(CartStateAdd(s, "r1", "SKU-0", 1, Usd(1), 1).ok());
  CartStateRemove(s, "SKU-1");
  REQUIRE(CartStateAdd(s, "r1", "one-more", 1, Usd(1), 1).ok());

  // A cart whose line A was set 9,999 times (by hand: 10^4 edits one by one would make this
  // test quadratic): one more edit fits, the next does not.
  CartState t = NewState();
  for (uint64_t i = 1; i < commerce::kMaxCartDots; ++i) t.lines["A"].removed.push_back({"r0", i});
  t.clock["r0"] = commerce::kMaxCartDots - 1;
  REQUIRE(CartStateSetQuantity(t, "r1", "A", 1, Usd(1), 1).ok());
  st = CartStateSetQuantity(t, "r1", "A", 5, Usd(1), 1);
  CHECK(st.code() == Code::kResourceExhausted);
  CHECK(st.message().find("10000") != std::string::npos);
  CHECK(CartStateAdd(t, "r1", "B", 1, Usd(1), 1).code() == Code::kResourceExhausted);
  // Removing still works: a full cart can always be emptied.
  CartStateRemove(t, "A");
  CHECK(CartStateQuantity(t, "A") == 0);
}

TEST_CASE("cart state: merging different carts or currencies is refused", "[carts]") {
  auto r = MergeCartStates(NewState("a"), NewState("b"));
  CHECK(r.status().code() == Code::kInvalidArgument);
  CHECK(r.status().message().find("cart_id") != std::string::npos);
  r = MergeCartStates(NewState("a", "USD"), NewState("a", "EUR"));
  CHECK(r.status().code() == Code::kInvalidArgument);
  CHECK(r.status().message().find("currency") != std::string::npos);
}

TEST_CASE("cart state: concurrent set_quantity on two copies keeps both adds", "[carts]") {
  // Base: 1 x A, seen by both copies. Phone sets 2, laptop sets 3, neither seeing the other.
  CartState base = NewState();
  REQUIRE(CartStateAdd(base, "server", "A", 1, Usd(500), 1).ok());
  CartState phone = base, laptop = base;
  REQUIRE(CartStateSetQuantity(phone, "phone", "A", 2, Usd(500), 2).ok());
  REQUIRE(CartStateSetQuantity(laptop, "laptop", "A", 3, Usd(500), 3).ok());
  CartState m = Merge(phone, laptop);
  // Each set removed the dot it saw (server:1) and added its own: neither saw the other's
  // add, so both survive: 2 + 3. Never losing an add has this price.
  CHECK(CartStateQuantity(m, "A") == 5);
  // Once the shopper sets the merged line, the quantity is what they chose.
  REQUIRE(CartStateSetQuantity(m, "phone", "A", 3, Usd(500), 4).ok());
  CHECK(CartStateQuantity(m, "A") == 3);
}

TEST_CASE("cart state: a removal does not resurrect, an unseen add is not lost", "[carts]") {
  CartState base = NewState();
  REQUIRE(CartStateAdd(base, "server", "A", 1, Usd(500), 1).ok());
  CartState old_copy = base;  // a device that went offline holding A
  CartState server = base;
  CartStateRemove(server, "A");
  CHECK(CartStateQuantity(Merge(server, old_copy), "A") == 0);  // Dynamo's flaw, not here

  // The device adds A again while offline: that add was never seen by the removal.
  REQUIRE(CartStateAdd(old_copy, "device", "A", 2, Usd(500), 2).ok());
  CHECK(CartStateQuantity(Merge(server, old_copy), "A") == 2);
  CHECK(CartStateQuantity(Merge(old_copy, server), "A") == 2);
}

TEST_CASE("cart state: the customer is last writer wins on (time, replica)", "[carts]") {
  CartState a = NewState(), b = NewState();
  a.customer_id = "alice";
  a.customer_time_ms = 10;
  a.customer_replica = "r1";
  b.customer_id = "bob";
  b.customer_time_ms = 10;
  b.customer_replica = "r2";
  CHECK(Merge(a, b).customer_id == "bob");  // same time: the larger replica wins
  CHECK(Merge(b, a).customer_id == "bob");
  a.customer_time_ms = 11;
  CHECK(Merge(a, b).customer_id == "alice");
  CHECK(Merge(b, a).customer_id == "alice");
}

TEST_CASE("cart state: a non-canonical state from a device merges like its canonical form",
          "[carts]") {
  CartState s = NewState();
  REQUIRE(CartStateAdd(s, "r1", "A", 1, Usd(5), 1).ok());
  REQUIRE(CartStateAdd(s, "r1", "A", 2, Usd(5), 2).ok());
  CartStateRemove(s, "A");
  REQUIRE(CartStateAdd(s, "r1", "A", 4, Usd(5), 3).ok());
  // The same state written by hand: adds out of order, removed adds kept, duplicates.
  CartState messy = NewState();
  messy.lines["A"].adds = {{{"r1", 3}, 4, Usd(5), 3}, {{"r1", 1}, 1, Usd(5), 1},
                           {{"r1", 2}, 2, Usd(5), 2}, {{"r1", 3}, 4, Usd(5), 3}};
  messy.lines["A"].removed = {{"r1", 2}, {"r1", 1}, {"r1", 2}};
  CHECK(CartStateQuantity(messy, "A") == 4);
  CHECK(Merge(messy, NewState()) == s);
  CHECK(Merge(NewState(), messy) == s);
}

// --- Random histories ---------------------------------------------------------------------

namespace {

// One trial: three copies of one cart, each edited by its own replica, merged into one
// another at random moments. The ledger is the specification: after everything is merged,
// the live dots must be exactly the adds that no removal observed.
struct Trial {
  std::mt19937_64 rng;
  std::vector<std::string> replicas = {"phone", "laptop", "server"};
  std::vector<CartState> copies;
  std::vector<CartState> snapshots;  // every state any copy went through
  std::map<CartDot, std::pair<std::string, int64_t>> added;  // dot -> (sku, quantity)
  std::set<CartDot> observed_removed;

  explicit Trial(uint64_t seed) : rng(seed), copies(3, NewState()) {}

  int64_t Pick(int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); }
  std::string Sku() { return std::string(1, static_cast<char>('A' + Pick(0, 4))); }

  void Observe(const CartState& s, const std::string& sku) {
    auto it = s.lines.find(sku);
    if (it == s.lines.end()) return;
    for (const auto& a : it->second.adds) observed_removed.insert(a.dot);
  }

  // The dot an edit by copy i made, if it made one.
  void RecordNewDot(size_t i, uint64_t clock_before, const std::string& sku, int64_t q) {
    uint64_t now = copies[i].clock.count(replicas[i]) ? copies[i].clock.at(replicas[i]) : 0;
    if (now > clock_before) added[CartDot{replicas[i], now}] = {sku, q};
  }

  void Step() {
    size_t i = static_cast<size_t>(Pick(0, 2));
    CartState& s = copies[i];
    const std::string& r = replicas[i];
    uint64_t clock_before = s.clock.count(r) ? s.clock.at(r) : 0;
    int64_t time = Pick(0, 1000);
    Money price = Usd(Pick(1, 3) * 100);
    switch (Pick(0, 9)) {
      case 0: case 1: case 2: {
        std::string sku = Sku();
        int64_t q = Pick(1, 5);
        REQUIRE(CartStateAdd(s, r, sku, q, price, time).ok());
        RecordNewDot(i, clock_before, sku, q);
        break;
      }
      case 3: case 4: {
        std::string sku = Sku();
        int64_t q = Pick(0, 4);
        CartState before = s;
        REQUIRE(CartStateSetQuantity(s, r, sku, q, price, time).ok());
        if (!(s == before)) Observe(before, sku);  // a no-op set removes nothing
        RecordNewDot(i, clock_before, sku, q);
        break;
      }
      case 5: {
        std::string sku = Sku();
        Observe(s, sku);
        CartStateRemove(s, sku);
        break;
      }
      case 6: {
        for (const auto& [sku, line] : s.lines) Observe(s, sku);
        CartStateClear(s);
        break;
      }
      case 7: {  // a device assigns the cart to someone; small times make ties common
        s.customer_id = std::vector<std::string>{"", "alice", "bob"}[static_cast<size_t>(Pick(0, 2))];
        s.customer_time_ms = Pick(0, 3);
        s.customer_replica = r;
        break;
      }
      default: {  // sync: copy i takes in copy j
        size_t j = static_cast<size_t>(Pick(0, 2));
        s = Merge(s, copies[j]);
        break;
      }
    }
    snapshots.push_back(s);
  }

  const CartState& AnySnapshot() {
    return snapshots[static_cast<size_t>(Pick(0, static_cast<int64_t>(snapshots.size()) - 1))];
  }
};

}  // namespace

TEST_CASE("cart state: merge properties over 2,000 random histories", "[carts][crdt]") {
  // A short run (the default ASan run) checks the first 500 histories: test_scale.h.
  const uint64_t histories = commerce::testing::Scaled(2000, 500);
  for (uint64_t seed = 1; seed <= histories; ++seed) {
    CAPTURE(seed);
    Trial t(seed);
    const int steps = static_cast<int>(t.Pick(5, 40));
    for (int k = 0; k < steps; ++k) t.Step();

    // Commutative, associative, idempotent — on states from anywhere in the history.
    for (int k = 0; k < 4; ++k) {
      const CartState& a = t.AnySnapshot();
      const CartState& b = t.AnySnapshot();
      const CartState& c = t.AnySnapshot();
      CartState ab = Merge(a, b);
      REQUIRE(ab == Merge(b, a));
      REQUIRE(Merge(ab, c) == Merge(a, Merge(b, c)));
      REQUIRE(Merge(a, a) == a);
      REQUIRE(Merge(ab, a) == ab);  // merging in something already included changes nothing

      // No lost add: every add of either side that the other side's removals did not observe
      // is live in the merge, so each line holds at least those quantities.
      std::map<std::string, int64_t> at_least;
      for (const auto* side : {&a, &b}) {
        const CartState& other = side == &a ? b : a;
        for (const auto& [dot, sku] : LiveDots(*side)) {
          if (IsRemovedIn(other, sku, dot)) continue;
          REQUIRE(LiveDots(ab).count(dot) == 1);
        }
      }
      for (const auto& [dot, sku] : LiveDots(ab)) at_least[sku] += t.added.at(dot).second;
      for (const auto& [sku, q] : at_least) REQUIRE(CartStateQuantity(ab, sku) == q);
    }

    // The model: once every copy is merged, live = all adds minus all observed dots.
    CartState all = Merge(Merge(t.copies[0], t.copies[1]), t.copies[2]);
    REQUIRE(all == Merge(t.copies[2], Merge(t.copies[1], t.copies[0])));
    std::map<std::string, int64_t> expected;
    std::set<CartDot> expected_live;
    for (const auto& [dot, entry] : t.added) {
      if (t.observed_removed.count(dot)) continue;
      expected_live.insert(dot);
      expected[entry.first] += entry.second;
    }
    std::set<CartDot> live;
    for (const auto& [dot, sku] : LiveDots(all)) live.insert(dot);
    REQUIRE(live == expected_live);
    for (const auto& sku : {"A", "B", "C", "D", "E"}) {
      CAPTURE(sku);
      REQUIRE(CartStateQuantity(all, sku) == (expected.count(sku) ? expected.at(sku) : 0));
    }

    // No resurrection: remove a line on a copy that has seen every add, then merge in any
    // older state: the line stays removed.
    for (const auto& [sku, line] : all.lines) {
      if (line.adds.empty()) continue;
      CartState removed = all;
      CartStateRemove(removed, sku);
      for (int k = 0; k < 3; ++k) {
        REQUIRE(CartStateQuantity(Merge(removed, t.AnySnapshot()), sku) == 0);
        REQUIRE(CartStateQuantity(Merge(t.AnySnapshot(), removed), sku) == 0);
      }
    }
  }
}

}  // namespace cart_cart_state_test
