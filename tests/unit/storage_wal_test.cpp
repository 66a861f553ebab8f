// The LMDB driver's write-ahead log (src/storage/lmdb/wal.cpp): replay order, what was
// applied already, the torn-tail rule (wal.h) and the damage it refuses.
#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "storage/lmdb/wal.h"
#include "unit/test_dir.h"

namespace storage_wal_test {

using namespace commerce;

namespace {

std::vector<std::pair<uint64_t, std::string>> ReplayAll(Wal& wal, uint64_t after, Status* s) {
  std::vector<std::pair<uint64_t, std::string>> out;
  uint64_t last = 0;
  *s = wal.Replay(after, [&](uint64_t lsn, std::string_view p) {
    out.emplace_back(lsn, std::string(p));
    return Status::OK();
  }, &last);
  return out;
}

std::string OnlySegment(const std::string& wal_dir) {
  std::string seg;
  for (const auto& e : std::filesystem::directory_iterator(wal_dir)) seg = e.path().string();
  return seg;
}

void PokeByte(const std::string& file, off_t offset, char c) {
  int fd = ::open(file.c_str(), O_RDWR);
  REQUIRE(fd >= 0);
  REQUIRE(::pwrite(fd, &c, 1, offset) == 1);
  ::close(fd);
}

}  // namespace

TEST_CASE("wal: replay applies records in order, cuts a torn tail, and skips what was applied",
          "[storage][lmdb][wal]") {
  commerce::testing::TempDir dir;
  std::string wal_dir = dir.path() + "/wal";
  {
    auto wal = Wal::Open(wal_dir);
    REQUIRE(wal.ok());
    REQUIRE((*wal)->Reset(1).ok());
    for (uint64_t lsn = 1; lsn <= 5; ++lsn) REQUIRE((*wal)->Append(lsn, "rec" + std::to_string(lsn)).ok());
    REQUIRE((*wal)->Sync().ok());
  }
  // A torn write: half a header at the end of the newest segment.
  std::string seg;
  for (const auto& e : std::filesystem::directory_iterator(wal_dir)) seg = e.path().string();
  auto size_before = std::filesystem::file_size(seg);
  { std::ofstream(seg, std::ios::app | std::ios::binary).write("\x07\x00\x00", 3); }

  auto wal = Wal::Open(wal_dir);
  Status s;
  auto recs = ReplayAll(**wal, 2, &s);
  REQUIRE(s.ok());
  REQUIRE(recs.size() == 3);  // 3, 4, 5: 1 and 2 were applied already
  CHECK(recs[0].first == 3);
  CHECK(recs[2].second == "rec5");
  CHECK(std::filesystem::file_size(seg) == size_before);  // the tear was cut off
}

TEST_CASE("wal: damage before the newest segment, or a missing segment, is Corruption",
          "[storage][lmdb][wal]") {
  commerce::testing::TempDir dir;
  std::string wal_dir = dir.path() + "/wal";
  auto wal = Wal::Open(wal_dir);
  REQUIRE((*wal)->Reset(1).ok());
  for (uint64_t lsn = 1; lsn <= 3; ++lsn) REQUIRE((*wal)->Append(lsn, "first" + std::to_string(lsn)).ok());
  std::vector<std::string> retired;
  REQUIRE((*wal)->Rotate(4, &retired).ok());
  REQUIRE(retired.size() == 1);
  for (uint64_t lsn = 4; lsn <= 6; ++lsn) REQUIRE((*wal)->Append(lsn, "second" + std::to_string(lsn)).ok());
  REQUIRE((*wal)->Sync().ok());

  SECTION("a flipped byte in the older segment") {
    int fd = ::open(retired[0].c_str(), O_RDWR);
    REQUIRE(fd >= 0);
    char c = 'X';
    REQUIRE(::pwrite(fd, &c, 1, 20) == 1);  // inside the first record's payload
    ::close(fd);
    auto w2 = Wal::Open(wal_dir);
    Status s;
    ReplayAll(**w2, 0, &s);
    CHECK(s.IsCorruption());
    CHECK(s.message().find(retired[0]) != std::string::npos);
  }
  SECTION("the older segment lost while the store needs it") {
    std::filesystem::remove(retired[0]);
    auto w2 = Wal::Open(wal_dir);
    Status s;
    ReplayAll(**w2, 0, &s);  // the store has applied nothing, the log starts at 4
    CHECK(s.IsCorruption());
    CHECK(s.message().find("missing") != std::string::npos);
  }
  SECTION("the older segment lost after the store applied it: fine") {
    std::filesystem::remove(retired[0]);
    auto w2 = Wal::Open(wal_dir);
    Status s;
    auto recs = ReplayAll(**w2, 3, &s);
    CHECK(s.ok());
    CHECK(recs.size() == 3);
  }
}

TEST_CASE("wal: damage to the first record of the newest segment, with intact records after it, is Corruption",
          "[storage][lmdb][wal]") {
  commerce::testing::TempDir dir;
  std::string wal_dir = dir.path() + "/wal";
  {
    auto wal = Wal::Open(wal_dir);
    REQUIRE((*wal)->Reset(7).ok());
    for (uint64_t lsn = 7; lsn <= 9; ++lsn) REQUIRE((*wal)->Append(lsn, "payload " + std::to_string(lsn)).ok());
    REQUIRE((*wal)->Sync().ok());
  }
  std::string seg = OnlySegment(wal_dir);
  auto size = std::filesystem::file_size(seg);
  PokeByte(seg, 16 + 2, 'X');  // first record's payload: no earlier LSN to go by but the name's
  auto wal = Wal::Open(wal_dir);
  Status s;
  auto recs = ReplayAll(**wal, 6, &s);
  CHECK(s.IsCorruption());
  CHECK(s.message().find(seg + " at offset 0") != std::string::npos);
  CHECK(recs.empty());
  CHECK(std::filesystem::file_size(seg) == size);
}

TEST_CASE("wal: an intact record out of LSN sequence is Corruption, never cut as a tear",
          "[storage][lmdb][wal]") {
  commerce::testing::TempDir dir;
  std::string wal_dir = dir.path() + "/wal";
  {
    auto wal = Wal::Open(wal_dir);
    REQUIRE((*wal)->Reset(1).ok());
    REQUIRE((*wal)->Append(1, "one").ok());
    REQUIRE((*wal)->Append(2, "two").ok());
    REQUIRE((*wal)->Append(2, "two again").ok());  // what a reused LSN left behind
    REQUIRE((*wal)->Append(3, "three").ok());
    REQUIRE((*wal)->Sync().ok());
  }
  auto wal = Wal::Open(wal_dir);
  Status s;
  ReplayAll(**wal, 0, &s);
  CHECK(s.IsCorruption());
  CHECK(s.message().find("out of sequence") != std::string::npos);
}

TEST_CASE("wal: a torn tail is cut however much zero padding follows it", "[storage][lmdb][wal]") {
  commerce::testing::TempDir dir;
  std::string wal_dir = dir.path() + "/wal";
  {
    auto wal = Wal::Open(wal_dir);
    REQUIRE((*wal)->Reset(1).ok());
    for (uint64_t lsn = 1; lsn <= 3; ++lsn) REQUIRE((*wal)->Append(lsn, std::string(300, 'p')).ok());
    REQUIRE((*wal)->Sync().ok());
  }
  std::string seg = OnlySegment(wal_dir);
  const auto whole = std::filesystem::file_size(seg);
  const auto two = whole - (16 + 300);
  std::filesystem::resize_file(seg, two + 100);        // the third record half written
  std::filesystem::resize_file(seg, two + 100 + 65536);  // and the file extended by zeros
  auto wal = Wal::Open(wal_dir);
  Status s;
  auto recs = ReplayAll(**wal, 0, &s);
  REQUIRE(s.ok());
  CHECK(recs.size() == 2);
  CHECK(std::filesystem::file_size(seg) == two);
}

TEST_CASE("wal: records are written over preallocated zeros, so a synced append leaves the "
          "file's size alone, the zeros end the log", "[storage][lmdb][wal]") {
  // Appending past the end of the file changed its size with every record, so every
  // fdatasync also wrote the inode: durable-write at one writer ran at 0.45-0.51x the SQLite
  // driver (docs/profiles/durable-write-1.txt). Now the size moves once per 1 MiB of records.
  commerce::testing::TempDir dir;
  std::string wal_dir = dir.path() + "/wal";
  auto wal = Wal::Open(wal_dir);
  REQUIRE(wal.ok());
  REQUIRE((*wal)->Reset(1).ok());
  const std::string seg = OnlySegment(wal_dir);
  CHECK(std::filesystem::file_size(seg) == 0);  // an empty segment holds no zeros
  REQUIRE((*wal)->Append(1, "first").ok());
  REQUIRE((*wal)->Sync().ok());
  const auto allocated = std::filesystem::file_size(seg);
  CHECK(allocated >= (1u << 20));
  uint64_t records = 16 + 5;
  for (uint64_t lsn = 2; lsn <= 200; ++lsn) {
    const std::string payload(100 + lsn % 50, static_cast<char>('a' + lsn % 26));
    REQUIRE((*wal)->Append(lsn, payload).ok());
    REQUIRE((*wal)->Sync().ok());
    records += 16 + payload.size();
    REQUIRE(std::filesystem::file_size(seg) == allocated);
  }
  CHECK((*wal)->segment_bytes() == records);

  // Read while the log is open: 200 records, then zeros that are the end, not a torn tail.
  {
    auto reader = Wal::Open(wal_dir);
    uint64_t last = 0;
    std::string torn;
    size_t seen = 0;
    REQUIRE((*reader)->Check(0, [&](uint64_t, std::string_view) { ++seen; return Status::OK(); },
                             &last, &torn).ok());
    CHECK(seen == 200);
    CHECK(last == 200);
    CHECK(torn.empty());
  }
  // A torn record after the zeros' start is still a torn tail, named where its bytes are.
  PokeByte(seg, static_cast<off_t>(records + 40), 'x');
  {
    auto reader = Wal::Open(wal_dir);
    uint64_t last = 0;
    std::string torn;
    REQUIRE((*reader)->Check(0, [](uint64_t, std::string_view) { return Status::OK(); }, &last,
                             &torn).ok());
    CHECK(last == 200);
    CHECK(torn.find("at offset " + std::to_string(records + 40) + ":") != std::string::npos);
  }
  PokeByte(seg, static_cast<off_t>(records + 40), '\0');

  // Rotating ends the old segment at its last record: older segments hold no zeros.
  std::vector<std::string> retired;
  REQUIRE((*wal)->Rotate(201, &retired).ok());
  REQUIRE(retired.size() == 1);
  CHECK(std::filesystem::file_size(retired[0]) == records);
  REQUIRE((*wal)->Append(201, "after").ok());
  REQUIRE((*wal)->Sync().ok());
  wal->reset();  // closed in order: the newest segment ends at its last record too
  std::string newest;
  for (const auto& e : std::filesystem::directory_iterator(wal_dir))
    if (e.path().string() != retired[0]) newest = e.path().string();
  CHECK(std::filesystem::file_size(newest) == 16 + 5);
  auto again = Wal::Open(wal_dir);
  Status s;
  auto recs = ReplayAll(**again, 0, &s);
  REQUIRE(s.ok());
  CHECK(recs.size() == 201);
}

}  // namespace storage_wal_test
