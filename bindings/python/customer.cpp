// Binds include/commerce/customer.h: accounts with a unique, case-insensitive email.
#include "commerce/customer.h"

#include "bind.h"

namespace commerce::python {

void BindCustomer(py::module_& m) {
  Value<Address>(m, "Address", "A postal address; region is matched against warehouse regions and tax rates.")
      .field("name", &Address::name, "Recipient, 1..200.")
      .field("line1", &Address::line1, "1..200.")
      .field("line2", &Address::line2, "Optional.")
      .field("city", &Address::city, "1..100.")
      .field("postal_code", &Address::postal_code, "Optional, up to 20.")
      .field("region", &Address::region, "Required, 1..64.")
      .field("country", &Address::country, "ISO 3166-1 alpha-2, upper case ('US').");

  Value<Customer>(m, "Customer", "A customer account.")
      .field("id", &Customer::id, "Given (1..64 printable) or generated ('cus-...') when empty.")
      .field("email", &Customer::email, "Unique ignoring case; stored as given.")
      .field("name", &Customer::name, "Up to 200.")
      .field("addresses", &Customer::addresses, "Up to 20 Address.")
      .field("group", &Customer::group,
             "'' or 1..64 of A-Z a-z 0-9 - _: the customer group price lists select on.")
      .field("created_at_ms", &Customer::created_at_ms, "Set by the engine.")
      .field("updated_at_ms", &Customer::updated_at_ms, "Set by the engine.")
      .field("version", &Customer::version, "Set by the engine.");

  py::class_<Customers>(m, "Customers",
                        "Customer accounts (Engine.customers). Safe from any number of threads; "
                        "every call releases the GIL.")
      .def("create", &Customers::create, py::arg("customer"), ReleaseGil(),
           "Creates the customer. AlreadyExists when the id or the email (any case) is taken.")
      .def("update", &Customers::update, py::arg("customer"), py::arg("if_version") = py::none(),
           ReleaseGil(),
           "Replaces name, email and addresses. Conflict for a stale if_version; AlreadyExists "
           "when the email belongs to someone else.")
      .def("get", &Customers::get, py::arg("customer_id"), ReleaseGil(), "NotFound when there is none.")
      .def("get_by_email", &Customers::get_by_email, py::arg("email"), ReleaseGil(),
           "Case-insensitive (ASCII) lookup; NotFound when there is none.");
}

}  // namespace commerce::python
