#include "engine/lease.h"

#include "common/ids.h"
#include "common/key.h"

namespace commerce {

Lease::Lease(Storage* storage, Table meta, std::string name, std::chrono::milliseconds ttl)
    : storage_(storage),
      meta_(meta),
      name_(std::move(name)),
      key_(KeyBuilder().str("lease").str(name_).key()),
      ttl_(ttl),
      holder_(RandomId("h-")) {}

std::string Lease::Encode(const Row& row) { return KeyBuilder().str(row.holder).u64(row.epoch).key(); }

Status Lease::Decode(std::string_view v, Row* row) {
  KeyReader r(v);
  auto holder = r.str();
  auto epoch = r.u64();
  if (!holder || !epoch || !r.done()) return Status::Corruption("a lease row does not decode");
  row->holder = std::move(*holder);
  row->epoch = *epoch;
  return Status::OK();
}

bool Lease::Held() {
  const Clock::time_point now = Clock::now();
  if (now >= next_look_) {
    next_look_ = now + ttl_ / 3;
    // A failed look changes nothing: a holder that cannot renew stops acting on its own
    // clock below; a contender that cannot look does not count the time as silence.
    (void)(holding_ ? Renew(now) : LookOrTake(now));
  }
  return holding_ && Clock::now() - renewed_at_ < ttl_ / 2;
}

Status Lease::Check(WriteTxn& txn) const {
  std::string_view v;
  Status s = txn.get(meta_, key_, &v);
  Row row;
  if (s.ok()) s = Decode(v, &row);
  if (s.IsNotFound() || (s.ok() && !(row == Row{holder_, epoch_})))
    return Status::FailedPrecondition("lease '" + name_ + "' is no longer held by this process");
  return s;
}

Status Lease::Renew(Clock::time_point start) {
  bool lost = false;
  Status s = storage_->write([&](WriteTxn& txn) -> Status {
    lost = false;
    Status held = Check(txn);
    if (held.IsFailedPrecondition()) {
      lost = true;
      return Status::OK();
    }
    COMMERCE_RETURN_IF_ERROR(held);
    return txn.put(meta_, key_, Encode({holder_, epoch_ + 1}));
  });
  if (!s.ok()) return s;
  if (lost) {
    holding_ = false;
    seen_ = false;
    return Status::OK();
  }
  ++epoch_;
  renewed_at_ = start;
  return Status::OK();
}

Status Lease::Release() {
  if (!holding_) return Status::OK();
  holding_ = false;
  seen_ = false;
  return storage_->write([&](WriteTxn& txn) -> Status {
    Status held = Check(txn);
    if (held.IsFailedPrecondition()) return Status::OK();  // lost already: nothing to give
    COMMERCE_RETURN_IF_ERROR(held);
    return txn.put(meta_, key_, Encode({"", epoch_ + 1}));
  });
}

Status Lease::LookOrTake(Clock::time_point start) {
  Row row;
  bool present = false;
  {
    COMMERCE_ASSIGN_OR_RETURN(auto txn, storage_->read());
    std::string_view v;
    Status s = txn->get(meta_, key_, &v);
    if (s.ok()) {
      COMMERCE_RETURN_IF_ERROR(Decode(v, &row));
      present = true;
    } else if (!s.IsNotFound()) {
      return s;
    }
  }
  // A row with no holder was given up (Release): taken at once, as an absent one is.
  const bool given_up = present && row.holder.empty();
  if (present && !given_up && (!seen_ || !(row == seen_row_))) {
    // It changed: its holder is alive (or a new one took it). Count silence from now.
    seen_ = true;
    seen_row_ = row;
    seen_at_ = start;
    return Status::OK();
  }
  if (present && !given_up && start - seen_at_ < ttl_) return Status::OK();
  // Absent, given up, or silent for a whole ttl: take it, if it is still what we saw.
  const uint64_t next = present ? row.epoch + 1 : 1;
  bool taken = false;
  COMMERCE_RETURN_IF_ERROR(storage_->write([&](WriteTxn& txn) -> Status {
    taken = false;
    std::string_view v;
    Status s = txn.get(meta_, key_, &v);
    Row now_row;
    if (s.ok()) {
      COMMERCE_RETURN_IF_ERROR(Decode(v, &now_row));
      if (!present || !(now_row == row)) return Status::OK();  // someone was quicker
    } else if (!s.IsNotFound()) {
      return s;
    } else if (present) {
      return Status::OK();
    }
    taken = true;
    return txn.put(meta_, key_, Encode({holder_, next}));
  }));
  seen_ = false;  // look afresh next time, whatever happened
  if (!taken) return Status::OK();
  holding_ = true;
  epoch_ = next;
  renewed_at_ = start;
  return Status::OK();
}

}  // namespace commerce
