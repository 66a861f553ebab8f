// The rules a customer must meet before anything is written (customer.h). Every error is
// InvalidArgument and its message starts with the field at fault: "email: ...",
// "addresses[1].country: ...".
#pragma once

#include "commerce/customer.h"

namespace commerce {

inline constexpr size_t kMaxEmailBytes = 254;    // RFC 5321's limit on a forward path
inline constexpr size_t kMaxAddresses = 20;

Status ValidateEmail(std::string_view email);
Status ValidateAddress(const Address& a, std::string_view field);  // field: "addresses[2]"
// Everything but the id (checked by the caller, which may generate it).
Status ValidateCustomer(const Customer& c);

}  // namespace commerce
