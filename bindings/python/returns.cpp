// Binds include/commerce/returns.h: returns (RMA) with their moves, restock or write-off at
// receipt, refunds and exchanges (docs/returns.md).
#include "commerce/returns.h"

#include <iterator>

#include "commerce/return_list.h"

#include "bind.h"

namespace commerce::python {

namespace {

// What Returns.request_or_replay answers, as Orders.place_or_replay does (order.cpp): the
// return, and whether its idempotency key answered one made before (nothing written).
struct RequestedReturn {
  Return ret;
  bool replayed = false;
};

Result<ReturnDisposition> ParseDisposition(std::string_view s) {
  return ParseByName<ReturnDisposition, 3>(s, &ReturnDispositionName, "disposition");
}
Result<RefundMethod> ParseRefundMethod(std::string_view s) {
  return ParseByName<RefundMethod, 3>(s, &RefundMethodName, "refund_method");
}

ReturnMoveOptions Move(std::string note, std::optional<uint64_t> if_version) {
  ReturnMoveOptions o;
  o.note = std::move(note);
  o.if_version = if_version;
  return o;
}

}  // namespace

void BindReturns(py::module_& m) {
  py::enum_<ReturnStatus> status(m, "ReturnStatus",
                                 "A return's state: 'requested', 'approved', 'received', 'refunded', "
                                 "'rejected', 'cancelled'.");
  status.value("REQUESTED", ReturnStatus::kRequested)
      .value("APPROVED", ReturnStatus::kApproved)
      .value("RECEIVED", ReturnStatus::kReceived)
      .value("REFUNDED", ReturnStatus::kRefunded)
      .value("REJECTED", ReturnStatus::kRejected)
      .value("CANCELLED", ReturnStatus::kCancelled);
  EnumNames(status, &ReturnStatusName, &ParseReturnStatus);
  py::enum_<ReturnDisposition> disposition(m, "ReturnDisposition",
                                           "What became of a returned line: 'pending', 'restocked', 'written_off'.");
  disposition.value("PENDING", ReturnDisposition::kPending)
      .value("RESTOCKED", ReturnDisposition::kRestocked)
      .value("WRITTEN_OFF", ReturnDisposition::kWrittenOff);
  EnumNames(disposition, &ReturnDispositionName, &ParseDisposition);
  py::enum_<RefundMethod> method(m, "RefundMethod", "How a return was refunded: 'none', 'payment', 'manual'.");
  method.value("NONE", RefundMethod::kNone).value("PAYMENT", RefundMethod::kPayment).value("MANUAL", RefundMethod::kManual);
  EnumNames(method, &RefundMethodName, &ParseRefundMethod);

  Value<ReturnLineRequest>(m, "ReturnLineRequest", "A line of a return request.")
      .field("sku", &ReturnLineRequest::sku, "A SKU of the order.")
      .field("quantity", &ReturnLineRequest::quantity, "1..what is left to return of it.")
      .field("reason", &ReturnLineRequest::reason, "Up to 500 bytes.");
  Value<ExchangeLine>(m, "ExchangeLine", "A replacement line of an exchange.")
      .field("sku", &ExchangeLine::sku, "The SKU wanted instead.")
      .field("quantity", &ExchangeLine::quantity, "1..1,000,000.");
  Value<RequestReturn>(m, "RequestReturn", "A return request (Returns.request).")
      .field("order_id", &RequestReturn::order_id, "The order (shipped or delivered).")
      .field("lines", &RequestReturn::lines, "ReturnLineRequest, 1..500, each SKU once.")
      .field("exchange_lines", &RequestReturn::exchange_lines, "ExchangeLine: placed as a new order on approval.")
      .field("idempotency_key", &RequestReturn::idempotency_key, "Optional: the same key answers the same return.")
      .field("note", &RequestReturn::note, "Up to 500 bytes.");
  Value<ReturnLine>(m, "ReturnLine", "A line of a return.")
      .field("sku", &ReturnLine::sku, "The SKU.")
      .field("quantity", &ReturnLine::quantity, "Units returned.")
      .field("reason", &ReturnLine::reason, "The buyer's reason.")
      .field("refund", &ReturnLine::refund, "Its share of the refund (Money).")
      .field("disposition", &ReturnLine::disposition, "ReturnDisposition.")
      .field("warehouse_id", &ReturnLine::warehouse_id, "Where it was restocked.");
  Value<ReturnTransition>(m, "ReturnTransition", "One move of a return.")
      .field("from_status", &ReturnTransition::from, "ReturnStatus before.")
      .field("to_status", &ReturnTransition::to, "ReturnStatus after.")
      .field("time_ms", &ReturnTransition::time_ms, "When.")
      .field("note", &ReturnTransition::note, "The caller's note.");
  Value<Return>(m, "Return", "A return (RMA) of some of an order's units (docs/returns.md).")
      .field("id", &Return::id, "'ret-' + 16 hex digits.")
      .field("order_id", &Return::order_id, "The order.")
      .field("customer_id", &Return::customer_id, "The order's customer.")
      .field("idempotency_key", &Return::idempotency_key, "The request's, if any.")
      .field("status", &Return::status, "ReturnStatus.")
      .field("lines", &Return::lines, "ReturnLine.")
      .field("exchange_lines", &Return::exchange_lines, "ExchangeLine.")
      .field("exchange_order_id", &Return::exchange_order_id, "The exchange order, once approved.")
      .field("refund", &Return::refund, "Due until refunded; then what was refunded (Money).")
      .field("refund_method", &Return::refund_method, "RefundMethod.")
      .field("refund_id", &Return::refund_id, "The payment's refund id (the return id).")
      .field("history", &Return::history, "ReturnTransition, oldest first.")
      .field("created_at_ms", &Return::created_at_ms, "Set by the engine.")
      .field("updated_at_ms", &Return::updated_at_ms, "Set by the engine.")
      .field("version", &Return::version, "Bumped by every move.");
  Value<ReceiveLine>(m, "ReceiveLine", "Receipt of one line: restock to warehouse_id, or write_off.")
      .field("sku", &ReceiveLine::sku, "A SKU of the return.")
      .field("warehouse_id", &ReceiveLine::warehouse_id, "An active warehouse; '' with write_off.")
      .field("write_off", &ReceiveLine::write_off, "Received, not sellable: nothing back on hand.");

  Value<RequestedReturn>(m, "RequestedReturn", "What request_or_replay answers.")
      .field("ret", &RequestedReturn::ret, "The Return (as it is now, when replayed).")
      .field("replayed", &RequestedReturn::replayed,
             "True when the idempotency key answered a return made before: nothing was written "
             "(HTTP: Idempotent-Replayed: true).");
  py::class_<Returns>(m, "Returns",
                      "Returns of orders (Engine.returns). Safe from any number of threads; every call "
                      "releases the GIL.")
      .def("request", py::overload_cast<const RequestReturn&>(&Returns::request), py::arg("request"), ReleaseGil(),
           "A new Return in 'requested'. FailedPrecondition when the order is not shipped or "
           "delivered or fewer units are left to return.")
      .def(
          "request_or_replay",
          [](Returns& r, const RequestReturn& request) -> Result<RequestedReturn> {
            RequestedReturn out;
            auto made = r.request(request, &out.replayed);
            if (!made.ok()) return made.status();
            out.ret = std::move(made).value();
            return out;
          },
          py::arg("request"), ReleaseGil(),
          "request(), saying whether it made the return or answered the one its idempotency "
          "key made before: a RequestedReturn(ret, replayed).")
      .def("get", &Returns::get, py::arg("return_id"), ReleaseGil(), "The Return; NotFound when none.")
      .def("list_by_order", &Returns::list_by_order, py::arg("order_id"), ReleaseGil(),
           "The order's returns, oldest first.")
      .def(
          "approve",
          [](Returns& r, const std::string& id, std::string note, std::optional<uint64_t> if_version) {
            return r.approve(id, Move(std::move(note), if_version));
          },
          py::arg("return_id"), py::kw_only(), py::arg("note") = "", py::arg("if_version") = py::none(),
          ReleaseGil(), "requested -> approved; places the exchange order first, if any.")
      .def(
          "reject",
          [](Returns& r, const std::string& id, std::string note, std::optional<uint64_t> if_version) {
            return r.reject(id, Move(std::move(note), if_version));
          },
          py::arg("return_id"), py::kw_only(), py::arg("note") = "", py::arg("if_version") = py::none(),
          ReleaseGil(), "requested -> rejected.")
      .def(
          "cancel",
          [](Returns& r, const std::string& id, std::string note, std::optional<uint64_t> if_version) {
            return r.cancel(id, Move(std::move(note), if_version));
          },
          py::arg("return_id"), py::kw_only(), py::arg("note") = "", py::arg("if_version") = py::none(),
          ReleaseGil(), "requested | approved -> cancelled.")
      .def(
          "receive",
          [](Returns& r, const std::string& id, const std::vector<ReceiveLine>& lines, std::string note,
             std::optional<uint64_t> if_version) { return r.receive(id, lines, Move(std::move(note), if_version)); },
          py::arg("return_id"), py::arg("lines"), py::kw_only(), py::arg("note") = "",
          py::arg("if_version") = py::none(), ReleaseGil(),
          "approved -> received: every line once, restocked (ReceiveLine.warehouse_id) or written off.")
      .def(
          "refund",
          [](Returns& r, const std::string& id, std::optional<int64_t> amount_minor, std::string note,
             std::optional<uint64_t> if_version) {
            return r.refund(id, amount_minor, Move(std::move(note), if_version));
          },
          py::arg("return_id"), py::arg("amount_minor") = py::none(), py::kw_only(), py::arg("note") = "",
          py::arg("if_version") = py::none(), ReleaseGil(),
          "received -> refunded: amount_minor (default: Return.refund) through the order's payment, "
          "or recorded as manual without one.");

  Value<Page<Return>>(m, "ReturnPage", "A page of a returns listing; next_cursor '' when done.")
      .field("items", &Page<Return>::items, "The returns of this page.")
      .field("next_cursor", &Page<Return>::next_cursor, "Cursor of the next page, or ''.");
  m.def(
      "list_returns",
      [](Engine& engine, std::vector<ReturnStatus> statuses, std::string customer_id, std::string cursor,
         size_t limit) {
        ReturnFilter f{std::move(statuses), std::move(customer_id)};
        return ListReturns(engine, f, {std::move(cursor), limit});
      },
      py::arg("engine"), py::kw_only(), py::arg("statuses") = std::vector<ReturnStatus>{},
      py::arg("customer_id") = "", py::arg("cursor") = "", py::arg("limit") = 50, ReleaseGil(),
      "Returns across orders (ListReturns, return_list.h): in any of `statuses` (all when empty), "
      "of `customer_id`'s orders (any when ''), in return id order, a ReturnPage at a time; a page "
      "looks at no more than 10,000 returns, so it may hold fewer than `limit` while next_cursor is set.");
}

}  // namespace commerce::python
