// Binds include/commerce/order.h: idempotent placement, the state machine, listings.
#include "commerce/order.h"

#include "bind.h"

namespace commerce::python {

namespace {

// What Orders.place_or_replay answers: the order, and whether the idempotency key returned one
// placed before (nothing written) — the server's Idempotent-Replayed header. Python-side only:
// C++ callers have Orders::place(request, &replayed).
struct PlacedOrder {
  Order order;
  bool replayed = false;
};

}  // namespace

void BindOrder(py::module_& m) {
  py::enum_<OrderStatus> status(m, "OrderStatus",
                                "An order's state; a str ('placed', 'paid', ...) is accepted "
                                "wherever one is expected.");
  status.value("PLACED", OrderStatus::kPlaced)
      .value("PAID", OrderStatus::kPaid)
      .value("FULFILLING", OrderStatus::kFulfilling)
      .value("SHIPPED", OrderStatus::kShipped)
      .value("DELIVERED", OrderStatus::kDelivered)
      .value("CANCELLED", OrderStatus::kCancelled)
      .value("RETURNED", OrderStatus::kReturned)
      .value("REFUNDED", OrderStatus::kRefunded)
      .value("PAYMENT_PENDING", OrderStatus::kPaymentPending)
      .value("PAYMENT_DECLINED", OrderStatus::kPaymentDeclined);
  EnumNames(status, &OrderStatusName, &ParseOrderStatus);

  Value<OrderLineRequest>(m, "OrderLineRequest", "A line of an order placed from explicit lines.")
      .field("sku", &OrderLineRequest::sku, "The SKU (once per order).")
      .field("quantity", &OrderLineRequest::quantity, "1..MAX_QUANTITY.");
  Value<PlaceOrder>(m, "PlaceOrder",
                    "A placement request: from a cart (cart_id) or from explicit lines, not both.")
      .field("idempotency_key", &PlaceOrder::idempotency_key,
             "Required, 1..128 printable: the same key returns the same order.")
      .field("customer_id", &PlaceOrder::customer_id, "Required; must exist.")
      .field("cart_id", &PlaceOrder::cart_id, "A cart whose lines are ordered (it is cleared).")
      .field("lines", &PlaceOrder::lines, "Or explicit OrderLineRequest lines (1..500).")
      .field("shipping_address", &PlaceOrder::shipping_address, "Address; region required.")
      .field("currency", &PlaceOrder::currency, "Optional; must match the cart's / products'.")
      .field("coupon_codes", &PlaceOrder::coupon_codes,
             "Coupon codes (up to 5, any letter case); each must apply, and its use is counted "
             "against its limits when the order commits.")
      .field("channel", &PlaceOrder::channel,
             "Optional: the channel whose price lists apply; a cart order takes the cart's.");
  Value<LineDiscount>(m, "LineDiscount", "What one promotion took off one line.")
      .field("promotion_id", &LineDiscount::promotion_id, "The promotion.")
      .field("amount", &LineDiscount::amount, "Money.");
  Value<AppliedPromotion>(m, "AppliedPromotion", "A promotion applied to an order or a cart.")
      .field("promotion_id", &AppliedPromotion::promotion_id, "The promotion.")
      .field("name", &AppliedPromotion::name, "Its name, for the buyer.")
      .field("coupon_code", &AppliedPromotion::coupon_code,
             "The code that unlocked it; '' for an automatic promotion.")
      .field("amount", &AppliedPromotion::amount, "Money: what it took off the lines in total.")
      .field("free_shipping", &AppliedPromotion::free_shipping, "It makes the order ship free.");
  Value<OrderLine>(m, "OrderLine", "A line of a placed order, priced from the catalog.")
      .field("sku", &OrderLine::sku, "The SKU.")
      .field("product_id", &OrderLine::product_id, "Its product.")
      .field("title", &OrderLine::title, "The product's title at placement.")
      .field("quantity", &OrderLine::quantity, "Units.")
      .field("unit_price", &OrderLine::unit_price, "Money.")
      .field("line_total", &OrderLine::line_total, "Money: unit_price x quantity, before discounts.")
      .field("discount", &OrderLine::discount, "Money: what promotions took off this line.")
      .field("discounts", &OrderLine::discounts, "LineDiscount list, in the order they applied.")
      .field("price_list_id", &OrderLine::price_list_id,
             "The price list unit_price came from; '' for the variant's base price.")
      .field("tax_inclusive", &OrderLine::tax_inclusive, "unit_price includes tax.");
  Value<ShipmentItem>(m, "ShipmentItem", "Units of a SKU in a shipment.")
      .field("sku", &ShipmentItem::sku, "The SKU.")
      .field("quantity", &ShipmentItem::quantity, "Units.");
  Value<Shipment>(m, "Shipment", "What one warehouse ships.")
      .field("warehouse_id", &Shipment::warehouse_id, "The warehouse.")
      .field("items", &Shipment::items, "ShipmentItem list.");
  Value<OrderTransition>(m, "OrderTransition", "One step of an order's history.")
      .field("from_", &OrderTransition::from, "OrderStatus before ('from' in to_dict()).")
      .field("to", &OrderTransition::to, "OrderStatus after.")
      .field("time_ms", &OrderTransition::time_ms, "When.")
      .field("note", &OrderTransition::note, "The caller's note.");
  Value<Order>(m, "Order", "A placed order.")
      .field("id", &Order::id, "'ord-' + 16 hex digits.")
      .field("access_token", &Order::access_token,
             "'ot_' + 32 hex digits made at placement: opens this order alone "
             "(get_by_token); '' for orders placed before tokens.")
      .field("customer_id", &Order::customer_id, "The customer.")
      .field("idempotency_key", &Order::idempotency_key, "The key it was placed with.")
      .field("status", &Order::status, "OrderStatus.")
      .field("currency", &Order::currency, "The order's currency.")
      .field("lines", &Order::lines, "OrderLine list.")
      .field("shipments", &Order::shipments, "Shipment list (allocation across warehouses).")
      .field("subtotal", &Order::subtotal, "Money.")
      .field("tax", &Order::tax, "Money.")
      .field("shipping", &Order::shipping, "Money.")
      .field("total", &Order::total, "Money: subtotal - discount + tax + shipping.")
      .field("discount", &Order::discount, "Money: the lines' discounts together.")
      .field("promotions", &Order::promotions, "AppliedPromotion list, in the order they applied.")
      .field("shipping_address", &Order::shipping_address, "Address.")
      .field("history", &Order::history, "OrderTransition list, oldest first.")
      .field("created_at_ms", &Order::created_at_ms, "Set by the engine.")
      .field("updated_at_ms", &Order::updated_at_ms, "Set by the engine.")
      .field("version", &Order::version, "Set by the engine.")
      .field("channel", &Order::channel, "The channel it was placed in ('' for none).")
      .field("tax_included", &Order::tax_included,
             "Money: the tax inside tax-inclusive lines' prices (shown, not added).");
  Value<PlacedOrder>(m, "PlacedOrder", "What place_or_replay answers.")
      .field("order", &PlacedOrder::order, "The Order (as it is now, when replayed).")
      .field("replayed", &PlacedOrder::replayed,
             "True when the idempotency key returned an order placed before: nothing was "
             "written (HTTP: Idempotent-Replayed: true).");
  Value<Page<Order>>(m, "OrderPage", "A page of an order listing; next_cursor '' when done.")
      .field("items", &Page<Order>::items, "The orders of this page.")
      .field("next_cursor", &Page<Order>::next_cursor, "Cursor of the next page, or ''.");

  auto list_opts = [](std::string cursor, size_t limit) {
    OrderListOptions o;
    o.cursor = std::move(cursor);
    o.limit = limit;
    return o;
  };
  py::class_<Orders>(m, "Orders",
                     "Orders (Engine.orders): idempotent placement with allocation across "
                     "warehouses, a state machine, listings. Safe from any number of threads; "
                     "every call releases the GIL.")
      .def("place", py::overload_cast<const PlaceOrder&>(&Orders::place), py::arg("request"), ReleaseGil(),
           "Places an order (PlaceOrder, or keywords of one). Raises InvalidArgument, "
           "NotFound (customer, cart, SKU), OutOfStock, Conflict (same key, other request).")
      .def(
          "place_or_replay",
          [](Orders& o, const PlaceOrder& request) -> Result<PlacedOrder> {
            PlacedOrder out;
            auto placed = o.place(request, &out.replayed);
            if (!placed.ok()) return placed.status();
            out.order = std::move(placed).value();
            return out;
          },
          py::arg("request"), ReleaseGil(),
          "place(), saying whether it placed the order or replayed the one its idempotency "
          "key placed before: a PlacedOrder(order, replayed).")
      .def("get", &Orders::get, py::arg("order_id"), ReleaseGil(), "NotFound when there is none.")
      .def("get_by_token", &Orders::get_by_token, py::arg("order_id"), py::arg("access_token"),
           ReleaseGil(),
           "The order, only when access_token is its own (compared in constant time); "
           "NotFound, worded as for no such order, otherwise.")
      .def(
          "transition",
          [](Orders& o, const std::string& id, OrderStatus to, std::string note, bool restock,
             std::optional<uint64_t> if_version) {
            TransitionOptions t;
            t.note = std::move(note);
            t.restock = restock;
            t.if_version = if_version;
            return o.transition(id, to, t);
          },
          py::arg("order_id"), py::arg("to"), py::arg("note") = "", py::arg("restock").noconvert() = false,
          py::arg("if_version") = py::none(), ReleaseGil(),
          "Moves the order to `to` (OrderStatus or its name). FailedPrecondition when the "
          "state machine forbids it; Conflict for a stale if_version.")
      .def(
          "list_by_customer",
          [list_opts](Orders& o, const std::string& customer_id, std::string cursor, size_t limit) {
            return o.list_by_customer(customer_id, list_opts(std::move(cursor), limit));
          },
          py::arg("customer_id"), py::arg("cursor") = "", py::arg("limit") = 50, ReleaseGil(),
          "One page of a customer's orders, newest first. See iter_by_customer().")
      .def(
          "list_by_status",
          [list_opts](Orders& o, OrderStatus status, std::string cursor, size_t limit) {
            return o.list_by_status(status, list_opts(std::move(cursor), limit));
          },
          py::arg("status"), py::arg("cursor") = "", py::arg("limit") = 50, ReleaseGil(),
          "One page of the orders in a status, oldest first. See iter_by_status().")
      .def(
          "_list",
          [list_opts](Orders& o, std::vector<OrderStatus> statuses, std::string customer_id,
                      std::optional<int64_t> created_from_ms, std::optional<int64_t> created_before_ms,
                      std::string cursor, size_t limit) {
            OrderFilter f{std::move(statuses), std::move(customer_id), created_from_ms,
                          created_before_ms};
            return o.list(f, list_opts(std::move(cursor), limit));
          },
          py::arg("statuses"), py::arg("customer_id"), py::arg("created_from_ms"),
          py::arg("created_before_ms"), py::arg("cursor"), py::arg("limit"), ReleaseGil(),
          "Orders::list; Orders.list() (commerce/_api.py) is the Python face of it.");
}

}  // namespace commerce::python
