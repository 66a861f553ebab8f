// Reading one stored record by key: the get, the NotFound, the decode and its context, in one
// place for every record type (products, warehouses, orders, carts, customers, webhooks).
//
//   Result<Product> p = GetRecord<Product>(view, t.products, key, id, "product", DecodeProduct);
//   // absent:        NotFound   "no product with id 'p-1'"
//   // undecodable:   Corruption "product 'p-1': product record does not decode (...)"
// and DecodeRecord for a value that ReadView::read_many read among others.
//
// Thread safety: as the ReadView it reads from (one thread).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "commerce/status.h"
#include "commerce/storage.h"

namespace commerce {

// `decode` is Status(std::string_view key, std::string_view bytes, T* out) (the record codecs'
// signature: the key names the record in Corruption). `noun` names the record type in
// messages; `id` is the caller's name for the record (its key's text). `bytes` is the value
// read, or null when the key is absent (NotFound).
template <typename T, typename DecodeFn>
Result<T> DecodeRecord(const std::string_view* bytes, std::string_view key, std::string_view id,
                       const char* noun, DecodeFn&& decode) {
  if (bytes == nullptr)
    return Status::NotFound("no " + std::string(noun) + " with id '" + std::string(id) + "'");
  T out;
  Status s = decode(key, *bytes, &out);
  if (!s.ok()) return s.WithContext(std::string(noun) + " '" + std::string(id) + "'");
  return out;
}

template <typename T, typename DecodeFn>
Result<T> GetRecord(ReadView& view, Table table, std::string_view key, std::string_view id,
                    const char* noun, DecodeFn&& decode) {
  std::string_view bytes;
  Status s = view.get(table, key, &bytes);
  if (s.IsNotFound()) return DecodeRecord<T>(nullptr, key, id, noun, decode);
  COMMERCE_RETURN_IF_ERROR(s);
  return DecodeRecord<T>(&bytes, key, id, noun, decode);
}

// A value of ReadView::read_many, decoded as GetRecord decodes the one it reads.
template <typename T, typename DecodeFn>
Result<T> DecodeRecord(const std::optional<std::string>& value, std::string_view key,
                       std::string_view id, const char* noun, DecodeFn&& decode) {
  if (!value) return DecodeRecord<T>(nullptr, key, id, noun, decode);
  const std::string_view bytes = *value;
  return DecodeRecord<T>(&bytes, key, id, noun, decode);
}

}  // namespace commerce
