// The customer's records: the stored record (table `customers`, key
// KeyBuilder().str(id), a cereal archive with a version) and the email index (table
// `customer_emails`, key KeyBuilder().str(ASCII-lower-cased email), value the customer id).
// Shared by the Customers API (customer.cpp), carts (a cart's customer must exist) and orders.
//
// Thread safety: pure functions, and reads of a transaction on that transaction's thread.
#pragma once

#include <string>
#include <string_view>

#include "commerce/customer.h"
#include "commerce/storage.h"
#include "engine/engine_core.h"

namespace commerce {

// NotFound ("no customer with id '<id>'") when absent; Corruption when it fails to decode.
Result<Customer> GetCustomerInTxn(ReadView& view, const Tables& t, std::string_view id);
// OK when the customer exists, NotFound otherwise; cheaper than GetCustomerInTxn (no decode).
Status CheckCustomerExistsInTxn(ReadView& view, const Tables& t, std::string_view id);

// The key of a customer in the `customers` table.
std::string CustomerKey(std::string_view id);

// Decodes a stored customer record; `key` is its storage key, named by Corruption.
Status DecodeCustomer(std::string_view key, std::string_view value, Customer* out);

// The email as the index keys it: ASCII letters lower-cased, everything else as given.
std::string EmailIndexKey(std::string_view email);

// The record's stored form (DecodeCustomer reads it back).
std::string EncodeCustomer(const Customer& c);

}  // namespace commerce
