// The per-key locks of a group of change sets on the postgres driver (docs/scaling.md, "The
// write model and why").
//
// Groups made only of change sets run side by side across processes, at READ COMMITTED. What
// keeps their checks true until they commit is a transaction-scoped advisory lock per record
// their sets touch -- checked (expect, insert, add) and plain (put, del) alike, so that a
// plain put of one group cannot slip between another's check and its commit -- all taken in
// one statement, ahead of the group's reads, in ascending order of their ids, so that two
// groups never wait for each other in a circle. The id of a record is a 64-bit hash of the
// store's schema, the table's name and the key, the same in every process; two records whose
// ids collide are merely serialised together.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace commerce::postgres {

// The advisory lock id of record `key` of table `table` in the store of `schema`.
int64_t KeyLockId(std::string_view schema, std::string_view table, std::string_view key);

// Sorts and deduplicates `ids`: the order every group takes its locks in.
void SortLockIds(std::vector<int64_t>* ids);

// Takes the locks of $1 (int8[], sorted) in array order; answers one row.
std::string KeyLocksSql();

}  // namespace commerce::postgres
