// Binds include/commerce/cart.h: carts as callers see them, and the mergeable CartState with
// its pure functions (for a device that edits a copy offline and merges it back).
#include "commerce/cart.h"

#include "bind.h"

namespace commerce::python {

void BindCart(py::module_& m) {
  Value<CartDot>(m, "CartDot", "Who made an add: (replica, counter).")
      .field("replica", &CartDot::replica, "The engine's replica id, or a device's id.")
      .field("counter", &CartDot::counter, "Per replica, increasing.");
  Value<CartAdd>(m, "CartAdd", "One add to a cart line.")
      .field("dot", &CartAdd::dot, "CartDot.")
      .field("quantity", &CartAdd::quantity, "> 0.")
      .field("unit_price", &CartAdd::unit_price, "The price seen when added.")
      .field("time_ms", &CartAdd::time_ms, "When.");
  Value<CartLineState>(m, "CartLineState", "A line's adds and the dots seen as removed.")
      .field("adds", &CartLineState::adds, "Sorted by dot.")
      .field("removed", &CartLineState::removed, "Sorted; dots seen as removed.");
  Value<CartState>(m, "CartState",
                   "The mergeable state of a cart (docs/carts.md): what replicas exchange. "
                   "Edit a copy with cart_state_add/set_quantity/remove/clear, merge with "
                   "merge_cart_states or Carts.merge.")
      .field("cart_id", &CartState::cart_id, "The cart.")
      .field("currency", &CartState::currency, "The cart's currency.")
      .field("customer_id", &CartState::customer_id, "Last writer wins on (time, replica).")
      .field("customer_time_ms", &CartState::customer_time_ms, "When customer_id was set.")
      .field("customer_replica", &CartState::customer_replica, "Who set customer_id.")
      .field("lines", &CartState::lines, "SKU -> CartLineState.")
      .field("clock", &CartState::clock, "Replica -> highest counter it used.");

  Value<CartLine>(m, "CartLine", "A line of a cart.")
      .field("sku", &CartLine::sku, "The SKU.")
      .field("quantity", &CartLine::quantity, "Units.")
      .field("unit_price", &CartLine::unit_price, "From the newest live add.")
      .field("line_total", &CartLine::line_total, "unit_price x quantity.");
  Value<Cart>(m, "Cart", "A cart as callers see it.")
      .field("id", &Cart::id, "The cart id.")
      .field("customer_id", &Cart::customer_id, "'' for a guest cart.")
      .field("currency", &Cart::currency, "The cart's currency.")
      .field("lines", &Cart::lines, "CartLine by SKU.")
      .field("subtotal", &Cart::subtotal, "Sum of line totals.")
      .field("item_count", &Cart::item_count, "Units over all lines.")
      .field("updated_at_ms", &Cart::updated_at_ms, "Time of the last change.")
      .field("channel", &Cart::channel, "As created ('' for none): selects price lists.");
  Value<NewCart>(m, "NewCart", "What Carts.create makes.")
      .field("id", &NewCart::id, "Given (1..64 printable) or generated ('cart-...').")
      .field("customer_id", &NewCart::customer_id, "Optional; must exist when given.")
      .field("currency", &NewCart::currency,
             "The cart's for good. '': the channel's default currency in a channel, else 'USD'.")
      .field("channel", &NewCart::channel,
             "Optional, the cart's for good: the channel whose price lists apply.");

  m.attr("MAX_CART_LINES") = kMaxCartLines;
  m.attr("MAX_CART_DOTS") = kMaxCartDots;
  m.attr("MAX_MERGED_CART_DOTS") = kMaxMergedCartDots;

  m.def(
      "cart_state_add",
      [](CartState& s, const std::string& replica, const std::string& sku, int64_t quantity,
         const Money& unit_price, int64_t time_ms) {
        return CartStateAdd(s, replica, sku, quantity, unit_price, time_ms);
      },
      py::arg("state"), py::arg("replica"), py::arg("sku"), py::arg("quantity"),
      py::arg("unit_price"), py::arg("time_ms"),
      "Adds quantity of sku to the state in place. InvalidArgument / ResourceExhausted as "
      "Carts.add.");
  m.def(
      "cart_state_set_quantity",
      [](CartState& s, const std::string& replica, const std::string& sku, int64_t quantity,
         const Money& unit_price, int64_t time_ms) {
        return CartStateSetQuantity(s, replica, sku, quantity, unit_price, time_ms);
      },
      py::arg("state"), py::arg("replica"), py::arg("sku"), py::arg("quantity"),
      py::arg("unit_price"), py::arg("time_ms"), "Sets a line's quantity in place (0 removes it).");
  m.def(
      "cart_state_remove", [](CartState& s, const std::string& sku) { CartStateRemove(s, sku); },
      py::arg("state"), py::arg("sku"), "Removes a line in place.");
  m.def("cart_state_clear", &CartStateClear, py::arg("state"), "Removes every line in place.");
  m.def(
      "cart_state_quantity", [](const CartState& s, const std::string& sku) { return CartStateQuantity(s, sku); },
      py::arg("state"), py::arg("sku"), "The live quantity of a line (0 when absent).");
  m.def("merge_cart_states", &MergeCartStates, py::arg("a"), py::arg("b"),
        "a merged with b: commutative, associative, idempotent. InvalidArgument for different "
        "carts or currencies.");

  py::class_<Carts>(m, "Carts",
                    "Carts (Engine.carts): always writable, mergeable without losing an add. "
                    "Safe from any number of threads; every call releases the GIL.")
      .def("create", &Carts::create, py::arg("new_cart"), ReleaseGil(),
           "Creates a cart. AlreadyExists for a taken id; NotFound for an unknown customer.")
      .def(
          "create",
          [](Carts& c, std::string id, std::string customer_id, std::string currency,
             std::string channel) {
            return c.create({.id = std::move(id), .customer_id = std::move(customer_id),
                             .currency = std::move(currency), .channel = std::move(channel)});
          },
          py::kw_only(), py::arg("id") = "", py::arg("customer_id") = "", py::arg("currency") = "",
          py::arg("channel") = "", ReleaseGil(),
          "Creates a cart from keywords (id, customer_id, currency, channel). currency '': the "
          "channel's default currency in a channel, else 'USD'.")
      .def("get", &Carts::get, py::arg("cart_id"), ReleaseGil(), "NotFound when there is none.")
      .def("add", &Carts::add, py::arg("cart_id"), py::arg("sku"), py::arg("quantity") = 1, ReleaseGil(),
           "quantity more of sku (1..MAX_QUANTITY) at the price that applies now (price lists: "
           "the cart's currency and channel, its customer's group, the line's quantity). "
           "InvalidArgument for an archived or draft product or no price in the cart's currency; NotFound "
           "for an unknown SKU or cart.")
      .def("set_quantity", &Carts::set_quantity, py::arg("cart_id"), py::arg("sku"), py::arg("quantity"),
           ReleaseGil(), "The line's quantity becomes quantity (0 removes it).")
      .def("remove", &Carts::remove, py::arg("cart_id"), py::arg("sku"), ReleaseGil(), "Removes a line.")
      .def("clear", &Carts::clear, py::arg("cart_id"), ReleaseGil(), "Removes every line.")
      .def("state", &Carts::state, py::arg("cart_id"), ReleaseGil(), "The mergeable CartState.")
      .def("merge", &Carts::merge, py::arg("cart_id"), py::arg("other"), ReleaseGil(),
           "Merges a diverged copy (CartState) into the stored cart.")
      .def("merge_guest_into_customer", &Carts::merge_guest_into_customer, py::arg("guest_cart_id"),
           py::arg("customer_id"), ReleaseGil(),
           "Login: moves the guest cart's lines into the customer's newest cart; returns it.")
      .def("remove_cart", &Carts::remove_cart, py::arg("cart_id"), ReleaseGil(), "Deletes the cart.");
}

}  // namespace commerce::python
