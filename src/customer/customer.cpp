// The Customers API (customer.h). Each write is one mutation that keeps the record, the email
// index and the event together. Input is validated before storage is touched.
//
// Events carry no personal data — the customer id, the version and, for updates, the names of
// the fields that changed — because the event log is kept for ever and read by every
// consumer; a consumer that needs the email reads the customer (docs/customers.md).
#include "commerce/customer.h"

#include <vector>

#include "common/record_frame.h"
#include "common/utf8.h"
#include "common/ids.h"
#include "customer/customer_store.h"
#include "customer/customer_validation.h"
#include "engine/engine_core.h"
#include "engine/replaced_record.h"
#include "events/event_json.h"
#include "events/event_log.h"

namespace commerce {

namespace {

std::string EventData(const Customer& c, const std::vector<const char*>* changed) {
  EventJson data;
  data.str("customer_id", c.id).u64("version", c.version);
  if (changed) {
    data.begin_array("changed");
    for (const char* field : *changed) data.element(field);
    data.end_array();
  }
  return data.done();
}

// The email's owner in the index, as `view` shows it: AlreadyExists when another customer
// has it in any letter case (the message does not say who: that would reveal more of another
// account than the uniqueness rule does); otherwise the claim is added to `changes` -- an
// insert, so that two customers claiming one email in the same instant cannot both get it.
Status ClaimEmail(ReadView& view, const Tables& t, const std::string& email, const std::string& id,
                  ChangeSet& changes) {
  const std::string key = EmailIndexKey(email);
  std::string_view owner;
  Status s = view.get(t.customer_emails, key, &owner);
  if (s.ok()) {
    if (owner == id) return Status::OK();
    return Status::AlreadyExists("email: already used by another customer");
  }
  if (!s.IsNotFound()) return s;
  changes.insert(t.customer_emails, key, id);
  return Status::OK();
}

}  // namespace

// Both writes are prepared on the caller's thread (docs/architecture.md): what the writer
// gets is an insert of the record (a taken id fails it), an insert of the email claim, and
// the event; or, for an update, the new record with a check that the one read is unchanged.
// A failed check prepares again, and the newer snapshot then answers AlreadyExists or
// Conflict -- or, for an update without if_version, applies the change over the newer record.

Result<Customer> Customers::create(const Customer& c) {
  Customer stored = c;
  if (stored.id.empty()) stored.id = RandomId("cus-");
  COMMERCE_RETURN_IF_ERROR(CheckIdentifier("id", stored.id));
  COMMERCE_RETURN_IF_ERROR(ValidateCustomer(stored));
  const Tables& t = core_->tables;
  const int64_t now = EngineCore::NowMs();
  stored.created_at_ms = stored.updated_at_ms = now;
  stored.version = 1;
  auto applied = core_->Apply([&](ReadView& view, ChangeSet& changes) -> Status {
    Status exists = CheckCustomerExistsInTxn(view, t, stored.id);
    if (exists.ok()) return Status::AlreadyExists("id: customer '" + stored.id + "' already exists");
    if (!exists.IsNotFound()) return exists;
    changes.insert(t.customers, CustomerKey(stored.id), EncodeCustomer(stored));
    COMMERCE_RETURN_IF_ERROR(ClaimEmail(view, t, stored.email, stored.id, changes));
    AppendEvent(changes, t.events, "CustomerCreated", stored.id, EventData(stored, nullptr), now);
    return Status::OK();
  });
  COMMERCE_RETURN_IF_ERROR(applied.status());
  return stored;
}

Result<Customer> Customers::update(const Customer& c, std::optional<uint64_t> if_version) {
  COMMERCE_RETURN_IF_ERROR(CheckIdentifier("id", c.id));
  if (if_version && *if_version == 0)
    return Status::InvalidArgument("if_version: 0 means 'must not exist'; update needs an existing "
                                   "customer: pass its version, or none");
  COMMERCE_RETURN_IF_ERROR(ValidateCustomer(c));
  const Tables& t = core_->tables;
  const int64_t now = EngineCore::NowMs();
  const std::string key = CustomerKey(c.id);
  Customer stored;
  auto applied = core_->Apply([&](ReadView& view, ChangeSet& changes) -> Status {
    auto decode = [&](std::string_view k, std::string_view b, Customer* out) {
      return DecodeCustomer(k, b, out).WithContext("customer '" + c.id + "'");
    };
    COMMERCE_ASSIGN_OR_RETURN(auto replaced, ReadReplaced<Customer>(view, t.customers, key, "customer",
                                                                    c.id, if_version, decode));
    const std::string& old_bytes = replaced.bytes;
    Customer& old = replaced.record;
    std::vector<const char*> changed;
    if (c.email != old.email) changed.push_back("email");
    if (c.name != old.name) changed.push_back("name");
    if (c.addresses != old.addresses) changed.push_back("addresses");
    if (c.group != old.group) changed.push_back("group");
    if (changed.empty()) {  // nothing to write: no new version, no event
      stored = std::move(old);
      return Status::OK();
    }
    // The version read is the one replaced: a concurrent update makes this one prepare again.
    changes.expect(t.customers, key, old_bytes);
    if (EmailIndexKey(c.email) != EmailIndexKey(old.email)) {
      COMMERCE_RETURN_IF_ERROR(ClaimEmail(view, t, c.email, c.id, changes));
      changes.del(t.customer_emails, EmailIndexKey(old.email));
    }
    stored = c;
    stored.created_at_ms = old.created_at_ms;
    stored.updated_at_ms = now;
    stored.version = old.version + 1;
    changes.put(t.customers, key, EncodeCustomer(stored));
    AppendEvent(changes, t.events, "CustomerUpdated", stored.id, EventData(stored, &changed), now);
    return Status::OK();
  });
  COMMERCE_RETURN_IF_ERROR(applied.status());
  return stored;
}

Result<Customer> Customers::get(std::string_view id) {
  COMMERCE_RETURN_IF_ERROR(CheckIdentifier("id", id));
  COMMERCE_ASSIGN_OR_RETURN(auto txn, core_->storage->read());
  return GetCustomerInTxn(*txn, core_->tables, id);
}

Result<Customer> Customers::get_by_email(std::string_view email) {
  if (email.empty() || email.size() > kMaxEmailBytes)
    return Status::InvalidArgument("email: must be 1.." + std::to_string(kMaxEmailBytes) + " bytes");
  COMMERCE_RETURN_IF_ERROR(CheckUtf8("email", email));
  COMMERCE_ASSIGN_OR_RETURN(auto txn, core_->storage->read());
  std::string_view owner;
  const std::string key = EmailIndexKey(email);
  Status s = txn->get(core_->tables.customer_emails, key, &owner);
  if (s.IsNotFound()) return Status::NotFound("email: no customer has this email");
  COMMERCE_RETURN_IF_ERROR(s);
  std::string id(owner);
  COMMERCE_ASSIGN_OR_RETURN(Customer c, GetCustomerInTxn(*txn, core_->tables, id));
  // Index entries carry no checksum: the customer found must have the email.
  if (EmailIndexKey(c.email) != key)
    return RecordCorruption("customer_emails", key,
                            "names customer '" + id + "', whose email is another");
  return c;
}

}  // namespace commerce
