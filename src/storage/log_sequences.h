// The next sequence number of each log table (WriteTxn::append), kept in memory by a driver's
// writer so that an append costs no seek: the first append to a table after open finds the
// table's last key once; later ones count on from there. Sequences handed out by a write that
// then fails (or by a group that does not commit) are taken back with mark() and rollback(),
// so that the log stays gapless.
//
// Thread safety: used only by the writer (whichever thread holds the writer's turn).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "commerce/storage.h"

namespace commerce {

// The largest sequence in `log` (0 when empty): its last key, 8 bytes big-endian. Corruption
// when that key is not 8 bytes.
Result<uint64_t> LastLogSequence(ReadView& view, Table log);

// The key of sequence `seq` in a log table.
std::string LogKey(uint64_t seq);

class LogSequences {
 public:
  using Mark = std::vector<std::pair<uint32_t, uint64_t>>;

  // The sequence the next entry of `log` gets, counted as handed out; `view` (the writer's
  // transaction) is read for the table's last key the first time.
  Result<uint64_t> next(ReadView& view, Table log);

  // What rollback() returns to. Cheap: a copy of one entry per log table in use.
  Mark mark() const { return last_; }
  void rollback(const Mark& m) { last_ = m; }

 private:
  Mark last_;  // (table id, last sequence handed out)
};

}  // namespace commerce
