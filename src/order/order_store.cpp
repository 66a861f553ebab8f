#include "order/order_store.h"

#include <algorithm>
#include <charconv>
#include <queue>
#include <vector>

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

// An index entry: the order placed at `seq` is `id`.
struct SeqEntry {
  uint64_t seq;
  std::string id;
};

// One index prefix of u64 seqs in ascending order (a status index), entry by entry.
class AscendingIndex {
 public:
  // From `start`, a key at or after the prefix's first.
  AscendingIndex(ReadView& view, Table index, std::string prefix, std::string_view start)
      : cursor_(view.cursor(index)), prefix_(std::move(prefix)), end_(PrefixEnd(prefix_)) {
    cursor_->seek(start);
  }
  // The next entry, or nullopt past the prefix's last.
  Result<std::optional<SeqEntry>> Next() {
    if (!cursor_->valid() || (!end_.empty() && cursor_->key() >= end_)) {
      COMMERCE_RETURN_IF_ERROR(cursor_->status());
      return std::optional<SeqEntry>();
    }
    auto seq = KeyReader(cursor_->key().substr(prefix_.size())).u64();
    if (!seq) return Status::Corruption("order index key does not decode");
    SeqEntry e{*seq, std::string(cursor_->value())};
    cursor_->next();
    return std::optional<SeqEntry>(std::move(e));
  }

 private:
  std::unique_ptr<Cursor> cursor_;
  std::string prefix_, end_;
};

bool Matches(const OrderFilter& f, const Order& o) {
  if (!f.statuses.empty() &&
      std::find(f.statuses.begin(), f.statuses.end(), o.status) == f.statuses.end())
    return false;
  if (!f.customer_id.empty() && o.customer_id != f.customer_id) return false;
  if (f.created_from_ms && o.created_at_ms < *f.created_from_ms) return false;
  if (f.created_before_ms && o.created_at_ms >= *f.created_before_ms) return false;
  return true;
}

// A customer's entries with seq > after, oldest first: the customer index holds ~seq, so the
// range is read newest first, up to the cursor's key, and turned round.
Result<std::vector<SeqEntry>> CustomerEntriesAfter(ReadView& view, const Tables& t,
                                                   std::string_view customer_id,
                                                   std::optional<uint64_t> after) {
  const std::string prefix = CustomerPrefix(customer_id);
  const std::string end = after ? CustomerIndexKey(customer_id, *after) : PrefixEnd(prefix);
  std::vector<SeqEntry> out;
  auto c = view.cursor(t.customer_orders);
  for (c->seek(prefix); c->valid() && (end.empty() || c->key() < end); c->next()) {
    auto stored = KeyReader(c->key().substr(prefix.size())).u64();
    if (!stored) return Status::Corruption("order index key does not decode");
    out.push_back({~*stored, std::string(c->value())});
  }
  COMMERCE_RETURN_IF_ERROR(c->status());
  std::reverse(out.begin(), out.end());
  return out;
}

}  // namespace

Result<Page<Order>> ListFilteredOrders(ReadView& view, const Tables& t, const OrderFilter& filter,
                                       std::string_view cursor, size_t limit, size_t scan_budget) {
  std::optional<uint64_t> after;
  if (!cursor.empty()) {
    COMMERCE_ASSIGN_OR_RETURN(after, ParseCursor(cursor));
  }
  // The candidates in seq order, from one of two sources: `next` hands out the next one.
  std::vector<SeqEntry> customer_entries;
  size_t customer_pos = 0;
  std::vector<AscendingIndex> indexes;
  auto later = [](const std::pair<SeqEntry, size_t>& a, const std::pair<SeqEntry, size_t>& b) {
    return a.first.seq > b.first.seq;
  };
  std::priority_queue<std::pair<SeqEntry, size_t>, std::vector<std::pair<SeqEntry, size_t>>,
                      decltype(later)>
      heads(later);  // each status index's next entry, smallest seq on top
  if (!filter.customer_id.empty()) {
    COMMERCE_ASSIGN_OR_RETURN(customer_entries,
                              CustomerEntriesAfter(view, t, filter.customer_id, after));
  } else {
    std::vector<OrderStatus> statuses = filter.statuses;
    if (statuses.empty())
      for (uint8_t s = 0; s <= static_cast<uint8_t>(kLastOrderStatus); ++s)
        statuses.push_back(static_cast<OrderStatus>(s));
    indexes.reserve(statuses.size());
    for (OrderStatus s : statuses) {
      indexes.emplace_back(view, t.status_orders, StatusPrefix(s),
                           after ? PrefixEnd(StatusIndexKey(s, *after)) : StatusPrefix(s));
      COMMERCE_ASSIGN_OR_RETURN(auto head, indexes.back().Next());
      if (head) heads.emplace(std::move(*head), indexes.size() - 1);
    }
  }
  auto next = [&]() -> Result<std::optional<SeqEntry>> {
    if (!filter.customer_id.empty()) {
      if (customer_pos == customer_entries.size()) return std::optional<SeqEntry>();
      return std::optional<SeqEntry>(std::move(customer_entries[customer_pos++]));
    }
    if (heads.empty()) return std::optional<SeqEntry>();
    auto [entry, i] = heads.top();
    heads.pop();
    COMMERCE_ASSIGN_OR_RETURN(auto head, indexes[i].Next());
    if (head) heads.emplace(std::move(*head), i);
    return std::optional<SeqEntry>(std::move(entry));
  };
  auto more = [&] {
    return filter.customer_id.empty() ? !heads.empty() : customer_pos < customer_entries.size();
  };

  Page<Order> page;
  size_t looked_at = 0;
  uint64_t last_seq = 0;
  while (page.items.size() < limit && looked_at < scan_budget) {
    COMMERCE_ASSIGN_OR_RETURN(auto entry, next());
    if (!entry) break;
    ++looked_at;
    last_seq = entry->seq;
    COMMERCE_ASSIGN_OR_RETURN(StoredOrder o, GetStoredOrder(view, t, entry->id));
    // Index entries carry no checksum: the order found must be the one placed at this seq.
    if (o.seq != entry->seq)
      return RecordCorruption(filter.customer_id.empty() ? "status_orders" : "customer_orders",
                              entry->id,
                              "names order '" + entry->id + "', placed at seq " +
                                  std::to_string(o.seq) + ", not " + std::to_string(entry->seq));
    if (Matches(filter, o.order)) page.items.push_back(std::move(o.order));
  }
  if (more() && looked_at > 0) page.next_cursor = std::to_string(last_seq);
  return page;
}

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
