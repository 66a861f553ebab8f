// Tests for src/common/codec.h and memory_archive.h: empty lists (UBSan: no null pointer to
// memcpy), the checksummed frame around every stored record, and the
// records of codec version 1 (bare archives, written before checksums) that stores made by
// older versions still hold.
//
//   - every single-byte change and every truncation of a framed record is Corruption naming
//     the table and the key, never a decoded value;
//   - hand-written codec-1 bytes still decode;
//   - a whole store turned back into codec 1 (every record's frame removed, which leaves
//     exactly the archive the old Encode wrote) opens and reads the same, on every driver;
//   - a byte flipped inside a stored value in the store's file is Corruption naming the key.
#include <catch2/catch.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "commerce/engine.h"
#include "common/codec.h"
#include "common/key.h"
#include "common/record_tail.h"
#include "engine/store_format.h"
#include "inventory/inventory_codec.h"
#include "test_dir.h"
#include "test_engine.h"
#include "test_store.h"

namespace common_codec_test {

using namespace std::string_literals;
using commerce::Code;
using commerce::DecodeStockLevel;
using commerce::DecodeWarehouse;
using commerce::EncodeWarehouse;
using commerce::KeyBuilder;
using commerce::StockLevel;
using commerce::Warehouse;
using commerce::testing::TempDir;

namespace {

// The tables whose values are codec records (the rest hold index entries: an id or "").
const std::vector<std::string> kRecordTables = {
    "products", "categories", "warehouses", "stock", "customers", "carts", "orders",
    "order_keys", "events", "webhooks", "webhook_state", "webhook_queue", "webhook_failures"};

// cereal's binary layout, by hand: what codec version 1 wrote.
std::string U32(uint32_t v) { return std::string(reinterpret_cast<const char*>(&v), 4); }
std::string U64(uint64_t v) { return std::string(reinterpret_cast<const char*>(&v), 8); }
std::string I32(int32_t v) { return std::string(reinterpret_cast<const char*>(&v), 4); }
std::string I64(int64_t v) { return std::string(reinterpret_cast<const char*>(&v), 8); }
std::string Str(const std::string& s) { return U64(s.size()) + s; }

// A record with lists, the shape of a cart's dots (no class version: the frame does not care).
struct Lists {
  std::vector<uint64_t> numbers;
  std::vector<std::string> words;
  std::string text;

