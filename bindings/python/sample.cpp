// Binds include/commerce/sample.h: the deterministic sample catalog the demo, the tests and
// the benchmarks share.
#include "commerce/sample.h"

#include <pybind11/stl/filesystem.h>

#include <filesystem>
#include <fstream>

#include "bind.h"

namespace commerce::python {

void BindSample(py::module_& m) {
  Value<SampleCatalogOptions>(m, "SampleCatalogOptions", "Options of SampleCatalog.")
      .field("products", &SampleCatalogOptions::products, "How many products.")
      .field("seed", &SampleCatalogOptions::seed, "Different seeds, different catalogs.")
      .field("currency", &SampleCatalogOptions::currency, "ISO 4217 code of every price.")
      .field("zipf_s", &SampleCatalogOptions::zipf_s, "Zipf exponent of popularity.");
  py::class_<SampleCatalog>(m, "SampleCatalog",
                            "A deterministic generator of realistic sample catalogs: the same "
                            "bytes for the same options on every platform.")
      .def(py::init<SampleCatalogOptions>(), py::arg("options"))
      .def(py::init([](uint64_t products, uint64_t seed, std::string currency) {
             return SampleCatalog({.products = products, .seed = seed, .currency = std::move(currency)});
           }),
           py::kw_only(), py::arg("products") = 1000, py::arg("seed") = 42, py::arg("currency") = "USD")
      .def("size", &SampleCatalog::size, "Products in the catalog.")
      .def("__len__", &SampleCatalog::size)
      .def("product", &SampleCatalog::product, py::arg("i"), "The i-th product (i < size()).")
      .def("categories", &SampleCatalog::categories, "The category tree, every parent first.")
      .def("popular_index", &SampleCatalog::popular_index, py::arg("u01"),
           "A product index drawn by Zipf popularity from a uniform number in [0, 1).")
      .def_static("product_id", &SampleCatalog::ProductId, py::arg("i"), "'p00000042'.")
      .def_static("sku", &SampleCatalog::Sku, py::arg("i"), py::arg("variant"), "'S00000042-1'.")
      .def(
          "write_jsonl",
          [](const SampleCatalog& c, const std::filesystem::path& path) {
            std::ofstream out(path, std::ios::binary);
            if (!out) throw StatusError(Status::Unavailable("cannot write " + path.string()));
            c.write_jsonl(out);
            out.flush();
            if (!out) throw StatusError(Status::Unavailable("write failed: " + path.string()));
          },
          py::arg("path"), py::call_guard<py::gil_scoped_release>(),
          "Writes every product as a line of the native JSON Lines import schema (create "
          "categories() first).");
}

}  // namespace commerce::python
