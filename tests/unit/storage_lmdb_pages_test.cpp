// Tests for src/storage/lmdb/lmdb_pages.h: LMDB's file read without trusting it. Stores are
// made by the LMDB driver, then damaged the ways disks and file systems damage files — a
// truncated file, zeroed pages, garbage pages, meta pages out of order — and every check
// must name the damage instead of faulting. Nothing here calls liblmdb on a damaged file.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "commerce/storage.h"
#include "common/key.h"
#include "storage/lmdb/lmdb_pages.h"
#include "test_dir.h"

namespace storage_lmdb_pages_test {

namespace pages = commerce::lmdb_pages;
using commerce::Code;
using commerce::testing::TempDir;

namespace {

// A closed LMDB store with table "t" holding `n` entries k00000.. -> 100-byte values (enough
// for a two-level tree), a small table "s", and a table "big" with one value on overflow
// pages.
std::string MakeStore(const TempDir& dir, int n = 3000) {
  commerce::StorageOptions o;
  o.path = dir.sub("store");
  o.driver = "lmdb";
  auto s = commerce::OpenStorage(o);
  REQUIRE(s.ok());
  auto t = (*s)->table("t");
  auto small = (*s)->table("s");
  auto big = (*s)->table("big");
  REQUIRE((t.ok() && small.ok() && big.ok()));
  REQUIRE((*s)->write([&](commerce::WriteTxn& txn) -> commerce::Status {
                for (int i = 0; i < n; ++i) {
                  char key[16];
                  std::snprintf(key, sizeof key, "k%05d", i);
                  COMMERCE_RETURN_IF_ERROR(txn.put(*t, key, std::string(100, static_cast<char>('a' + i % 26))));
                }
                COMMERCE_RETURN_IF_ERROR(txn.put(*small, "one", "1"));
                return txn.put(*big, "blob", std::string(20000, 'z'));
              })
              .ok());
  REQUIRE((*s)->close().ok());
  return o.path + "/data.mdb";
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteAt(const std::string& path, uint64_t offset, const std::string& bytes) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

const pages::LmdbDb& TableDb(const pages::LmdbFileInfo& info, const std::string& name) {
  for (const auto& [n, db] : info.tables)
    if (n == name) return db;
  FAIL("no table " << name);
  static pages::LmdbDb none;
  return none;
}

// The leaves of a tree, left to right (REQUIRES: a sound tree of depth 2).
std::vector<uint64_t> Leaves(const pages::PageSource& src, uint64_t root) {
  std::string_view p = src.page(root);
  REQUIRE(!pages::IsLeaf(p));
  std::vector<uint64_t> out;
  for (size_t i = 0; i < pages::NumKeys(p); ++i) out.push_back(pages::ChildPage(p, i));
  return out;
}

}  // namespace

TEST_CASE("lmdb pages: a sound store passes every check and walks whole", "[lmdb][pages]") {
  TempDir dir;
  const std::string file = MakeStore(dir);
  auto info = pages::CheckLmdbFile(file);
  INFO(info.status().ToString());
  REQUIRE(info.ok());
  std::map<std::string, pages::LmdbDb> tables(info->tables.begin(), info->tables.end());
  REQUIRE(tables.count("t"));
  REQUIRE(tables.count("s"));
  REQUIRE(tables.count("big"));
  CHECK(tables.at("t").depth == 2);
  CHECK(tables.at("t").entries == 3000);

  const std::string bytes = ReadFile(file);
  pages::PageSource src{bytes.data(), info->meta.psize, info->meta.last_pg + 1};
  std::vector<bool> seen(src.npages, false);
  for (const auto& [name, db] : info->tables) {
    std::vector<pages::TreeProblem> problems;
    pages::TreeCounts counts;
    std::vector<std::string> keys;
    size_t bytes_seen = 0;
    pages::WalkTree(src, db, pages::TreeKind::kTable, &seen,
                    [&](std::string_view k, std::string_view v) {
                      keys.emplace_back(k);
                      bytes_seen += v.size();
                      return true;
                    },
                    &problems, &counts);
    INFO(name << ": " << (problems.empty() ? "" : problems[0].what));
    CHECK(problems.empty());
    CHECK(counts.entries == db.entries);
    CHECK(std::is_sorted(keys.begin(), keys.end()));
    if (name == "big") {
      CHECK(bytes_seen == 20000);
      CHECK(counts.overflow_pages > 0);
    }
  }
  // Every path a cursor may take is sound.
  const auto& t = tables.at("t");
  for (const char* key : {"", "k00000", "k01234", "k02999", "zzz"})
    for (int dir : {-1, 0, 1})
      CHECK(pages::CheckPathTo(src, t, pages::TreeKind::kTable, pages::Target::kKey, key, dir) == "");
  CHECK(pages::CheckPathTo(src, t, pages::TreeKind::kTable, pages::Target::kFirst, "", 1) == "");
  CHECK(pages::CheckPathTo(src, t, pages::TreeKind::kTable, pages::Target::kLast, "", -1) == "");
}

TEST_CASE("lmdb pages: a truncated file is Corruption naming it, read without faulting",
          "[lmdb][pages][corruption]") {
  TempDir dir;
  const std::string file = MakeStore(dir);
  const auto size = std::filesystem::file_size(file);
  for (uint64_t keep : {size - 4096, size / 2, uint64_t{8192}, uint64_t{5000}, uint64_t{100}}) {
    CAPTURE(keep);
    std::filesystem::resize_file(file, keep);
    auto info = pages::CheckLmdbFile(file);
    INFO(info.status().ToString());
    CHECK(info.status().code() == Code::kCorruption);
    CHECK(info.status().message().find(file) != std::string::npos);
  }
  std::filesystem::resize_file(file, 0);
  CHECK(pages::CheckLmdbFile(file).status().code() == Code::kNotFound);  // LMDB's "new file"
  CHECK(pages::CheckLmdbFile(dir.sub("absent")).status().code() == Code::kNotFound);
}

TEST_CASE("lmdb pages: damaged meta pages are Corruption", "[lmdb][pages][corruption]") {
  TempDir dir;
  const std::string file = MakeStore(dir);
  auto info = pages::CheckLmdbFile(file);
  REQUIRE(info.ok());
  const uint32_t psize = info->meta.psize;
  const std::string original = ReadFile(file);
  auto restore = [&] { WriteAt(file, 0, original); };
  auto expect = [&](const char* what) {
    auto r = pages::CheckLmdbFile(file);
    INFO(r.status().ToString());
    CHECK(r.status().code() == Code::kCorruption);
    CHECK(r.status().message().find(what) != std::string::npos);
    restore();
  };
  WriteAt(file, 0, std::string(psize, '\0'));
  expect("meta page 0");
  WriteAt(file, psize, std::string(psize, '\0'));
  expect("meta page 1");
  WriteAt(file, 16, "\x01\x02\x03\x04");  // magic
  expect("magic");
  WriteAt(file, 16 + 4, std::string("\x02\x00\x00\x00", 4));  // format version 2
  expect("format version");
  // Meta page 0 claims an odd transaction: LMDB writes those to page 1.
  uint64_t odd = 7;
  WriteAt(file, 16 + 128, std::string(reinterpret_cast<const char*>(&odd), 8));
  expect("which LMDB writes to the other page");
  // The main tree's root out of range.
  const uint64_t beyond = info->meta.last_pg + 5;
  WriteAt(file, static_cast<uint64_t>(info->meta_page) * psize + 16 + 72 + 40,
          std::string(reinterpret_cast<const char*>(&beyond), 8));
  expect("root page");
}

TEST_CASE("lmdb pages: zeroed and garbage pages are named by the walk and the cursor path",
          "[lmdb][pages][corruption]") {
  TempDir dir;
  const std::string file = MakeStore(dir);
  auto info = pages::CheckLmdbFile(file);
  REQUIRE(info.ok());
  const uint32_t psize = info->meta.psize;
  std::string bytes = ReadFile(file);
  pages::PageSource src{bytes.data(), psize, info->meta.last_pg + 1};
  const pages::LmdbDb t = TableDb(*info, "t");
  const auto leaves = Leaves(src, t.root);
  REQUIRE(leaves.size() > 10);
  const uint64_t victim = leaves[5];
  // The first key of the victim leaf and the last key of the leaf before it.
  std::string first_key(pages::NodeKey(src.page(victim), 0));
  std::string before_key(pages::NodeKey(src.page(leaves[4]), pages::NumKeys(src.page(leaves[4])) - 1));

  auto damage = GENERATE(as<std::string>{}, "zeroed", "garbage", "flags", "pointer");
  CAPTURE(damage);
  std::string page(bytes.data() + victim * psize, psize);
  if (damage == "zeroed") {
    page.assign(psize, '\0');
  } else if (damage == "garbage") {
    std::mt19937 rng(7);
    for (auto& c : page) c = static_cast<char>(rng());
  } else if (damage == "flags") {
    page[10] = 0x01;  // a leaf that says it is a branch
  } else {
    page[16] = 0x02;  // node 0's offset into the page header
    page[17] = 0x00;
  }
  std::copy(page.begin(), page.end(), bytes.begin() + static_cast<std::ptrdiff_t>(victim * psize));
  WriteAt(file, victim * psize, page);

  // Open's cheap checks look at roots, not every leaf: this damage passes them...
  REQUIRE(pages::CheckLmdbFile(file).ok());
  // ...and is caught before a cursor enters the page: seeking into it, or stepping onto it
  // from either side.
  auto path = [&](const std::string& key, int neighbour) {
    return pages::CheckPathTo(src, t, pages::TreeKind::kTable, pages::Target::kKey, key, neighbour);
  };
  const std::string named = "page " + std::to_string(victim);
  CHECK(path(first_key, 0).find(named) != std::string::npos);
  CHECK(path(before_key, +1).find(named) != std::string::npos);
  CHECK(path(before_key, 0) == "");
  std::string after_key(pages::NodeKey(src.page(leaves[6]), 0));
  CHECK(path(after_key, -1).find(named) != std::string::npos);
  CHECK(path(after_key, +1) == "");
  // The walk reports it and still visits every other leaf.
  std::vector<bool> seen(src.npages, false);
  std::vector<pages::TreeProblem> problems;
  pages::TreeCounts counts;
  size_t visited = 0;
  pages::WalkTree(src, t, pages::TreeKind::kTable, &seen,
                  [&](std::string_view, std::string_view) { return ++visited, true; }, &problems,
                  &counts);
  REQUIRE(!problems.empty());
  CHECK(problems[0].pgno == victim);
  CHECK(problems[0].what.find(named) != std::string::npos);
  CHECK(visited >= t.entries - 200);
  CHECK(visited < t.entries);
}

TEST_CASE("lmdb pages: a zeroed root page of a table fails the open checks, naming the table",
          "[lmdb][pages][corruption]") {
  TempDir dir;
  const std::string file = MakeStore(dir);
  auto info = pages::CheckLmdbFile(file);
  REQUIRE(info.ok());
  const pages::LmdbDb t = TableDb(*info, "t");
  WriteAt(file, t.root * info->meta.psize, std::string(info->meta.psize, '\0'));
  auto r = pages::CheckLmdbFile(file);
  INFO(r.status().ToString());
  CHECK(r.status().code() == Code::kCorruption);
  CHECK(r.status().message().find("table 't'") != std::string::npos);
  CHECK(r.status().message().find("zeroed") != std::string::npos);
}

}  // namespace storage_lmdb_pages_test
