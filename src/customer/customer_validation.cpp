#include "customer/customer_validation.h"

#include <algorithm>

#include "common/selector_key.h"
#include "common/utf8.h"

namespace commerce {

namespace {

bool IsControl(char ch) { return static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f; }

// A text field: at most `max` bytes, at least `min`, no control characters.
Status CheckText(std::string_view field, std::string_view value, size_t min, size_t max) {
  std::string f(field);
  if (value.size() < min)
    return Status::InvalidArgument(f + ": is required (" + std::to_string(min) + ".." +
                                   std::to_string(max) + " bytes)");
  if (value.size() > max)
    return Status::InvalidArgument(f + ": is " + std::to_string(value.size()) +
                                   " bytes, more than " + std::to_string(max));
  if (std::any_of(value.begin(), value.end(), IsControl))
    return Status::InvalidArgument(f + ": contains a control character");
  return CheckUtf8(f, value);
}

}  // namespace

Status ValidateEmail(std::string_view email) {
  // A practical check, not RFC 5322: what a shop can send mail to. The message never repeats
  // the address: errors end up in logs, and an email address is personal data.
  if (email.empty()) return Status::InvalidArgument("email: is required");
  if (email.size() > kMaxEmailBytes)
    return Status::InvalidArgument("email: is " + std::to_string(email.size()) +
                                   " bytes, more than " + std::to_string(kMaxEmailBytes));
  for (char ch : email)
    if (IsControl(ch) || ch == ' ')
      return Status::InvalidArgument("email: contains a space or a control character");
  COMMERCE_RETURN_IF_ERROR(CheckUtf8("email", email));
  size_t at = email.find('@');
  if (at == std::string_view::npos || email.find('@', at + 1) != std::string_view::npos)
    return Status::InvalidArgument("email: must contain exactly one '@'");
  std::string_view local = email.substr(0, at), domain = email.substr(at + 1);
  if (local.empty()) return Status::InvalidArgument("email: nothing before the '@'");
  if (local.size() > 64) return Status::InvalidArgument("email: more than 64 bytes before the '@'");
  if (domain.find('.') == std::string_view::npos)
    return Status::InvalidArgument("email: the domain after the '@' must contain a dot");
  if (domain.front() == '.' || domain.back() == '.' || domain.find("..") != std::string_view::npos)
    return Status::InvalidArgument("email: the domain after the '@' has an empty label");
  return Status::OK();
}

Status ValidateAddress(const Address& a, std::string_view field) {
  std::string f(field);
  COMMERCE_RETURN_IF_ERROR(CheckText(f + ".name", a.name, 1, 200));
  COMMERCE_RETURN_IF_ERROR(CheckText(f + ".line1", a.line1, 1, 200));
  COMMERCE_RETURN_IF_ERROR(CheckText(f + ".line2", a.line2, 0, 200));
  COMMERCE_RETURN_IF_ERROR(CheckText(f + ".city", a.city, 1, 100));
  COMMERCE_RETURN_IF_ERROR(CheckText(f + ".postal_code", a.postal_code, 0, 20));
  COMMERCE_RETURN_IF_ERROR(CheckText(f + ".region", a.region, 1, 64));
  if (a.country.size() != 2 || !std::all_of(a.country.begin(), a.country.end(),
                                            [](char ch) { return ch >= 'A' && ch <= 'Z'; }))
    return Status::InvalidArgument(f + ".country: must be an ISO 3166-1 alpha-2 code in upper case, e.g. US");
  return Status::OK();
}

Status ValidateCustomer(const Customer& c) {
  COMMERCE_RETURN_IF_ERROR(ValidateEmail(c.email));
  COMMERCE_RETURN_IF_ERROR(CheckText("name", c.name, 0, 200));
  if (c.addresses.size() > kMaxAddresses)
    return Status::InvalidArgument("addresses: " + std::to_string(c.addresses.size()) +
                                   " given, at most " + std::to_string(kMaxAddresses));
  for (size_t i = 0; i < c.addresses.size(); ++i)
    COMMERCE_RETURN_IF_ERROR(ValidateAddress(c.addresses[i], "addresses[" + std::to_string(i) + "]"));
  return CheckSelectorKey("group", c.group);
}

}  // namespace commerce
