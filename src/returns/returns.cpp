// The Returns API (returns.h): input checks, the state machine, and each move as one mutation
// on the storage's writer -- so the tally of an order's returned units, the stock a receipt
// puts back, the payment's refund and the event are one commit, and concurrent requests for
// the same order are checked one after another against what is stored.
//
//   request   validate -> mutation: order shipped|delivered, units left, insert + index + event
//   approve   [exchange: place the linked order, key "return:<id>:exchange"] -> mutation
//   reject, cancel, receive (stock), refund (payment outbox or manual) -> one mutation each
#include "commerce/returns.h"

#include <map>
#include <set>

#include "common/ids.h"
#include "common/utf8.h"
#include "inventory/stock_store.h"
#include "order/order_state.h"
#include "order/order_store.h"
#include "order/order_validation.h"
#include "payments/payment_store.h"
#include "returns/return_store.h"

namespace commerce {

namespace {

constexpr const char* kStatusNames[] = {"requested", "approved", "received", "refunded", "rejected", "cancelled"};
constexpr size_t kMaxReturnTextBytes = 500;

Status CheckText(const std::string& what, std::string_view text) {
  if (text.size() > kMaxReturnTextBytes)
    return Status::InvalidArgument(what + ": " + std::to_string(text.size()) + " bytes; expected at most " +
                                   std::to_string(kMaxReturnTextBytes));
  return CheckUtf8(what, text);
}

Status CheckReturnId(std::string_view id) { return CheckIdentifier("return_id", id, 64); }

Status CheckMoveOptions(const ReturnMoveOptions& o) { return CheckText("note", o.note); }

// Each SKU once, 1..kMaxOrderLines lines, quantities in range.
template <class Line>
Status CheckLines(const std::string& what, const std::vector<Line>& lines, bool may_be_empty) {
  if ((lines.empty() && !may_be_empty) || lines.size() > kMaxOrderLines)
    return Status::InvalidArgument(what + ": " + std::to_string(lines.size()) + " lines; expected " +
                                   (may_be_empty ? "0.." : "1..") + std::to_string(kMaxOrderLines));
  std::map<std::string_view, size_t> seen;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string path = what + "[" + std::to_string(i) + "]";
    COMMERCE_RETURN_IF_ERROR(CheckIdentifier(path + ".sku", lines[i].sku, 64));
    COMMERCE_RETURN_IF_ERROR(CheckQuantity(path + ".quantity", lines[i].quantity));
    auto [it, fresh] = seen.emplace(lines[i].sku, i);
    if (!fresh)
      return Status::InvalidArgument(path + ".sku: '" + lines[i].sku + "' repeats " + what + "[" +
                                     std::to_string(it->second) + "]; give each SKU once with its total quantity");
  }
  return Status::OK();
}

Status ValidateRequest(const RequestReturn& r) {
  COMMERCE_RETURN_IF_ERROR(CheckIdentifier("order_id", r.order_id, 64));
  COMMERCE_RETURN_IF_ERROR(CheckLines("lines", r.lines, false));
  for (size_t i = 0; i < r.lines.size(); ++i)
    COMMERCE_RETURN_IF_ERROR(CheckText("lines[" + std::to_string(i) + "].reason", r.lines[i].reason));
  COMMERCE_RETURN_IF_ERROR(CheckLines("exchange_lines", r.exchange_lines, true));
  if (!r.idempotency_key.empty())
    COMMERCE_RETURN_IF_ERROR(CheckIdentifier("idempotency_key", r.idempotency_key, kMaxIdempotencyKeyBytes));
  return CheckText("note", r.note);
}

bool IsLegalMove(ReturnStatus from, ReturnStatus to) {
  using S = ReturnStatus;
  switch (from) {
    case S::kRequested: return to == S::kApproved || to == S::kRejected || to == S::kCancelled;
    case S::kApproved: return to == S::kReceived || to == S::kCancelled;
    case S::kReceived: return to == S::kRefunded;
    case S::kRefunded:
    case S::kRejected:
    case S::kCancelled: return false;
  }
  return false;
}

// What the buyer paid for `quantity` of `line`: its total less its discounts, per unit,
// rounded down, plus the same share of the order's tax (the tax follows the discounted
// amounts it was charged on). Shipping is not refunded. Rounded down each time, so the
// returns of an order never add up to more than it charged.
int64_t LineRefund(const Order& o, const OrderLine& line, int64_t quantity) {
  using i128 = __int128;
  const int64_t paid = line.line_total.minor - line.discount.minor;
  if (line.quantity <= 0 || paid <= 0) return 0;
  const i128 net = i128(paid) * quantity / line.quantity;
  const int64_t taxed_base = o.subtotal.minor - o.discount.minor;
  const i128 tax = taxed_base > 0 ? i128(o.tax.minor) * net / taxed_base : 0;
  return static_cast<int64_t>(net + tax);
}

// The fingerprint of a request, to tell a retry under an idempotency key from a new request.
bool SameRequest(const Return& r, const RequestReturn& q) {
  if (r.lines.size() != q.lines.size() || r.exchange_lines.size() != q.exchange_lines.size()) return false;
  for (size_t i = 0; i < q.lines.size(); ++i)
    if (r.lines[i].sku != q.lines[i].sku || r.lines[i].quantity != q.lines[i].quantity) return false;
  for (size_t i = 0; i < q.exchange_lines.size(); ++i)
    if (r.exchange_lines[i].sku != q.exchange_lines[i].sku ||
        r.exchange_lines[i].quantity != q.exchange_lines[i].quantity)
      return false;
  return true;
}

std::string ExchangeKey(std::string_view return_id) { return "return:" + std::string(return_id) + ":exchange"; }

// The common head of a move: the return, if_version, the state machine.
Result<Return> BeginMove(WriteTxn& txn, const Tables& t, std::string_view id, ReturnStatus to,
                         const ReturnMoveOptions& o) {
  COMMERCE_ASSIGN_OR_RETURN(Return r, ReadReturn(txn, t, id));
  if (o.if_version && *o.if_version != r.version)
    return Status::Conflict("return '" + r.id + "' is at version " + std::to_string(r.version) + ", not " +
                            std::to_string(*o.if_version) + ": read it again and reapply the change");
  if (!IsLegalMove(r.status, to)) {
    std::string legal;
    for (uint8_t i = 0; i <= static_cast<uint8_t>(ReturnStatus::kCancelled); ++i)
      if (IsLegalMove(r.status, static_cast<ReturnStatus>(i)))
        legal += std::string(legal.empty() ? "" : ", ") + kStatusNames[i];
    return Status::FailedPrecondition("return '" + r.id + "': cannot go from " + ReturnStatusName(r.status) +
                                      " to " + ReturnStatusName(to) + " (from " + ReturnStatusName(r.status) +
                                      ": " + (legal.empty() ? "none" : legal) + ")");
  }
  return r;
}

// The common tail: history, write, event.
Status FinishMove(WriteTxn& txn, const Tables& t, Return& r, ReturnStatus to, const ReturnMoveOptions& o,
                  const char* event, int64_t now_ms) {
  r.history.push_back({r.status, to, now_ms, o.note});
  r.status = to;
  COMMERCE_RETURN_IF_ERROR(PutReturnInTxn(txn, t, r, now_ms));
  return AppendReturnEvent(txn, t, event, r, now_ms);
}

// The exchange order placed for `r`: the one it names or, when the return was not approved
// after its exchange order was placed (a crash or an error between the placement's commit and
// the approval's), the order placed under its derived key, which the return does not name.
// "" when none was placed.
Result<std::string> ExchangeOrderOf(EngineCore* core, const Return& r) {
  if (!r.exchange_order_id.empty()) return r.exchange_order_id;
  if (r.exchange_lines.empty()) return std::string();
  COMMERCE_ASSIGN_OR_RETURN(auto view, core->storage->read());
  COMMERCE_ASSIGN_OR_RETURN(auto key, ReadOrderKey(*view, core->tables, r.customer_id, ExchangeKey(r.id)));
  return key ? key->order_id : std::string();
}

// After a return is cancelled or rejected, its exchange order is not wanted: cancelled while it
// still may be (placed, paid or payment_pending: its stock released, its payment voided), left
// to the shop once it went further (fulfilling, shipped). A commit of its own, after the
// return's: a failure of it (an I/O error) is answered, and the caller's retry of the same move
// finds the return moved already and comes back here (see FinishedRetry).
Status CancelExchange(EngineCore* core, Orders* orders, const Return& r, const std::string& why) {
  COMMERCE_ASSIGN_OR_RETURN(const std::string id, ExchangeOrderOf(core, r));
  if (id.empty()) return Status::OK();
  auto exchange = orders->get(id);
  if (!exchange.ok()) return exchange.status();
  if (!IsLegalTransition(exchange->status, OrderStatus::kCancelled)) return Status::OK();
  TransitionOptions t;
  t.note = why;
  if (t.note.size() > kMaxTransitionNoteBytes) t.note.resize(kMaxTransitionNoteBytes);
  Status s = orders->transition(id, OrderStatus::kCancelled, t).status();
  // It moved meanwhile (shipped by another caller, or cancelled by a concurrent retry).
  if (s.IsFailedPrecondition()) return Status::OK();
  return s;
}

// A move to `to` that failed because the return is in `to` already is a retry of a move that
// committed (its answer lost, or its exchange step not done): it answers the return as it is.
// Any other failure stays one.
Result<Return> FinishedRetry(Returns& returns, std::string_view id, ReturnStatus to, const Status& failed) {
  if (!failed.IsFailedPrecondition()) return failed;
  COMMERCE_ASSIGN_OR_RETURN(Return now, returns.get(id));
  if (now.status != to) return failed;
  return now;
}

}  // namespace

