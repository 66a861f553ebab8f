// Customers: accounts with a unique, case-insensitive email and addresses.
//
// Thread safety: a Customers (from Engine::customers()) is safe from any number of threads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "commerce/export.h"
#include "commerce/status.h"

namespace commerce {

class EngineCore;

struct Address {
  std::string name;         // recipient, 1..200
  std::string line1;        // 1..200
  std::string line2;        // optional
  std::string city;         // 1..100
  std::string postal_code;  // optional, up to 20
  std::string region;       // required, 1..64: matched against warehouse regions and tax rates
  std::string country;      // ISO 3166-1 alpha-2, upper case ("US")

  friend bool operator==(const Address&, const Address&) = default;
};

struct Customer {
  std::string id;     // given (1..64 printable) or generated ("cus-" + 16 hex digits) when empty
  std::string email;  // unique across customers ignoring case; stored as given
  std::string name;   // up to 200
  std::vector<Address> addresses;  // up to 20
  // The customer group that price lists select on (price_lists.h): "" for none, else 1..64 of
  // A-Z a-z 0-9 '-' '_', matched exactly ("wholesale"). Records written before groups existed
  // have none.
  std::string group;

  // Set by the engine.
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
  uint64_t version = 0;

  friend bool operator==(const Customer&, const Customer&) = default;
};

class COMMERCE_EXPORT Customers {
 public:
  // Handed out by Engine (engine.h), which owns it; not copyable.
  Customers(const Customers&) = delete;
  Customers& operator=(const Customers&) = delete;

  // AlreadyExists when the id, or the email in any letter case, is taken.
  Result<Customer> create(const Customer& c);
  // Replaces name, email, addresses and group. if_version as in catalog.h (0 is not allowed here:
  // the customer must exist). AlreadyExists when the new email belongs to someone else.
  Result<Customer> update(const Customer& c, std::optional<uint64_t> if_version = std::nullopt);
  Result<Customer> get(std::string_view id);
  // Case-insensitive (ASCII) lookup.
  Result<Customer> get_by_email(std::string_view email);

 private:
  friend class Engine;
  explicit Customers(EngineCore* core) : core_(core) {}
  EngineCore* core_;
};

}  // namespace commerce
