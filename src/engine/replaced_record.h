// The stored record an update or removal replaces: read, decoded and held to the caller's
// if_version, the same way for every versioned record (channels, customers, price lists,
// promotions, coupons). The caller expects `bytes` unchanged at commit when it writes, so a
// concurrent write makes it prepare again rather than overwrite what it did not read.
//
// Thread safety: a pure function over the caller's view.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "commerce/status.h"
#include "commerce/storage.h"

namespace commerce {

template <class Record>
struct ReplacedRecord {
  std::string bytes;  // as stored: what the write expects unchanged
  Record record;
};

// Conflict naming the record and both versions: what a stale if_version answers.
Status StaleVersion(std::string_view noun, std::string_view id, uint64_t stored, uint64_t given);

// The record under `key`: NotFound ("no <noun> with id '<id>'") when absent, the decoder's
// error (Corruption) when damaged, StaleVersion when if_version is given and is not the
// stored record's version. `decode(key, bytes, Record*)` is the record's decoder.
template <class Record, class Decode>
Result<ReplacedRecord<Record>> ReadReplaced(ReadView& view, Table table, const std::string& key,
                                            std::string_view noun, std::string_view id,
                                            std::optional<uint64_t> if_version, Decode decode) {
  std::string_view bytes;
  Status s = view.get(table, key, &bytes);
  if (s.IsNotFound())
    return Status::NotFound("no " + std::string(noun) + " with id '" + std::string(id) + "'");
  if (!s.ok()) return s;
  ReplacedRecord<Record> r{std::string(bytes), Record{}};
  s = decode(key, r.bytes, &r.record);
  if (!s.ok()) return s;
  if (if_version && *if_version != r.record.version)
    return StaleVersion(noun, id, r.record.version, *if_version);
  return r;
}

}  // namespace commerce
