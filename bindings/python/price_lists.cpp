// Binds include/commerce/price_lists.h: price lists and the price that applies to a caller.
// (The fields that carts, orders and customers gained with them are bound with those types.)
#include "commerce/price_lists.h"

#include "bind.h"

namespace commerce::python {

void BindPriceLists(py::module_& m) {
  Value<PriceEntry>(m, "PriceEntry", "One price of a price list: a SKU at a tier.")
      .field("sku", &PriceEntry::sku, "A variant of the catalog.")
      .field("price_minor", &PriceEntry::price_minor,
             "In the list's currency's minor units (parse text with parse_money).")
      .field("min_quantity", &PriceEntry::min_quantity, "The tier: lines of at least this many units.");
  Value<PriceList>(m, "PriceList",
                   "Prices in one currency, optionally for one customer group and one channel, in a "
                   "window (docs/prices.md).")
      .field("id", &PriceList::id, "Given (1..64) or generated ('pl-' + 16 hex) when ''.")
      .field("name", &PriceList::name, "1..200.")
      .field("currency", &PriceList::currency, "ISO 4217.")
      .field("customer_group", &PriceList::customer_group, "'': anyone; else only this group.")
      .field("channel", &PriceList::channel, "'': any channel; else only this one.")
      .field("starts_at_ms", &PriceList::starts_at_ms, "0: from the start of time.")
      .field("ends_at_ms", &PriceList::ends_at_ms, "Exclusive; 0: no end.")
      .field("priority", &PriceList::priority, "Higher wins.")
      .field("tax_inclusive", &PriceList::tax_inclusive, "Its prices include tax.")
      .field("entries", &PriceList::entries, "PriceEntry list (up to MAX_PRICE_LIST_ENTRIES).")
      .field("created_at_ms", &PriceList::created_at_ms, "Set by the engine.")
      .field("updated_at_ms", &PriceList::updated_at_ms, "Set by the engine.")
      .field("version", &PriceList::version, "Set by the engine.");
  Value<ResolvedPrice>(m, "ResolvedPrice", "The price that applies, and why.")
      .field("sku", &ResolvedPrice::sku, "The SKU asked for.")
      .field("price", &ResolvedPrice::price, "Money.")
      .field("price_list_id", &ResolvedPrice::price_list_id, "'': the variant's base price.")
      .field("price_list_version", &ResolvedPrice::price_list_version, "The list's version (0: base).")
      .field("min_quantity", &ResolvedPrice::min_quantity, "The tier that applied.")
      .field("tax_inclusive", &ResolvedPrice::tax_inclusive, "The price includes tax.");
  Value<Page<PriceList>>(m, "PriceListPage", "A page of PriceLists.list; pass next_cursor back for the next page.")
      .field("items", &Page<PriceList>::items, "The lists of this page, by id.")
      .field("next_cursor", &Page<PriceList>::next_cursor, "Cursor of the next page, or ''.");
  m.attr("MAX_PRICE_LISTS") = kMaxPriceLists;
  m.attr("MAX_PRICE_LIST_PAGE") = kMaxPriceListPage;
  m.attr("MAX_PRICE_LIST_ENTRIES") = kMaxPriceListEntries;

  py::class_<PriceLists>(m, "PriceLists",
                         "Price lists (Engine.price_lists): prices per currency, customer group "
                         "and channel. Safe from any number of threads; every call releases the GIL.")
      .def("create", &PriceLists::create, py::arg("price_list"), ReleaseGil(),
           "Stores a new PriceList (or keywords of one). Raises InvalidArgument naming the field, "
           "AlreadyExists, ResourceExhausted (past MAX_PRICE_LISTS).")
      .def("update", &PriceLists::update, py::arg("price_list"), py::arg("if_version") = py::none(),
           ReleaseGil(), "Replaces the list's fields. NotFound; Conflict for a stale if_version.")
      .def("get", &PriceLists::get, py::arg("price_list_id"), ReleaseGil(), "NotFound when there is none.")
      .def(
          "list",
          [](PriceLists& l, std::string cursor, size_t limit) {
            return l.list({std::move(cursor), limit});
          },
          py::kw_only(), py::arg("cursor") = "", py::arg("limit") = 20, ReleaseGil(),
          "A PriceListPage of the lists by id (limit 1..MAX_PRICE_LIST_PAGE), read a page at a time; "
          "pass next_cursor back for the next page ('' on the last). See iter_all() for every list. "
          "InvalidArgument for a bad limit or a cursor this engine did not make.")
      .def("remove", &PriceLists::remove, py::arg("price_list_id"), py::arg("if_version") = py::none(),
           ReleaseGil(), "Deletes the list. NotFound; Conflict for a stale if_version.")
      .def(
          "price",
          [](PriceLists& l, const std::string& sku, std::string currency, std::string customer_group,
             std::string channel, int64_t quantity, int64_t now_ms) {
            return l.price(sku, {std::move(currency), std::move(customer_group), std::move(channel),
                                 quantity, now_ms});
          },
          py::arg("sku"), py::kw_only(), py::arg("currency"), py::arg("customer_group") = "",
          py::arg("channel") = "", py::arg("quantity") = 1, py::arg("now_ms") = 0, ReleaseGil(),
          "The price of the SKU for this caller (a ResolvedPrice). InvalidArgument for a bad "
          "argument; NotFound for an unknown SKU; FailedPrecondition when nothing prices it in "
          "the currency (never converted).");
}

}  // namespace commerce::python
