// Opening a store written by an older version (src/engine/store_format.cpp): stock rows of
// format 1 (cereal, framed, as the version before counters records wrote them) are rewritten
// as counters records, in batches that resume where an interrupted upgrade stopped, and the
// store reads, places orders and passes commerce verify as before.
//
// The old store is made here, not committed: a store filled through today's API, whose stock
// rows are then written back in format 1 and whose format mark is removed -- byte for byte what
// the older version left (its rows framed as common/record_frame.h says, archive = class
// version 1 and the three counts, little-endian, as cereal writes them).
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "commerce/engine.h"
#include "common/checksum.h"
#include "common/record_frame.h"
#include "engine/store_format.h"
#include "test_dir.h"
#include "test_engine.h"
#include "test_store.h"

namespace engine_store_format_test {

namespace {

using namespace commerce;
using commerce::testing::TempDir;

template <typename T>
std::string Le(T v) {
  return std::string(reinterpret_cast<const char*>(&v), sizeof v);
}

// A stock row as the version before counters records wrote it.
std::string StockFormat1(const Counters& c) {
  const std::string archive = Le<uint32_t>(1) + Le<int64_t>(c.v[0]) + Le<int64_t>(c.v[1]) + Le<int64_t>(c.v[2]);
  return std::string{static_cast<char>(kFramedRecord), static_cast<char>(kFrameFormat)} +
         Le<uint32_t>(RecordChecksum(archive)) + archive;
}

std::map<std::string, std::vector<StockLevel>> AllStock(Engine& e, const std::vector<std::string>& skus) {
  std::map<std::string, std::vector<StockLevel>> out;
  for (const auto& sku : skus) {
    auto s = e.inventory().get(sku);
    REQUIRE(s.ok());
    out[sku] = s->levels;
  }
  return out;
}

struct RawStore {
  std::unique_ptr<Storage> storage;
  Table stock, meta;
};

RawStore OpenRaw(const std::string& path, const std::string& driver) {
  StorageOptions o;
  o.path = path;
  o.driver = driver;
  auto s = OpenStorage(o);
  REQUIRE(s.ok());
  RawStore raw{std::move(*s), {}, {}};
  raw.stock = *raw.storage->table("stock");
  raw.meta = *raw.storage->table("meta");
  return raw;
}

std::vector<KeyValue> Rows(Storage& s, Table t) {
  auto txn = s.read();
  REQUIRE(txn.ok());
  auto rows = (*txn)->scan(t, "", "", 0);
  REQUIRE(rows.ok());
  return *rows;
}

}  // namespace

TEST_CASE("a store with stock in format 1 is upgraded on open, resuming a cut-short upgrade",
          "[engine][format]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  const bool cut_short = GENERATE(false, true);
  CAPTURE(driver, cut_short);
  TempDir dir;
  commerce::testing::FilledStore filled;
  std::map<std::string, std::vector<StockLevel>> before;
  {
    auto engine = commerce::testing::OpenTestEngine(dir.path(), driver);
    filled = commerce::testing::FillStore(*engine);
    before = AllStock(*engine, filled.skus);
    REQUIRE(engine->close().ok());
  }
  size_t rewritten = 0;
  {
    RawStore raw = OpenRaw(dir.path(), driver);
    const std::vector<KeyValue> rows = Rows(*raw.storage, raw.stock);
    REQUIRE(rows.size() > 4);
    // Cut short: the first half already rewritten (still counters records) and the place
    // reached recorded, as a batch leaves it; otherwise every row is format 1.
    const size_t from = cut_short ? rows.size() / 2 : 0;
    REQUIRE(raw.storage
                ->write([&](WriteTxn& txn) -> Status {
                  for (size_t i = from; i < rows.size(); ++i) {
                    COMMERCE_ASSIGN_OR_RETURN(Counters c, DecodeCounters(rows[i].value));
                    COMMERCE_RETURN_IF_ERROR(txn.put(raw.stock, rows[i].key, StockFormat1(c)));
                  }
                  COMMERCE_RETURN_IF_ERROR(txn.del(raw.meta, FormatKey("stock")));
                  if (cut_short)
                    COMMERCE_RETURN_IF_ERROR(txn.put(raw.meta, UpgradeKey("stock"), rows[from - 1].key));
                  return Status::OK();
                })
                .ok());
    rewritten = rows.size() - from;
    REQUIRE(raw.storage->close().ok());
  }

  auto engine = commerce::testing::OpenTestEngine(dir.path(), driver);
  // Every row is a counters record again, the mark says so and no upgrade is pending.
  {
    auto stock = engine->storage().table("stock");
    auto meta = engine->storage().table("meta");
    REQUIRE(stock.ok());
    REQUIRE(meta.ok());
    for (const KeyValue& row : Rows(engine->storage(), *stock)) CHECK(DecodeCounters(row.value).ok());
    auto txn = engine->storage().read();
    REQUIRE(txn.ok());
    CHECK((*txn)->get(*meta, FormatKey("stock")).value_or("") == std::string("\0\0\0\0\0\0\0\2", 8));
    CHECK((*txn)->get(*meta, UpgradeKey("stock")).status().IsNotFound());
  }
  CHECK(rewritten > 0);
  CHECK(AllStock(*engine, filled.skus) == before);
  auto report = engine->verify();
  REQUIRE(report.ok());
  INFO(report->ToText());
  CHECK(report->ok());

  // Orders reserve from the upgraded rows (a change set's add refuses a format 1 row).
  const std::string sku = filled.skus.front();  // the last product is archived
  auto placed = engine->orders().place({.idempotency_key = "after-upgrade",
                                        .customer_id = filled.customer_id,
                                        .lines = {{sku, 1}},
                                        .shipping_address = {.name = "Ada", .line1 = "1 Main St",
                                                             .city = "Springfield",
                                                             .region = "us-east", .country = "US"}});
  INFO(placed.status().ToString());
  REQUIRE(placed.ok());
  CHECK(engine->inventory().get(sku)->reserved == before[sku][0].reserved + before[sku][1].reserved + 1);
}

TEST_CASE("verify names a format 1 stock row in a store marked format 2", "[engine][format][verify]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  commerce::testing::FilledStore filled;
  {
    auto engine = commerce::testing::OpenTestEngine(dir.path(), driver);
    filled = commerce::testing::FillStore(*engine);
    REQUIRE(engine->close().ok());
  }
  std::string damaged;
  {
    RawStore raw = OpenRaw(dir.path(), driver);
    const KeyValue row = Rows(*raw.storage, raw.stock).front();
    damaged = row.key;
    REQUIRE(raw.storage
                ->write([&](WriteTxn& txn) -> Status {
                  COMMERCE_ASSIGN_OR_RETURN(Counters c, DecodeCounters(row.value));
                  return txn.put(raw.stock, row.key, StockFormat1(c));
                })
                .ok());
    REQUIRE(raw.storage->close().ok());
  }
  VerifyOptions o;
  o.path = dir.path();
  o.driver = driver;
  auto report = VerifyStore(o);
  REQUIRE(report.ok());
  INFO(report->ToText());
  CHECK(report->problem_counts["stock"] == 1);
  CHECK(report->ToText().find("format 1 row") != std::string::npos);
}

}  // namespace engine_store_format_test