  template <class Archive>
  void serialize(Archive& ar) {
    ar(numbers, words, text);
  }
};

// An order record (class version 3) as version 1 wrote it: class version 1, and neither the
// access token (a string: its u64 length, then "ot_" and 32 hex digits) nor the discounts
// after it (version 3).
commerce::Status OrderVersion1(std::string* archive) {
  const std::string token_start = U64(35) + "ot_";
  const size_t at = archive->rfind(token_start);
  if (archive->size() < 4 || archive->compare(0, 4, U32(4)) != 0 || at == std::string::npos)
    return commerce::Status::Internal("an order record not of version 4 with a token");
  archive->replace(0, 4, U32(1));
  archive->resize(at);
  return commerce::Status::OK();
}

// Customers and carts of version 2 append one string (the group, the channel; empty in the
// filled store) to what version 1 wrote.
commerce::Status WithoutLastEmptyString(std::string* archive) {
  if (archive->size() < 12 || archive->compare(0, 4, U32(2)) != 0 ||
      archive->compare(archive->size() - 8, 8, U64(0)) != 0)
    return commerce::Status::Internal("a record not of version 2 ending with an empty string");
  archive->replace(0, 4, U32(1));
  archive->resize(archive->size() - 8);
  return commerce::Status::OK();
}

Warehouse SampleWarehouse() { return {"wh-1", "East coast", "us-east", 3, true}; }

// Everything a reader can see of a filled store, to compare before and after.
struct Snapshot {
  std::vector<commerce::Product> products;
  std::vector<commerce::Order> orders;
  commerce::Customer customer;
  std::vector<commerce::Cart> carts;
  std::vector<commerce::SkuStock> stock;
  std::vector<commerce::Event> events;
  std::vector<commerce::WebhookSubscription> webhooks;
  std::vector<commerce::Category> categories;
  size_t failures = 0;
};

Snapshot Read(commerce::Engine& e, const commerce::testing::FilledStore& f) {
  Snapshot s;
  for (const auto& id : f.product_ids) {
    auto p = e.catalog().get(id);
    INFO(id << ": " << p.status().ToString());
    REQUIRE(p.ok());
    s.products.push_back(*p);
  }
  for (const auto& id : f.order_ids) {
    auto o = e.orders().get(id);
    INFO(id << ": " << o.status().ToString());
    REQUIRE(o.ok());
    s.orders.push_back(*o);
  }
  auto c = e.customers().get(f.customer_id);
  REQUIRE(c.ok());
  s.customer = *c;
  for (const char* id : {"cart-cus", "cart-guest"}) {
    auto cart = e.carts().get(id);
    INFO(id << ": " << cart.status().ToString());
    REQUIRE(cart.ok());
    s.carts.push_back(*cart);
  }
  for (const auto& sku : f.skus) {
    auto st = e.inventory().get(sku);
    REQUIRE(st.ok());
    s.stock.push_back(*st);
  }
  auto events = e.events().tail(1, 10'000);
  INFO(events.status().ToString());
  REQUIRE(events.ok());
  s.events = *events;
  auto hooks = e.webhooks().list();
  REQUIRE(hooks.ok());
  s.webhooks = *hooks;
  auto failures = e.webhooks().failures();
  INFO(failures.status().ToString());
  REQUIRE(failures.ok());
  s.failures = failures->size();
  auto categories = e.catalog().list_categories("apparel");
  REQUIRE(categories.ok());
  s.categories = *categories;
  return s;
}

void CheckSame(const Snapshot& a, const Snapshot& b) {
  CHECK(a.products == b.products);
  CHECK(a.orders == b.orders);
  CHECK(a.customer == b.customer);
  CHECK(a.carts == b.carts);
  REQUIRE(a.stock.size() == b.stock.size());
  for (size_t i = 0; i < a.stock.size(); ++i) CHECK(a.stock[i].levels == b.stock[i].levels);
  CHECK(a.events == b.events);
  CHECK(a.webhooks == b.webhooks);
  CHECK(a.categories == b.categories);
  CHECK(a.failures == b.failures);
}

}  // namespace

TEST_CASE("codec: a record is framed C5 02 with a checksum and decodes back", "[codec]") {
  const std::string bytes = EncodeWarehouse(SampleWarehouse());
  REQUIRE(bytes.size() > commerce::kFrameHeader);
  CHECK(static_cast<unsigned char>(bytes[0]) == 0xC5);
  CHECK(bytes[1] == '\x02');
  CHECK(commerce::FramingOf(bytes) == commerce::RecordFraming::kFramed);
  Warehouse back;
  REQUIRE(DecodeWarehouse(KeyBuilder().str("wh-1").key(), bytes, &back).ok());
  CHECK(back == SampleWarehouse());
}

TEST_CASE("codec: every changed byte and every truncation is Corruption naming table and key",
          "[codec]") {
  const std::string bytes = EncodeWarehouse(SampleWarehouse());
  const std::string key = KeyBuilder().str("wh-1").key();
  size_t refused = 0;
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (unsigned char mask : {0x01, 0x80, 0xFF}) {
      std::string damaged = bytes;
      damaged[i] = static_cast<char>(damaged[i] ^ mask);
      Warehouse w;
      commerce::Status s = DecodeWarehouse(key, damaged, &w);
      INFO("byte " << i << " ^ " << int(mask) << ": " << s.ToString());
      CHECK(s.code() == Code::kCorruption);
      CHECK(s.message().find("warehouses (\"wh-1\")") != std::string::npos);
      refused += s.IsCorruption();
    }
  }
  CHECK(refused == 3 * bytes.size());
  for (size_t n = 0; n < bytes.size(); ++n) {
    Warehouse w;
    commerce::Status s = DecodeWarehouse(key, bytes.substr(0, n), &w);
    INFO("first " << n << " bytes: " << s.ToString());
    CHECK(s.code() == Code::kCorruption);
    CHECK(s.message().find("warehouses (\"wh-1\")") != std::string::npos);
  }
  // A checksum mismatch says so, with both values.
  std::string flipped = bytes;
  flipped.back() ^= 0x10;
  Warehouse w;
  commerce::Status s = DecodeWarehouse(key, flipped, &w);
  CHECK(s.message().find("checksum mismatch") != std::string::npos);
}

TEST_CASE("codec: a damaged length is Corruption before anything is allocated for it", "[codec]") {
  // A bare record (codec version 1: no checksum to stop it) whose list of words claims 2^22
  // strings: before the check the decoder made 4 Mi strings (128 MiB) and only then found the
  // record short ("record ends early"); with lengths up to 2^60 it allocated until it died
  // (fuzz_records, tests/fuzz/corpus/records/crash-huge-list-length).
  const std::string bare = U64(1) + U64(7) + U64(uint64_t{1} << 22) + Str("x") + Str("text");
  REQUIRE(commerce::FramingOf(bare) == commerce::RecordFraming::kBare);
  Lists out;
  commerce::Status s = commerce::Decode(bare, &out, "lists", "");
  CHECK(s.IsCorruption());
  CHECK(s.message().find("a length of 4194304 elements where only") != std::string::npos);
  // A string's length too.
  const std::string long_text = U64(1) + U64(7) + U64(0) + U64(uint64_t{1} << 40) + "abc";
  s = commerce::Decode(long_text, &out, "lists", "");
  CHECK(s.IsCorruption());
  CHECK(s.message().find("a length of 1099511627776 elements where only 3 bytes") != std::string::npos);
  // Lengths that fit still decode.
  REQUIRE(commerce::Decode(U64(1) + U64(7) + U64(1) + Str("x") + Str("text"), &out, "lists", "").ok());
  CHECK(out.words == std::vector<std::string>{"x"});
  CHECK(out.text == "text");
}

TEST_CASE("codec: records of codec version 1 (no frame, no checksum) still decode", "[codec]") {
  // Written by hand in cereal's layout: class version 1, then the fields.
  const std::string warehouse =
      U32(1) + Str("wh-1") + Str("East coast") + Str("us-east") + I32(3) + "\x01"s;
  REQUIRE(commerce::FramingOf(warehouse) == commerce::RecordFraming::kBare);
  Warehouse w;
  REQUIRE(DecodeWarehouse(KeyBuilder().str("wh-1").key(), warehouse, &w).ok());
  CHECK(w == SampleWarehouse());

  const std::string stock = U32(1) + I64(12) + I64(5) + I64(1700000000000);
  StockLevel level;
  level.sku = "A-1";
  level.warehouse_id = "wh-1";
  REQUIRE(DecodeStockLevel(KeyBuilder().str("A-1").str("wh-1").key(), stock, &level).ok());
  CHECK(level.on_hand == 12);
  CHECK(level.reserved == 5);
  CHECK(level.updated_at_ms == 1700000000000);

  // Bytes after a bare record's end, or bytes that are neither framing, are refused.
  const std::string key = KeyBuilder().str("wh-1").key();
  CHECK(DecodeWarehouse(key, warehouse + "x", &w).code() == Code::kCorruption);
  commerce::Status s = DecodeWarehouse(key, "\x02\x00\x00\x00junk"s, &w);
  CHECK(s.code() == Code::kCorruption);
  CHECK(s.message().find("not a record") != std::string::npos);
  CHECK(DecodeWarehouse(key, "", &w).code() == Code::kCorruption);
  // A frame of an unknown format is not guessed at.
  std::string future = EncodeWarehouse(SampleWarehouse());
  future[1] = '\x03';
  s = DecodeWarehouse(key, future, &w);
  CHECK(s.code() == Code::kCorruption);
  CHECK(s.message().find("frame format 3") != std::string::npos);
}

TEST_CASE("codec: a store written with codec version 1 opens and reads the same", "[codec]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  commerce::testing::FilledStore filled;
  Snapshot before;
  {
    auto engine = commerce::testing::OpenTestEngine(dir.path(), driver);
    filled = commerce::testing::FillStore(*engine);
    before = Read(*engine, filled);
    REQUIRE(engine->close().ok());
  }
  // Turn every record back into what codec version 1 wrote: the frame's archive is that
  // version's whole value, byte for byte.
  size_t stripped = 0;
  std::set<std::string> old_orders;  // keys of the order records rewritten as version 1
  {
    commerce::StorageOptions o;
    o.path = dir.path();
    o.driver = driver;
    auto storage = commerce::OpenStorage(o);
    REQUIRE(storage.ok());
    auto meta_table = (*storage)->table("meta");
    REQUIRE(meta_table.ok());
    const commerce::Table meta = *meta_table;
    for (const auto& name : kRecordTables) {
      auto t = (*storage)->table(name);
      REQUIRE(t.ok());
      auto txn = (*storage)->read();
      REQUIRE(txn.ok());
      auto rows = (*txn)->scan(*t, "", "", 0);
      REQUIRE(rows.ok());
      txn->reset();
      INFO(name);
      CHECK(!rows->empty());
      REQUIRE((*storage)
                  ->write([&](commerce::WriteTxn& w) -> commerce::Status {
                    // (No Catch2 assertions here: mutations run on the writer thread.)
                    for (const auto& kv : *rows) {
                      if (name == "stock") {
                        // Stock rows are counters records now (format 2); codec version 1
                        // wrote stock format 1, which opening the store upgrades.
                        auto c = commerce::DecodeCounters(kv.value);
                        COMMERCE_RETURN_IF_ERROR(c.status());
                        COMMERCE_RETURN_IF_ERROR(
                            w.put(*t, kv.key, U32(1) + I64(c->v[0]) + I64(c->v[1]) + I64(c->v[2])));
                        continue;
                      }
                      // Orders and stock events that a change set wrote carry a tail the
                      // writer filled (common/record_tail.h), which codec version 1 never
                      // wrote: they stay as they are.
                      if (commerce::IsTailed(kv.value)) continue;
                      if (commerce::FramingOf(kv.value) != commerce::RecordFraming::kFramed)
                        return commerce::Status::Internal("a record without a frame");
                      std::string bare = kv.value.substr(commerce::kFrameHeader);
                      if (name == "customers" || name == "carts")
                        COMMERCE_RETURN_IF_ERROR(WithoutLastEmptyString(&bare));
                      if (name == "orders") {
                        COMMERCE_RETURN_IF_ERROR(OrderVersion1(&bare));
                        old_orders.insert(kv.key);
                      }
                      COMMERCE_RETURN_IF_ERROR(w.put(*t, kv.key, bare));
                    }
                    // ... and had no mark of a stock format in its meta table.
                    if (name == "stock") COMMERCE_RETURN_IF_ERROR(w.del(meta, commerce::FormatKey("stock")));
                    return commerce::Status::OK();
                  })
                  .ok());
      stripped += rows->size();
    }
    REQUIRE((*storage)->close().ok());
  }
  CHECK(stripped > 100);
  // Orders of that time had no access token (those a change set placed keep theirs).
  CHECK(!old_orders.empty());
  for (auto& o : before.orders)
    if (old_orders.count(commerce::KeyBuilder().str(o.id).key())) o.access_token.clear();

  auto engine = commerce::testing::OpenTestEngine(dir.path(), driver);
  CheckSame(before, Read(*engine, filled));
  // Background consumers run over the old records too.
  REQUIRE(engine->run_background_once().ok());
  // A record written now is framed again, and still reads.
  auto p = engine->catalog().get(filled.product_ids[0]);
  REQUIRE(p.ok());
  p->title = "Renamed";
  REQUIRE(engine->catalog().upsert(*p).ok());
  CHECK(engine->catalog().get(filled.product_ids[0])->title == "Renamed");
  auto table = engine->storage().table("products");
  auto txn = engine->storage().read();
  REQUIRE(txn.ok());
  auto stored = (*txn)->get(*table, KeyBuilder().str(filled.product_ids[0]).key());
  REQUIRE(stored.ok());
  CHECK(commerce::FramingOf(*stored) == commerce::RecordFraming::kFramed);
}

TEST_CASE("codec: a byte flipped in a stored value on disk is Corruption naming the key",
          "[codec][corruption]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  const std::string marker = "Marker-title-to-damage-1234567";
  {
    auto engine = commerce::testing::OpenTestEngine(dir.path(), driver);
    commerce::Product p;
    p.id = "P-damaged";
    p.title = marker;
    p.variants.push_back({.sku = "D-1", .price = {100, "USD"}});
    REQUIRE(engine->catalog().upsert(p).ok());
    p.id = "P-fine";
    p.title = "Fine";
    p.variants[0].sku = "F-1";
    REQUIRE(engine->catalog().upsert(p).ok());
    REQUIRE(engine->close().ok());
  }
  // The title is in the store's data file (the search index lives in its own directory),
  // maybe more than once: copy-on-write leaves stale copies in free pages. Each copy gets the
  // same one-bit flip, "Marker-title" -> "Marker-Title".
  const std::string file = dir.sub(driver == "lmdb" ? "data.mdb" : "commerce.sqlite");
  std::string bytes;
  {
    std::ifstream in(file, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  size_t copies = 0;
  {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    for (size_t at = bytes.find(marker); at != std::string::npos; at = bytes.find(marker, at + 1), ++copies) {
      f.seekp(static_cast<std::streamoff>(at + 7));
      f.put(static_cast<char>(marker[7] ^ 0x20));
    }
  }
  REQUIRE(copies > 0);

  auto engine = commerce::testing::OpenTestEngine(dir.path(), driver);
  auto got = engine->catalog().get("P-damaged");
  INFO(got.status().ToString());
  CHECK(got.status().code() == Code::kCorruption);
  CHECK(got.status().message().find("products (\"P-damaged\")") != std::string::npos);
  CHECK(got.status().message().find("checksum mismatch") != std::string::npos);
  CHECK(engine->catalog().get_by_sku("D-1").status().code() == Code::kCorruption);
  CHECK(engine->catalog().get("P-fine").ok());
  CHECK(engine->catalog().list().status().code() == Code::kCorruption);
}

// An empty std::vector<uint64_t> goes through the archive as BinaryData whose pointer is
// null; memcpy must never see it (UBSan: "null pointer passed as argument 1"), which every
// cart without a dot made happen (tools/test --only asan).
TEST_CASE("codec: records with empty lists and strings encode and decode", "[codec]") {
  const Lists empty;
  const std::string bytes = commerce::Encode(empty);
  Lists back{{7}, {"x"}, "y"};
  REQUIRE(commerce::Decode(bytes, &back, "lists", "").ok());
  CHECK(back.numbers.empty());
  CHECK(back.words.empty());
  CHECK(back.text.empty());

  const Lists full{{1, 2, 3}, {"a", ""}, "z"};
  Lists again;
  REQUIRE(commerce::Decode(commerce::Encode(full), &again, "lists", "").ok());
  CHECK(again.numbers == full.numbers);
  CHECK(again.words == full.words);
  CHECK(again.text == full.text);
}

TEST_CASE("codec: a record cut short or with bytes after its end is Corruption", "[codec]") {
  const std::string bytes = commerce::Encode(Lists{{1, 2}, {"abc"}, "def"});
  Lists out;
  for (size_t n = 0; n < bytes.size(); ++n) {
    INFO("cut to " << n << " bytes");
    CHECK(commerce::Decode(std::string_view(bytes).substr(0, n), &out, "lists", "").IsCorruption());
  }
  CHECK(commerce::Decode(bytes + "x", &out, "lists", "").IsCorruption());
}

}  // namespace common_codec_test
