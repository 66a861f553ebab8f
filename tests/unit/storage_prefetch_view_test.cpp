// PrefetchView (src/storage/prefetch_view.h): reads kept from one read_many, answered from
// memory; the rest passed on; disabled, a plain pass-through.
#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

#include "commerce/storage.h"
#include "storage/prefetch_view.h"
#include "test_dir.h"

namespace storage_prefetch_view_test {

using namespace commerce;
using commerce::testing::TempDir;

namespace {

struct Fixture {
  Fixture() {
    StorageOptions o;
    o.path = dir.sub("store");
    o.lmdb_map_size = size_t{64} << 20;
    auto opened = OpenStorage(o);
    REQUIRE(opened.ok());
    db = std::move(opened).value();
    t = *db->table("t");
    for (const char* k : {"a", "b", "c"})
      REQUIRE(db->write([&](WriteTxn& txn) { return txn.put(t, k, std::string("v") + k); }).ok());
  }
  TempDir dir;
  std::unique_ptr<Storage> db;
  Table t;
};

}  // namespace

TEST_CASE("prefetch view: kept reads answer from memory, others pass on", "[storage][read_many]") {
  Fixture f;
  auto snapshot = f.db->read();
  REQUIRE(snapshot.ok());
  PrefetchView view(**snapshot, true);
  REQUIRE(view.prefetch({{f.t, "a"}, {f.t, "zz"}}, {{f.t, "b", ""}}).ok());
  CHECK(view.batches() == 1);
  std::string_view v;
  REQUIRE(view.get(f.t, "a", &v).ok());
  CHECK(v == "va");
  CHECK(view.get(f.t, "zz", &v).IsNotFound());  // kept as absent
  REQUIRE(view.get(f.t, "c", &v).ok());         // not kept: read from the snapshot
  CHECK(v == "vc");
  auto range = view.read_many({{f.t, "a"}}, {{f.t, "b", ""}});
  REQUIRE(range.ok());
  CHECK(view.batches() == 1);  // all kept: nothing read
  REQUIRE(range->ranges[0].size() == 2);
  CHECK(range->ranges[0][1].key == "c");
  // The same range with another limit is another read.
  auto limited = view.read_many({}, {{f.t, "b", "", 1}});
  REQUIRE(limited.ok());
  CHECK(limited->ranges[0].size() == 1);
  CHECK(view.batches() == 2);
  // Bad input: refused, nothing kept.
  CHECK(view.prefetch({{f.t, ""}}).IsInvalidArgument());
  CHECK(view.batches() == 2);
}

TEST_CASE("prefetch view: disabled, every call passes through and nothing is kept",
          "[storage][read_many]") {
  Fixture f;
  auto snapshot = f.db->read();
  REQUIRE(snapshot.ok());
  PrefetchView view(**snapshot, false);
  REQUIRE(view.prefetch({{f.t, "a"}}).ok());
  CHECK(view.batches() == 0);
  auto got = view.get_many({{f.t, "a"}, {f.t, "x"}});
  REQUIRE(got.ok());
  CHECK(*got == std::vector<std::optional<std::string>>{"va", std::nullopt});
  CHECK(view.batches() == 0);
  CHECK(view.read_many({{f.t, std::string(kMaxKeySize + 1, 'k')}}).status().IsInvalidArgument());
}

}  // namespace storage_prefetch_view_test
