// Binds include/commerce/money.h: Money is exact, integer minor units and a currency.
// Decimal conversions go through the engine's own ParseMoney / FormatMoney (text, digit by
// digit); a float is never accepted.
#include "commerce/money.h"

#include "bind.h"

namespace commerce::python {

void BindMoney(py::module_& m) {
  Value<Money>(m, "Money",
               "An exact amount: `minor` integer minor units (cents for USD, yen for JPY) of "
               "`currency` (ISO 4217, upper case). Money(minor=4999, currency='USD') is $49.99. "
               "Never a float: use Money.from_decimal(Decimal('49.99'), 'USD') and "
               "money.to_decimal().")
      .field("minor", &Money::minor, "Amount in integer minor units.")
      .field("currency", &Money::currency, "ISO 4217 alphabetic code, e.g. 'USD'.")
      .def("format", [](const Money& mo) { return FormatMoney(mo); },
           "The amount in major units as text, exactly: '49.99' for 4999 USD, '500' for 500 JPY.")
      .def_static(
          "parse",
          [](const std::string& text, const std::string& currency, bool allow_negative) {
            return ParseMoney(text, currency, allow_negative);
          },
          py::arg("text"), py::arg("currency"), py::arg("allow_negative").noconvert() = false,
          "Parses a decimal amount in major units ('49.99') exactly. InvalidArgument for "
          "malformed text, more decimals than the currency has, or an amount past "
          "MAX_MONEY_MINOR.");
  m.def("is_known_currency", &IsKnownCurrency, py::arg("code"),
        "True for an active ISO 4217 alphabetic code ('USD', 'EUR', 'JPY', ...).");
  m.def("currency_exponent", &CurrencyExponent, py::arg("code"),
        "Digits after the decimal point for the currency (2 for USD, 0 for JPY); -1 when unknown.");
  m.def("format_money", &FormatMoney, py::arg("money"), "'49.99' for Money(4999, 'USD').");
  m.def("parse_money", &ParseMoney, py::arg("text"), py::arg("currency"),
        py::arg("allow_negative").noconvert() = false, "Money.parse as a function.");
  m.attr("MAX_MONEY_MINOR") = kMaxMoneyMinor;
}

}  // namespace commerce::python
