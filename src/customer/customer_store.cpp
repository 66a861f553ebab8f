// The stored customer record (customer_store.h). Cereal, version 2, written field by field
// from a private wrapper: the public Customer and Address types get no serialize() of ours,
// so that another engine's (orders store addresses too) cannot clash with it at link time.
#include "customer/customer_store.h"

#include <stdexcept>

#include "common/codec.h"
#include "common/key.h"
#include "common/record.h"

namespace commerce {

namespace {

struct StoredCustomer {
  Customer c;

  template <class Archive>
  void save(Archive& ar, std::uint32_t /*version*/) const {
    ar(c.id, c.email, c.name, c.created_at_ms, c.updated_at_ms, c.version);
    ar(cereal::make_size_tag(static_cast<cereal::size_type>(c.addresses.size())));
    for (const Address& a : c.addresses)
      ar(a.name, a.line1, a.line2, a.city, a.postal_code, a.region, a.country);
    ar(c.group);  // version 2
  }

  template <class Archive>
  void load(Archive& ar, std::uint32_t version) {
    if (version != 1 && version != 2) throw std::runtime_error("unknown customer record version " + std::to_string(version));
    ar(c.id, c.email, c.name, c.created_at_ms, c.updated_at_ms, c.version);
    cereal::size_type n = 0;
    ar(cereal::make_size_tag(n));
    if (n > 1000) throw std::runtime_error("customer record claims " + std::to_string(n) + " addresses");
    c.addresses.resize(n);
    for (Address& a : c.addresses)
      ar(a.name, a.line1, a.line2, a.city, a.postal_code, a.region, a.country);
    // Version 1 records were written before customer groups: they have none.
    if (version >= 2) ar(c.group);
  }
};

}  // namespace

}  // namespace commerce

CEREAL_CLASS_VERSION(commerce::StoredCustomer, 2);

namespace commerce {

std::string CustomerKey(std::string_view id) { return KeyBuilder().str(id).key(); }

std::string EncodeCustomer(const Customer& c) { return Encode(StoredCustomer{c}); }

Result<Customer> GetCustomerInTxn(ReadView& view, const Tables& t, std::string_view id) {
  return GetRecord<Customer>(view, t.customers, CustomerKey(id), id, "customer", DecodeCustomer);
}

Status DecodeCustomer(std::string_view key, std::string_view value, Customer* out) {
  StoredCustomer stored;
  COMMERCE_RETURN_IF_ERROR(Decode(value, &stored, "customers", key));
  *out = std::move(stored.c);
  return Status::OK();
}

Status CheckCustomerExistsInTxn(ReadView& view, const Tables& t, std::string_view id) {
  std::string_view unused;
  Status s = view.get(t.customers, CustomerKey(id), &unused);
  if (s.IsNotFound()) return Status::NotFound("no customer with id '" + std::string(id) + "'");
  return s;
}

std::string EmailIndexKey(std::string_view email) {
  std::string lower(email);
  for (char& ch : lower)
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  return KeyBuilder().str(lower).key();
}

}  // namespace commerce
