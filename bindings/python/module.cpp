// The `_commerce` extension: the whole C++ API of include/commerce/, bound file by file
// (bindings/python/<engine>.cpp for include/commerce/<engine>.h). The pure-Python package
// `commerce/` re-exports it and adds what is Python's own: exception classes generated from
// status_codes(), keyword constructors, repr, ==, to_dict/from_dict, paging iterators, bulk
// imports from dicts and DataFrames, and DataFrame exports.
#include "bind.h"

namespace commerce::python {

void BindWebhooks(py::module_& m);  // webhooks.cpp
void BindPayments(py::module_& m);  // payments.cpp
void BindReturns(py::module_& m);   // returns.cpp
void BindPromotions(py::module_& m);  // promotions.cpp
void BindPriceLists(py::module_& m);  // price_lists.cpp
void BindChannels(py::module_& m);    // channels.cpp

namespace {

// Code value -> the Python exception class, filled by commerce/_errors.py at import.
py::dict& ErrorClasses() {
  static auto* classes = new py::dict();  // leaked: lives as long as the interpreter
  return *classes;
}

}  // namespace

void BindStatus(py::module_& m) {
  // The table of status codes, straight from status_codes.def: (value, Name, WIRE_NAME,
  // http_status, kind). commerce/_errors.py makes one exception class per row.
  m.def(
      "status_codes",
      [] {
        py::list rows;
#define COMMERCE_STATUS_CODE(Name, WIRE, HTTP, KIND)                                            \
  rows.append(py::make_tuple(static_cast<int>(Code::k##Name), #Name, CodeName(Code::k##Name), \
                             CodeHttpStatus(Code::k##Name), #KIND));
#include "commerce/status_codes.def"
#undef COMMERCE_STATUS_CODE
        return rows;
      },
      "The rows of include/commerce/status_codes.def as (value, name, wire_name, http_status, "
      "kind) tuples, in table order.");
  m.def(
      "_register_error_classes", [](py::dict classes) { ErrorClasses() = std::move(classes); },
      "Internal: code value -> exception class, used to raise engine errors.");
  m.def(
      "_raise_status",
      [](int code, const std::string& message) {
        throw StatusError(Status(static_cast<Code>(code), message));
      },
      "Internal, for tests: raises the exception an engine error of this code raises.");

  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const StatusError& e) {
      const Status& s = e.status();
      py::object key = py::int_(static_cast<int>(s.code()));
      py::dict& classes = ErrorClasses();
      if (classes.contains(key)) {
        py::object cls = classes[key];
        // A message quoting bad input may hold invalid UTF-8: replaced, never a second error.
        const std::string& msg = s.message();
        py::object text = py::reinterpret_steal<py::object>(
            PyUnicode_DecodeUTF8(msg.data(), static_cast<Py_ssize_t>(msg.size()), "replace"));
        PyErr_SetObject(cls.ptr(), text.ptr());
      } else {
        PyErr_SetString(PyExc_RuntimeError, s.ToString().c_str());
      }
    }
  });
}

}  // namespace commerce::python

PYBIND11_MODULE(_commerce, m) {
  using namespace commerce::python;
  m.doc() =
      "The compiled core of the commerce package: bindings of the C++ engine "
      "(include/commerce/*.h). Import `commerce`, not this module.";
  BindStatus(m);
  BindMoney(m);
  BindCatalog(m);
  BindInventory(m);
  BindCustomer(m);
  BindCart(m);
  BindOrder(m);
  BindPromotions(m);
  BindPriceLists(m);
  BindChannels(m);
  BindEvents(m);
  BindSearch(m);
  BindPricing(m);
  BindSample(m);
  BindWebhooks(m);
  BindPayments(m);
  BindReturns(m);
  BindVerify(m);
  BindResilience(m);
  BindEventPublisher(m);
  BindEngine(m);
}
