// Search ids (search_analytics.h, docs/search.md "Search ids on a fleet"): self-contained and
// signed, so that a use of a result can be recorded by any engine process sharing the store
// -- several commerce-servers behind a load balancer, or the same one after a restart --
// without a store write per search or a lookup per use.
//
// An id is "s" + base64url (no padding) of:
//   hour    4 bytes big-endian, hours since the Unix epoch: the hour the search is counted in
//   nonce   8 bytes: tells two searches apart (a search counts as used once)
//   n       1 byte, 0..kMaxShown: the hits shown
//   shown   n x 4 bytes: a fingerprint of each product id shown, the low 32 bits of
//           SipHash-2-4(fingerprint key, nonce || product id)
//   query   the normalised query (Analytics::Normalise), cut to kMaxQuery bytes at a
//           character's start: what the store keys its counts by (analytics_store.h)
//   tag     8 bytes: SipHash-2-4(tag key, every byte before it)
// The two keys are the 32 bytes of the store's key (meta "search.id_key", 64 hex digits),
// created once by the first engine that opens the store and read by every other.
//
// What it guarantees: an id altered or made up without the key checks only by a guess of the
// 64-bit tag (2^-64 a try); a genuine id credits a product it did not show only when that
// product's fingerprint equals one of the n shown under the id's nonce (n / 2^32 a try: about
// 1 in 200 million at 20 hits). The nonce salts the fingerprints, so that no fixed pair of
// product ids collides under every id.
//
// Thread safety: a SearchIdCodec is immutable; share it between threads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "commerce/search.h"
#include "commerce/status.h"
#include "commerce/storage.h"
#include "common/siphash.h"

namespace commerce::search {

struct SearchIdFields {
  int64_t hour = 0;
  uint64_t nonce = 0;
  std::string query;
  std::vector<uint32_t> shown;  // fingerprints of the hits shown
};

class SearchIdCodec {
 public:
  static constexpr size_t kMaxShown = 100;   // SearchRequest::limit's most: a page's hits
  static constexpr size_t kKeyHexDigits = 64;
  static constexpr size_t kMaxQuery = 471;   // AnalyticsStore::kMaxStoredQuery
  static constexpr size_t kMaxIdChars = 1 + (13 + 4 * kMaxShown + kMaxQuery + 8 + 2) / 3 * 4;

  // A codec under `key_hex` (64 lower-case hex digits): InvalidArgument otherwise.
  static Result<SearchIdCodec> FromHex(std::string_view key_hex);
  // A codec under a fresh random key (an engine before it reads its store's).
  static SearchIdCodec Random();
  // The store's key (table `meta`, key KeyName()): read, or made and written with an
  // insert-if-absent when the store has none yet, so that engines opening one store at once
  // agree on the first written. Corruption when the stored key is damaged.
  static Result<SearchIdCodec> Open(Storage* storage, Table meta);
  static std::string KeyName();  // the key in meta: KeyBuilder().str("search.id_key")
  // What is wrong with a stored key ("" when nothing): commerce verify's check.
  static std::string KeyProblem(std::string_view key_hex);

  // `query` is cut to kMaxQuery bytes here (CutQuery).
  std::string Encode(int64_t hour, uint64_t nonce, std::string_view query,
                     const std::vector<SearchHit>& hits) const;
  // The id's fields. InvalidArgument: not the shape of a search id. NotFound: the shape, but
  // its tag does not check (altered, made up, or issued under another store's key).
  Result<SearchIdFields> Decode(std::string_view id) const;
  uint32_t Fingerprint(uint64_t nonce, std::string_view product_id) const;

  // `query` cut to at most kMaxQuery bytes, at the start of a UTF-8 character.
  static std::string_view CutQuery(std::string_view query);

 private:
  SearchIdCodec(SipKey tag, SipKey fingerprint) : tag_(tag), fingerprint_(fingerprint) {}
  SipKey tag_, fingerprint_;
};

}  // namespace commerce::search