const char* ReturnStatusName(ReturnStatus s) {
  auto i = static_cast<size_t>(s);
  return i < std::size(kStatusNames) ? kStatusNames[i] : "unknown";
}

Result<ReturnStatus> ParseReturnStatus(std::string_view name) {
  for (size_t i = 0; i < std::size(kStatusNames); ++i)
    if (name == kStatusNames[i]) return static_cast<ReturnStatus>(i);
  return Status::InvalidArgument("status: '" + std::string(name) +
                                 "' is not one of requested, approved, received, refunded, rejected, cancelled");
}

const char* ReturnDispositionName(ReturnDisposition d) {
  static const char* const kNames[] = {"pending", "restocked", "written_off"};
  auto i = static_cast<size_t>(d);
  return i < std::size(kNames) ? kNames[i] : "unknown";
}

const char* RefundMethodName(RefundMethod m) {
  static const char* const kNames[] = {"none", "payment", "manual"};
  auto i = static_cast<size_t>(m);
  return i < std::size(kNames) ? kNames[i] : "unknown";
}

Result<Return> Returns::request(const RequestReturn& q) { return request(q, nullptr); }

Result<Return> Returns::request(const RequestReturn& q, bool* replayed) {
  if (replayed) *replayed = false;
  COMMERCE_RETURN_IF_ERROR(ValidateRequest(q));
  const std::string id = RandomId("ret-");
  const int64_t now = EngineCore::NowMs();
  Return out;
  bool found = false;
  COMMERCE_RETURN_IF_ERROR(core_->Write([&](WriteTxn& txn) -> Status {
    const Tables& t = core_->tables;
    found = false;  // the mutation may run more than once
    if (!q.idempotency_key.empty()) {
      std::string_view known;
      Status s = txn.get(t.return_keys, ReturnIdempotencyKey(q.order_id, q.idempotency_key), &known);
      if (s.ok()) {
        COMMERCE_ASSIGN_OR_RETURN(Return before, ReadReturn(txn, t, known));
        if (!SameRequest(before, q))
          return Status::Conflict("idempotency_key: '" + q.idempotency_key + "' made return '" + before.id +
                                  "' with other lines; use a new key for a new return");
        out = std::move(before);
        found = true;
        return Status::OK();
      }
      if (!s.IsNotFound()) return s;
    }
    COMMERCE_ASSIGN_OR_RETURN(StoredOrder stored, GetStoredOrder(txn, t, q.order_id));
    const Order& o = stored.order;
    if (o.status != OrderStatus::kShipped && o.status != OrderStatus::kDelivered)
      return Status::FailedPrecondition("order '" + o.id + "' is " + OrderStatusName(o.status) +
                                        "; only a shipped or delivered order takes a return");
    COMMERCE_ASSIGN_OR_RETURN(auto returns, ReadOrderReturns(txn, t, o.id));
    const auto returned = ReturnedUnits(returns);
    Return r;
    r.id = id;
    r.order_id = o.id;
    r.customer_id = o.customer_id;
    r.idempotency_key = q.idempotency_key;
    r.refund = Money{0, o.currency};
    for (size_t i = 0; i < q.lines.size(); ++i) {
      const auto& l = q.lines[i];
      const OrderLine* line = nullptr;
      for (const auto& ol : o.lines)
        if (ol.sku == l.sku) line = &ol;
      if (!line)
        return Status::InvalidArgument("lines[" + std::to_string(i) + "].sku: '" + l.sku + "' is not in order '" +
                                       o.id + "'");
      auto it = returned.find(l.sku);
      const int64_t left = line->quantity - (it == returned.end() ? 0 : it->second);
      if (l.quantity > left)
        return Status::FailedPrecondition("lines[" + std::to_string(i) + "]: " + std::to_string(l.quantity) +
                                          " of '" + l.sku + "' asked; order '" + o.id + "' has " +
                                          std::to_string(left) + " of its " + std::to_string(line->quantity) +
                                          " left to return");
      ReturnLine rl;
      rl.sku = l.sku;
      rl.quantity = l.quantity;
      rl.reason = l.reason;
      rl.refund = Money{LineRefund(o, *line, l.quantity), o.currency};
      r.refund.minor += rl.refund.minor;
      r.lines.push_back(std::move(rl));
    }
    r.exchange_lines = q.exchange_lines;
    r.history.push_back({ReturnStatus::kRequested, ReturnStatus::kRequested, now, q.note});
    r.created_at_ms = now;
    r.updated_at_ms = now;
    r.version = 1;
    COMMERCE_RETURN_IF_ERROR(txn.put(t.returns, ReturnKey(r.id), EncodeReturn(r), PutMode::kNoOverwrite)
                                 .WithContext("return '" + r.id + "'"));
    COMMERCE_RETURN_IF_ERROR(txn.put(t.order_returns, OrderReturnKey(o.id, r.id), ""));
    if (!q.idempotency_key.empty())
      COMMERCE_RETURN_IF_ERROR(
          txn.put(t.return_keys, ReturnIdempotencyKey(o.id, q.idempotency_key), r.id, PutMode::kNoOverwrite));
    COMMERCE_RETURN_IF_ERROR(AppendReturnEvent(txn, t, "ReturnRequested", r, now));
    out = std::move(r);
    return Status::OK();
  }));
  if (replayed) *replayed = found;
  return out;
}

