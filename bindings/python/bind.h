// What every binding file of the `_commerce` extension shares (bindings/python/<engine>.cpp
// binds include/commerce/<engine>.h):
//   - the Result<T> / Status casters (pybind11_abseil's statusor_caster.h, in commerce terms):
//     a call returning an error raises the commerce.Error subclass of its code, with the
//     engine's message, and a call returning a value returns the value;
//   - Value<T>: a py::class_ for a plain struct that records its fields (_fields, _field_types),
//     so that the pure-Python package gives every value object repr, ==, to_dict() and
//     from_dict() from one generic implementation (commerce/_values.py);
//   - PyCallback: a Python callable made safe to call from a C++ thread that does not hold
//     the GIL (progress callbacks of calls that released it).
//
// The boundary is thin on purpose: nothing here decides anything the engine decides.
// Every call that reaches storage or search is bound with kReleaseGil
// (py::call_guard<py::gil_scoped_release>), so Python threads run while the engine works.
//
// Thread safety: the casters run with the GIL held (pybind11 converts results after the
// call guard has re-acquired it); PyCallback acquires the GIL itself.
#pragma once

#include <pybind11/chrono.h>
#include <pybind11/functional.h>
#include <pybind11/operators.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstring>
#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "commerce/status.h"

// Durations also from an int of seconds. pybind11's caster takes a timedelta or a float
// only, so `EventRetention(max_age=5)` or `wait_for(seq, 5)` raised TypeError while 5.0
// worked, though the docs say "seconds or timedelta". A bool is not a duration; an int past
// what the type holds is refused as before (TypeError naming the expected type).
namespace pybind11::detail {
template <typename Duration>
class IntSecondsDurationCaster : public duration_caster<Duration> {
 public:
  bool load(handle src, bool convert) {
    if (src && PyLong_Check(src.ptr()) && !PyBool_Check(src.ptr())) {
      int overflow = 0;
      const long long s = PyLong_AsLongLongAndOverflow(src.ptr(), &overflow);
      if (overflow != 0 || (s == -1 && PyErr_Occurred())) {
        PyErr_Clear();
        return false;
      }
      using Seconds = std::chrono::duration<long double>;
      const Seconds most = std::chrono::duration_cast<Seconds>(Duration::max());
      if (static_cast<long double>(s) > most.count() || static_cast<long double>(-s) > most.count())
        return false;
      this->value = std::chrono::duration_cast<Duration>(std::chrono::seconds(s));
      return true;
    }
    return duration_caster<Duration>::load(src, convert);
  }
};
template <>
class type_caster<std::chrono::milliseconds> : public IntSecondsDurationCaster<std::chrono::milliseconds> {};
template <>
class type_caster<std::chrono::seconds> : public IntSecondsDurationCaster<std::chrono::seconds> {};
template <>
class type_caster<std::chrono::minutes> : public IntSecondsDurationCaster<std::chrono::minutes> {};
template <>
class type_caster<std::chrono::hours> : public IntSecondsDurationCaster<std::chrono::hours> {};
}  // namespace pybind11::detail

namespace commerce::python {

namespace py = pybind11;

using ReleaseGil = py::call_guard<py::gil_scoped_release>;

// Carries an error Status from a binding to the exception translator (module.cpp), which
// raises the Python class registered for its code.
class StatusError : public std::exception {
 public:
  explicit StatusError(Status s) : status_(std::move(s)) {}
  const char* what() const noexcept override { return status_.message().c_str(); }
  const Status& status() const { return status_; }

