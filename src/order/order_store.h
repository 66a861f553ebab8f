// Orders inside a transaction: the order record, its two indexes and idempotency keys.
//
// Tables (keys in common/key.h's tuple encoding):
//   orders           order id                                  -> StoredOrder (order_codec.h)
//   customer_orders  (customer id, u64 ~seq)                   -> order id   newest first
//   status_orders    (u64 status, u64 seq)                     -> order id   oldest first
//   order_keys       (customer id, idempotency key)            -> OrderKeyRecord
//
// seq is the order's placement sequence: the sequence number of its OrderPlaced event, which
// the event log hands out gapless and in commit order, so it needs no counter of its own.
// The customer index stores it inverted (~seq) so that an ascending scan is newest first.
// Idempotency keys are scoped to the customer: two customers' clients cannot collide on, or
// probe, each other's keys.
//
// Thread safety: these functions run inside one transaction, on that transaction's thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "commerce/order.h"
#include "commerce/storage.h"
#include "engine/engine_core.h"
#include "order/order_codec.h"

namespace commerce {

// The keys of the tables above.
std::string OrderKey(std::string_view id);
std::string CustomerIndexKey(std::string_view customer_id, uint64_t seq);
std::string StatusIndexKey(OrderStatus s, uint64_t seq);
std::string IdempotencyKey(std::string_view customer_id, std::string_view key);

// NotFound naming the id when there is no such order.
Result<StoredOrder> GetStoredOrder(ReadView& view, const Tables& t, std::string_view id);

// Writes a new order and its index entries. AlreadyExists if the id is taken.
Status PutNewOrderInTxn(WriteTxn& txn, const Tables& t, const StoredOrder& o);

// Rewrites an existing order whose status was `old_status`, moving its status index entry.
Status UpdateOrderInTxn(WriteTxn& txn, const Tables& t, const StoredOrder& o,
                        OrderStatus old_status);

// The record under (customer id, key), or nullopt.
Result<std::optional<OrderKeyRecord>> ReadOrderKey(ReadView& view, const Tables& t,
                                                   std::string_view customer_id,
                                                   std::string_view key);
// Insert only: AlreadyExists if the key is taken.
Status PutOrderKeyInTxn(WriteTxn& txn, const Tables& t, std::string_view customer_id,
                        std::string_view key, const OrderKeyRecord& r);

// Pages over the indexes. A cursor is the decimal seq of the last order of the previous
// page; "" starts at the beginning. InvalidArgument for a cursor this engine did not make.
Result<Page<Order>> ListCustomerOrders(ReadView& view, const Tables& t,
                                       std::string_view customer_id, std::string_view cursor,
                                       size_t limit);
Result<Page<Order>> ListStatusOrders(ReadView& view, const Tables& t, OrderStatus status,
                                     std::string_view cursor, size_t limit);
// The orders that match a checked filter (Orders::list), in placement (seq) order: a merge of
// the status indexes of the filter's statuses (all of them when it names none), or, for one
// customer, that customer's index read whole and turned round (it is newest first, and a
// customer's orders are few). Looks at no more than `scan_budget` orders.
Result<Page<Order>> ListFilteredOrders(ReadView& view, const Tables& t, const OrderFilter& filter,
                                       std::string_view cursor, size_t limit, size_t scan_budget);

}  // namespace commerce
