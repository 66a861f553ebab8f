#include "search/rules.h"

#include <algorithm>
#include <cctype>
#include <set>

#include <cereal/types/map.hpp>

#include "common/codec.h"
#include "common/utf8.h"
#include "search/index_schema.h"
#include "search/synonyms.h"

namespace commerce {

template <class Archive>
void serialize(Archive& ar, ProductSelector& s, std::uint32_t /*version*/) {
  ar(s.product_ids, s.brands, s.categories, s.attributes);
}

template <class Archive>
void serialize(Archive& ar, PinnedProduct& p, std::uint32_t /*version*/) {
  ar(p.product_id, p.position);
}

template <class Archive>
void serialize(Archive& ar, MerchandisingRule& r, std::uint32_t version) {
  ar(r.id, r.description, r.query, r.match, r.categories, r.enabled, r.pins, r.boost, r.bury,
     r.hide, r.version);
  // 2: redirect and schedule. A record of version 1 reads as no redirect, always applying.
  if (version >= 2) ar(r.redirect, r.starts_at_ms, r.ends_at_ms);
}

template <class Archive>
void serialize(Archive& ar, RuleSet& s, std::uint32_t /*version*/) {
  ar(s.version, s.rules);
}

}  // namespace commerce

CEREAL_CLASS_VERSION(commerce::ProductSelector, 1);
CEREAL_CLASS_VERSION(commerce::PinnedProduct, 1);
CEREAL_CLASS_VERSION(commerce::MerchandisingRule, 2);
CEREAL_CLASS_VERSION(commerce::RuleSet, 1);

namespace commerce::search {

namespace {

constexpr size_t kMaxRuleIdBytes = 64;
constexpr size_t kMaxRuleTextBytes = 500;

Status CheckText(const std::string& field, std::string_view value, size_t max_bytes) {
  if (value.size() > max_bytes)
    return Status::InvalidArgument(field + ": longer than " + std::to_string(max_bytes) + " bytes");
  COMMERCE_RETURN_IF_ERROR(CheckUtf8(field, value));
  for (char c : value)
    if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t')
      return Status::InvalidArgument(field + ": holds a control character");
  return Status::OK();
}

Status CheckList(const std::string& field, std::vector<std::string>* values) {
  if (values->size() > kMaxSelectorEntries)
    return Status::InvalidArgument(field + ": " + std::to_string(values->size()) +
                                   " entries; at most " + std::to_string(kMaxSelectorEntries));
  for (size_t i = 0; i < values->size(); ++i) {
    std::string v = Trim((*values)[i]);
    const std::string where = field + "[" + std::to_string(i) + "]";
    if (v.empty()) return Status::InvalidArgument(where + ": empty");
    COMMERCE_RETURN_IF_ERROR(CheckText(where, v, kMaxRuleTextBytes));
    (*values)[i] = std::move(v);
  }
  return Status::OK();
}

Status CheckSelector(const std::string& field, ProductSelector* s) {
  COMMERCE_RETURN_IF_ERROR(CheckList(field + ".product_ids", &s->product_ids));
  COMMERCE_RETURN_IF_ERROR(CheckList(field + ".brands", &s->brands));
  COMMERCE_RETURN_IF_ERROR(CheckList(field + ".categories", &s->categories));
  if (s->attributes.size() > kMaxSelectorEntries)
    return Status::InvalidArgument(field + ".attributes: more than " +
                                   std::to_string(kMaxSelectorEntries) + " entries");
  for (const auto& [name, value] : s->attributes) {
    if (Trim(name).empty()) return Status::InvalidArgument(field + ".attributes: an empty name");
    COMMERCE_RETURN_IF_ERROR(CheckText(field + ".attributes name", name, kMaxRuleTextBytes));
    COMMERCE_RETURN_IF_ERROR(CheckText(field + ".attributes[" + name + "]", value, kMaxRuleTextBytes));
  }
  return Status::OK();
}

// A request category falls under a rule's category when it is that category or one below it
// (ids are paths: "tv/oled" is under "tv").
bool Under(std::string_view requested, std::string_view rule) {
  return requested == rule ||
         (requested.size() > rule.size() && requested.substr(0, rule.size()) == rule &&
          requested[rule.size()] == '/');
}

// What a redirect may be: an absolute http(s) URL with a host, printable ASCII without
// spaces (browsers need the rest percent-encoded anyway), short enough for every hop.
Status CheckRedirect(std::string_view url) {
  if (url.size() > kMaxRedirectBytes)
    return Status::InvalidArgument("redirect: longer than " + std::to_string(kMaxRedirectBytes) +
                                   " bytes");
  for (char c : url)
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f)
      return Status::InvalidArgument(
          "redirect: holds a space, a control or a non-ASCII character (percent-encode it)");
  std::string lower(url.substr(0, std::min<size_t>(url.size(), 8)));
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  size_t rest = 0;
  if (lower.rfind("https://", 0) == 0) rest = 8;
  else if (lower.rfind("http://", 0) == 0) rest = 7;
  else
    return Status::InvalidArgument("redirect: '" + std::string(url.substr(0, 40)) +
                                   "' is not an absolute http:// or https:// URL");
  const size_t host_end = url.find_first_of("/?#", rest);
  const std::string_view host = url.substr(rest, host_end == std::string_view::npos ? std::string_view::npos : host_end - rest);
  if (host.empty() || host.front() == ':' || host.front() == '@')
    return Status::InvalidArgument("redirect: '" + std::string(url.substr(0, 40)) + "' has no host");
  return Status::OK();
}

bool ContainsRun(const std::vector<std::string>& text, const std::vector<std::string>& run) {
  if (run.empty() || run.size() > text.size()) return false;
  return std::search(text.begin(), text.end(), run.begin(), run.end()) != text.end();
}

}  // namespace

