// The postgres driver's native apply of checked changes (storage.h, ChangeSet).
//
// The default Storage::apply runs a set as a mutation: each read and each write of the set is
// a round trip while the group's transaction (and the store's write lock) is held. Here a run
// of consecutive change sets in a group is applied with two pipelined round trips, however many
// sets and changes it holds:
//   1. every record the run's checks need (expect, expect_absent, insert, add) and the last key
//      of every log it appends to, read in one pipeline -- one statement per table
//      (k = ANY($1)), not one per key;
//   2. the sets planned in order on the writer against what was read and the run's own earlier
//      changes (ApplyChangeSet over a PlannedTxn: the same checks and the same results as the
//      default path), then every write of the sets that passed, in one pipeline: each record's
//      last state only, one statement per table and kind (upsert, insert, delete), over arrays.
// The group's transaction took the store's write lock before its snapshot (or, beside other
// groups, the locks of the records it touches before reading them), so what step 1 reads cannot
// change before the group commits: the checks made on the writer hold at commit.
//
// The group commit sends its own statements in the same round trips (RunFrame): the group's
// BEGIN, lock and id ahead of step 1 when the run opens the group, its COMMIT behind step 2
// when the run ends it -- so a group of change sets alone costs two round trips in all, and
// holds the store's write lock for about one and a half of them plus its commit.
//
// A set is also still a Mutation (ChangeSetMutation): when it runs alone in a retried or
// in-doubt group, or through another path, the default ApplyChangeSet over the real transaction
// gives the same result.
//
// Thread safety: the writer thread only.
#pragma once

#include <memory>
#include <span>
#include <vector>

#include "commerce/storage.h"
#include "storage/postgres/pg_connection.h"
#include "storage/postgres/pg_schema.h"

namespace commerce::postgres {

// A change set on its way through the group writer, and what applying it did.
struct ChangeSetState {
  ChangeSet changes;
  ApplyResult result;
};

// The Mutation a change set travels as. Its call is the default path; the group commit finds
// these by type (std::function::target) and applies a run of them natively.
struct ChangeSetMutation {
  std::shared_ptr<ChangeSetState> state;
  Status operator()(WriteTxn& txn) const;
};

// What the group commit sends in a run's two round trips besides the run's own statements:
// `before` ahead of step 1's reads, `after` behind step 2's writes. The statements' strings
// and parameters must outlive the call.
//
// beside_others: the run is a whole group that runs beside other processes' groups, at READ
// COMMITTED, not under the store's exclusive lock. Step 1 then first locks every record the
// sets touch (pg_key_locks.h), and the sets' sequences are not counted from each log's
// newest key (another group may append before this one commits) but taken in step 2, after
// the other writes, from the logs' counter rows (pg_schema.h, kSeqTake), with the log entries
// and sequence slots filled in by the same statements' SQL: the row lock is held from there
// to the end of COMMIT, so groups commit in the order of their sequences, gapless.
struct RunFrame {
  std::vector<PgConnection::Piped> before, after;
  bool beside_others = false;
};

// Applies `sets` in order inside the group's transaction on `conn` (the store's write lock
// held, or taken by frame.before), leaving each set's outcome in its state->result. Non-OK
// (with *failure) when the group cannot go on: a lost connection, a serialization failure, a
// statement error; a checked insert that met a key (a writer without the store's write lock)
// is kRetry. *round_trip says which round trip failed (1 or 2; 0 when none did): a lost
// connection in round trip 2 leaves a COMMIT in frame.after in doubt.
Status ApplyRun(PgConnection& conn, const SchemaNames& names, std::span<ChangeSetState* const> sets,
                const RunFrame& frame, Failure* failure, int* round_trip);

}  // namespace commerce::postgres
