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
// A record the group only looks at (expect, expect_absent, and nothing else of the group
// changes it) is locked in shared mode: a check needs the record to stay as read until the
// commit, which a shared lock gives (every writer of it takes the exclusive lock), and two
// groups that only check it -- every order of one product checks that product's record --
// need not wait for each other. Shared and exclusive locks taken in one ascending order still
// cannot wait in a circle.
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

// One lock of a group: the record's id, and whether the group only checks the record.
struct KeyLock {
  int64_t id = 0;
  bool shared = false;
};

// Sorts `locks` by id and keeps one per id, shared only when every lock of that id was: the
// order every group takes its locks in.
void SortLocks(std::vector<KeyLock>* locks);

// Takes the locks of $1 (int8[], sorted ids) in array order, each in shared mode where $2
// (int4[], one per id) is 1 and exclusive where it is 0; answers one row.
std::string KeyLocksSql();

}  // namespace commerce::postgres
