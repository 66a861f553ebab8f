// A lease, so that a durable consumer (cart expiry, webhook delivery) runs in one process at a
// time on a store that several processes share (a kRemote driver), and is taken over when its
// holder dies. docs/scaling.md ("Durable consumers") gives the argument; in short:
//
//   - the lease is a row (holder, epoch) in the meta table; the holder renews it by writing
//     epoch + 1 every third of the ttl;
//   - every other process reads the row at the same pace and notes, on its own monotonic
//     clock, when it last saw it change; after a whole ttl without a change it writes itself
//     as holder, in a transaction that re-reads the row (of two contenders one wins);
//   - the holder stops acting once its last successful renewal began more than half a ttl
//     ago: before anyone can take over, since a contender counts from a moment after that
//     renewal committed;
//   - writes that move a consumer's state call Check() in their own transaction, so a holder
//     that was paused past its lease (a stopped process) cannot overwrite its successor's;
//   - a holder that closes gives the lease up (Release: the row with no holder), and a
//     contender takes a given-up lease at its next look, without waiting a ttl: a restart of
//     a process pauses the consumer a third of a ttl, not a whole one.
//
// No wall clocks of two hosts are compared. Not thread-safe: one consumer thread calls Held()
// and Check() (Check() may run on the storage's writer thread inside that thread's write).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "commerce/storage.h"

namespace commerce {

class Lease {
 public:
  // `name`: the consumer's, 1..64 of [a-z0-9_.-]. `ttl`: how long a silent holder keeps it.
  // The row lives in `meta` (the engine's meta table) of `storage`, which must outlive this.
  Lease(Storage* storage, Table meta, std::string name, std::chrono::milliseconds ttl);

  // True when this process holds the lease now and may act. Renews it, or looks at it and
  // takes it over, when a third of the ttl has passed since the last look; cheap otherwise.
  bool Held();

  // Inside a write transaction: OK when the row still names this holder at the epoch it
  // last wrote; FailedPrecondition otherwise (the lease was lost: the write must not happen).
  Status Check(WriteTxn& txn) const;

  // Gives the lease up when this process holds it: the row then names no holder, and the
  // next contender takes it at its next look. Call it once this process has stopped acting
  // (the consumer's rounds are over): Held() takes the lease again if called after it.
  Status Release();

  // How often Held() must be called for the holder to renew in time.
  std::chrono::milliseconds look_interval() const { return ttl_ / 3; }
  const std::string& holder() const { return holder_; }
  uint64_t epoch() const { return epoch_; }

 private:
  using Clock = std::chrono::steady_clock;
  struct Row {
    std::string holder;
    uint64_t epoch = 0;
    bool operator==(const Row&) const = default;
  };
  static Status Decode(std::string_view v, Row* row);
  static std::string Encode(const Row& row);
  Status Renew(Clock::time_point start);
  Status LookOrTake(Clock::time_point start);

  Storage* storage_;
  const Table meta_;
  const std::string name_;
  const std::string key_;
  const std::chrono::milliseconds ttl_;
  const std::string holder_;  // random per Lease: a restarted process is a new holder

  bool holding_ = false;
  uint64_t epoch_ = 0;               // the epoch this process last wrote, while holding_
  Clock::time_point renewed_at_{};   // when the last successful renewal (or take) began
  Clock::time_point next_look_{};    // when Held() next does I/O
  bool seen_ = false;                // a row was seen (not holding): seen_row_, seen_at_
  Row seen_row_;
  Clock::time_point seen_at_{};      // when seen_row_ was first seen unchanged
};

}  // namespace commerce
