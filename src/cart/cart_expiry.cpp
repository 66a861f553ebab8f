// The cart expiry consumer (cart_expiry.h).
//
// handle(): every CartCreated, CartUpdated and CartMerged event becomes a row
// (event time + ttl, cart id) in the `cart_expiry` index. Writing the same row twice is a
// no-op, so a batch handed over again after a crash does no harm.
//
// tick(now): visits the rows due (expires_at <= now), oldest first, a batch per change set.
// A row is only a hint — the cart may have been touched since (it then has a newer row, or
// will once its event is handled) or deleted — so the cart's own updated_at decides:
//   - cart gone: drop the row;
//   - updated_at + ttl <= now: delete the cart, append CartExpired, drop the row;
//   - otherwise: drop the row and make sure the row at updated_at + ttl exists. That row
//     usually exists already; writing it again covers a ttl raised since the old row was
//     written, which would otherwise leave the cart with no row at all, never to expire.
// A batch is one checked change set prepared on the background thread against a snapshot
// (EngineCore::Apply), expecting every cart it read as read: a cart written concurrently with
// its expiry either commits before (the set fails its check and is prepared again, and then
// sees the cart touched) or after (and fails with NotFound). Nothing due writes nothing: an
// idle round costs no group commit.
#include "cart/cart_expiry.h"

#include <limits>
#include <set>
#include <string>
#include <vector>

#include "cart/cart_store.h"
#include "common/key.h"
#include "engine/engine_core.h"

namespace commerce {

namespace {

constexpr size_t kExpiryBatch = 256;

int64_t SaturatingAdd(int64_t a, int64_t b) {
  int64_t out;
  if (__builtin_add_overflow(a, b, &out)) return b > 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
  return out;
}

std::string ExpiryKey(int64_t expires_at_ms, std::string_view cart_id) {
  return KeyBuilder().i64(expires_at_ms).str(cart_id).key();
}

bool MakesExpiryRow(const std::string& type) {
  return type == "CartCreated" || type == "CartUpdated" || type == "CartMerged";
}

class CartExpiryConsumer : public BackgroundConsumer {
 public:
  explicit CartExpiryConsumer(EngineCore* core) : core_(core) {}

  std::string name() const override { return "cart-expiry"; }

  Status handle(const std::vector<Event>& batch) override {
    std::vector<std::string> keys;
    for (const auto& e : batch)
      if (MakesExpiryRow(e.type)) keys.push_back(ExpiryKey(SaturatingAdd(e.time_ms, ttl_ms()), e.subject));
    if (keys.empty()) return Status::OK();
    const Table table = core_->tables.cart_expiry;
    return core_->Apply([&](ReadView&, ChangeSet& changes) {
      for (const auto& k : keys) changes.put(table, k, "");
      return changes.status();
    }).status();
  }

  Status tick(int64_t now_ms) override {
    for (;;) {
      size_t visited = 0, expired = 0;
      COMMERCE_RETURN_IF_ERROR(core_->Apply([&](ReadView& view, ChangeSet& changes) {
        return ExpireBatch(view, now_ms, changes, &visited, &expired);
      }).status());
      if (visited < kExpiryBatch) return Status::OK();
    }
  }

 private:
  int64_t ttl_ms() const { return static_cast<int64_t>(core_->cart_ttl.count()); }

  // Prepared on the background thread against a snapshot; may run several times
  // (EngineCore::Apply), so it sets its outputs anew. Nothing due: an empty set, no write.
  Status ExpireBatch(ReadView& view, int64_t now_ms, ChangeSet& changes, size_t* visited,
                     size_t* expired) {
    *visited = *expired = 0;
    const Tables& t = core_->tables;
    // Every key (expires_at <= now, any cart id) sorts before the prefix end of i64(now).
    const std::string end = PrefixEnd(KeyBuilder().i64(now_ms).key());
    COMMERCE_ASSIGN_OR_RETURN(auto rows, view.scan(t.cart_expiry, "", end, kExpiryBatch));
    // A cart with several rows due is decided once: the snapshot does not see the set's own
    // changes, and a second expiry of one cart would expect a record the set deletes.
    std::set<std::string> decided;
    for (const auto& row : rows) {
      ++*visited;
      KeyReader reader(row.key);
      auto expires_at = reader.i64();
      auto cart_id = reader.str();
      changes.del(t.cart_expiry, row.key);
      if (!expires_at || !cart_id) continue;  // a malformed hint: dropping it is the repair
      if (!decided.insert(*cart_id).second) continue;
      // Expected as read when present, so a cart touched meanwhile is not expired. Absent:
      // only the row goes, unchecked; a cart made again under that id gets a row of its own
      // from its CartCreated event.
      auto cart = ReadCartRecord(view, t, *cart_id, changes);
      if (cart.status().IsNotFound()) continue;
      COMMERCE_RETURN_IF_ERROR(cart.status());
      const int64_t due = SaturatingAdd(cart->updated_at_ms, ttl_ms());
      if (due > now_ms) {
        changes.put(t.cart_expiry, ExpiryKey(due, *cart_id), "");
        continue;
      }
      DeleteCartRecord(changes, t, *cart);
      AppendCartEvent(changes, t, "CartExpired", *cart, now_ms, {{"ttl_ms", int64_t{ttl_ms()}}});
      ++*expired;
    }
    return changes.status();
  }

  EngineCore* core_;
};

}  // namespace

std::unique_ptr<BackgroundConsumer> MakeCartExpiryConsumer(EngineCore* core) {
  return std::make_unique<CartExpiryConsumer>(core);
}

}  // namespace commerce
