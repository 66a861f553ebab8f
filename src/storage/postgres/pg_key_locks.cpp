#include "storage/postgres/pg_key_locks.h"

#include <algorithm>

namespace commerce::postgres {

namespace {

// FNV-1a, 64 bits, over the parts with a separator that cannot occur in a schema or table
// name ([a-z0-9_]), so that ("ab", "c") and ("a", "bc") differ.
uint64_t KeyHashMix(uint64_t h, std::string_view bytes) {
  for (unsigned char c : bytes) h = (h ^ c) * 1099511628211ull;
  return h;
}

}  // namespace

int64_t KeyLockId(std::string_view schema, std::string_view table, std::string_view key) {
  uint64_t h = 14695981039346656037ull;
  h = KeyHashMix(h, schema);
  h = KeyHashMix(h, "/");
  h = KeyHashMix(h, table);
  h = KeyHashMix(h, "/");
  h = KeyHashMix(h, key);
  return static_cast<int64_t>(h);
}

void SortLockIds(std::vector<int64_t>* ids) {
  std::sort(ids->begin(), ids->end());
  ids->erase(std::unique(ids->begin(), ids->end()), ids->end());
}

std::string KeyLocksSql() {
  // A function scan yields the array in order and the aggregate consumes it row by row: the
  // locks are taken in the array's (sorted) order.
  return "SELECT count(pg_advisory_xact_lock(id)) FROM unnest($1::int8[]) AS id";
}

}  // namespace commerce::postgres
