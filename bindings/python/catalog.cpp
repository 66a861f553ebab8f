// Binds include/commerce/catalog.h: products, variants, categories, listings and bulk import.
#include "commerce/catalog.h"

#include <pybind11/stl/filesystem.h>

#include <filesystem>

#include "bind.h"

namespace commerce::python {

namespace {

// A streaming import as Python holds it: the C++ ImportStream and the Python progress
// callback it calls (on the thread that writes, which holds no GIL then). An exception the
// callback raises does not stop the import (as with import_file): it is raised by finish(),
// after the import, and the callback is not called again.
struct PyImportStream {
  std::unique_ptr<ImportStream> stream;
  std::optional<PyCallback> progress;

  // The text of `data` — bytes (as they are), str (UTF-8) or another buffer (copied, since it
  // may change while the GIL is released) — written with the GIL released. REQUIRES the GIL.
  void Write(py::handle data) {
    std::string copy;
    std::string_view chunk;
    if (PyBytes_Check(data.ptr())) {
      char* p;
      Py_ssize_t n;
      PyBytes_AsStringAndSize(data.ptr(), &p, &n);
      chunk = std::string_view(p, static_cast<size_t>(n));  // immutable, and held by the caller
    } else if (PyUnicode_Check(data.ptr())) {
      Py_ssize_t n;
      const char* p = PyUnicode_AsUTF8AndSize(data.ptr(), &n);
      if (p == nullptr) {
        PyErr_Clear();
        throw StatusError(Status::InvalidArgument("import: a str chunk that is not UTF-8 text"));
      }
      chunk = std::string_view(p, static_cast<size_t>(n));
    } else if (PyObject_CheckBuffer(data.ptr())) {
      py::buffer_info info = py::reinterpret_borrow<py::buffer>(data).request();
      copy.assign(static_cast<const char*>(info.ptr), static_cast<size_t>(info.size * info.itemsize));
      chunk = copy;
    } else {
      throw py::type_error("ImportStream.write takes bytes, str or a buffer, not " +
                           std::string(py::str(data.get_type().attr("__name__"))));
    }
    Status s;
    {
      py::gil_scoped_release release;
      s = stream->write(chunk);
    }
    ThrowIfError(s);
  }

