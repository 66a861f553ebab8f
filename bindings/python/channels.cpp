// Binds include/commerce/channels.h: channels (storefronts) and which products they show.
#include "commerce/channels.h"

#include "bind.h"

namespace commerce::python {

void BindChannels(py::module_& m) {
  Value<Channel>(m, "Channel",
                 "A storefront: which products are visible, in which currencies, from which "
                 "warehouses (docs/channels.md).")
      .field("id", &Channel::id, "Required: 1..64 of A-Z a-z 0-9 - _ (the key carts, orders and price lists carry).")
      .field("name", &Channel::name, "1..200.")
      .field("default_currency", &Channel::default_currency, "ISO 4217: orders of lines without a currency are in it.")
      .field("currencies", &Channel::currencies, "The currencies it sells in (holding the default); []: the default alone.")
      .field("warehouse_ids", &Channel::warehouse_ids, "Its orders ship only from these; []: every active warehouse.")
      .field("category_ids", &Channel::category_ids, "Products under these (or sub-categories) are visible.")
      .field("product_ids", &Channel::product_ids, "Products visible by id.")
      .field("excluded_product_ids", &Channel::excluded_product_ids, "Never visible, whatever includes them.")
      .field("created_at_ms", &Channel::created_at_ms, "Set by the engine.")
      .field("updated_at_ms", &Channel::updated_at_ms, "Set by the engine.")
      .field("version", &Channel::version, "Set by the engine.");
  m.attr("MAX_CHANNELS") = kMaxChannels;

  py::class_<Channels>(m, "Channels",
                       "Channels (Engine.channels): storefronts of the store. Safe from any number of "
                       "threads; every call releases the GIL.")
      .def("create", &Channels::create, py::arg("channel"), ReleaseGil(),
           "Stores a new Channel (or keywords of one). Raises InvalidArgument naming the field "
           "(an unknown warehouse or category too), AlreadyExists, ResourceExhausted.")
      .def("update", &Channels::update, py::arg("channel"), py::arg("if_version") = py::none(),
           ReleaseGil(), "Replaces the channel's fields. NotFound; Conflict for a stale if_version.")
      .def("get", &Channels::get, py::arg("channel_id"), ReleaseGil(), "NotFound when there is none.")
      .def("list", &Channels::list, ReleaseGil(), "Every channel, by id.")
      .def("remove", &Channels::remove, py::arg("channel_id"), py::arg("if_version") = py::none(),
           ReleaseGil(), "Deletes the channel. NotFound; Conflict for a stale if_version.")
      .def("visible", &Channels::visible, py::arg("channel_id"), py::arg("product_id"), ReleaseGil(),
           "Whether the product is visible in the channel. NotFound for either unknown.");
}

}  // namespace commerce::python