Status CheckRuleId(std::string_view id) {
  if (id.empty() || id.size() > kMaxRuleIdBytes)
    return Status::InvalidArgument("id: must be 1.." + std::to_string(kMaxRuleIdBytes) +
                                   " characters of A-Z a-z 0-9 _ . -");
  for (char c : id)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-')
      return Status::InvalidArgument("id: '" + ToValidUtf8(id) +
                                     "' holds a character other than A-Z a-z 0-9 _ . -");
  return Status::OK();
}

Result<MerchandisingRule> CheckRule(const MerchandisingRule& in) {
  MerchandisingRule r = in;
  COMMERCE_RETURN_IF_ERROR(CheckRuleId(r.id));
  COMMERCE_RETURN_IF_ERROR(CheckText("description", r.description, kMaxRuleTextBytes));
  r.query = Trim(r.query);
  COMMERCE_RETURN_IF_ERROR(CheckText("query", r.query, kMaxQueryChars));
  if (!r.query.empty() && Words(r.query).empty())
    return Status::InvalidArgument("query: '" + r.query + "' has no word");
  std::string match = r.match;
  for (char& c : match) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (match.empty()) match = "exact";
  if (match != "exact" && match != "contains")
    return Status::InvalidArgument("match: '" + ToValidUtf8(r.match) + "'; expected 'exact' or 'contains'");
  r.match = match;
  COMMERCE_RETURN_IF_ERROR(CheckList("categories", &r.categories));
  if (r.query.empty() && r.categories.empty())
    return Status::InvalidArgument("query, categories: a rule needs a query or a category to apply to");
  if (r.pins.size() > kMaxRulePins)
    return Status::InvalidArgument("pins: " + std::to_string(r.pins.size()) + " pins; at most " +
                                   std::to_string(kMaxRulePins));
  std::set<std::string> pinned;
  for (size_t i = 0; i < r.pins.size(); ++i) {
    auto& p = r.pins[i];
    const std::string where = "pins[" + std::to_string(i) + "]";
    p.product_id = Trim(p.product_id);
    if (p.product_id.empty()) return Status::InvalidArgument(where + ".product_id: empty");
    COMMERCE_RETURN_IF_ERROR(CheckText(where + ".product_id", p.product_id, kMaxRuleTextBytes));
    if (p.position < 1 || p.position > kMaxWindow)
      return Status::InvalidArgument(where + ".position: " + std::to_string(p.position) +
                                     "; must be 1.." + std::to_string(kMaxWindow));
    if (!pinned.insert(p.product_id).second)
      return Status::InvalidArgument(where + ".product_id: '" + p.product_id + "' is pinned twice");
  }
  COMMERCE_RETURN_IF_ERROR(CheckSelector("boost", &r.boost));
  COMMERCE_RETURN_IF_ERROR(CheckSelector("bury", &r.bury));
  COMMERCE_RETURN_IF_ERROR(CheckSelector("hide", &r.hide));
  r.redirect = Trim(r.redirect);
  if (!r.redirect.empty()) COMMERCE_RETURN_IF_ERROR(CheckRedirect(r.redirect));
  // As a promotion's window (promotion_validation.cpp): 0 is open, an end is after the start.
  if (r.starts_at_ms < 0)
    return Status::InvalidArgument("starts_at_ms: " + std::to_string(r.starts_at_ms) + " is negative");
  if (r.ends_at_ms < 0)
    return Status::InvalidArgument("ends_at_ms: " + std::to_string(r.ends_at_ms) + " is negative");
  if (r.ends_at_ms > 0 && r.ends_at_ms <= r.starts_at_ms)
    return Status::InvalidArgument("ends_at_ms: must be after starts_at_ms");
  if (r.pins.empty() && r.boost.empty() && r.bury.empty() && r.hide.empty() && r.redirect.empty())
    return Status::InvalidArgument("pins, boost, bury, hide, redirect: the rule changes nothing");
  r.version = 0;
  return r;
}