 private:
  Status status_;
};

// Raises for an error status; returns for OK.
inline void ThrowIfError(const Status& s) {
  if (!s.ok()) throw StatusError(s);
}

// Every value leaves the engine through here (Value fields, Result casts): a stored string
// that is not UTF-8 — written by a version that did not check, or damaged — cannot become a
// Python str, and pybind11 would raise a bare UnicodeDecodeError while converting it. This
// raises the engine's own commerce.Corruption instead, naming `where`.
[[noreturn]] inline void ThrowNotUtf8(const std::string& where, py::error_already_set& e) {
  throw StatusError(Status::Corruption(
      where + ": a stored string is not UTF-8 (written by an older version of commerce, or "
              "damaged; commerce.verify(path) lists every such record): " + e.what()));
}

template <typename V>
py::object ToPython(V&& value, py::return_value_policy policy, py::handle parent,
                    const std::string& where) {
  try {
    return py::reinterpret_steal<py::object>(
        py::detail::make_caster<std::decay_t<V>>::cast(std::forward<V>(value), policy, parent));
  } catch (py::error_already_set& e) {
    if (!e.matches(PyExc_UnicodeDecodeError)) throw;
    ThrowNotUtf8(where, e);
  }
}

// True when `o` is, or holds (in a list, tuple or dict), a str that cannot be encoded as
// UTF-8 (a lone surrogate, e.g. from os.fsdecode of a non-UTF-8 file name).
inline bool HoldsUnencodableStr(py::handle o) {
  if (PyUnicode_Check(o.ptr())) {
    Py_ssize_t n;
    if (PyUnicode_AsUTF8AndSize(o.ptr(), &n) != nullptr) return false;
    PyErr_Clear();
    return true;
  }
  if (PyList_Check(o.ptr()) || PyTuple_Check(o.ptr())) {
    for (auto item : o)
      if (HoldsUnencodableStr(item)) return true;
    return false;
  }
  if (PyDict_Check(o.ptr())) {
    for (auto kv : py::reinterpret_borrow<py::dict>(o))
      if (HoldsUnencodableStr(kv.first) || HoldsUnencodableStr(kv.second)) return true;
  }
  return false;
}

// True for True and False (numpy's bools too): what a bool field takes.
inline bool IsBool(py::handle o) {
  if (PyBool_Check(o.ptr())) return true;
  const char* type = Py_TYPE(o.ptr())->tp_name;
  return std::strcmp(type, "numpy.bool_") == 0 || std::strcmp(type, "numpy.bool") == 0;
}

// The C++ value of a Python object for a field: a str that is not UTF-8 is the engine's
// InvalidArgument naming the field; any other mismatch is pybind11's TypeError, as before.
// A bool field takes a bool only: pybind11 converts as bool() does, so None became False and
// a number true (`relax=None` turned relaxation off, `explain=0` looked like a choice). A
// call's own bool arguments (restock, include_archived, sync, ...) are bound
// py::arg(...).noconvert() for the same reason: pybind11 then takes True or False only.
template <typename D>
D FromPython(py::handle value, const std::string& where) {
  if constexpr (std::is_same_v<D, bool>) {
    if (!IsBool(value))
      throw py::type_error(where + ": True or False, not a value of type " +
                           py::str(py::type::handle_of(value).attr("__name__")).cast<std::string>());
  }
  try {
    return value.cast<D>();
  } catch (const py::cast_error&) {
    if (HoldsUnencodableStr(value))
      throw StatusError(Status::InvalidArgument(where + ": not UTF-8 text (a str with a lone "
                                                        "surrogate cannot be stored)"));
    throw py::type_error(where + ": cannot hold a value of type " +
                         py::str(py::type::handle_of(value).attr("__name__")).cast<std::string>());
  }
}

// Field type descriptions for commerce/_values.py: None (a plain Python value), a bound
// class or enum, ("list", inner) or ("dict", inner).
template <typename T, typename = void>
struct FieldSpec {
  static py::object get() {
    py::handle h = py::detail::get_type_handle(typeid(T), /*throw_if_missing=*/false);
    if (h) return py::reinterpret_borrow<py::object>(h);
    return py::none();
  }
};
template <typename T>
struct FieldSpec<std::vector<T>> {
  static py::object get() { return py::make_tuple("list", FieldSpec<T>::get()); }
};
template <typename K, typename V>
struct FieldSpec<std::map<K, V>> {
  static py::object get() { return py::make_tuple("dict", FieldSpec<V>::get()); }
};
template <typename T>
struct FieldSpec<std::optional<T>> {
  static py::object get() { return FieldSpec<T>::get(); }
};

// A value object: default-constructible, fields read-write, field names and types recorded
// on the class (commerce/_values.py builds __init__ keywords, repr, ==, to_dict, from_dict).
template <typename T, typename... Options>
class Value : public py::class_<T, Options...> {
 public:
  Value(py::handle scope, const char* name, const char* doc) : py::class_<T, Options...>(scope, name, doc) {
    this->attr("_fields") = py::tuple();
    this->attr("_field_types") = py::dict();
    // Keyword arguments (Product(id="p1", title=...)) are added by commerce/_values.py.
    this->def(py::init<>());
  }

  // As def_readwrite (a struct-typed field is returned by reference, so `o.address.city = x`
  // changes o), with the getter converting through ToPython.
  template <typename D>
  Value& field(const char* name, D T::*member, const char* doc) {
    const std::string where =
        py::str(this->attr("__name__")).template cast<std::string>() + "." + name;
    this->def_property(
        name,
        [member, where](py::handle self) -> py::object {
          return ToPython(self.cast<const T&>().*member, py::return_value_policy::reference_internal,
                          self, where);
        },
        [member, where](T& obj, py::handle value) { obj.*member = FromPython<D>(value, where); },
        doc);
    fields_.append(name);
    this->attr("_fields") = py::tuple(fields_);
    this->attr("_field_types")[name] = FieldSpec<D>::get();
    return *this;
  }

