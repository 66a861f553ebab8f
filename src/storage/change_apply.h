// Applying a ChangeSet (storage.h) through a WriteTxn: what every driver that stores bytes
// does on its writer, and what Storage::apply does by default (inside a mutation) for a
// driver that has no native path.
//
// Two phases, so that a failed check writes nothing and needs no nested transaction:
//   1. checks and computations, in order, against the current values (and the set's own
//      earlier changes): expect, expect_absent, insert's absence, add's new counters and
//      bounds. The first that fails ends the set with ApplyResult::failure set.
//   2. the writes, in order: puts, inserts, dels, the adds' new records, the appends (their
//      sequences allocated now, so a set that fails its checks takes no sequence number) and
//      the sequence slots.
// An error in phase 2 (I/O, a full map) leaves part of the set written: the caller must roll
// back the transaction holding it (the group, or the mutation's nested transaction).
//
// Thread safety: runs on the thread of `txn`.
#pragma once

#include "commerce/storage.h"

namespace commerce {

// On return out->status says what happened to the set: OK (applied: out->seqs and
// out->counters filled), Conflict (a check failed: out->failed_op, out->failure, out->current;
// nothing written), or the error of phase 1 (a read failed, a counters record is damaged:
// Corruption; nothing written). The function itself returns non-OK only for an error in
// phase 2, after which the caller must roll back. REQUIRES: changes.status().ok().
Status ApplyChangeSet(WriteTxn& txn, const ChangeSet& changes, ApplyResult* out);

}  // namespace commerce