  Result<ImportReport> Finish() {
    Result<ImportReport> r = Status::Internal("not run");
    {
      py::gil_scoped_release release;
      r = stream->finish();
    }
    if (progress) progress->Rethrow();
    return r;
  }
};

}  // namespace

void BindCatalog(py::module_& m) {
  py::enum_<ProductStatus> status(m, "ProductStatus",
                                  "A product's status; a str ('draft', 'active', 'archived') is "
                                  "accepted wherever one is expected.");
  status.value("DRAFT", ProductStatus::kDraft)
      .value("ACTIVE", ProductStatus::kActive)
      .value("ARCHIVED", ProductStatus::kArchived);
  EnumNames(status, &ProductStatusName, &ParseProductStatus);

  Value<Variant>(m, "Variant", "One sellable item (a SKU) of a product.")
      .field("sku", &Variant::sku, "Unique across the catalog; 1..64 printable chars.")
      .field("options", &Variant::options, "Option name -> value, e.g. {'colour': 'black'}.")
      .field("price", &Variant::price, "Money; 0 minor units for a free item.")
      .field("barcode", &Variant::barcode, "GTIN / UPC / model number, optional.")
      .field("attributes", &Variant::attributes, "Free-form name -> value.");

  Value<Product>(m, "Product",
                 "A product with its variants. The engine sets created_at_ms, updated_at_ms "
                 "and version on write and ignores them on input.")
      .field("id", &Product::id, "1..64 printable chars, no spaces at the ends.")
      .field("title", &Product::title, "1..1000 chars.")
      .field("description", &Product::description, "Up to 100,000 chars.")
      .field("brand", &Product::brand, "Up to 200 chars.")
      .field("categories", &Product::categories, "Category ids; each must exist.")
      .field("options", &Product::options, "Option names the variants use, e.g. ['size'].")
      .field("attributes", &Product::attributes, "Free-form name -> value.")
      .field("variants", &Product::variants, "At least one; all in one currency.")
      .field("status", &Product::status, "ProductStatus (default ACTIVE).")
      .field("popularity", &Product::popularity, "A sort key for listings and search.")
      .field("created_at_ms", &Product::created_at_ms, "Set by the engine.")
      .field("updated_at_ms", &Product::updated_at_ms, "Set by the engine.")
      .field("version", &Product::version, "1 on creation, +1 on every change.")
      .def(
          "to_json",
          [](const Product& p, bool with_engine_fields) {
            return ToPython(ProductToJson(p, with_engine_fields), py::return_value_policy::move,
                            py::handle(), "Product.to_json");
          },
          py::arg("with_engine_fields").noconvert() = true,
          "The product as one JSON object of the native import schema (docs/catalog.md).")
      .def_static(
          "from_json",
          [](std::string_view json, const std::string& default_currency) {
            return ProductFromJson(json, {.default_currency = default_currency});
          },
          py::arg("json"), py::arg("default_currency") = "USD",
          "A product from one JSON object of the native import schema, read by the same reader "
          "as import_file (category paths become their leaves' ids; engine fields are ignored). "
          "Raises InvalidArgument naming the field.");

  Value<Category>(m, "Category",
                  "A node of the category tree: id is lower-case slugs joined by '/', root "
                  "first ('cell-phones/prepaid-phones'); parent_id is derived from it.")
      .field("id", &Category::id, "'cell-phones/prepaid-phones'.")
      .field("name", &Category::name, "As shown to people: 'Prepaid Phones'.")
      .field("parent_id", &Category::parent_id, "Derived from id; '' for a root.");

  Value<Page<Product>>(m, "ProductPage",
                       "A page of a product listing; pass next_cursor back for the next page "
                       "('' when done).")
      .field("items", &Page<Product>::items, "The products of this page.")
      .field("next_cursor", &Page<Product>::next_cursor, "Cursor of the next page, or ''.");

  Value<CatalogStats>(m, "CatalogStats", "Counts of the catalog.")
      .field("products", &CatalogStats::products, "Products, including archived.")
      .field("skus", &CatalogStats::skus, "Variants.")
      .field("categories", &CatalogStats::categories, "Categories.");

  Value<ImportProgress>(m, "ImportProgress", "Progress of an import, reported about every 1,000 records.")
      .field("bytes_read", &ImportProgress::bytes_read, "Bytes of the file read so far.")
      .field("bytes_total", &ImportProgress::bytes_total, "Size of the file.")
      .field("records", &ImportProgress::records, "Records read so far.")
      .field("imported", &ImportProgress::imported, "Records acknowledged by storage.")
      .field("unchanged", &ImportProgress::unchanged,
             "Of the imported, those equal to the stored product: nothing written.")
      .field("rejected", &ImportProgress::rejected, "Records rejected.")
      .field("elapsed_s", &ImportProgress::elapsed_s, "Seconds since the import started.");

  Value<Rejection>(m, "Rejection", "A record an import rejected, and why.")
      .field("line", &Rejection::line, "1-based line (JSON Lines, CSV) or element index.")
      .field("field", &Rejection::field, "The field at fault, or '' for the whole record.")
      .field("reason", &Rejection::reason, "Why.");

  Value<ImportReport>(m, "ImportReport", "What an import did.")
      .field("records", &ImportReport::records, "Records read.")
      .field("imported", &ImportReport::imported, "Records imported (durable).")
      .field("unchanged", &ImportReport::unchanged,
             "Of the imported, those already stored as given: no write, no event.")
      .field("rejected", &ImportReport::rejected, "Records rejected.")
      .field("categories_created", &ImportReport::categories_created, "Categories created by path.")
      .field("rejections", &ImportReport::rejections, "The first max_rejections rejections.")
      .field("seconds", &ImportReport::seconds, "Wall time of the import.")
      .field("cancelled", &ImportReport::cancelled,
             "ImportStream.cancel() stopped it; what was imported before is kept.");

  m.def("category_id_from_path", &CategoryIdFromPath, py::arg("names"),
        "['Cell Phones', 'Prepaid Phones'] -> 'cell-phones/prepaid-phones'.");

  auto opt_cond = [](std::optional<uint64_t> v) {
    WriteCondition c;
    c.if_version = v;
    return c;
  };
  auto list_opts = [](std::string cursor, size_t limit, bool include_archived, std::string channel) {
    ListOptions o;
    o.cursor = std::move(cursor);
    o.limit = limit;
    o.include_archived = include_archived;
    o.channel = std::move(channel);
    return o;
  };

  py::class_<Catalog>(m, "Catalog",
                      "Products, variants and categories (Engine.catalog). Safe from any number "
                      "of threads; every call releases the GIL while it reaches storage.")
      .def(
          "upsert",
          [opt_cond](Catalog& c, const Product& p, std::optional<uint64_t> if_version) {
            return c.upsert(p, opt_cond(if_version));
          },
          py::arg("product"), py::arg("if_version") = py::none(), ReleaseGil(),
          "Creates or replaces the product; returns it as stored (version, timestamps). "
          "if_version: succeed only if the stored version equals it (0: must not exist). "
          "Raises InvalidArgument (names the field), AlreadyExists (a SKU of another "
          "product), Conflict (stale if_version), NotFound (unknown category).")
      .def("get", &Catalog::get, py::arg("product_id"), ReleaseGil(),
           "The product; NotFound when there is none.")
      .def("get_by_sku", &Catalog::get_by_sku, py::arg("sku"), ReleaseGil(),
           "The product that has this SKU; NotFound when there is none.")
      .def(
          "archive",
          [opt_cond](Catalog& c, const std::string& id, std::optional<uint64_t> if_version) {
            return c.archive(id, opt_cond(if_version));
          },
          py::arg("product_id"), py::arg("if_version") = py::none(), ReleaseGil(),
          "Sets the product's status to archived (kept for order history).")
      .def(
          "list_by_category",
          [list_opts](Catalog& c, const std::string& category_id, std::string cursor, size_t limit,
                      bool include_archived, std::string channel) {
            return c.list_by_category(category_id, list_opts(std::move(cursor), limit, include_archived,
                                                             std::move(channel)));
          },
          py::arg("category_id"), py::arg("cursor") = "", py::arg("limit") = 50,
          py::arg("include_archived").noconvert() = false, py::arg("channel") = "", ReleaseGil(),
          "One page (limit 1..1000) of the products in a category or its sub-categories, by "
          "product id; with channel, those the channel shows (NotFound for an unknown channel). "
          "See iter_by_category() for every page.")
      .def(
          "list",
          [list_opts](Catalog& c, std::string cursor, size_t limit, bool include_archived,
                      std::string channel) {
            return c.list(list_opts(std::move(cursor), limit, include_archived, std::move(channel)));
          },
          py::arg("cursor") = "", py::arg("limit") = 50, py::arg("include_archived").noconvert() = false,
          py::arg("channel") = "", ReleaseGil(),
          "One page of all products, by product id; with channel, those the channel shows "
          "(NotFound for an unknown channel). See iter_all() for every page.")
      .def("upsert_category", &Catalog::upsert_category, py::arg("category"), ReleaseGil(),
           "Creates or renames a category; its parent must exist (NotFound) unless a root.")
      .def("get_category", &Catalog::get_category, py::arg("category_id"), ReleaseGil(),
           "The category; NotFound when there is none.")
      .def("list_categories", &Catalog::list_categories, py::arg("parent_id") = "", ReleaseGil(),
           "The direct children of parent_id ('' for the roots), by id.")
      .def("stats", &Catalog::stats, ReleaseGil(), "CatalogStats: products, skus, categories.")
      .def(
          "import_file",
          [](Catalog& c, const std::filesystem::path& path, const std::string& format,
             const std::filesystem::path& mapping_path, const std::string& default_currency,
             size_t max_rejections, py::object progress) {
            ImportOptions o;
            o.format = format;
            o.mapping_path = mapping_path.string();
            o.default_currency = default_currency;
            o.max_rejections = max_rejections;
            std::optional<PyCallback> cb;
            if (!progress.is_none()) {
              cb.emplace(progress);
              o.progress = [cb = *cb](const ImportProgress& p) { cb(p); };
            }
            Result<ImportReport> r = Status::Internal("not run");
            {
              py::gil_scoped_release release;
              r = c.import_file(path.string(), o);
              o.progress = nullptr;
            }
            if (cb) cb->Rethrow();
            return r;
          },
          py::arg("path"), py::arg("format") = "auto", py::arg("mapping_path") = "",
          py::arg("default_currency") = "USD", py::arg("max_rejections") = 1000,
          py::arg("progress") = py::none(),
          "Bulk import of a JSON Lines, JSON array or CSV file (format 'auto' goes by the "
          "extension). Valid records are imported (durable on return), invalid ones reported "
          "in the ImportReport's rejections; raises only for a problem with the file itself. "
          "progress(ImportProgress) is called about every 1,000 records and at the end. "
          "Releases the GIL. commerce.import_products() also takes dicts and DataFrames.")
      .def(
          "start_import",
          [](Catalog& c, const std::string& format, const std::filesystem::path& mapping_path,
             const std::string& default_currency, size_t max_rejections, uint64_t expected_bytes,
             py::object progress) {
            ImportOptions o;
            o.format = format;
            o.mapping_path = mapping_path.string();
            o.default_currency = default_currency;
            o.max_rejections = max_rejections;
            o.expected_bytes = expected_bytes;
            auto out = std::make_unique<PyImportStream>();
            if (!progress.is_none()) {
              out->progress.emplace(progress);
              o.progress = [cb = *out->progress](const ImportProgress& p) { cb(p); };
            }
            Result<std::unique_ptr<ImportStream>> r = Status::Internal("not run");
            {
              py::gil_scoped_release release;
              r = c.start_import(o);
            }
            ThrowIfError(r.status());
            out->stream = std::move(r).value();
            return out;
          },
          py::arg("format") = "auto", py::arg("mapping_path") = "", py::arg("default_currency") = "USD",
          py::arg("max_rejections") = 1000, py::arg("expected_bytes") = 0, py::arg("progress") = py::none(),
          "A streaming import fed from memory (ImportStream). format 'auto': the first byte "
          "that is not blank decides ('[' a JSON array, '{' JSON Lines, else CSV). "
          "expected_bytes gives progress a total. Raises InvalidArgument (unknown format or "
          "currency, a bad mapping) or NotFound (no mapping file).");

  py::class_<PyImportStream>(
      m, "ImportStream",
      "A streaming import (Catalog.start_import): write() chunks of JSON Lines, a JSON array or "
      "CSV — bytes or str, split anywhere — then finish() for the ImportReport. The one importer "
      "of import_file and of the server's import route: the same validation, rejections and "
      "group-committed writes, with no temporary file. progress(), rejections() and cancel() "
      "may be called from another thread while one writes. An unfinished stream that is "
      "dropped is cancelled; what it imported is kept.")
      .def("write", &PyImportStream::Write, py::arg("data"),
           "More input (bytes, str or a buffer); blocks while 4,096 records await their commit. "
           "Rejected records go to the report; raises InvalidArgument when the input is broken "
           "beyond one record (a bad CSV header, a JSON array that does not start with '['), "
           "FailedPrecondition after cancel() or finish(). Releases the GIL.")
      .def("finish", &PyImportStream::Finish,
           "The end of input: waits for every record, makes them durable, returns the "
           "ImportReport (cancelled=True after cancel()). Raises the broken input's error "
           "(what came before it is kept) or FailedPrecondition when called twice. Releases "
           "the GIL.")
      .def("progress", [](const PyImportStream& s) { return s.stream->progress(); }, ReleaseGil(),
           "ImportProgress so far.")
      .def("rejections", [](const PyImportStream& s) { return s.stream->rejections(); }, ReleaseGil(),
           "The rejections so far, in input order.")
      .def("cancel", [](PyImportStream& s) { s.stream->cancel(); }, ReleaseGil(),
           "Stops the import: what was handed to the writer is kept; later write()s raise.");

  m.attr("Catalog").attr("_import_file") = m.attr("Catalog").attr("import_file");
}

}  // namespace commerce::python
