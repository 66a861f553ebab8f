// The postgres driver's native apply of checked changes (storage.h, ChangeSet).
//
// The default Storage::apply runs a set as a mutation: each read and each write of the set is
// a round trip while the group's transaction (and the store's write lock) is held. Here a run
// of consecutive change sets in a group is applied with two pipelined round trips, however many
// sets and changes it holds:
//   1. every record the run's checks need (expect, expect_absent, insert, add) and the last key
//      of every log it appends to, read in one pipeline;
//   2. the sets planned in order on the writer against what was read and the run's own earlier
//      changes (ApplyChangeSet over a PlannedTxn: the same checks and the same results as the
//      default path), then every write of the sets that passed, in one pipeline.
// The group's transaction took the store's write lock before its snapshot, so what step 1 reads
// cannot change before the group commits: the checks made on the writer hold at commit.
//
// A set is also still a Mutation (ChangeSetMutation): when it runs alone in a retried or
// in-doubt group, or through another path, the default ApplyChangeSet over the real transaction
// gives the same result.
//
// Thread safety: the writer thread only.
#pragma once

#include <memory>
#include <span>

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

// Applies `sets` in order inside the group's open transaction on `conn` (the store's write
// lock held, a savepoint open), leaving each set's outcome in its state->result, and ends with
// the savepoint released and opened again (as after a mutation). Non-OK (with *failure) when
// the group cannot go on: a lost connection, a serialization failure, a statement error.
Status ApplyRun(PgConnection& conn, const SchemaNames& names, std::span<ChangeSetState* const> sets,
                Failure* failure);

}  // namespace commerce::postgres