Result<Return> Returns::get(std::string_view return_id) {
  COMMERCE_RETURN_IF_ERROR(CheckReturnId(return_id));
  COMMERCE_ASSIGN_OR_RETURN(auto view, core_->storage->read());
  return ReadReturn(*view, core_->tables, return_id);
}

Result<std::vector<Return>> Returns::list_by_order(std::string_view order_id) {
  COMMERCE_RETURN_IF_ERROR(CheckIdentifier("order_id", order_id, 64));
  COMMERCE_ASSIGN_OR_RETURN(auto view, core_->storage->read());
  COMMERCE_RETURN_IF_ERROR(GetStoredOrder(*view, core_->tables, order_id).status());
  return ReadOrderReturns(*view, core_->tables, order_id);
}

Result<Return> Returns::approve(std::string_view return_id, ReturnMoveOptions o) {
  COMMERCE_RETURN_IF_ERROR(CheckReturnId(return_id));
  COMMERCE_RETURN_IF_ERROR(CheckMoveOptions(o));
  COMMERCE_ASSIGN_OR_RETURN(Return seen, get(return_id));
  // The exchange order first, outside the return's mutation (placement is its own commit);
  // its key is derived from the return, so a retry of approve finds the same order.
  std::string exchange_id;
  if (!seen.exchange_lines.empty() && seen.status == ReturnStatus::kRequested) {
    COMMERCE_ASSIGN_OR_RETURN(Order original, orders_->get(seen.order_id));
    PlaceOrder p;
    p.idempotency_key = ExchangeKey(seen.id);
    p.customer_id = original.customer_id;
    for (const auto& l : seen.exchange_lines) p.lines.push_back({l.sku, l.quantity});
    p.shipping_address = original.shipping_address;
    p.currency = original.currency;
    // Through the same storefront: its products, warehouses and prices.
    p.channel = original.channel;
    COMMERCE_ASSIGN_OR_RETURN(Order placed, orders_->place(p));
    exchange_id = placed.id;
  } else if (seen.status == ReturnStatus::kApproved && !seen.exchange_order_id.empty()) {
    return seen;  // approved already, with its exchange: a retry
  }
  const int64_t now = EngineCore::NowMs();
  Return out;
  Status s = core_->Write([&](WriteTxn& txn) -> Status {
    const Tables& t = core_->tables;
    COMMERCE_ASSIGN_OR_RETURN(Return r, BeginMove(txn, t, return_id, ReturnStatus::kApproved, o));
    r.exchange_order_id = exchange_id;
    COMMERCE_RETURN_IF_ERROR(FinishMove(txn, t, r, ReturnStatus::kApproved, o, "ReturnApproved", now));
    out = std::move(r);
    return Status::OK();
  });
  if (!s.ok()) {
    // Approved meanwhile by a concurrent call (or this call's earlier attempt) with the same
    // exchange order, which the return's key made the same: a retry, answered as it is. Its
    // exchange order is the return's: never cancelled here.
    auto retry = FinishedRetry(*this, return_id, ReturnStatus::kApproved, s);
    if (retry.ok() && retry->exchange_order_id == exchange_id) return retry;
  }
  if (!s.ok() && !exchange_id.empty()) {
    // The return moved meanwhile (cancelled or rejected): the exchange order placed for it is
    // not wanted.
    TransitionOptions cancel;
    cancel.note = "return '" + std::string(return_id) + "' not approved: " + s.message();
    if (cancel.note.size() > kMaxTransitionNoteBytes) cancel.note.resize(kMaxTransitionNoteBytes);
    (void)orders_->transition(exchange_id, OrderStatus::kCancelled, cancel);
    return s;
  }
  COMMERCE_RETURN_IF_ERROR(s);
  return out;
}

