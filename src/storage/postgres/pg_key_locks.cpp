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

void SortLocks(std::vector<KeyLock>* locks) {
  std::sort(locks->begin(), locks->end(),
            [](const KeyLock& a, const KeyLock& b) { return a.id < b.id; });
  size_t out = 0;
  for (size_t i = 0; i < locks->size(); ++i) {
    if (out > 0 && (*locks)[out - 1].id == (*locks)[i].id) {
      (*locks)[out - 1].shared = (*locks)[out - 1].shared && (*locks)[i].shared;  // a write wins
      continue;
    }
    (*locks)[out++] = (*locks)[i];
  }
  locks->resize(out);
}

std::string KeyLocksSql() {
  // A function scan yields the arrays in order and the aggregate consumes them row by row: the
  // locks are taken in the arrays' (sorted) order.
  return "SELECT count(CASE WHEN shared = 1 THEN pg_advisory_xact_lock_shared(id) "
         "ELSE pg_advisory_xact_lock(id) END) FROM unnest($1::int8[], $2::int4[]) AS u(id, shared)";
}

}  // namespace commerce::postgres
