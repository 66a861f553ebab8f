// The cart expiry consumer (cart_expiry.h).
//
// handle(): every CartCreated, CartUpdated and CartMerged event becomes a row
// (event time + ttl, cart id) in the `cart_expiry` index. Writing the same row twice is a
// no-op, so a batch handed over again after a crash does no harm.
//
// tick(now): visits the rows due (expires_at <= now), oldest first, a batch per mutation.
// A row is only a hint — the cart may have been touched since (it then has a newer row, or
// will once its event is handled) or deleted — so the cart's own updated_at decides:
//   - cart gone: drop the row;
//   - updated_at + ttl <= now: delete the cart, append CartExpired, drop the row;
//   - otherwise: drop the row and make sure the row at updated_at + ttl exists. That row
//     usually exists already; writing it again covers a ttl raised since the old row was
//     written, which would otherwise leave the cart with no row at all, never to expire.
// Rows and carts change only inside the batch's mutation, so a cart written concurrently
// with its expiry either commits before (and is seen as touched) or fails with NotFound after.
#include "cart/cart_expiry.h"

#include <limits>
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
    return core_->storage->write([&](WriteTxn& txn) -> Status {
      for (const auto& k : keys) COMMERCE_RETURN_IF_ERROR(txn.put(table, k, ""));
      return Status::OK();
    });
  }

  Status tick(int64_t now_ms) override {
    for (;;) {
      size_t visited = 0, expired = 0;
      COMMERCE_RETURN_IF_ERROR(core_->storage->write([&](WriteTxn& txn) {
        return ExpireBatch(txn, now_ms, &visited, &expired);
      }));
      // Wake event waiters only when CartExpired events were written.
      if (expired > 0) core_->notifier.Notify();
      if (visited < kExpiryBatch) return Status::OK();
    }
  }

 private:
  int64_t ttl_ms() const { return static_cast<int64_t>(core_->cart_ttl.count()); }

  Status ExpireBatch(WriteTxn& txn, int64_t now_ms, size_t* visited, size_t* expired) {
    *visited = *expired = 0;  // a mutation may run more than once
    const Tables& t = core_->tables;
    // Every key (expires_at <= now, any cart id) sorts before the prefix end of i64(now).
    const std::string end = PrefixEnd(KeyBuilder().i64(now_ms).key());
    COMMERCE_ASSIGN_OR_RETURN(auto rows, txn.scan(t.cart_expiry, "", end, kExpiryBatch));
    for (const auto& row : rows) {
      ++*visited;
      KeyReader reader(row.key);
      auto expires_at = reader.i64();
      auto cart_id = reader.str();
      COMMERCE_RETURN_IF_ERROR(txn.del(t.cart_expiry, row.key));
      if (!expires_at || !cart_id) continue;  // a malformed hint: dropping it is the repair
      auto cart = ReadCartRecord(txn, t, *cart_id);
      if (cart.status().IsNotFound()) continue;
      COMMERCE_RETURN_IF_ERROR(cart.status());
      const int64_t due = SaturatingAdd(cart->updated_at_ms, ttl_ms());
      if (due > now_ms) {
        COMMERCE_RETURN_IF_ERROR(txn.put(t.cart_expiry, ExpiryKey(due, *cart_id), ""));
        continue;
      }
      COMMERCE_RETURN_IF_ERROR(DeleteCartRecord(txn, t, *cart));
      COMMERCE_RETURN_IF_ERROR(
          AppendCartEvent(txn, t, "CartExpired", *cart, now_ms, {{"ttl_ms", int64_t{ttl_ms()}}}));
      ++*expired;
    }
    return Status::OK();
  }

  EngineCore* core_;
};

}  // namespace

std::unique_ptr<BackgroundConsumer> MakeCartExpiryConsumer(EngineCore* core) {
  return std::make_unique<CartExpiryConsumer>(core);
}

}  // namespace commerce
