// Money: an exact amount in integer minor units of an ISO 4217 currency (4999 USD = $49.99).
// Never a float anywhere in commerce: prices are parsed from text digit by digit.
//
// Thread safety: values; the currency table is immutable.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "commerce/export.h"
#include "commerce/status.h"

namespace commerce {

struct Money {
  int64_t minor = 0;      // amount in minor units (cents for USD, yen for JPY)
  std::string currency;   // ISO 4217 alphabetic code, upper case: "USD"

  friend bool operator==(const Money&, const Money&) = default;
};

// True for an active ISO 4217 alphabetic code ("USD", "EUR", "JPY", ...).
COMMERCE_EXPORT bool IsKnownCurrency(std::string_view code);
// Digits after the decimal point for the currency: 2 for USD, 0 for JPY, 3 for BHD;
// -1 when unknown.
COMMERCE_EXPORT int CurrencyExponent(std::string_view code);

// Parses a decimal amount in major units ("49.99", "1,299.00" is rejected, "-0.5" is
// rejected unless allow_negative) for `currency` into minor units, exactly. InvalidArgument
// for malformed text, more decimals than the currency has, or an amount past
// kMaxMoneyMinor.
COMMERCE_EXPORT Result<Money> ParseMoney(std::string_view text, std::string_view currency,
                                         bool allow_negative = false);
// "49.99" for {4999, "USD"}; "500" for {500, "JPY"}.
COMMERCE_EXPORT std::string FormatMoney(const Money& m);

// The largest amount accepted anywhere (10^15 minor units): far above any real price. A line
// total (price x quantity, up to 10^21) can pass int64: engines multiply with overflow checks
// and reject line totals and order totals past this limit.
inline constexpr int64_t kMaxMoneyMinor = 1'000'000'000'000'000;

}  // namespace commerce