std::string EncodeRuleSet(const RuleSet& set) { return Encode(set); }

Status DecodeRuleSet(std::string_view bytes, RuleSet* set) {
  return Decode(bytes, set, "meta", "search.rules");
}

std::vector<std::string> SelectorTerms(const ProductSelector& s) {
  std::vector<std::string> terms;
  for (const auto& id : s.product_ids) terms.push_back(IdTerm(id));
  for (const auto& b : s.brands) terms.push_back(BooleanTerm(kPrefixBrand, b));
  for (const auto& c : s.categories) terms.push_back(BooleanTerm(kPrefixCategory, c));
  for (const auto& [name, value] : s.attributes)
    terms.push_back(BooleanTerm(kPrefixAttribute, name + "=" + value));
  std::sort(terms.begin(), terms.end());
  terms.erase(std::unique(terms.begin(), terms.end()), terms.end());
  return terms;
}

Xapian::Query AnyTerm(const std::vector<std::string>& terms) {
  return Xapian::Query(Xapian::Query::OP_OR, terms.begin(), terms.end());
}

bool HasAnyTerm(const Xapian::Document& doc, const std::vector<std::string>& terms) {
  for (const auto& t : terms) {
    auto it = doc.termlist_begin();
    it.skip_to(t);
    if (it != doc.termlist_end() && *it == t) return true;
  }
  return false;
}

Rules::Rules(RuleSet set) : set_(std::move(set)) {
  std::sort(set_.rules.begin(), set_.rules.end(),
            [](const auto& a, const auto& b) { return a.id < b.id; });
  for (const auto& r : set_.rules) {
    query_words_.push_back(Words(r.query));
    if (!r.enabled) continue;
    if (r.starts_at_ms > 0) boundaries_.push_back(r.starts_at_ms);
    if (r.ends_at_ms > 0) boundaries_.push_back(r.ends_at_ms);
  }
  std::sort(boundaries_.begin(), boundaries_.end());
  boundaries_.erase(std::unique(boundaries_.begin(), boundaries_.end()), boundaries_.end());
}

size_t Rules::BoundariesPassed(int64_t now_ms) const {
  return static_cast<size_t>(std::upper_bound(boundaries_.begin(), boundaries_.end(), now_ms) -
                             boundaries_.begin());
}

std::string Rules::CacheKeySuffix(int64_t now_ms) const {
  std::string out = "|rules:" + std::to_string(set_.version);
  if (!boundaries_.empty()) out += "@" + std::to_string(BoundariesPassed(now_ms));
  return out;
}

AppliedRules Rules::Apply(const SearchRequest& request, int64_t now_ms) const {
  AppliedRules out;
  if (set_.rules.empty()) return out;
  const std::vector<std::string> text = Words(request.text);
  std::set<std::string> pinned;
  for (size_t i = 0; i < set_.rules.size(); ++i) {
    const MerchandisingRule& r = set_.rules[i];
    if (!r.enabled) continue;
    if (r.starts_at_ms > 0 && now_ms < r.starts_at_ms) continue;
    if (r.ends_at_ms > 0 && now_ms >= r.ends_at_ms) continue;
    const auto& words = query_words_[i];
    if (!words.empty() && !(r.match == "exact" ? text == words : ContainsRun(text, words))) continue;
    if (!r.categories.empty()) {
      bool any = false;
      for (const auto& want : r.categories)
        for (const auto& have : request.categories) any = any || Under(have, want);
      if (!any) continue;
    }
    out.ids.push_back(r.id);
    if (out.redirect.empty()) out.redirect = r.redirect;  // rules go by id: the lowest's wins
    for (const auto& p : r.pins)  // a product pinned by two rules: the first rule (by id) places it
      if (pinned.insert(p.product_id).second) out.pins.push_back({p.product_id, p.position, r.id});
    for (auto& t : SelectorTerms(r.hide)) out.hide_terms.push_back(std::move(t));
    if (!r.boost.empty()) out.boosts.push_back({r.id, SelectorTerms(r.boost)});
    if (!r.bury.empty()) out.buries.push_back({r.id, SelectorTerms(r.bury)});
  }
  std::stable_sort(out.pins.begin(), out.pins.end(),
                   [](const auto& a, const auto& b) { return a.position < b.position; });
  std::sort(out.hide_terms.begin(), out.hide_terms.end());
  out.hide_terms.erase(std::unique(out.hide_terms.begin(), out.hide_terms.end()), out.hide_terms.end());
  return out;
}

}  // namespace commerce::search
