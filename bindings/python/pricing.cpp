// Binds include/commerce/pricing.h: the default tax and shipping policy, and PythonPricing, a
// policy written in Python (a callable policy(input) -> (tax_minor, shipping_minor), or an
// object with .price(input)).
//
// Where a Python policy runs: the engine prices an order on the caller's thread as a rule
// (a Python thread inside place(), which released the GIL), but a placement prepared again
// after a failed check (after four of place()) prices it on the storage writer thread,
// inside the group every concurrent write waits for. So that the writer does not wait for
// the GIL there in the common case, results are memoised by the whole PricingInput (the
// policy must be deterministic): the writer's re-preparation usually sees the input the
// caller priced and answers from the memo without the GIL. On a miss it takes the GIL for
// the one call; every engine call releases the GIL, so the wait is bounded by Python's
// switch interval (stats() counts these waits). A policy must not call the engine: on the
// writer thread a write from inside the policy would wait for the writer itself.
#include "commerce/pricing.h"

#include <atomic>
#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <tuple>

#include "bind.h"

namespace commerce::python {

namespace {

class PythonPricing : public PricingPolicy {
 public:
  static constexpr size_t kDefaultMemo = 4096;

  PythonPricing(py::object policy, size_t memo_size) : memo_size_(memo_size) {
    if (!py::hasattr(policy, "price") && !PyCallable_Check(policy.ptr()))
      throw py::type_error("PythonPricing: the policy must be callable, policy(input) -> (tax_minor, "
                           "shipping_minor), or have a .price(input) method; got " +
                           py::repr(policy).cast<std::string>());
    name_ = py::repr(policy).cast<std::string>();
    if (name_.size() > 120) name_ = name_.substr(0, 117) + "...";
    py::object fn = py::hasattr(policy, "price") ? policy.attr("price") : policy;
    // The Python object may lose its last reference on a thread without the GIL (the engine
    // drops its policy in close(), which runs without it).
    fn_ = std::shared_ptr<py::object>(new py::object(std::move(fn)), [](py::object* o) {
      if (!Py_IsInitialized()) return;  // interpreter gone: leak rather than touch it
      py::gil_scoped_acquire gil;
      delete o;
    });
  }

  Result<PricingResult> price(const PricingInput& in) const override {
    Key key{in.currency,  in.region, in.country,        in.subtotal_minor,      in.shipments,
            in.items,     in.discount_minor, in.free_shipping, in.tax_inclusive_minor};
    // A thread Python does not know (the storage writer) has no thread state before the
    // GIL is taken for it: that is the wait the memo exists to avoid.
    const bool python_thread = PyGILState_GetThisThreadState() != nullptr;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = memo_.find(key);
      if (it != memo_.end()) {
        memo_hits_.fetch_add(1, std::memory_order_relaxed);
        if (!python_thread) writer_memo_hits_.fetch_add(1, std::memory_order_relaxed);
        return it->second;
      }
    }
    Result<PricingResult> r = Status::Internal("not priced");
    {
      auto t0 = std::chrono::steady_clock::now();
      py::gil_scoped_acquire gil;
      auto waited = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0);
      calls_.fetch_add(1, std::memory_order_relaxed);
      if (!python_thread) {
        gil_waits_.fetch_add(1, std::memory_order_relaxed);
        gil_wait_us_.fetch_add(static_cast<uint64_t>(waited.count()), std::memory_order_relaxed);
      }
      r = Call(in);
    }
    if (!r.ok()) return r;  // errors are not memoised: the next placement asks again
    std::lock_guard<std::mutex> lock(mu_);
    if (memo_size_ > 0 && memo_.emplace(key, *r).second) {
      order_.push_back(key);
      if (order_.size() > memo_size_) {
        memo_.erase(order_.front());
        order_.pop_front();
      }
    }
    return r;
  }

  py::dict Stats() const {
    py::dict d;
    d["calls"] = calls_.load();
    d["memo_hits"] = memo_hits_.load();
    d["gil_waits"] = gil_waits_.load();
    d["gil_wait_seconds"] = static_cast<double>(gil_wait_us_.load()) / 1e6;
    d["writer_memo_hits"] = writer_memo_hits_.load();
    {
      std::lock_guard<std::mutex> lock(mu_);
      d["memo_entries"] = memo_.size();
    }
    d["memo_size"] = memo_size_;
    return d;
  }

  const std::string& name() const { return name_; }

 private:
  // Every field of PricingInput: two inputs that differ in any may be priced differently.
  using Key = std::tuple<std::string, std::string, std::string, int64_t, size_t, int64_t, int64_t,
                         bool, int64_t>;

  // REQUIRES: the GIL is held. Every Python error becomes a Status naming the policy.
  Result<PricingResult> Call(const PricingInput& in) const {
    const std::string who = "pricing policy " + name_;
    py::object out;
    try {
      out = (*fn_)(in);
    } catch (py::error_already_set& e) {
      // ValueError (commerce.InvalidArgument among them): the policy refuses this input.
      std::string what = py::str(e.type().attr("__name__")).cast<std::string>();
      try {
        what += ": " + py::str(e.value()).cast<std::string>();
      } catch (py::error_already_set&) {  // an exception whose str() raises: its type is enough
      }
      if (e.matches(PyExc_ValueError)) return Status::InvalidArgument(who + " raised " + what);
      return Status::Internal(who + " raised " + what);
    }
    auto bad = [&] {
      return Status::InvalidArgument(who + " returned " + py::repr(out).cast<std::string>() +
                                     "; expected (tax_minor, shipping_minor): two ints >= 0, or a "
                                     "PricingResult");
    };
    if (py::isinstance<PricingResult>(out)) {
      auto p = out.cast<PricingResult>();
      if (p.tax_minor < 0 || p.shipping_minor < 0) return bad();
      return p;
    }
    if (!(PyTuple_Check(out.ptr()) || PyList_Check(out.ptr())) || py::len(out) != 2) return bad();
    int64_t v[2];
    for (size_t i = 0; i < 2; ++i) {
      PyObject* item = PySequence_Fast_GET_ITEM(out.ptr(), static_cast<Py_ssize_t>(i));
      if (!PyLong_Check(item) || PyBool_Check(item)) return bad();
      int overflow = 0;
      long long x = PyLong_AsLongLongAndOverflow(item, &overflow);
      if (overflow != 0 || x < 0) return bad();
      v[i] = x;
    }
    return PricingResult{v[0], v[1]};
  }

