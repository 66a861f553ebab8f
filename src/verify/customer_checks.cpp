// commerce verify: customers and the email index.
//
//   - every customer decodes and is stored under its own id;
//   - its email (ASCII-lower-cased) maps to it in customer_emails, and every customer_emails
//     entry names a customer with that email.
#include "common/key.h"
#include "customer/customer_store.h"
#include "verify/check_context.h"

namespace commerce::verify {

namespace {
constexpr const char* kCustomers = "customers";
}  // namespace

void CheckCustomers(CheckContext& c) {
  c.Scan("customers", kCustomers, [&](std::string_view key, std::string_view value) {
    Customer cus;
    if (!DecodeRecord(c, kCustomers, key, value, [&] { return DecodeCustomer(key, value, &cus); }))
      return true;
    const std::string where = Where(kCustomers, key);
    if (key != CustomerKey(cus.id)) c.Problem("customers", where, "holds customer '" + cus.id + "'");
    auto owner = c.Get("customers", "customer_emails", EmailIndexKey(cus.email));
    if (!owner) c.Problem("customers", where, "its email is missing from customer_emails");
    else if (*owner != cus.id)
      c.Problem("customers", where, "its email is indexed to customer '" + *owner + "'");
    return true;
  }, /*count=*/true);

  c.Scan("customers", "customer_emails", [&](std::string_view key, std::string_view value) {
    const std::string where = Where("customer_emails", key);
    const std::string id(value);
    const std::string ckey = CustomerKey(id);
    auto v = c.Get("customers", kCustomers, ckey);
    Customer cus;
    if (!v) c.Problem("customers", where, "names customer '" + id + "', which does not exist");
    else if (DecodeCustomer(ckey, *v, &cus).ok() && EmailIndexKey(cus.email) != key)
      c.Problem("customers", where, "names customer '" + id + "', whose email is another");
    return true;
  }, /*count=*/true);
}

}  // namespace commerce::verify
