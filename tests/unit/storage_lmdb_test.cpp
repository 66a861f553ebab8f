// LMDB-driver specifics that the conformance suite cannot see: the map growing by itself,
// and the write-ahead log's replay rules (torn tail, damage, gaps).
#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "commerce/storage.h"
#include "storage/lmdb/wal.h"
#include "unit/test_dir.h"

using namespace commerce;

namespace {

StorageOptions LmdbOptions(const std::string& path) {
  StorageOptions o;
  o.driver = "lmdb";
  o.path = path;
  o.lmdb_map_size = size_t{1} << 20;  // 1 MiB: full after a few hundred KiB of data
  return o;
}

std::vector<std::pair<uint64_t, std::string>> ReplayAll(Wal& wal, uint64_t after, Status* s) {
  std::vector<std::pair<uint64_t, std::string>> out;
  uint64_t last = 0;
  *s = wal.Replay(after, [&](uint64_t lsn, std::string_view p) {
    out.emplace_back(lsn, std::string(p));
    return Status::OK();
  }, &last);
  return out;
}

}  // namespace

TEST_CASE("lmdb: the map grows by itself when full, also under a live reader", "[storage][lmdb]") {
  commerce::testing::TempDir dir;
  auto st = OpenStorage(LmdbOptions(dir.path()));
  REQUIRE(st.ok());
  auto& s = **st;
  auto t = s.table("big");
  REQUIRE(t.ok());
  const std::string value(4000, 'v');

  // A reader holds a snapshot while the writer needs to grow: the writer waits for it, and
  // the reader, released from another thread, still saw its snapshot intact.
  auto reader = s.read();
  REQUIRE(reader.ok());
  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::string_view v;
    CHECK((*reader)->get(*t, "k0", &v).IsNotFound());
    reader->reset();
  });
  // 8 MiB of values in groups of 50 records: several doublings from 1 MiB.
  for (int g = 0; g < 40; ++g) {
    REQUIRE(s.write([&](WriteTxn& w) -> Status {
      for (int i = 0; i < 50; ++i)
        COMMERCE_RETURN_IF_ERROR(w.put(*t, "k" + std::to_string(g * 50 + i), value));
      return Status::OK();
    }).ok());
  }
  release.join();
  CHECK(s.stats().map_resizes >= 3);
  REQUIRE(s.close().ok());

  // The grown store reopens (its file is larger than the configured map) with every record.
  st = OpenStorage(LmdbOptions(dir.path()));
  REQUIRE(st.ok());
  auto t2 = (*st)->table("big");
  auto r = (*st)->read();
  REQUIRE(r.ok());
  for (int i = 0; i < 2000; i += 97) {
    auto v = (*r)->get(*t2, "k" + std::to_string(i));
    REQUIRE(v.ok());
    CHECK(*v == value);
  }
}

TEST_CASE("lmdb: the map stops growing at lmdb_max_map_size with ResourceExhausted", "[storage][lmdb]") {
  commerce::testing::TempDir dir;
  auto o = LmdbOptions(dir.path());
  o.lmdb_max_map_size = size_t{2} << 20;
  auto st = OpenStorage(o);
  REQUIRE(st.ok());
  auto t = (*st)->table("big");
  Status last;
  for (int g = 0; g < 100 && last.ok(); ++g)
    last = (*st)->write([&](WriteTxn& w) { return w.put(*t, "k" + std::to_string(g), std::string(100'000, 'x')); });
  CHECK(last.IsResourceExhausted());
  CHECK(last.message().find("lmdb_max_map_size") != std::string::npos);
  // The store is still usable for reads and small writes after the refusal.
  auto r = (*st)->read();
  REQUIRE(r.ok());
  CHECK((*r)->get(*t, "k0").ok());
}

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