Result<Return> Returns::reject(std::string_view return_id, ReturnMoveOptions o) {
  COMMERCE_RETURN_IF_ERROR(CheckReturnId(return_id));
  COMMERCE_RETURN_IF_ERROR(CheckMoveOptions(o));
  const int64_t now = EngineCore::NowMs();
  Return out;
  Status s = core_->Write([&](WriteTxn& txn) -> Status {
    COMMERCE_ASSIGN_OR_RETURN(Return r, BeginMove(txn, core_->tables, return_id, ReturnStatus::kRejected, o));
    COMMERCE_RETURN_IF_ERROR(FinishMove(txn, core_->tables, r, ReturnStatus::kRejected, o, "ReturnRejected", now));
    out = std::move(r);
    return Status::OK();
  });
  if (!s.ok()) {
    COMMERCE_ASSIGN_OR_RETURN(out, FinishedRetry(*this, return_id, ReturnStatus::kRejected, s));
  }
  // A requested return has no exchange order, unless an approval placed one and did not
  // commit (a crash between its two commits): that order is not wanted.
  COMMERCE_RETURN_IF_ERROR(CancelExchange(core_, orders_, out, "return '" + out.id + "' rejected"));
  return out;
}

Result<Return> Returns::cancel(std::string_view return_id, ReturnMoveOptions o) {
  COMMERCE_RETURN_IF_ERROR(CheckReturnId(return_id));
  COMMERCE_RETURN_IF_ERROR(CheckMoveOptions(o));
  const int64_t now = EngineCore::NowMs();
  Return out;
  Status s = core_->Write([&](WriteTxn& txn) -> Status {
    COMMERCE_ASSIGN_OR_RETURN(Return r, BeginMove(txn, core_->tables, return_id, ReturnStatus::kCancelled, o));
    COMMERCE_RETURN_IF_ERROR(
        FinishMove(txn, core_->tables, r, ReturnStatus::kCancelled, o, "ReturnCancelled", now));
    out = std::move(r);
    return Status::OK();
  });
  if (!s.ok()) {
    COMMERCE_ASSIGN_OR_RETURN(out, FinishedRetry(*this, return_id, ReturnStatus::kCancelled, s));
  }
  // An approved return's exchange order was placed for it and is not wanted any more. A crash
  // between the return's commit and this step leaves it open until the cancel is retried.
  COMMERCE_RETURN_IF_ERROR(CancelExchange(core_, orders_, out, "return '" + out.id + "' cancelled"));
  return out;
}

