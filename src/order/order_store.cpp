#include "order/order_store.h"

#include <charconv>

#include "common/record_frame.h"
#include "common/key.h"
#include "common/utf8.h"
#include "common/record.h"

namespace commerce {

std::string OrderKey(std::string_view id) { return KeyBuilder().str(id).key(); }
std::string CustomerIndexKey(std::string_view customer_id, uint64_t seq) {
  return KeyBuilder().str(customer_id).u64(~seq).key();
}
std::string StatusIndexKey(OrderStatus s, uint64_t seq) {
  return KeyBuilder().u64(static_cast<uint64_t>(s)).u64(seq).key();
}
std::string IdempotencyKey(std::string_view customer_id, std::string_view key) {
  return KeyBuilder().str(customer_id).str(key).key();
}

namespace {

std::string CustomerPrefix(std::string_view customer_id) {
  return KeyBuilder().str(customer_id).key();
}
std::string StatusPrefix(OrderStatus s) {
  return KeyBuilder().u64(static_cast<uint64_t>(s)).key();
}

Result<uint64_t> ParseCursor(std::string_view cursor) {
  uint64_t seq = 0;
  auto [end, ec] = std::from_chars(cursor.data(), cursor.data() + cursor.size(), seq);
  if (cursor.empty() || ec != std::errc() || end != cursor.data() + cursor.size())
    return Status::InvalidArgument(
        "cursor: " + (IsValidUtf8(cursor) && cursor.size() <= 64 ? "'" + std::string(cursor) + "' " : "") +
        "is not a cursor this engine made");
  return seq;
}

// One page of an index whose keys are prefix + u64 and whose values are order ids.
// `to_seq` turns the stored u64 into the placement seq (inverting it for the customer index)
// and `key_of` builds the key of a seq, for resuming after the cursor.
template <typename ToSeq, typename KeyOf>
Result<Page<Order>> ListIndex(ReadView& view, const Tables& t, Table index,
                              const char* table_name, const std::string& prefix, std::string_view cursor, size_t limit,
                              ToSeq to_seq, KeyOf key_of) {
  std::string start = prefix;
  if (!cursor.empty()) {
    COMMERCE_ASSIGN_OR_RETURN(uint64_t after, ParseCursor(cursor));
    start = PrefixEnd(key_of(after));
  }
  const std::string end = PrefixEnd(prefix);
  Page<Order> page;
  uint64_t last_seq = 0;
  auto c = view.cursor(index);
  for (c->seek(start); c->valid() && (end.empty() || c->key() < end); c->next()) {
    if (page.items.size() == limit) {
      page.next_cursor = std::to_string(last_seq);
      break;
    }
    auto stored = KeyReader(c->key().substr(prefix.size())).u64();
    if (!stored) return Status::Corruption("order index key does not decode");
    std::string id(c->value());
    COMMERCE_ASSIGN_OR_RETURN(StoredOrder o, GetStoredOrder(view, t, id));
    last_seq = to_seq(*stored);
    // Index entries carry no checksum: the order found must be the one placed at this seq.
    if (o.seq != last_seq)
      return RecordCorruption(table_name, c->key(),
                              "names order '" + id + "', placed at seq " + std::to_string(o.seq) +
                                  ", not " + std::to_string(last_seq));
    page.items.push_back(std::move(o.order));
  }
  COMMERCE_RETURN_IF_ERROR(c->status());
  return page;
}

}  // namespace

Result<StoredOrder> GetStoredOrder(ReadView& view, const Tables& t, std::string_view id) {
  return GetRecord<StoredOrder>(view, t.orders, OrderKey(id), id, "order", DecodeOrder);
}

Status PutNewOrderInTxn(WriteTxn& txn, const Tables& t, const StoredOrder& o) {
  COMMERCE_RETURN_IF_ERROR(
      txn.put(t.orders, OrderKey(o.order.id), EncodeOrder(o), PutMode::kNoOverwrite));
  COMMERCE_RETURN_IF_ERROR(
      txn.put(t.customer_orders, CustomerIndexKey(o.order.customer_id, o.seq), o.order.id));
  return txn.put(t.status_orders, StatusIndexKey(o.order.status, o.seq), o.order.id);
}

Status UpdateOrderInTxn(WriteTxn& txn, const Tables& t, const StoredOrder& o,
                        OrderStatus old_status) {
  COMMERCE_RETURN_IF_ERROR(txn.put(t.orders, OrderKey(o.order.id), EncodeOrder(o)));
  if (old_status == o.order.status) return Status::OK();
  COMMERCE_RETURN_IF_ERROR(txn.del(t.status_orders, StatusIndexKey(old_status, o.seq)));
  return txn.put(t.status_orders, StatusIndexKey(o.order.status, o.seq), o.order.id);
}

Result<std::optional<OrderKeyRecord>> ReadOrderKey(ReadView& view, const Tables& t,
                                                   std::string_view customer_id,
                                                   std::string_view key) {
  std::string_view bytes;
  const std::string stored_key = IdempotencyKey(customer_id, key);
  Status s = view.get(t.order_keys, stored_key, &bytes);
  if (s.IsNotFound()) return std::optional<OrderKeyRecord>();
  COMMERCE_RETURN_IF_ERROR(s);
  OrderKeyRecord r;
  COMMERCE_RETURN_IF_ERROR(DecodeOrderKey(stored_key, bytes, &r));
  return std::optional<OrderKeyRecord>(std::move(r));
}

Status PutOrderKeyInTxn(WriteTxn& txn, const Tables& t, std::string_view customer_id,
                        std::string_view key, const OrderKeyRecord& r) {
  return txn.put(t.order_keys, IdempotencyKey(customer_id, key), EncodeOrderKey(r),
                 PutMode::kNoOverwrite);
}

Result<Page<Order>> ListCustomerOrders(ReadView& view, const Tables& t,
                                       std::string_view customer_id, std::string_view cursor,
                                       size_t limit) {
  return ListIndex(
      view, t, t.customer_orders, "customer_orders", CustomerPrefix(customer_id), cursor, limit,
      [](uint64_t stored) { return ~stored; },
      [&](uint64_t seq) { return CustomerIndexKey(customer_id, seq); });
}

Result<Page<Order>> ListStatusOrders(ReadView& view, const Tables& t, OrderStatus status,
                                     std::string_view cursor, size_t limit) {
  return ListIndex(
      view, t, t.status_orders, "status_orders", StatusPrefix(status), cursor, limit,
      [](uint64_t stored) { return stored; },
      [&](uint64_t seq) { return StatusIndexKey(status, seq); });
}

}  // namespace commerce
