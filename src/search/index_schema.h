// How a product becomes a Xapian document, and the names both sides of the index agree on:
// term prefixes, value slots and the document's stored data. The indexer writes with
// BuildDocument; the query side filters on the boolean terms and sorts and counts facets on
// the value slots.
//
// Thread safety: pure functions; a TermGenerator is per caller.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <xapian.h>

#include "commerce/catalog.h"

namespace commerce::search {

// Value slots. Sorting reads only the kSlotOrder* keys (sort_key.h): each ends with the
// product id, so every sort order is total and does not depend on the order products were
// indexed in. Slots 1 and 2 (created time and popularity as numbers) belong to format 1.
inline constexpr Xapian::valueno kSlotPrice = 0;       // sortable_serialise(lowest price, minor)
inline constexpr Xapian::valueno kSlotBrand = 3;       // the brand as written (facet values)
inline constexpr Xapian::valueno kSlotCategories = 4;  // category ids and ancestors, '\n'-joined
inline constexpr Xapian::valueno kSlotInStock = 5;     // "1" or "0"
// Ties after relevance, and the popularity sort: popularity descending, then the id.
inline constexpr Xapian::valueno kSlotOrderPopularity = 6;
inline constexpr Xapian::valueno kSlotOrderPriceAsc = 7;   // price, popularity desc, id
inline constexpr Xapian::valueno kSlotOrderPriceDesc = 8;  // price desc, popularity desc, id
inline constexpr Xapian::valueno kSlotOrderNewest = 9;     // created desc, popularity desc, id
// kSlotPrice's currency, as written: what a search with the caller's prices reads instead of
// the document's data (caller_prices.h). Empty in documents indexed before it was added (no
// format change: those documents are answered from their data until they are indexed again).
inline constexpr Xapian::valueno kSlotPriceCurrency = 10;

// What a shard's documents look like: stored in each shard's metadata (kFormatKey) when it is
// created; a shard of another format is replaced by a new generation filled from the log.
// Format 2 had no word list (word_list.h): its corrections came from Xapian's spelling table.
// Format 3 had no title pair terms (title_pairs.h, kPrefixTitlePair "XW").
inline constexpr const char* kFormatKey = "commerce.format";
inline constexpr const char* kFormat = "4";

// Boolean term prefixes. Unprefixed terms and "Z" stems are the free text.
inline constexpr std::string_view kPrefixId = "Q";
inline constexpr std::string_view kPrefixBrand = "XB";
inline constexpr std::string_view kPrefixCategory = "XC";
inline constexpr std::string_view kPrefixAttribute = "XA";  // XA<name>=<value>, lower-cased
inline constexpr std::string_view kPrefixCode = "K";        // SKU / barcode, normalised
inline constexpr std::string_view kTermInStock = "XS1";
// "XW": adjacent title words (title_pairs.h).

// Within-document frequency per occurrence: how BM25 weighs a word by the field it is in.
inline constexpr Xapian::termcount kWeightTitle = 4;
inline constexpr Xapian::termcount kWeightBrand = 3;
inline constexpr Xapian::termcount kWeightCategory = 2;
inline constexpr Xapian::termcount kWeightBody = 1;
// Only the start of a long description is indexed: enough to describe a product, and it
// bounds the work one upsert can cause.
inline constexpr size_t kMaxIndexedDescription = 4000;

// Key of the per-shard metadata entry holding the last event sequence applied to the shard.
inline constexpr const char* kLastSeqKey = "commerce.last_seq";
// Keys of the per-shard metadata entries holding the word list (word_list.h): each commit
// that meets new words adds kWordsKeyPrefix + 16 hex digits (a counter) -> the words,
// newline-separated. Metadata is committed with the documents and served by remote shards.
inline constexpr const char* kWordsKeyPrefix = "commerce.words.";
// Key of the per-shard metadata entry an indexer serving remote readers (serve_remote) changes
// at least every second, idle or not: its beat. A reader that sees a copy's beat unchanged for
// a while knows its writer went silent and moves to a replica written by another indexer
// (remote_shards.h). The value is opaque (the writer's monotonic clock); only changes count.
inline constexpr const char* kBeatKey = "commerce.beat";

// A boolean term: prefix + lower-cased value. Values too long for a Xapian term (245 bytes)
// keep their first bytes and a CRC of the whole, so two long values stay distinct.
std::string BooleanTerm(std::string_view prefix, std::string_view value);
// SKUs and model numbers as typed in many ways ("SM-G930", "sm g930", "smg930"): lower-case
// letters and digits only.
std::string NormaliseCode(std::string_view code);
std::string IdTerm(std::string_view product_id);
// Unicode-aware lower case, so that "ÉCOLE" and "école" filter alike.
std::string Lower(std::string_view s);
// A category id and its ancestors: "a/b/c" -> {"a/b/c", "a/b", "a"}.
std::vector<std::string> CategoryLineage(std::string_view category_id);
// The lowest price among the product's variants.
Money LowestPrice(const Product& p);

// What a hit needs without a catalog read, kept small in the document's data.
struct HitData {
  std::string product_id;
  std::string title;
  std::string brand;
  Money price;
  bool in_stock = false;
};
std::string EncodeHitData(const HitData& h);
bool DecodeHitData(std::string_view data, HitData* out);
// The id and the lowest price of a document's data without copying its title: views into
// `data` (the caller's prices read them for every match).
bool PeekHitPrice(std::string_view data, std::string_view* product_id, std::string_view* currency,
                  int64_t* minor);

// The document for an active product. `tg` has the English stemmer (and, to collect the
// words for the word list, a WordRecorder as its stopper).
Xapian::Document BuildDocument(const Product& p, bool in_stock,
                               const std::vector<std::string>& category_names,
                               Xapian::TermGenerator& tg);

// Flips the stock flag of an indexed document in place (no re-tokenising).
void SetInStock(Xapian::Document& doc, bool in_stock);
bool DocumentInStock(const Xapian::Document& doc);

}  // namespace commerce::search