Result<Return> Returns::receive(std::string_view return_id, const std::vector<ReceiveLine>& lines,
                                ReturnMoveOptions o) {
  COMMERCE_RETURN_IF_ERROR(CheckReturnId(return_id));
  COMMERCE_RETURN_IF_ERROR(CheckMoveOptions(o));
  std::map<std::string_view, size_t> seen;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string path = "lines[" + std::to_string(i) + "]";
    COMMERCE_RETURN_IF_ERROR(CheckIdentifier(path + ".sku", lines[i].sku, 64));
    if (lines[i].write_off && !lines[i].warehouse_id.empty())
      return Status::InvalidArgument(path + ": write_off with warehouse_id '" + lines[i].warehouse_id +
                                     "'; a line is restocked to a warehouse or written off, not both");
    if (!lines[i].write_off) COMMERCE_RETURN_IF_ERROR(CheckIdentifier(path + ".warehouse_id", lines[i].warehouse_id, 64));
    auto [it, fresh] = seen.emplace(lines[i].sku, i);
    if (!fresh)
      return Status::InvalidArgument(path + ".sku: '" + lines[i].sku + "' repeats lines[" +
                                     std::to_string(it->second) + "]");
  }
  const int64_t now = EngineCore::NowMs();
  Return out;
  COMMERCE_RETURN_IF_ERROR(core_->Write([&](WriteTxn& txn) -> Status {
    const Tables& t = core_->tables;
    COMMERCE_ASSIGN_OR_RETURN(Return r, BeginMove(txn, t, return_id, ReturnStatus::kReceived, o));
    if (lines.size() != r.lines.size() )
      return Status::InvalidArgument("lines: " + std::to_string(lines.size()) + " given; return '" + r.id +
                                     "' has " + std::to_string(r.lines.size()) + ": give each of its lines once");
    for (size_t i = 0; i < lines.size(); ++i) {
      ReturnLine* rl = nullptr;
      for (auto& l : r.lines)
        if (l.sku == lines[i].sku) rl = &l;
      if (!rl)
        return Status::InvalidArgument("lines[" + std::to_string(i) + "].sku: '" + lines[i].sku +
                                       "' is not in return '" + r.id + "'");
      if (lines[i].write_off) {
        rl->disposition = ReturnDisposition::kWrittenOff;
        continue;
      }
      COMMERCE_RETURN_IF_ERROR(CheckStockTarget(txn, t, rl->sku, lines[i].warehouse_id, /*require_active=*/true)
                                   .WithContext("lines[" + std::to_string(i) + "]"));
      COMMERCE_RETURN_IF_ERROR(
          ReceiveInTxn(txn, t, rl->sku, lines[i].warehouse_id, rl->quantity, r.id, now).status());
      rl->disposition = ReturnDisposition::kRestocked;
      rl->warehouse_id = lines[i].warehouse_id;
    }
    COMMERCE_RETURN_IF_ERROR(FinishMove(txn, t, r, ReturnStatus::kReceived, o, "ReturnReceived", now));
    out = std::move(r);
    return Status::OK();
  }));
  return out;
}

