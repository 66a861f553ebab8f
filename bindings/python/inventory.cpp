// Binds include/commerce/inventory.h: warehouses and per-(SKU, warehouse) stock.
#include "commerce/inventory.h"

#include "bind.h"

namespace commerce::python {

void BindInventory(py::module_& m) {
  Value<Warehouse>(m, "Warehouse", "A warehouse stock is held and allocated from.")
      .field("id", &Warehouse::id, "1..64 printable chars.")
      .field("name", &Warehouse::name, "1..200 chars.")
      .field("region", &Warehouse::region, "1..64, e.g. 'us-east': orders to a region prefer its warehouses.")
      .field("priority", &Warehouse::priority, "Higher first among warehouses of equal preference.")
      .field("active", &Warehouse::active, "An inactive warehouse keeps its stock but is never allocated from.");

  Value<StockLevel>(m, "StockLevel", "Stock of one SKU in one warehouse.")
      .field("sku", &StockLevel::sku, "The SKU.")
      .field("warehouse_id", &StockLevel::warehouse_id, "The warehouse.")
      .field("on_hand", &StockLevel::on_hand, "Units in the building.")
      .field("reserved", &StockLevel::reserved, "Units held for orders and other holders.")
      .field("updated_at_ms", &StockLevel::updated_at_ms, "Time of the last change.")
      .field("slots", &StockLevel::slots,
             "0: one stock row; N: split into N slots for a flash sale (split_stock), the "
             "counts being their sums.")
      .def_property_readonly("available", &StockLevel::available, "on_hand - reserved.");

  Value<SkuStock>(m, "SkuStock", "A SKU's stock in every warehouse that has a record for it.")
      .field("sku", &SkuStock::sku, "The SKU.")
      .field("levels", &SkuStock::levels, "StockLevel per warehouse, by warehouse id.")
      .field("on_hand", &SkuStock::on_hand, "Summed over warehouses.")
      .field("reserved", &SkuStock::reserved, "Summed over warehouses.")
      .field("available", &SkuStock::available, "Summed over active warehouses only.");

  m.attr("MAX_QUANTITY") = kMaxQuantity;
  m.attr("MAX_STOCK_SLOTS") = kMaxStockSlots;

  py::class_<Inventory>(m, "Inventory",
                        "Warehouses and stock (Engine.inventory). Safe from any number of "
                        "threads; never oversells. Every call releases the GIL.")
      .def("upsert_warehouse", &Inventory::upsert_warehouse, py::arg("warehouse"), ReleaseGil(),
           "Creates or updates a warehouse. InvalidArgument names the field.")
      .def("get_warehouse", &Inventory::get_warehouse, py::arg("warehouse_id"), ReleaseGil(),
           "The warehouse; NotFound when there is none.")
      .def("list_warehouses", &Inventory::list_warehouses, ReleaseGil(), "Every warehouse, by id.")
      .def("receive", &Inventory::receive, py::arg("sku"), py::arg("warehouse_id"), py::arg("qty"),
           ReleaseGil(),
           "on_hand += qty (1..MAX_QUANTITY). NotFound for an unknown SKU or warehouse; "
           "FailedPrecondition for an inactive warehouse.")
      .def("adjust", &Inventory::adjust, py::arg("sku"), py::arg("warehouse_id"), py::arg("delta"),
           py::arg("reason"), ReleaseGil(),
           "on_hand += delta (either sign), with a reason (1..200 chars). FailedPrecondition "
           "when on_hand would drop below reserved or zero.")
      .def("reserve", &Inventory::reserve, py::arg("sku"), py::arg("warehouse_id"), py::arg("qty"),
           py::arg("ref"), ReleaseGil(),
           "reserved += qty for holder `ref`. OutOfStock when fewer are available.")
      .def("release", &Inventory::release, py::arg("sku"), py::arg("warehouse_id"), py::arg("qty"),
           py::arg("ref"), ReleaseGil(), "reserved -= qty. FailedPrecondition when fewer are reserved.")
      .def("ship", &Inventory::ship, py::arg("sku"), py::arg("warehouse_id"), py::arg("qty"),
           py::arg("ref"), ReleaseGil(), "Reserved units leave: reserved -= qty and on_hand -= qty.")
      .def("split_stock", &Inventory::split_stock, py::arg("sku"), py::arg("warehouse_id"),
           py::arg("slots"), ReleaseGil(),
           "For a flash sale: spreads the stock over `slots` rows (2..MAX_STOCK_SLOTS) so that "
           "concurrent orders reserve on different rows; every read and change sees the sums. "
           "One atomic write. NotFound for an unknown SKU or warehouse; FailedPrecondition when "
           "already split.")
      .def("merge_stock", &Inventory::merge_stock, py::arg("sku"), py::arg("warehouse_id"),
           ReleaseGil(),
           "Folds the slots back into one row, atomically. FailedPrecondition when not split.")
      .def(
          "get",
          [](Inventory& inv, const std::string& sku, std::optional<std::string> warehouse_id)
              -> std::variant<SkuStock, StockLevel> {
            if (warehouse_id) {
              auto r = inv.get(sku, *warehouse_id);
              ThrowIfError(r.status());
              return std::move(r).value();
            }
            auto r = inv.get(sku);
            ThrowIfError(r.status());
            return std::move(r).value();
          },
          py::arg("sku"), py::arg("warehouse_id") = py::none(), ReleaseGil(),
          "get(sku): SkuStock across all warehouses, in one read. get(sku, warehouse_id): one "
          "StockLevel (a missing record reads as zero stock).");
}

}  // namespace commerce::python
