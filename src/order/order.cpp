// The public orders API (order.h): input checks before any write; placement as one checked
// change set prepared on the caller's thread (order_placement.h), transitions as one mutation
// (order_state.h); reads from one snapshot (order_store.h).
#include "commerce/order.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <memory>

#include "common/ids.h"
#include "common/key.h"
#include "engine/async_apply.h"
#include "engine/engine_core.h"
#include "order/order_placement.h"
#include "order/order_state.h"
#include "order/order_store.h"
#include "order/order_validation.h"
#include "order/request_fingerprint.h"

namespace commerce {

Result<Order> Orders::place(const PlaceOrder& request) {
  bool replayed = false;
  return place(request, &replayed);
}

namespace {

// One placement: its request and what every preparation of it shares (order_placement.h).
// Chosen once, not per preparation: a placement may be prepared several times, and every
// preparation must place the same order.
struct PlacementJob {
  PlacementJob(const PlaceOrder& r, EngineCore* core)
      : request(r), fingerprint(RequestFingerprint(r)), core(core) {}
  PlaceOrder request;
  std::string fingerprint;
  std::string order_id = RandomId("ord-");
  std::string access_token = RandomId("ot_", kCapabilityBytes);
  int64_t now = EngineCore::NowMs();
  EngineCore* core;
  Placement placed;  // set by the preparation that was applied (or that replayed)

