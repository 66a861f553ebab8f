// Writes the generated seeds of the fuzz corpora: inputs that only the engine's own encoders
// can write (keys, stored records), made with those encoders (or by a real engine, whose
// store is then read back) so that fuzzing starts from well-formed inputs. Hand-written seeds (JSON, CSV, queries) sit beside them in tests/fuzz/corpus/.
//
//   build/bin/fuzz_seeds tests/fuzz/corpus     (tools/fuzz --seeds runs this)
//
// Every seed is named gen-*, so a rerun after a format change replaces them all.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "commerce/commerce.h"
#include "commerce/storage.h"
#include "common/key.h"
#include "records_fuzz.h"
#include "storage/lmdb/redo_record.h"
#include "storage/lmdb/wal.h"
#include "webhooks/webhook_store.h"

using namespace commerce;
namespace fs = std::filesystem;

namespace {

fs::path g_root;
int g_written = 0;

void Write(const std::string& target, const std::string& name, const std::string& bytes) {
  fs::create_directories(g_root / target);
  std::ofstream out(g_root / target / ("gen-" + name), std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) {
    std::fprintf(stderr, "fuzz_seeds: cannot write %s/%s\n", target.c_str(), name.c_str());
    std::exit(1);
  }
  ++g_written;
}

std::string U64(uint64_t v) {
  std::string s;
  for (int shift = 56; shift >= 0; shift -= 8) s.push_back(static_cast<char>(v >> shift));
  return s;
}

// key_codec_fuzz.cpp's input: an even mode byte whose bit pairs give the element types
// (0 string, 1 u64, 2 i64) followed by a key; or an odd mode and two tuples.
void KeyCodec() {
  Write("key_codec", "sku-warehouse", std::string(1, '\x00') + KeyBuilder().str("SKU-1").str("wh-1").key());
  Write("key_codec", "event-seq", std::string(1, '\x02') + KeyBuilder().u64(42).key());
  Write("key_codec", "customer-order-seq",
        std::string(1, '\x08') + KeyBuilder().str("c-1").u64(7).key());
  Write("key_codec", "string-i64-string",
        std::string(1, '\x10') + KeyBuilder().str(std::string("a\0b", 3)).i64(-5).str("z").key());
  Write("key_codec", "truncated-escape", std::string(1, '\x00') + std::string("ab\0", 3));
  auto tuple_str = [](const std::string& s) { return std::string(1, '\x00') + std::string(1, static_cast<char>(s.size())) + s; };
  Write("key_codec", "tuples-strings",
        std::string("\x01\x02", 2) + tuple_str("ab") + tuple_str(std::string("ab\0", 3)) +
            std::string("\x02", 1) + tuple_str("ab") + tuple_str("abc"));
  Write("key_codec", "tuples-numbers",
        std::string("\x01\x02", 2) + "\x01" + U64(1) + "\x02" + U64(uint64_t{1} << 63) +
            std::string("\x02", 1) + "\x01" + U64(~uint64_t{0}) + "\x02" + U64(0));
  Write("key_codec", "tuples-prefix-ff",
        std::string("\x01\x01", 2) + std::string(1, '\x01') + U64(~uint64_t{0}) + std::string("\x00", 1));
}

void Check(const Status& s, const char* what) {
  if (s.ok()) return;
  std::fprintf(stderr, "fuzz_seeds: %s: %s\n", what, s.ToString().c_str());
  std::exit(1);
}

// records_fuzz.cpp's input: the kind's byte, then a value as a real engine stored it. A
// temporary store gets one of everything; then each table's first value is a seed.
void Records() {
  using commerce::fuzz::RecordKind;
  using commerce::fuzz::RecordKindTable;
  char tmpl[] = "/tmp/commerce-fuzz-seeds-XXXXXX";
  if (!::mkdtemp(tmpl)) Check(Status::Internal("mkdtemp failed"), "a temporary directory");
  const std::string dir = std::string(tmpl) + "/store";
  {
    EngineOptions options{.path = dir};
    options.webhooks.allowed_networks = {"127.0.0.0/8"};  // the seed subscription's address (never called)
    // Payments through the test provider, the worker run by hand: one order's payment goes
    // through capture and a return, another's authorization stays queued in the outbox.
    auto provider = TestPaymentProvider::open(std::string(tmpl) + "/provider");
    Check(provider.status(), "the test payment provider");
    options.payments.provider = *provider;
    options.run_background = false;
    auto engine = Engine::open(options);
    Check(engine.status(), "opening a temporary engine");
    Engine& e = **engine;
    Check(e.catalog().upsert_category({.id = "phones", .name = "Phones"}), "category");
    Product p;
    p.id = "P-1";
    p.title = "Seed phone \xe2\x80\x94 128 GB";
    p.brand = "Acme";
    p.categories = {"phones"};
    p.options = {"color"};
    p.attributes = {{"storage", "128 GB"}};
    for (const char* color : {"black", "white"}) {
      Variant v;
      v.sku = std::string("P-1-") + color;
      v.options = {{"color", color}};
      v.price = Money{19900, "USD"};
      p.variants.push_back(v);
    }
    Check(e.catalog().upsert(p).status(), "product");
    Check(e.inventory().upsert_warehouse({"wh-1", "Main", "east", 1, true}).status(), "warehouse");
    Check(e.inventory().receive("P-1-black", "wh-1", 10).status(), "stock");
    Customer c;
    c.id = "c-1";
    c.email = "seed@example.com";
    c.name = "Seed Customer";
    Check(e.customers().create(c).status(), "customer");
    Check(e.carts().create({.id = "cart-1", .customer_id = "c-1"}).status(), "cart");
    Check(e.carts().add("cart-1", "P-1-black", 2).status(), "cart line");
    PlaceOrder r;
    r.idempotency_key = "key-1";
    r.customer_id = "c-1";
    r.cart_id = "cart-1";
    r.shipping_address = {.name = "Seed", .line1 = "1 Main St", .city = "Town", .region = "east", .country = "US"};
    auto order = e.orders().place(r);
    Check(order.status(), "order");
    Check(e.run_background_once(), "the payment's authorization");
    for (auto to : {OrderStatus::kFulfilling, OrderStatus::kShipped, OrderStatus::kDelivered}) {
      Check(e.orders().transition(order->id, to).status(), "an order's transition");
      Check(e.run_background_once(), "the payment worker");
    }
    auto ret = e.returns().request({.order_id = order->id, .lines = {{"P-1-black", 1, "too small"}}});
    Check(ret.status(), "return");
    Check(e.returns().approve(ret->id).status(), "return approved");
    Check(e.orders().place({.idempotency_key = "key-2", .customer_id = "c-1", .lines = {{"P-1-black", 1}},
                            .shipping_address = r.shipping_address}).status(),
          "an order whose authorization waits in the outbox");
    Promotion promo;
    promo.id = "launch";
    promo.name = "Launch: 20% off phones";
    promo.currency = "USD";
    promo.action = PromotionAction::kTiered;  // version 2's fields: tiers, groups, channels
    promo.tier_basis = PromotionTierBasis::kQuantity;
    promo.tiers = {{.threshold = 1, .percent_bp = 2000}, {.threshold = 5, .amount_minor = 15000}};
    promo.customer_groups = {"wholesale"};
    promo.channels = {"web"};
    promo.categories = {"phones"};
    promo.requires_coupon = true;
    Check(e.promotions().create(promo).status(), "promotion");
    Check(e.promotions().create_coupon({.code = "LAUNCH", .promotion_id = "launch", .usage_limit = 3}).status(), "coupon");
    MerchandisingRule rule{.id = "phone-pin", .query = "phone", .match = "contains"};
    rule.pins = {{"P-1", 1}};
    rule.hide.brands = {"Globex"};
    rule.ends_at_ms = 4102444800000;
    Check(e.search().put_rule(rule).status(), "merchandising rule");
    PriceList eur;
    eur.id = "eur-wholesale";
    eur.name = "Wholesale, euros";
    eur.currency = "EUR";
    eur.customer_group = "wholesale";
    eur.channel = "web";
    eur.tax_inclusive = true;
    eur.ends_at_ms = 4102444800000;
    eur.entries = {{.sku = "P-1-black", .price_minor = 17900}, {.sku = "P-1-black", .price_minor = 16900, .min_quantity = 10}};
    Check(e.price_lists().create(eur).status(), "price list");
    Check(e.channels()
              .create({.id = "web", .name = "Web store", .default_currency = "USD", .currencies = {"USD", "EUR"},
                       .warehouse_ids = {"wh-1"}, .category_ids = {"phones"}, .excluded_product_ids = {"P-9"}})
              .status(),
          "channel");
    Check(e.search().query({.text = "seed phone"}).status(), "a search, for the analytics record");
    Check(e.webhooks()
              .subscribe({.id = "wh-seed", .url = "http://127.0.0.1:9/hook", .secret = "seed-secret-0123456789"})
              .status(),
          "webhook");
    Check(e.search().set_synonyms({{"phone", "mobile", "cell"}}), "synonyms");
    Check(e.close(), "closing the temporary engine");
  }
  auto storage = OpenStorage({.driver = "lmdb", .path = dir});
  Check(storage.status(), "reopening the temporary store");
  auto txn = (*storage)->read();
  Check(txn.status(), "reading it");
  auto seed = [&](RecordKind kind, std::string_view value) {
    const std::string table(RecordKindTable(kind));
    Write("records", table, std::string(1, static_cast<char>(kind)) + std::string(value));
  };
  for (int k = 0; k < commerce::fuzz::kRecordKinds; ++k) {
    const auto kind = static_cast<RecordKind>(k);
    if (kind == RecordKind::kSynonyms || kind == RecordKind::kRules || kind == RecordKind::kSearchIdKey) {
      auto meta = (*storage)->table("meta");
      Check(meta.status(), "the meta table");
      const char* name = kind == RecordKind::kRules      ? "search.rules"
                         : kind == RecordKind::kSynonyms ? "search.synonyms"
                                                         : "search.id_key";
      auto v = (*txn)->get(*meta, KeyBuilder().str(name).key());
      Check(v.status(), "a meta record");
      seed(kind, *v);
      continue;
    }
    auto table = (*storage)->table(RecordKindTable(kind));
    Check(table.status(), "a table");
    auto rows = (*txn)->scan(*table, "", "", 1);
    Check(rows.status(), "a table's first record");
    if (!rows->empty()) {
      seed(kind, (*rows)[0].value);
    } else if (kind == RecordKind::kWebhookQueue) {  // queued only while a delivery waits
      seed(kind, EncodeWebhookQueueEntry({.type = "order.placed", .body = "{\"seq\":3}", .attempts = 2,
                                          .next_attempt_ms = 1700000000000}));
    } else if (kind == RecordKind::kWebhookFailure) {
      seed(kind, EncodeWebhookDelivery({.subscription_id = "wh-seed", .event_seq = 3, .event_type = "order.placed",
                                        .attempts = 3, .last_http_status = 503, .last_error = "HTTP 503",
                                        .next_attempt_ms = 1700000000000}));
    } else {
      Check(Status::Internal(std::string(RecordKindTable(kind)) + " is empty"), "the temporary store");
    }
  }
  txn->reset();
  storage->reset();
  fs::remove_all(tmpl);
}

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// wal_fuzz.cpp's input: a layout byte (bit 0: two segments, split at the next two bytes;
// bits 1-2: replay after that LSN), then segment bytes as Wal::Append writes them.
void WalSegments() {
  char tmpl[] = "/tmp/commerce-fuzz-seeds-wal-XXXXXX";
  if (!::mkdtemp(tmpl)) Check(Status::Internal("mkdtemp failed"), "a temporary directory");
  const std::string dir = std::string(tmpl) + "/log";
  std::string segment, preallocated;
  {
    auto wal = Wal::Open(dir);
    Check(wal.status(), "opening a log");
    Check((*wal)->Reset(1), "starting a segment");
    for (uint64_t lsn = 1; lsn <= 4; ++lsn) {
      std::string payload;
      lmdb::AppendRedoPut(&payload, "products", KeyBuilder().str("P-" + std::to_string(lsn)).key(), "value");
      if (lsn % 2 == 0) lmdb::AppendRedoDel(&payload, "skus", KeyBuilder().str("SKU-" + std::to_string(lsn)).key());
      if (lsn == 3) lmdb::AppendRedoPut(&payload, "stock", KeyBuilder().str("SKU-3").str("wh-1").key(), std::string(40, 'x'));
      Check((*wal)->Append(lsn, payload), "appending");
    }
    Check((*wal)->Sync(), "syncing");
    // While the log is open its segment ends in the zeros written ahead of the records (wal.h,
    // "Preallocation"): what a crash leaves. A clean close cuts them off.
    for (const auto& e : fs::directory_iterator(dir)) preallocated = ReadAll(e.path());
  }
  for (const auto& e : fs::directory_iterator(dir)) segment = ReadAll(e.path());
  Check(preallocated.size() > segment.size() && preallocated.compare(0, segment.size(), segment) == 0 &&
            preallocated.find_first_not_of('\0', segment.size()) == std::string::npos
        ? Status::OK() : Status::Internal("the open log's segment is not its records then zeros"),
        "reading the preallocated segment");
  const std::string one(1, '\x00'), after_two(1, '\x04');
  Write("wal", "four-groups", one + segment);
  Write("wal", "four-groups-after-2", after_two + segment);
  Write("wal", "torn-tail", one + segment.substr(0, segment.size() - 7));
  std::string damaged = segment;
  damaged[20] ^= 0x01;  // in the first record's payload: intact records follow, so Corruption
  Write("wal", "damaged-first-record", one + damaged);
  // Two segments split after the second record (each record is 16 header bytes + payload).
  size_t cut = 0;
  for (int i = 0; i < 2; ++i) {
    uint32_t len = 0;
    for (int b = 0; b < 4; ++b) len |= static_cast<uint32_t>(static_cast<unsigned char>(segment[cut + b])) << (8 * b);
    cut += 16 + len;
  }
  Write("wal", "two-segments",
        std::string(1, '\x01') + static_cast<char>(cut >> 8) + static_cast<char>(cut & 0xff) + segment);
  // The preallocated layout, with 256 of its zeros (any run of zeros reaching the end of the
  // newest segment ends the log; a whole MiB would only slow the fuzzer): as a crash leaves it;
  // with the last record torn over the zeros (its last 7 bytes never written); with the first
  // record zeroed and intact ones after it (damage, not the log's end); and as the newest of two
  // segments.
  const std::string zeros(256, '\0');
  Write("wal", "preallocated", one + segment + zeros);
  std::string torn_over_zeros = segment;
  std::fill(torn_over_zeros.end() - 7, torn_over_zeros.end(), '\0');
  Write("wal", "preallocated-torn-tail", one + torn_over_zeros + zeros);
  std::string zeroed_first = segment;
  const size_t first_len = 16 + (static_cast<unsigned char>(segment[0]) | static_cast<unsigned char>(segment[1]) << 8);
  std::fill(zeroed_first.begin(), zeroed_first.begin() + static_cast<std::ptrdiff_t>(first_len), '\0');
  Write("wal", "preallocated-zeroed-first-record", one + zeroed_first + zeros);
  Write("wal", "preallocated-two-segments",
        std::string(1, '\x01') + static_cast<char>(cut >> 8) + static_cast<char>(cut & 0xff) + segment + zeros);
  fs::remove_all(tmpl);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_ROOT (tests/fuzz/corpus)\n", argv[0]);
    return 2;
  }
  g_root = argv[1];
  KeyCodec();
  Records();
  WalSegments();
  std::printf("fuzz_seeds: %d seeds written under %s\n", g_written, argv[1]);
  return 0;
}
