#include "search/category_intent.h"

#include <algorithm>
#include <numeric>

#include "search/query_builder.h"

namespace commerce::search {

std::vector<std::string_view> DeepestCategories(std::string_view categories) {
  std::vector<std::string_view> ids;
  size_t start = 0;
  while (start <= categories.size()) {
    size_t end = categories.find('\n', start);
    if (end == std::string_view::npos) end = categories.size();
    if (end > start) ids.push_back(categories.substr(start, end - start));
    start = end + 1;
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  // In id order a category's descendants follow it directly ("a", "a/b", "a/c"): an id is
  // an ancestor when the next one extends it by a '/'.
  std::vector<std::string_view> out;
  for (size_t i = 0; i < ids.size(); ++i) {
    const bool ancestor = i + 1 < ids.size() && ids[i + 1].size() > ids[i].size() &&
                          ids[i + 1].substr(0, ids[i].size()) == ids[i] && ids[i + 1][ids[i].size()] == '/';
    if (!ancestor) out.push_back(ids[i]);
  }
  return out;
}

void CategoryIntent::Learn(const std::vector<IntentMatch>& window) {
  top_ = 0;
  share_.clear();
  const size_t n = std::min(window.size(), kIntentWindow);
  for (size_t i = 0; i < n; ++i) top_ = std::max(top_, TextWeight(window[i].weight));
  if (top_ <= 0) return;
  double whole = 0;
  for (size_t i = 0; i < n; ++i) {
    const auto deepest = DeepestCategories(window[i].categories);
    if (deepest.empty()) continue;  // no category: no vote, and its mass is no one's
    const double part = TextWeight(window[i].weight) / top_ / static_cast<double>(deepest.size());
    for (auto id : deepest) share_[std::string(id)] += part;
    whole += part * static_cast<double>(deepest.size());
  }
  if (whole <= 0) return;
  for (auto& [id, mass] : share_) mass /= whole;
}

IntentPart CategoryIntent::PartOf(const IntentMatch& m) const {
  IntentPart part;
  if (share_.empty()) return part;
  for (auto id : DeepestCategories(m.categories)) {
    auto it = share_.find(std::string(id));
    // Equal shares: the first id (DeepestCategories is in id order), so every index agrees.
    if (it != share_.end() && it->second > part.share) {
      part.category = it->first;
      part.share = it->second;
    }
  }
  part.added = kIntentWeight * part.share * top_;
  return part;
}

std::vector<size_t> CategoryIntent::Order(const std::vector<IntentMatch>& matches) const {
  std::vector<size_t> order(matches.size());
  std::iota(order.begin(), order.end(), size_t{0});
  if (share_.empty()) return order;
  struct Ranked {
    double words;  // a relaxed query's words matched (0 otherwise): the first tier
    bool code;
    double value;  // TextWeight + added: score / top + w * share, in the weight's units
  };
  std::vector<Ranked> ranked;
  ranked.reserve(matches.size());
  for (const auto& m : matches)
    ranked.push_back({MatchedWords(m.weight), m.code, TextWeight(m.weight) + PartOf(m).added});
  // Ties keep the list's own order (BM25, then the sort key): the order stays total.
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const Ranked& x = ranked[a];
    const Ranked& y = ranked[b];
    if (x.words != y.words) return x.words > y.words;
    if (x.code != y.code) return x.code;
    return x.value > y.value;
  });
  return order;
}

}  // namespace commerce::search
