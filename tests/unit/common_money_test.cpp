#include <catch2/catch.hpp>

#include "commerce/money.h"

namespace common_money_test {

using commerce::CurrencyExponent;
using commerce::FormatMoney;
using commerce::IsKnownCurrency;
using commerce::kMaxMoneyMinor;
using commerce::Money;
using commerce::ParseMoney;

namespace {

int64_t Minor(std::string_view text, std::string_view currency = "USD", bool allow_negative = false) {
  auto r = ParseMoney(text, currency, allow_negative);
  INFO(text << " " << currency << ": " << r.status().ToString());
  REQUIRE(r.ok());
  CHECK(r->currency == currency);
  return r->minor;
}

std::string Rejected(std::string_view text, std::string_view currency = "USD", bool allow_negative = false) {
  auto r = ParseMoney(text, currency, allow_negative);
  INFO("'" << text << "' " << currency << " should be rejected");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().IsInvalidArgument());
  return r.error().message();
}

}  // namespace

TEST_CASE("currency table knows active codes and their exponents", "[money]") {
  for (const char* two : {"USD", "EUR", "GBP", "CHF", "CNY", "INR", "BRL", "MXN", "ZAR", "SEK"}) {
    INFO(two);
    CHECK(IsKnownCurrency(two));
    CHECK(CurrencyExponent(two) == 2);
  }
  for (const char* zero : {"JPY", "KRW", "CLP", "ISK", "VND", "XAF", "XOF", "XPF", "PYG", "UGX"}) {
    INFO(zero);
    CHECK(CurrencyExponent(zero) == 0);
  }
  for (const char* three : {"BHD", "KWD", "OMR", "JOD", "TND", "LYD", "IQD"}) {
    INFO(three);
    CHECK(CurrencyExponent(three) == 3);
  }
  CHECK(CurrencyExponent("CLF") == 4);
  CHECK(CurrencyExponent("UYW") == 4);
}

TEST_CASE("unknown, withdrawn and malformed currency codes are not known", "[money]") {
  for (const char* code : {"", "usd", "US", "USDX", "XYZ", "HRK", "DEM", "XAU", "XXX", "ZWL"}) {
    INFO(code);
    CHECK_FALSE(IsKnownCurrency(code));
    CHECK(CurrencyExponent(code) == -1);
  }
}

TEST_CASE("ParseMoney reads decimals exactly", "[money]") {
  CHECK(Minor("49.99") == 4999);
  CHECK(Minor("49.9") == 4990);
  CHECK(Minor("49") == 4900);
  CHECK(Minor("0") == 0);
  CHECK(Minor("0.01") == 1);
  CHECK(Minor("007.50") == 750);
  // The classic float trap: 0.1 + 0.2 style values must be exact.
  CHECK(Minor("0.29") == 29);
  CHECK(Minor("1.005", "BHD") == 1005);
  CHECK(Minor("1.5", "BHD") == 1500);
  CHECK(Minor("500", "JPY") == 500);
  CHECK(Minor("1.2345", "CLF") == 12345);
  CHECK(Minor("-0.5", "USD", true) == -50);
  CHECK(Minor("-0", "USD", true) == 0);
}

TEST_CASE("ParseMoney accepts the limit and rejects past it", "[money]") {
  CHECK(Minor("10000000000000.00") == kMaxMoneyMinor);
  CHECK(Minor("1000000000000000", "JPY") == kMaxMoneyMinor);
  CHECK(Rejected("10000000000000.01").find("too large") != std::string::npos);
  CHECK(Rejected("1000000000000001", "JPY").find("too large") != std::string::npos);
  // Far past int64: must not overflow on the way.
  CHECK(Rejected("99999999999999999999999999999").find("too large") != std::string::npos);
  CHECK(Minor("-10000000000000.00", "USD", true) == -kMaxMoneyMinor);
}

TEST_CASE("ParseMoney rejects malformed text and says what is expected", "[money]") {
  CHECK(Rejected(".5").find("before the decimal point") != std::string::npos);
  CHECK(Rejected("5.").find("after the decimal point") != std::string::npos);
  CHECK(Rejected("1e3").find("unexpected 'e'") != std::string::npos);
  CHECK(Rejected("1,299").find("unexpected ','") != std::string::npos);
  CHECK(Rejected("1,299.00").find("unexpected ','") != std::string::npos);
  CHECK(Rejected("+5").find("leading '+'") != std::string::npos);
  CHECK(Rejected("").find("empty") != std::string::npos);
  CHECK(Rejected(" 5").find("not a number") != std::string::npos);
  CHECK(Rejected("5 ").find("unexpected ' '") != std::string::npos);
  CHECK(Rejected("$5").find("not a number") != std::string::npos);
  CHECK(Rejected("12.345").find("too many decimals") != std::string::npos);
  CHECK(Rejected("1.5", "JPY").find("JPY has no minor units") != std::string::npos);
  CHECK(Rejected("1.0001", "BHD").find("too many decimals") != std::string::npos);
  CHECK(Rejected("-1").find("negative") != std::string::npos);
  CHECK(Rejected("--1", "USD", true).find("not a number") != std::string::npos);
  CHECK(Rejected("0x10").find("unexpected 'x'") != std::string::npos);
  CHECK(Rejected("NaN").find("not a number") != std::string::npos);

  // Every message quotes the input and states the expected form.
  const std::string m = Rejected("12.345");
  CHECK(m.find("'12.345' for USD") != std::string::npos);
  CHECK(m.find("up to 2 decimals") != std::string::npos);
  CHECK(Rejected("1.5", "JPY").find("whole units") != std::string::npos);
}

TEST_CASE("ParseMoney rejects an unknown currency", "[money]") {
  auto r = ParseMoney("1.00", "XYZ");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().IsInvalidArgument());
  CHECK(r.error().message().find("unknown currency 'XYZ'") != std::string::npos);
}

TEST_CASE("FormatMoney writes the currency's decimals", "[money]") {
  CHECK(FormatMoney({4999, "USD"}) == "49.99");
  CHECK(FormatMoney({4990, "USD"}) == "49.90");
  CHECK(FormatMoney({5, "USD"}) == "0.05");
  CHECK(FormatMoney({0, "USD"}) == "0.00");
  CHECK(FormatMoney({-50, "USD"}) == "-0.50");
  CHECK(FormatMoney({500, "JPY"}) == "500");
  CHECK(FormatMoney({1005, "BHD"}) == "1.005");
  CHECK(FormatMoney({12345, "CLF"}) == "1.2345");
  CHECK(FormatMoney({kMaxMoneyMinor, "USD"}) == "10000000000000.00");
  CHECK(FormatMoney({INT64_MIN, "USD"}) == "-92233720368547758.08");
  CHECK(FormatMoney({123, "???"}) == "123");  // no exponent known: raw minor units
}

TEST_CASE("FormatMoney and ParseMoney round-trip", "[money]") {
  for (const char* currency : {"USD", "JPY", "BHD", "CLF"}) {
    for (int64_t minor : {int64_t{0}, int64_t{1}, int64_t{99}, int64_t{100}, int64_t{123456789}, kMaxMoneyMinor}) {
      const Money m{minor, currency};
      auto back = ParseMoney(FormatMoney(m), currency);
      REQUIRE(back.ok());
      CHECK(*back == m);
    }
  }
}

}  // namespace common_money_test
