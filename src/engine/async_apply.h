// EngineCore::Apply (engine_core.h) without blocking the caller on the group commit: the
// asynchronous write path (Orders::place_async), so that a server's worker threads hand a
// prepared write to the writer and go on serving, and groups grow with load rather than with
// the number of threads.
//
//   prepare(ReadView&, ChangeSet&) -> Status   as for EngineCore::Apply; shared, since it runs
//                                               later on the writer when a check fails
//   done(Result<ApplyResult>)                  called exactly once
//
// The first preparation runs on the calling thread against a snapshot; an error there, or an
// empty set, is answered on the calling thread before ApplyAsync returns. Otherwise `done` runs
// on the storage's writer thread once the set is durable (or has failed). When a check fails the
// write is not prepared again against snapshots (that would be reads on the writer's thread):
// it goes straight to EngineCore::Apply's last step, prepared on the writer over the next
// group's transaction, where what it reads is current -- it applies, or answers the error the
// current data gives. So `done` must be quick and must not wait for writes.
#pragma once

#include <functional>
#include <memory>
#include <utility>

#include "engine/engine_core.h"
#include "storage/change_apply.h"

namespace commerce {

using ApplyCallback = std::function<void(Result<ApplyResult>)>;

template <typename Prepare>
void ApplyAsync(EngineCore* core, std::shared_ptr<Prepare> prepare, WriteOptions options,
                ApplyCallback done) {
  ChangeSet changes;
  {
    auto snapshot = core->storage->read();
    if (!snapshot.ok()) return done(snapshot.status());
    Status s = (*prepare)(static_cast<ReadView&>(**snapshot), changes);
    if (!s.ok()) return done(std::move(s));
  }  // the snapshot ends before the write is queued
  if (changes.empty()) return done(ApplyResult{});
  core->storage->apply_async(
      std::move(changes), options,
      [core, prepare, options, done = std::move(done)](ApplyResult r) mutable {
        if (r.status.ok()) {
          if (!r.seqs.empty()) core->notifier.Notify();
          return done(std::move(r));
        }
        if (!r.check_failed()) return done(std::move(r.status));
        core->prepared_on_writer.fetch_add(1, std::memory_order_relaxed);
        auto applied = std::make_shared<ApplyResult>();
        core->storage->write_async(
            [prepare, applied](WriteTxn& txn) -> Status {
              *applied = ApplyResult{};
              ChangeSet again;
              COMMERCE_RETURN_IF_ERROR((*prepare)(static_cast<ReadView&>(txn), again));
              if (again.empty()) return Status::OK();
              COMMERCE_RETURN_IF_ERROR(again.status());
              COMMERCE_RETURN_IF_ERROR(ApplyChangeSet(txn, again, applied.get()));
              return applied->status;  // a check that fails on what it just read: Conflict
            },
            options, [core, applied, done = std::move(done)](Status s) {
              if (!s.ok()) return done(std::move(s));
              if (!applied->seqs.empty()) core->notifier.Notify();
              done(std::move(*applied));
            });
      });
}

}  // namespace commerce
