#include "search/search_id.h"

#include <openssl/crypto.h>

#include <cstring>

#include "common/base64url.h"
#include "common/ids.h"
#include "common/key.h"

namespace commerce::search {

namespace {
constexpr size_t kHead = 4 + 8 + 1;  // hour, nonce, n
constexpr size_t kTag = 8;

void Put(std::string& out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>(v >> (8 * i)));
}

uint64_t Get(std::string_view in, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = v << 8 | static_cast<uint8_t>(in[at + i]);
  return v;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

Status NotAnId(std::string_view id) {
  return Status::InvalidArgument("record_use: search_id \"" + std::string(id.substr(0, 64)) +
                                 (id.size() > 64 ? "..." : "") + "\" is not a search id (SearchResult::search_id)");
}
}  // namespace

std::string SearchIdCodec::KeyProblem(std::string_view key_hex) {
  if (key_hex.size() != kKeyHexDigits) return "the search id key is not 64 hex digits";
  for (char c : key_hex)
    if (HexValue(c) < 0) return "the search id key is not 64 lower-case hex digits";
  return "";
}

Result<SearchIdCodec> SearchIdCodec::FromHex(std::string_view key_hex) {
  if (std::string what = KeyProblem(key_hex); !what.empty()) return Status::InvalidArgument(what);
  unsigned char raw[32];
  for (size_t i = 0; i < 32; ++i)
    raw[i] = static_cast<unsigned char>(HexValue(key_hex[2 * i]) << 4 | HexValue(key_hex[2 * i + 1]));
  return SearchIdCodec(SipKeyFromBytes(raw), SipKeyFromBytes(raw + 16));
}

SearchIdCodec SearchIdCodec::Random() {
  return FromHex(RandomId("", kKeyHexDigits / 2)).value();
}

std::string SearchIdCodec::KeyName() { return KeyBuilder().str("search.id_key").key(); }

Result<SearchIdCodec> SearchIdCodec::Open(Storage* storage, Table meta) {
  const std::string name = KeyName();
  auto stored = [&]() -> Result<std::string> {
    COMMERCE_ASSIGN_OR_RETURN(auto txn, storage->read());
    std::string_view v;
    Status s = txn->get(meta, name, &v);
    if (s.IsNotFound()) return std::string();
    COMMERCE_RETURN_IF_ERROR(s);
    return std::string(v);
  };
  COMMERCE_ASSIGN_OR_RETURN(std::string hex, stored());
  if (hex.empty()) {
    ChangeSet set;
    set.insert(meta, name, RandomId("", kKeyHexDigits / 2));
    ApplyResult r = storage->apply(std::move(set));
    // Present: another engine wrote it first; its key is the one read below.
    if (!r.status.ok() && r.failure != CheckFailure::kPresent) return r.status;
    COMMERCE_ASSIGN_OR_RETURN(hex, stored());
  }
  auto codec = FromHex(hex);
  if (!codec.ok())
    return Status::Corruption("meta search.id_key (the key that signs search ids) is damaged: " +
                              codec.status().message());
  return codec;
}

std::string_view SearchIdCodec::CutQuery(std::string_view query) {
  if (query.size() <= kMaxQuery) return query;
  size_t n = kMaxQuery;
  while (n > 0 && (static_cast<uint8_t>(query[n]) & 0xC0) == 0x80) --n;  // query[n] continues a character
  return query.substr(0, n);
}

uint32_t SearchIdCodec::Fingerprint(uint64_t nonce, std::string_view product_id) const {
  // nonce || product id, on the stack for the ids the catalog allows.
  char buf[8 + 256];
  std::string heap;
  char* p = buf;
  if (product_id.size() > sizeof buf - 8) {
    heap.resize(8 + product_id.size());
    p = heap.data();
  }
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>(nonce >> (56 - 8 * i));
  std::memcpy(p + 8, product_id.data(), product_id.size());
  return static_cast<uint32_t>(SipHash24(fingerprint_, std::string_view(p, 8 + product_id.size())));
}

std::string SearchIdCodec::Encode(int64_t hour, uint64_t nonce, std::string_view query,
                                  const std::vector<SearchHit>& hits) const {
  query = CutQuery(query);
  const size_t n = std::min(hits.size(), kMaxShown);
  std::string raw;
  raw.reserve(kHead + 4 * n + query.size() + kTag);
  Put(raw, static_cast<uint64_t>(hour), 4);
  Put(raw, nonce, 8);
  raw.push_back(static_cast<char>(n));
  for (size_t i = 0; i < n; ++i) Put(raw, Fingerprint(nonce, hits[i].product_id), 4);
  raw.append(query);
  Put(raw, SipHash24(tag_, raw), kTag);
  return "s" + Base64UrlEncode(raw);
}

Result<SearchIdFields> SearchIdCodec::Decode(std::string_view id) const {
  if (id.size() < 2 || id.size() > kMaxIdChars || id[0] != 's') return NotAnId(id);
  auto raw = Base64UrlDecode(id.substr(1));
  if (!raw || raw->size() < kHead + kTag) return NotAnId(id);
  const size_t n = static_cast<uint8_t>((*raw)[12]);
  if (n > kMaxShown || raw->size() < kHead + 4 * n + kTag) return NotAnId(id);
  const std::string_view body(raw->data(), raw->size() - kTag);
  unsigned char expected[kTag], got[kTag];
  const uint64_t tag = SipHash24(tag_, body);
  for (size_t i = 0; i < kTag; ++i) {
    expected[i] = static_cast<unsigned char>(tag >> (56 - 8 * i));
    got[i] = static_cast<unsigned char>((*raw)[body.size() + i]);
  }
  // Constant time: how much of a tag matched must not leak through the time to refuse it.
  if (CRYPTO_memcmp(expected, got, kTag) != 0)
    return Status::NotFound("record_use: search " + std::string(id.substr(0, 64)) + (id.size() > 64 ? "..." : "") +
                            " was not issued by an engine of this store (an id altered, made up, or of another "
                            "store)");
  SearchIdFields f;
  f.hour = static_cast<int64_t>(Get(*raw, 0, 4));
  f.nonce = Get(*raw, 4, 8);
  f.shown.reserve(n);
  for (size_t i = 0; i < n; ++i) f.shown.push_back(static_cast<uint32_t>(Get(*raw, kHead + 4 * i, 4)));
  f.query = std::string(body.substr(kHead + 4 * n));
  return f;
}

}  // namespace commerce::search