Result<Return> Returns::refund(std::string_view return_id, std::optional<int64_t> amount_minor,
                               ReturnMoveOptions o) {
  COMMERCE_RETURN_IF_ERROR(CheckReturnId(return_id));
  COMMERCE_RETURN_IF_ERROR(CheckMoveOptions(o));
  if (amount_minor && (*amount_minor < 0 || *amount_minor > kMaxMoneyMinor))
    return Status::InvalidArgument("amount_minor: " + std::to_string(*amount_minor) + "; expected 0.." +
                                   std::to_string(kMaxMoneyMinor));
  const int64_t now = EngineCore::NowMs();
  Return out;
  COMMERCE_RETURN_IF_ERROR(core_->Write([&](WriteTxn& txn) -> Status {
    const Tables& t = core_->tables;
    COMMERCE_ASSIGN_OR_RETURN(Return r, BeginMove(txn, t, return_id, ReturnStatus::kRefunded, o));
    const int64_t amount = amount_minor ? *amount_minor : r.refund.minor;
    COMMERCE_ASSIGN_OR_RETURN(std::optional<Payment> payment, ReadPayment(txn, t, r.order_id));
    if (payment) {
      if (amount > 0) {
        // The payment bounds it: captured - refunded - pending (RefundPaymentInTxn).
        COMMERCE_RETURN_IF_ERROR(RefundPaymentInTxn(txn, t, *payment, r.id, amount, now)
                                     .WithContext("return '" + r.id + "'"));
        r.refund_method = RefundMethod::kPayment;
        r.refund_id = r.id;
      }
    } else {
      // No payment: the order's total bounds it, less what its other returns refunded.
      COMMERCE_ASSIGN_OR_RETURN(StoredOrder stored, GetStoredOrder(txn, t, r.order_id));
      COMMERCE_ASSIGN_OR_RETURN(auto returns, ReadOrderReturns(txn, t, r.order_id));
      int64_t refunded = 0;
      for (const auto& other : returns)
        if (other.status == ReturnStatus::kRefunded) refunded += other.refund.minor;
      const int64_t left = stored.order.total.minor - refunded;
      if (amount > left)
        return Status::FailedPrecondition("refund of " + std::to_string(amount) + " is past what is left to refund "
                                          "of order '" + r.order_id + "': " + std::to_string(left) + " (total " +
                                          std::to_string(stored.order.total.minor) + ", refunded by returns " +
                                          std::to_string(refunded) + ")");
      if (amount > 0) r.refund_method = RefundMethod::kManual;
    }
    r.refund.minor = amount;
    COMMERCE_RETURN_IF_ERROR(FinishMove(txn, t, r, ReturnStatus::kRefunded, o, "ReturnRefunded", now));
    out = std::move(r);
    return Status::OK();
  }));
  return out;
}

}  // namespace commerce
