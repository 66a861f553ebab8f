#include "search/search_request.h"

#include <algorithm>
#include <chrono>

#include "common/selector_key.h"
#include "common/utf8.h"
#include "price_lists/price_list_validation.h"

namespace commerce::search {

namespace {

Status Bad(const std::string& field, const std::string& why) {
  return Status::InvalidArgument("search " + field + ": " + why);
}

void Put(std::string& key, std::string_view s) {
  key += std::to_string(s.size());
  key += ':';
  key += s;
}

void PutSorted(std::string& key, std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  key += std::to_string(v.size());
  key += '[';
  for (const auto& s : v) Put(key, s);
}

}  // namespace

Result<CheckedRequest> CheckRequest(const SearchRequest& r) {
  CheckedRequest c{.request = &r};
  size_t chars = 0, words = 0;
  bool in_word = false;
  for (size_t i = 0; i < r.text.size();) {
    char32_t cp;
    size_t len = DecodeUtf8(r.text, i, &cp);
    if (len == 0)
      return Bad("text", "is not valid UTF-8 (bad byte at offset " + std::to_string(i) + ")");
    if (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r')
      return Bad("text", "holds a control character at offset " + std::to_string(i));
    const bool space = cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r';
    if (!space && !in_word) ++words;
    in_word = !space;
    ++chars;
    i += len;
  }
  if (chars > kMaxQueryChars)
    return Bad("text", "is " + std::to_string(chars) + " characters; the limit is " +
                           std::to_string(kMaxQueryChars));
  if (words > kMaxQueryWords)
    return Bad("text", "has " + std::to_string(words) + " words; the limit is " +
                           std::to_string(kMaxQueryWords));
  c.has_text = std::any_of(r.text.begin(), r.text.end(), [](char ch) {
    return static_cast<unsigned char>(ch) >= 0x80 || std::isalnum(static_cast<unsigned char>(ch));
  });

  if (r.limit < 1 || r.limit > 100)
    return Bad("limit", std::to_string(r.limit) + " is outside 1..100");
  if (r.offset > kMaxWindow || r.offset + r.limit > kMaxWindow)
    return Bad("offset", "offset + limit is " + std::to_string(r.offset + r.limit) +
                             "; results go no deeper than " + std::to_string(kMaxWindow) +
                             " (narrow the query or add filters)");
  if (r.price_min && *r.price_min < 0) return Bad("price_min", "must not be negative");
  if (r.price_max && *r.price_max < 0) return Bad("price_max", "must not be negative");
  if (r.price_min && r.price_max && *r.price_min > *r.price_max)
    return Bad("price_min", std::to_string(*r.price_min) + " is above price_max " +
                                std::to_string(*r.price_max));
  if (r.facet_size < 1 || r.facet_size > 100)
    return Bad("facet_size", std::to_string(r.facet_size) + " is outside 1..100");
  if (r.wait_timeout.count() < 0) return Bad("wait_timeout", "must not be negative");
  if (r.minimum_should_match < 1 || r.minimum_should_match > 100)
    return Bad("minimum_should_match", std::to_string(r.minimum_should_match) +
                                           " is outside 1..100 (a percentage of the query's words)");
  auto check_values = [](const char* field, const std::vector<std::string>& v) -> Status {
    if (v.size() > 100) return Bad(field, "more than 100 values");
    for (const auto& s : v) {
      if (s.empty() || s.size() > 1000) return Bad(field, "values must be 1..1000 bytes");
      if (!IsValidUtf8(s)) return Bad(field, "values must be UTF-8 text");
    }
    return Status::OK();
  };
  COMMERCE_RETURN_IF_ERROR(check_values("brands", r.brands));
  COMMERCE_RETURN_IF_ERROR(check_values("categories", r.categories));
  if (r.attributes.size() > 32) return Bad("attributes", "more than 32 filters");
  for (const auto& [name, value] : r.attributes) {
    if (name.empty() || name.size() > 200 || value.empty() || value.size() > 1000)
      return Bad("attributes", "names must be 1..200 bytes and values 1..1000 bytes");
    if (!IsValidUtf8(name) || !IsValidUtf8(value))
      return Bad("attributes", "names and values must be UTF-8 text");
  }
  if (r.facets.size() > 8) return Bad("facets", "more than 8 facets");
  for (const auto& f : r.facets) {
    if (!IsValidUtf8(f))
      return Bad("facets", "names must be UTF-8 text (brand, category, price, category_tree)");
    if (f == "brand") c.facet_brand = true;
    else if (f == "category") c.facet_category = true;
    else if (f == "price") c.facet_price = true;
    else if (f == "category_tree") c.facet_tree = true;
    else
      return Bad("facets", "unknown facet '" + f.substr(0, 64) + "' (brand, category, price, category_tree)");
  }
  if (r.disjunctive_facets.size() > 3) return Bad("disjunctive_facets", "more than 3 facets");
  for (const auto& f : r.disjunctive_facets) {
    if (!IsValidUtf8(f)) return Bad("disjunctive_facets", "names must be UTF-8 text (brand, category, price)");
    if (f != "brand" && f != "category" && f != "price")
      return Bad("disjunctive_facets", "'" + f.substr(0, 64) + "' cannot be disjunctive (brand, category, price)");
    if (std::find(r.facets.begin(), r.facets.end(), f) == r.facets.end())
      return Bad("disjunctive_facets", "'" + f + "' is not among facets (add it there too)");
    if (f == "brand") c.own_brand = !r.brands.empty();
    else if (f == "category") c.own_category = !r.categories.empty();
    else c.own_price = r.price_min.has_value() || r.price_max.has_value();
  }
  if (r.price_buckets.size() > kMaxPriceBuckets)
    return Bad("price_buckets", std::to_string(r.price_buckets.size()) + " bounds; the limit is " +
                                    std::to_string(kMaxPriceBuckets));
  for (size_t i = 0; i < r.price_buckets.size(); ++i) {
    if (r.price_buckets[i] <= 0)
      return Bad("price_buckets", "bound " + std::to_string(r.price_buckets[i]) + " is not above 0");
    if (i > 0 && r.price_buckets[i] <= r.price_buckets[i - 1])
      return Bad("price_buckets", "bounds must ascend (" + std::to_string(r.price_buckets[i - 1]) +
                                      " then " + std::to_string(r.price_buckets[i]) + ")");
  }
  if (r.now_ms < 0) return Bad("now_ms", "must not be negative (ms since the Unix epoch; 0: now)");
  c.now_ms = r.now_ms > 0 ? r.now_ms
                          : std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count();
  // The caller: the keys price lists are selected by (price_lists.h).
  Status caller = r.currency.empty()
                      ? CheckSelectorKey("customer_group", r.customer_group)
                      : ValidatePriceContext({.currency = r.currency,
                                              .customer_group = r.customer_group,
                                              .channel = r.channel});
  if (caller.ok()) caller = CheckSelectorKey("channel", r.channel);
  if (!caller.ok()) return Status::InvalidArgument("search " + caller.message());
  if (!IsValidUtf8(r.sort))
    return Bad("sort", "must be UTF-8 text (relevance, popularity, price_asc, price_desc, newest)");
  if (r.sort.empty()) c.sort = c.has_text ? SortBy::kRelevance : SortBy::kPopularity;
  else if (r.sort == "relevance") c.sort = SortBy::kRelevance;
  else if (r.sort == "popularity") c.sort = SortBy::kPopularity;
  else if (r.sort == "price_asc") c.sort = SortBy::kPriceAsc;
  else if (r.sort == "price_desc") c.sort = SortBy::kPriceDesc;
  else if (r.sort == "newest") c.sort = SortBy::kNewest;
  else
    return Bad("sort", "unknown sort '" + r.sort.substr(0, 64) +
                           "' (relevance, popularity, price_asc, price_desc, newest)");
  return c;
}

std::string CacheKey(const SearchRequest& r) {
  std::string key;
  key.reserve(r.text.size() + 64);
  Put(key, r.text);
  PutSorted(key, r.brands);
  PutSorted(key, r.categories);
  key += r.price_min ? "<" + std::to_string(*r.price_min) : "<";
  key += r.price_max ? ">" + std::to_string(*r.price_max) : ">";
  key += r.in_stock ? 'S' : 's';
  key += std::to_string(r.attributes.size());
  for (const auto& [n, v] : r.attributes) Put(key, n), Put(key, v);
  key += std::to_string(r.facets.size());  // in order: results list facets as asked
  for (const auto& f : r.facets) Put(key, f);
  PutSorted(key, r.disjunctive_facets);
  key += std::to_string(r.price_buckets.size()) + '(';
  for (int64_t b : r.price_buckets) key += std::to_string(b) + ',';
  key += '|' + std::to_string(r.facet_size) + '|' + r.sort + '|' + std::to_string(r.offset) +
         '|' + std::to_string(r.limit) + '|';
  key += r.prefix ? 'P' : 'p';
  key += r.typo_tolerance ? 'T' : 't';
  key += r.relax ? 'R' : 'r';
  key += std::to_string(r.minimum_should_match);
  key += r.category_intent ? 'I' : 'i';
  // A partial result is never cached, but one computed for a request allowing it must not
  // be handed to a coalesced request that does not.
  key += r.allow_partial ? 'A' : 'a';
  key += r.explain ? 'E' : 'e';
  Put(key, r.channel);
  Put(key, r.currency);
  Put(key, r.customer_group);
  return key;
}

}  // namespace commerce::search