  std::shared_ptr<py::object> fn_;
  std::string name_;
  const size_t memo_size_;
  mutable std::mutex mu_;
  mutable std::map<Key, PricingResult> memo_;  // guarded by mu_
  mutable std::deque<Key> order_;              // guarded by mu_: insertion order, oldest first
  mutable std::atomic<uint64_t> calls_{0}, memo_hits_{0}, gil_waits_{0}, gil_wait_us_{0}, writer_memo_hits_{0};
};

}  // namespace

void BindPricing(py::module_& m) {
  py::class_<PricingPolicy, std::shared_ptr<PricingPolicy>>(
      m, "PricingPolicy",
      "How an order's tax and shipping are computed: make_default_pricing(), or a Python policy "
      "(PythonPricing, or any callable passed as Engine(..., pricing=...)).");
  Value<PricingInput>(m, "PricingInput", "What a pricing policy is given for an order.")
      .field("currency", &PricingInput::currency, "The order's currency code.")
      .field("region", &PricingInput::region, "The shipping address's region.")
      .field("country", &PricingInput::country, "The shipping address's country.")
      .field("subtotal_minor", &PricingInput::subtotal_minor, "Sum of the line totals, minor units.")
      .field("shipments", &PricingInput::shipments, "Parcels after allocation.")
      .field("items", &PricingInput::items, "Units over all lines.")
      .field("discount_minor", &PricingInput::discount_minor,
             "What promotions took off the lines (subtotal_minor is after it).")
      .field("free_shipping", &PricingInput::free_shipping,
             "A promotion makes the order ship free: the engine charges no shipping.")
      .field("tax_inclusive_minor", &PricingInput::tax_inclusive_minor,
             "The part of subtotal_minor whose prices include tax already (tax-inclusive price "
             "lists): add tax only to the rest.");
  Value<PricingResult>(m, "PricingResult", "What a pricing policy answers.")
      .field("tax_minor", &PricingResult::tax_minor, "Tax, minor units (>= 0).")
      .field("shipping_minor", &PricingResult::shipping_minor, "Shipping, minor units (>= 0).")
      .field("tax_included_minor", &PricingResult::tax_included_minor,
             "The tax inside tax_inclusive_minor, minor units (0..it): shown, not added.");
  Value<DefaultPricingOptions>(m, "DefaultPricingOptions", "Options of make_default_pricing().")
      .field("tax_bp_by_region", &DefaultPricingOptions::tax_bp_by_region,
             "Tax rate per region in basis points (825 = 8.25%).")
      .field("default_tax_bp", &DefaultPricingOptions::default_tax_bp, "Rate of regions not listed.")
      .field("shipping_per_shipment_minor", &DefaultPricingOptions::shipping_per_shipment_minor,
             "Flat fee per shipment, minor units.")
      .field("free_shipping_from_minor", &DefaultPricingOptions::free_shipping_from_minor,
             "Subtotal from which shipping is free (0: never).");
  m.def("make_default_pricing", &MakeDefaultPricing, py::arg("options") = DefaultPricingOptions{},
        "tax = round_half_up((subtotal - tax_inclusive) * rate / 10000); tax_included = "
        "tax_inclusive - round_half_up(tax_inclusive * 10000 / (10000 + rate)) (the tax inside "
        "tax-inclusive prices, pricing.h); shipping = shipments * fee unless free. "
        "Pass the result as Engine(..., pricing=...).");
  py::class_<PythonPricing, PricingPolicy, std::shared_ptr<PythonPricing>>(
      m, "PythonPricing",
      "A pricing policy written in Python: policy(input: PricingInput) -> (tax_minor, "
      "shipping_minor) (or a PricingResult), or an object with .price(input). It must be "
      "deterministic for the same input (results are memoised by the whole input, memo_size "
      "entries, oldest dropped first) and must not call the engine. An exception fails the "
      "placement (ValueError: InvalidArgument, others: Internal), as does a return that is not "
      "two ints >= 0; nothing is written. Engine(..., pricing=callable) wraps it in one.")
      .def(py::init([](py::object policy, size_t memo_size) {
             return std::make_shared<PythonPricing>(std::move(policy), memo_size);
           }),
           py::arg("policy"), py::kw_only(), py::arg("memo_size") = PythonPricing::kDefaultMemo)
      .def("stats", &PythonPricing::Stats,
           "A dict: calls (of the Python policy), memo_hits, gil_waits (calls made on a thread "
           "Python does not know, the storage writer, which waited for the GIL), "
           "gil_wait_seconds (their total wait), writer_memo_hits (writer-side answers from the "
           "memo, without the GIL), memo_entries, memo_size.")
      .def_property_readonly("name", &PythonPricing::name, "repr() of the policy, as errors name it.");
}

}  // namespace commerce::python
