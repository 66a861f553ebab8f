#include "remote/search_result_tier.h"

#include <openssl/evp.h>

#include "search/result_codec.h"

namespace commerce {

namespace {

// SHA-256 as hex: request keys are up to ~1 KiB of text (search.h's limits); the Redis key
// stays 64 characters, and distinct requests never share one.
std::string Sha256Hex(const std::string& s) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(s.data(), s.size(), md, &len, EVP_sha256(), nullptr) != 1) return "";
  static const char* kHex = "0123456789abcdef";
  std::string out;
  out.reserve(2 * len);
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out;
}

}  // namespace

SearchResultTier::SearchResultTier(std::shared_ptr<RedisClient> redis, const SharedCacheOptions& options)
    : redis_(std::move(redis)),
      prefix_(options.key_prefix),
      ttl_(options.search_ttl),
      jitter_(options.ttl_jitter),
      max_bytes_(options.search_max_bytes) {}

std::string SearchResultTier::RedisKey(const std::string& key, uint64_t seq) const {
  return prefix_ + "s:" + std::to_string(seq) + ":" + Sha256Hex(key);
}

std::optional<SearchResult> SearchResultTier::Get(const std::string& key, uint64_t seq) {
  auto value = redis_->Get(RedisKey(key, seq));
  if (!value.ok()) {
    errors_.fetch_add(1, std::memory_order_relaxed);
    return std::nullopt;
  }
  SearchResult r;
  // A damaged or foreign value, or a page of another sequence, is a miss: the index answers
  // and its page replaces the value.
  if (!value->has_value() || !search::DecodeResult(**value, key, &r).ok() || r.index_seq != seq) {
    misses_.fetch_add(1, std::memory_order_relaxed);
    return std::nullopt;
  }
  hits_.fetch_add(1, std::memory_order_relaxed);
  r.from_cache = true;
  return r;
}

void SearchResultTier::Put(const std::string& key, const SearchResult& result) {
  if (result.partial) return;  // the missing shard may answer the next query
  std::string page = search::EncodeResult(key, result);
  if (page.size() > max_bytes_) {
    too_large_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  Status s = redis_->Set(RedisKey(key, result.index_seq), page, JitteredMs(ttl_, jitter_));
  if (s.ok()) stores_.fetch_add(1, std::memory_order_relaxed);
  else errors_.fetch_add(1, std::memory_order_relaxed);
}

void SearchResultTier::AddStats(SharedCacheStats* stats) const {
  stats->search_hits = hits_.load();
  stats->search_misses = misses_.load();
  stats->search_stores = stores_.load();
  stats->search_too_large = too_large_.load();
  stats->search_errors = errors_.load();
}

}  // namespace commerce
