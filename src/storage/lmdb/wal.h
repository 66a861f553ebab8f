// The LMDB driver's write-ahead log.
//
// Why it exists: a durable LMDB commit writes every page the transaction dirtied (a B-tree
// path per random key) and fsyncs twice; with random keys that caps a store at ~15-17k puts/s
// here. Appending a group's redo records to a log and fdatasync-ing once, then committing
// LMDB without a sync, reaches ~72k/s (DESIGN.md). LMDB is synced at checkpoints, which is
// when the log is trimmed.
//
// Layout: a directory of segment files named by the LSN of their first record
// (00000000000000000042.log). A record is one group:
//     u32 payload length | u32 crc32 of (lsn, payload) | u64 lsn | payload
// LSNs are consecutive. Older segments are fdatasync'ed before a newer one starts, so a crash
// can tear only the end of the newest segment.
//
// Preallocation: the newest segment is extended kPreallocBytes at a time by writing zeros
// ahead of its records, and records are written over those zeros. Why: appending to the end
// of a file changes its size, and then every fdatasync must also write the inode (on this
// project's ext4, a second synchronous write before the flush; the profile of durable-write
// at one writer, docs/profiles/durable-write-1.txt). Over written zeros an fdatasync writes the
// record's block and flushes -- what SQLite's reused WAL file gets. So the newest segment may
// end in zeros: replay and verify take a run of zeros that reaches the end of the newest
// segment as its end (no record is ever all zeros: its CRC covers the LSN, which is >= 1). A
// segment ends at its last record once a newer one starts (Rotate cuts the zeros off).
//
// The torn-tail rule (replay): a record that fails its check is a torn tail, and is cut off,
// only when it is in the newest segment and no intact record follows it — what remains from
// it to the end of the file is a write cut short, possibly followed by zeros or garbage, and
// holds no record with a valid CRC and a following LSN. Damage anywhere else (in an older
// segment, or with an intact record after it) is Corruption naming the segment and offset:
// the records after it were written after it, so it was whole once, and cutting there would
// drop acknowledged groups.
//
// Errors: every file call goes through file_io.h (so tests can fail it). A failed Append cuts
// the partial record back off when it can; the driver stops writing at the first failure of
// any call here (docs/storage.md, "When the disk fails").
//
// Thread safety: none. The driver calls it from its writer thread, and from its checkpointer
// only the static Remove.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "commerce/status.h"

namespace commerce {

class Wal {
 public:
  // Opens (creating) the log directory. Does not start a segment: call Replay, then Reset.
  static Result<std::unique_ptr<Wal>> Open(const std::string& dir);
  ~Wal();

  // Calls fn for each intact record with lsn > after, in order; sets *last to the highest lsn
  // seen in the log (0 if none). Cuts a torn tail off the newest segment (the rule above).
  // Corruption when a record is damaged and is not a torn tail, or LSNs do not follow on
  // from `after` or from each other.
  Status Replay(uint64_t after, const std::function<Status(uint64_t, std::string_view)>& fn,
                uint64_t* last);
  // As Replay, but writes nothing (commerce verify): a torn tail is left in place and
  // described in *torn_tail ("log segment ... at offset N: B bytes"), "" when there is none.
  Status Check(uint64_t after, const std::function<Status(uint64_t, std::string_view)>& fn,
               uint64_t* last, std::string* torn_tail);

  // Removes every segment (after the records were applied and LMDB synced) and starts an
  // empty one whose first record will be next_lsn.
  Status Reset(uint64_t next_lsn);

  // Appends one record; durable only after Sync(). On failure the segment is cut back to its
  // size before the call when possible (the message says when it was not).
  Status Append(uint64_t lsn, std::string_view payload);
  Status Sync();
  // Cuts the current segment back to `bytes` (its size before an Append whose group then
  // failed) and syncs the cut, so that neither replay nor a crash brings the record back.
  Status Truncate(uint64_t bytes);

  // Starts a new segment at next_lsn after syncing the current one, and returns the paths of
  // the segments that now hold only records < next_lsn: they can be removed once LMDB is
  // synced.
  Status Rotate(uint64_t next_lsn, std::vector<std::string>* retired);
  static Status Remove(const std::vector<std::string>& paths, const std::string& dir);

  // The bytes of records in the current segment (not counting the zeros ahead of them).
  uint64_t segment_bytes() const { return segment_bytes_; }
  const std::string& dir() const { return dir_; }

 private:
  explicit Wal(std::string dir) : dir_(std::move(dir)) {}
  Status OpenSegment(uint64_t first_lsn);
  // Writes zeros from allocated_ to at least `end` (a whole kPreallocBytes step), leaving the
  // file offset at segment_bytes_. On failure the file is cut back to allocated_.
  Status Preallocate(uint64_t end);
  // After a failed write: cuts the segment back to `bytes`, the end of its last record.
  int CutBack(uint64_t bytes);
  // Replay and Check: a torn tail is cut when torn_tail is null, else described there.
  Status Scan(uint64_t after, const std::function<Status(uint64_t, std::string_view)>& fn,
              uint64_t* last, std::string* torn_tail);
  std::vector<std::string> SegmentPaths() const;  // sorted by first lsn

  std::string dir_;
  int fd_ = -1;
  std::string path_;
  uint64_t segment_bytes_ = 0;
  uint64_t allocated_ = 0;  // the file's size: records, then zeros written ahead of them
};

}  // namespace commerce