 private:
  py::list fields_;
};

// A Python callable called from C++ code running without the GIL (an import's progress, a
// rebuild's progress). Copies share one reference, dropped with the GIL held. The first
// exception the callable raises is kept (later calls are skipped) and re-raised by Rethrow()
// once the C++ call has returned.
class PyCallback {
 public:
  explicit PyCallback(py::object fn)
      : state_(new State{std::move(fn), {}, false}, [](State* s) {
          py::gil_scoped_acquire gil;
          delete s;
        }) {}

  template <typename... Args>
  void operator()(const Args&... args) const {
    py::gil_scoped_acquire gil;
    if (state_->failed) return;
    try {
      state_->fn(args...);
    } catch (py::error_already_set& e) {
      state_->failed = true;
      state_->error = std::move(e);
    }
  }

  // REQUIRES: the GIL is held.
  void Rethrow() const {
    if (state_->failed) {
      state_->failed = false;
      throw std::move(*state_->error);
    }
  }

 private:
  struct State {
    py::object fn;
    std::optional<py::error_already_set> error;
    bool failed;
  };
  std::shared_ptr<State> state_;
};

// One Bind* per binding file, called from module.cpp in dependency order (a struct's field
// types are bound before the struct).
void BindStatus(py::module_& m);
void BindMoney(py::module_& m);
void BindCatalog(py::module_& m);
void BindInventory(py::module_& m);
void BindCustomer(py::module_& m);
void BindCart(py::module_& m);
void BindOrder(py::module_& m);
void BindEvents(py::module_& m);
void BindSearch(py::module_& m);
void BindPricing(py::module_& m);
void BindSample(py::module_& m);
void BindVerify(py::module_& m);
void BindResilience(py::module_& m);
void BindEventPublisher(py::module_& m);
void BindEngine(py::module_& m);

}  // namespace commerce::python

namespace pybind11::detail {

// Result<T> -> the value, or raises commerce.Error's subclass for the code.
template <typename T>
struct type_caster<commerce::Result<T>> {
  static constexpr auto name = make_caster<T>::name;
  template <typename R>
  static handle cast(R&& src, return_value_policy policy, handle parent) {
    if (!src.ok()) throw commerce::python::StatusError(src.status());
    if (policy == return_value_policy::automatic || policy == return_value_policy::automatic_reference)
      policy = return_value_policy::move;
    try {
      return make_caster<T>::cast(std::forward<R>(src).value(), policy, parent);
    } catch (error_already_set& e) {
      if (!e.matches(PyExc_UnicodeDecodeError)) throw;
      commerce::python::ThrowNotUtf8("a value the engine returned", e);
    }
  }
};

// Status -> None, or raises.
template <>
struct type_caster<commerce::Status> {
  static constexpr auto name = const_name("None");
  static handle cast(const commerce::Status& src, return_value_policy, handle) {
    commerce::python::ThrowIfError(src);
    return none().release();
  }
};

}  // namespace pybind11::detail

namespace commerce::python {

// An enum that also converts from its engine name ("paid" -> OrderStatus.PAID, so a str is
// accepted wherever the enum is) and prints as that name.
template <typename E>
void EnumNames(py::enum_<E>& e, const char* (*name)(E), Result<E> (*parse)(std::string_view)) {
  e.def(py::init([parse](const std::string& s) {
          auto r = parse(s);
          ThrowIfError(r.status());
          return *r;
        }),
        py::arg("name"), "The value of an engine name, e.g. 'paid'.");
  // Replaces enum_'s own __str__ ("OrderStatus.PAID") rather than overloading it.
  e.attr("__str__") = py::cpp_function([name](E v) { return std::string(name(v)); }, py::name("__str__"),
                                       py::is_method(e));
  py::implicitly_convertible<py::str, E>();
}

// For EnumNames, an enum without a Parse... of its own: the value among its first N whose
// name (PaymentStatusName & co.) is `text`; InvalidArgument naming the choices otherwise.
template <typename E, size_t N>
Result<E> ParseByName(std::string_view text, const char* (*name)(E), const char* what) {
  std::string choices;
  for (size_t i = 0; i < N; ++i) {
    const E e = static_cast<E>(i);
    if (text == name(e)) return e;
    choices += std::string(choices.empty() ? "" : ", ") + name(e);
  }
  return Status::InvalidArgument(std::string(what) + ": '" + std::string(text) + "' is not one of " + choices);
}

}  // namespace commerce::python
