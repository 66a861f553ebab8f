// Money: the ISO 4217 currency table, exact decimal parsing and formatting (money.h).
//
// Amounts never pass through a floating-point type: ParseMoney reads the digits of the text
// one by one into an int64, so "0.1" + "0.2" is 30 minor units, not 30.000000000000004.
#include "commerce/money.h"

#include <algorithm>
#include <string>

namespace commerce {

namespace {

struct CurrencyInfo {
  char code[4];
  int8_t exponent;
};

// Active ISO 4217 alphabetic codes (List One, as amended through 2025) with their minor
// units, sorted by code for binary search. Left out on purpose: codes whose minor unit is
// "N.A." (precious metals XAU/XAG/XPT/XPD, bond-market units XBA..XBD, XDR, XSU, XUA, and the
// XTS/XXX placeholders): nothing is priced in them, and an exponent is needed to parse a
// price. Codes withdrawn from the list (HRK 2023, SLL, CUC, ZWL, VEF, MRO, STD) are gone
// too, so a stale feed is caught at import rather than priced in a dead currency. ANG stays
// until its withdrawal alongside its successor XCG.
constexpr CurrencyInfo kCurrencies[] = {
    {"AED", 2}, {"AFN", 2}, {"ALL", 2}, {"AMD", 2}, {"ANG", 2}, {"AOA", 2}, {"ARS", 2},
    {"AUD", 2}, {"AWG", 2}, {"AZN", 2}, {"BAM", 2}, {"BBD", 2}, {"BDT", 2}, {"BGN", 2},
    {"BHD", 3}, {"BIF", 0}, {"BMD", 2}, {"BND", 2}, {"BOB", 2}, {"BOV", 2}, {"BRL", 2},
    {"BSD", 2}, {"BTN", 2}, {"BWP", 2}, {"BYN", 2}, {"BZD", 2}, {"CAD", 2}, {"CDF", 2},
    {"CHE", 2}, {"CHF", 2}, {"CHW", 2}, {"CLF", 4}, {"CLP", 0}, {"CNY", 2}, {"COP", 2},
    {"COU", 2}, {"CRC", 2}, {"CUP", 2}, {"CVE", 2}, {"CZK", 2}, {"DJF", 0}, {"DKK", 2},
    {"DOP", 2}, {"DZD", 2}, {"EGP", 2}, {"ERN", 2}, {"ETB", 2}, {"EUR", 2}, {"FJD", 2},
    {"FKP", 2}, {"GBP", 2}, {"GEL", 2}, {"GHS", 2}, {"GIP", 2}, {"GMD", 2}, {"GNF", 0},
    {"GTQ", 2}, {"GYD", 2}, {"HKD", 2}, {"HNL", 2}, {"HTG", 2}, {"HUF", 2}, {"IDR", 2},
    {"ILS", 2}, {"INR", 2}, {"IQD", 3}, {"IRR", 2}, {"ISK", 0}, {"JMD", 2}, {"JOD", 3},
    {"JPY", 0}, {"KES", 2}, {"KGS", 2}, {"KHR", 2}, {"KMF", 0}, {"KPW", 2}, {"KRW", 0},
    {"KWD", 3}, {"KYD", 2}, {"KZT", 2}, {"LAK", 2}, {"LBP", 2}, {"LKR", 2}, {"LRD", 2},
    {"LSL", 2}, {"LYD", 3}, {"MAD", 2}, {"MDL", 2}, {"MGA", 2}, {"MKD", 2}, {"MMK", 2},
    {"MNT", 2}, {"MOP", 2}, {"MRU", 2}, {"MUR", 2}, {"MVR", 2}, {"MWK", 2}, {"MXN", 2},
    {"MXV", 2}, {"MYR", 2}, {"MZN", 2}, {"NAD", 2}, {"NGN", 2}, {"NIO", 2}, {"NOK", 2},
    {"NPR", 2}, {"NZD", 2}, {"OMR", 3}, {"PAB", 2}, {"PEN", 2}, {"PGK", 2}, {"PHP", 2},
    {"PKR", 2}, {"PLN", 2}, {"PYG", 0}, {"QAR", 2}, {"RON", 2}, {"RSD", 2}, {"RUB", 2},
    {"RWF", 0}, {"SAR", 2}, {"SBD", 2}, {"SCR", 2}, {"SDG", 2}, {"SEK", 2}, {"SGD", 2},
    {"SHP", 2}, {"SLE", 2}, {"SOS", 2}, {"SRD", 2}, {"SSP", 2}, {"STN", 2}, {"SVC", 2},
    {"SYP", 2}, {"SZL", 2}, {"THB", 2}, {"TJS", 2}, {"TMT", 2}, {"TND", 3}, {"TOP", 2},
    {"TRY", 2}, {"TTD", 2}, {"TWD", 2}, {"TZS", 2}, {"UAH", 2}, {"UGX", 0}, {"USD", 2},
    {"USN", 2}, {"UYI", 0}, {"UYU", 2}, {"UYW", 4}, {"UZS", 2}, {"VED", 2}, {"VES", 2},
    {"VND", 0}, {"VUV", 0}, {"WST", 2}, {"XAF", 0}, {"XCD", 2}, {"XCG", 2}, {"XOF", 0},
    {"XPF", 0}, {"YER", 2}, {"ZAR", 2}, {"ZMW", 2}, {"ZWG", 2},
};

constexpr bool IsSortedByCode() {
  for (size_t i = 1; i < std::size(kCurrencies); ++i) {
    if (!(std::string_view(kCurrencies[i - 1].code) < std::string_view(kCurrencies[i].code))) {
      return false;
    }
  }
  return true;
}
static_assert(IsSortedByCode(), "kCurrencies must stay sorted and unique: FindCurrency bisects it");

const CurrencyInfo* FindCurrency(std::string_view code) {
  if (code.size() != 3) return nullptr;
  auto less = [](const CurrencyInfo& c, std::string_view k) { return std::string_view(c.code) < k; };
  const auto* it = std::lower_bound(std::begin(kCurrencies), std::end(kCurrencies), code, less);
  if (it == std::end(kCurrencies) || std::string_view(it->code) != code) return nullptr;
  return it;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// "'1,299' for USD: " — every ParseMoney message starts by quoting what it was given.
std::string Quote(std::string_view text, std::string_view currency) {
  std::string q = "'";
  q.append(text.substr(0, 64));  // a megabyte of garbage should not become the message
  if (text.size() > 64) q += "...";
  q += "' for ";
  q += currency;
  q += ": ";
  return q;
}

std::string Expected(int exponent) {
  if (exponent == 0) return "expected whole units without a decimal point, e.g. 1299";
  std::string e = "expected digits with an optional '.' and up to ";
  e += std::to_string(exponent);
  e += exponent == 1 ? " decimal, e.g. 1299." : " decimals, e.g. 1299.";
  e.append(static_cast<size_t>(exponent), '0');
  return e;
}

}  // namespace

bool IsKnownCurrency(std::string_view code) { return FindCurrency(code) != nullptr; }

int CurrencyExponent(std::string_view code) {
  const CurrencyInfo* c = FindCurrency(code);
  return c ? c->exponent : -1;
}

Result<Money> ParseMoney(std::string_view text, std::string_view currency, bool allow_negative) {
  const CurrencyInfo* info = FindCurrency(currency);
  if (!info) {
    return Status::InvalidArgument("unknown currency '" + std::string(currency.substr(0, 16)) +
                                   "': expected an active ISO 4217 code in upper case, e.g. USD");
  }
  const int exponent = info->exponent;
  auto fail = [&](std::string_view what) -> Status {
    return Status::InvalidArgument(Quote(text, currency) + std::string(what) + "; " +
                                   Expected(exponent));
  };
  if (text.empty()) return fail("empty amount");

  size_t i = 0;
  bool negative = false;
  if (text[0] == '-') {
    if (!allow_negative) return fail("negative amount (zero or more is required)");
    negative = true;
    i = 1;
  } else if (text[0] == '+') {
    return fail("leading '+'");
  }

  int64_t minor = 0;
  // Digits are accumulated as if the text had exactly `exponent` decimals, checking the
  // bound at every step so no intermediate value can overflow int64.
  auto push_digit = [&](char c) {
    minor = minor * 10 + (c - '0');
    return minor <= kMaxMoneyMinor;
  };
  const size_t int_start = i;
  for (; i < text.size() && IsDigit(text[i]); ++i) {
    if (!push_digit(text[i])) return fail("amount too large (the limit is 10^15 minor units)");
  }
  if (i == int_start) {
    if (i < text.size() && text[i] == '.') return fail("no digit before the decimal point");
    return fail("not a number");
  }
  int decimals = 0;
  if (i < text.size() && text[i] == '.') {
    if (exponent == 0) return fail(std::string(currency) + " has no minor units");
    ++i;
    const size_t frac_start = i;
    for (; i < text.size() && IsDigit(text[i]); ++i) {
      if (++decimals > exponent) return fail("too many decimals");
      if (!push_digit(text[i])) return fail("amount too large (the limit is 10^15 minor units)");
    }
    if (i == frac_start) return fail("no digit after the decimal point");
  }
  if (i < text.size()) {
    std::string what = "unexpected '";
    what += text[i];
    what += "'";
    return fail(what);
  }
  for (; decimals < exponent; ++decimals) {
    if (!push_digit('0')) return fail("amount too large (the limit is 10^15 minor units)");
  }
  return Money{negative ? -minor : minor, std::string(currency)};
}

std::string FormatMoney(const Money& m) {
  // An unknown currency has no known exponent: show the raw minor units rather than invent
  // a decimal point.
  const int exponent = std::max(CurrencyExponent(m.currency), 0);
  // Work on the magnitude as unsigned so INT64_MIN does not overflow on negation.
  const uint64_t magnitude =
      m.minor < 0 ? uint64_t{0} - static_cast<uint64_t>(m.minor) : static_cast<uint64_t>(m.minor);
  std::string digits = std::to_string(magnitude);
  if (digits.size() <= static_cast<size_t>(exponent)) {
    digits.insert(0, static_cast<size_t>(exponent) + 1 - digits.size(), '0');
  }
  if (exponent > 0) digits.insert(digits.size() - static_cast<size_t>(exponent), 1, '.');
  if (m.minor < 0) digits.insert(0, 1, '-');
  return digits;
}

}  // namespace commerce