  Status operator()(ReadView& view, ChangeSet& changes) {
    const bool remote = (core->storage->capabilities() & kRemote) != 0;
    return PreparePlacement(view, remote, core->tables, *core->pricing, request, order_id,
                            access_token, fingerprint, now, changes, &placed,
                            core->payment_provider, core->slot_home);
  }
};

}  // namespace

Result<Order> Orders::place(const PlaceOrder& request, bool* replayed) {
  *replayed = false;
  COMMERCE_RETURN_IF_ERROR(ValidatePlaceOrder(request));
  PlacementJob job(request, core_);
  COMMERCE_RETURN_IF_ERROR(core_->Apply(job).status());
  *replayed = job.placed.replayed;
  return std::move(job.placed.order);
}

void Orders::place_async(PlaceOrder request, PlaceCallback done) {
  Status valid = ValidatePlaceOrder(request);
  if (!valid.ok()) return done(std::move(valid), false);
  auto job = std::make_shared<PlacementJob>(std::move(request), core_);
  ApplyAsync(core_, job, WriteOptions{}, [job, done = std::move(done)](Result<ApplyResult> r) {
    if (!r.ok()) return done(r.status(), false);
    done(std::move(job->placed.order), job->placed.replayed);
  });
}

Result<Order> Orders::get(std::string_view order_id) {
  COMMERCE_RETURN_IF_ERROR(CheckIdentifier("order_id", order_id, 64));
  COMMERCE_ASSIGN_OR_RETURN(auto txn, core_->storage->read());
  COMMERCE_ASSIGN_OR_RETURN(StoredOrder stored, GetStoredOrder(*txn, core_->tables, order_id));
  return std::move(stored.order);
}

Result<Order> Orders::get_by_token(std::string_view order_id, std::string_view access_token) {
  COMMERCE_RETURN_IF_ERROR(CheckIdentifier("order_id", order_id, 64));
  COMMERCE_ASSIGN_OR_RETURN(auto txn, core_->storage->read());
  auto stored = GetStoredOrder(*txn, core_->tables, order_id);
  if (!stored.ok() && !stored.status().IsNotFound()) return stored.status();
  // One answer for "no such order" and "not your token": whoever lacks the token learns
  // nothing, not even that the id is taken.
  const std::string& mine = stored.ok() ? stored->order.access_token : std::string();
  const bool match = !mine.empty() && mine.size() == access_token.size() &&
                     CRYPTO_memcmp(mine.data(), access_token.data(), mine.size()) == 0;
  if (!match) return Status::NotFound("no order with id '" + std::string(order_id) + "'");
  return std::move(stored->order);
}

Result<Order> Orders::transition(std::string_view order_id, OrderStatus to, TransitionOptions o) {
  COMMERCE_RETURN_IF_ERROR(CheckIdentifier("order_id", order_id, 64));
  if (static_cast<uint8_t>(to) > static_cast<uint8_t>(kLastOrderStatus))
    return Status::InvalidArgument("to: " + std::to_string(static_cast<int>(to)) +
                                   " is not an order status");
  COMMERCE_RETURN_IF_ERROR(ValidateTransition(to, o));
  const Tables& t = core_->tables;
  const int64_t now = EngineCore::NowMs();
  Order out;
  COMMERCE_RETURN_IF_ERROR(core_->Write(
      [&](WriteTxn& txn) { return TransitionInTxn(txn, t, order_id, to, o, now, &out); }));
  return out;
}

namespace {

// NotFound, naming it, when there is no customer `customer_id`: a listing of its orders would
// otherwise be empty, as for a customer with none.
Status CustomerExists(ReadView& view, const Tables& t, std::string_view customer_id) {
  std::string_view unused;
  Status s = view.get(t.customers, KeyBuilder().str(customer_id).key(), &unused);
  if (s.IsNotFound())
    return Status::NotFound("customer_id: no customer with id '" + std::string(customer_id) + "'");
  return s;
}

}  // namespace

Result<Page<Order>> Orders::list_by_customer(std::string_view customer_id, OrderListOptions o) {
  COMMERCE_RETURN_IF_ERROR(CheckIdentifier("customer_id", customer_id, 64));
  COMMERCE_RETURN_IF_ERROR(ValidateListOptions(o));
  COMMERCE_ASSIGN_OR_RETURN(auto txn, core_->storage->read());
  const Tables& t = core_->tables;
  COMMERCE_RETURN_IF_ERROR(CustomerExists(*txn, t, customer_id));
  return ListCustomerOrders(*txn, t, customer_id, o.cursor, o.limit);
}

Result<Page<Order>> Orders::list_by_status(OrderStatus status, OrderListOptions o) {
  if (static_cast<uint8_t>(status) > static_cast<uint8_t>(kLastOrderStatus))
    return Status::InvalidArgument("status: " + std::to_string(static_cast<int>(status)) +
                                   " is not an order status");
  COMMERCE_RETURN_IF_ERROR(ValidateListOptions(o));
  COMMERCE_ASSIGN_OR_RETURN(auto txn, core_->storage->read());
  return ListStatusOrders(*txn, core_->tables, status, o.cursor, o.limit);
}

Result<Page<Order>> Orders::list(const OrderFilter& filter, OrderListOptions o) {
  OrderFilter f = filter;
  for (OrderStatus s : f.statuses)
    if (static_cast<uint8_t>(s) > static_cast<uint8_t>(kLastOrderStatus))
      return Status::InvalidArgument("statuses: " + std::to_string(static_cast<int>(s)) +
                                     " is not an order status");
  // Each status once: the walk merges one index per status.
  std::sort(f.statuses.begin(), f.statuses.end());
  f.statuses.erase(std::unique(f.statuses.begin(), f.statuses.end()), f.statuses.end());
  if (!f.customer_id.empty())
    COMMERCE_RETURN_IF_ERROR(CheckIdentifier("customer_id", f.customer_id, 64));
  if (f.created_from_ms && *f.created_from_ms < 0)
    return Status::InvalidArgument("created_from_ms: " + std::to_string(*f.created_from_ms) +
                                   " is before 1970");
  if (f.created_before_ms && *f.created_before_ms < 0)
    return Status::InvalidArgument("created_before_ms: " + std::to_string(*f.created_before_ms) +
                                   " is before 1970");
  if (f.created_from_ms && f.created_before_ms && *f.created_from_ms >= *f.created_before_ms)
    return Status::InvalidArgument("created_before_ms: " + std::to_string(*f.created_before_ms) +
                                   " is not after created_from_ms " +
                                   std::to_string(*f.created_from_ms) + " (an empty range)");
  COMMERCE_RETURN_IF_ERROR(ValidateListOptions(o));
  COMMERCE_ASSIGN_OR_RETURN(auto txn, core_->storage->read());
  const Tables& t = core_->tables;
  if (!f.customer_id.empty()) COMMERCE_RETURN_IF_ERROR(CustomerExists(*txn, t, f.customer_id));
  return ListFilteredOrders(*txn, t, f, o.cursor, o.limit, kOrderListScanBudget);
}

}  // namespace commerce
