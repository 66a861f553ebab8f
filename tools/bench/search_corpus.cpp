#include "search_corpus.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <unordered_set>

namespace commerce::bench {

namespace {

// The splitmix64 finaliser: a bijective 64-bit mix.
uint64_t Mix(uint64_t z) {
  z += 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// Salts of the independent streams drawn from one seed.
constexpr uint64_t kVocabularySalt = 0x766f636162ull;
constexpr uint64_t kBrandSalt = 0x6272616e64ull;
constexpr uint64_t kCategorySalt = 0x6361746567ull;
constexpr uint64_t kProductSalt = 0x70726f64ull;
constexpr uint64_t kRevisionSalt = 0x7265766973ull;
constexpr uint64_t kQuerySalt = 0x7175657279ull;

constexpr const char* kOnsets[] = {"b",  "c",  "d",  "f",  "g",  "h",  "j",  "k",  "l",  "m",  "n",
                                   "p",  "r",  "s",  "t",  "v",  "w",  "z",  "br", "cr", "dr", "fr",
                                   "gr", "pr", "tr", "st", "sl", "pl", "bl", "cl", "gl", "sk", "sh"};
constexpr const char* kVowels[] = {"a", "e", "i", "o", "u", "a", "o", "ai", "ea", "ou", "io", "y"};
constexpr const char* kCodas[] = {"", "", "", "", "n", "r", "l", "m", "x", "s", "nd", "rt"};

// A pronounceable pseudo-word of 2 (3 times in 4) or 3 syllables from one random number.
std::string PseudoWord(uint64_t r) {
  std::string w;
  const int syllables = r % 4 == 0 ? 3 : 2;
  r /= 4;
  for (int s = 0; s < syllables; ++s) {
    w += kOnsets[r % std::size(kOnsets)];
    r /= std::size(kOnsets);
    w += kVowels[r % std::size(kVowels)];
    r /= std::size(kVowels);
    if (r == 0) r = Mix(w.size() * 131 + s);
  }
  w += kCodas[r % std::size(kCodas)];
  return w;
}

// `n` distinct pseudo-words (each at least `min_len` letters) from the stream `salt`.
std::vector<std::string> DistinctWords(uint64_t seed, uint64_t salt, uint64_t n, size_t min_len,
                                       std::unordered_set<std::string>* taken) {
  std::vector<std::string> out;
  out.reserve(n);
  for (uint64_t k = 0; out.size() < n; ++k) {
    std::string w = PseudoWord(Mix(seed ^ Mix(salt + k)));
    if (w.size() < min_len || !taken->insert(w).second) continue;
    out.push_back(std::move(w));
  }
  return out;
}

std::string Capitalised(std::string w) {
  if (!w.empty() && w[0] >= 'a' && w[0] <= 'z') w[0] = static_cast<char>(w[0] - 'a' + 'A');
  return w;
}

// Leaf categories by Zipf rank: rank r is leaf (r * 7919) mod 300, so popular leaves are
// spread over the departments (7919 is prime to 300).
uint64_t LeafOfRank(uint64_t rank) {
  return (rank * 7919) % (SearchCorpus::kDepartments * SearchCorpus::kLeavesPerDepartment);
}

std::string DepartmentId(uint64_t d) { return "dept-" + std::to_string(d); }
std::string LeafId(uint64_t leaf) {
  return DepartmentId(leaf / SearchCorpus::kLeavesPerDepartment) + "/cat-" + std::to_string(leaf);
}

}  // namespace

// ---------------------------------------------------------------------------------------

ZipfTable::ZipfTable(uint64_t n, uint64_t first) : first_(first) {
  cumulative_.reserve(n - first);
  uint64_t total = 0;
  for (uint64_t r = first; r < n; ++r) {
    total += (uint64_t{1} << 40) / (r + 1);
    cumulative_.push_back(total);
  }
}

uint64_t ZipfTable::Draw(uint64_t random) const {
  const uint64_t total = cumulative_.back();
  const auto u = static_cast<uint64_t>((static_cast<__uint128_t>(random) * total) >> 64);
  const auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), u);
  return first_ + static_cast<uint64_t>(it - cumulative_.begin());
}

// ---------------------------------------------------------------------------------------

SearchCorpus::SearchCorpus(SearchCorpusOptions options)
    : options_(options),
      all_words_(kVocabulary),
      content_words_(kVocabulary, kFunctionWords),
      brand_zipf_(kBrands),
      leaf_zipf_(kDepartments * kLeavesPerDepartment) {
  std::unordered_set<std::string> taken;
  vocabulary_ = DistinctWords(options_.seed, kVocabularySalt, kVocabulary, 4, &taken);
  // Brands and category names are their own words (a brand is not also a description word).
  std::vector<std::string> words =
      DistinctWords(options_.seed, kBrandSalt, kBrands + kBrands / 2, 4, &taken);
  brands_.reserve(kBrands);
  for (uint64_t b = 0; b < kBrands; ++b) {
    // Every third brand has two words.
    brands_.push_back(b % 3 == 2 ? Capitalised(words[b]) + " " + Capitalised(words[kBrands + b / 3])
                                 : Capitalised(words[b]));
  }
  const uint64_t leaves = kDepartments * kLeavesPerDepartment;
  words = DistinctWords(options_.seed, kCategorySalt, kDepartments + 2 * leaves, 4, &taken);
  for (uint64_t d = 0; d < kDepartments; ++d) department_names_.push_back(Capitalised(words[d]));
  for (uint64_t l = 0; l < leaves; ++l)
    leaf_names_.push_back(Capitalised(words[kDepartments + 2 * l]) + " " + words[kDepartments + 2 * l + 1]);
}

std::vector<Category> SearchCorpus::categories() const {
  std::vector<Category> out;
  for (uint64_t d = 0; d < kDepartments; ++d) out.push_back({DepartmentId(d), department_names_[d], ""});
  for (uint64_t l = 0; l < leaf_names_.size(); ++l)
    out.push_back({LeafId(l), leaf_names_[l], DepartmentId(l / kLeavesPerDepartment)});
  return out;
}

std::string SearchCorpus::ProductId(uint64_t i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "sp%08llu", static_cast<unsigned long long>(i));
  return buf;
}

std::string SearchCorpus::Sku(uint64_t i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "SP%08llu", static_cast<unsigned long long>(i));
  return buf;
}

Product SearchCorpus::product(uint64_t i, uint32_t revision) const {
  Rng rng(Mix(options_.seed ^ Mix(kProductSalt + i)));
  Product p;
  p.id = ProductId(i);
  p.brand = brands_[brand_zipf_.Draw(rng.next())];
  p.categories.push_back(LeafId(LeafOfRank(leaf_zipf_.Draw(rng.next()))));

  std::vector<uint64_t> title(5 + rng.uniform(5));
  for (auto& w : title) w = content_words_.Draw(rng.next());
  const uint64_t description_words = 20 + rng.uniform(21);
  for (uint64_t k = 0; k < description_words; ++k) {
    if (k) p.description += ' ';
    const std::string& w = Word(all_words_.Draw(rng.next()));
    p.description += k == 0 ? Capitalised(w) : w;
  }
  p.description += '.';
  int64_t dollars = 1 + static_cast<int64_t>(rng.uniform(100) * rng.uniform(100) / 10);
  p.popularity = static_cast<int64_t>(size() / (1 + rng.uniform(size())));

  if (revision > 0) {
    Rng change(Mix(options_.seed ^ Mix(kRevisionSalt + i) ^ Mix(revision)));
    dollars = 1 + static_cast<int64_t>(change.uniform(100) * change.uniform(100) / 10);
    title[change.uniform(title.size())] = content_words_.Draw(change.next());
  }
  for (size_t k = 0; k < title.size(); ++k) {
    if (k) p.title += ' ';
    p.title += Capitalised(Word(title[k]));
  }
  Variant v;
  v.sku = Sku(i);
  v.price = Money{dollars * 100 + 99, "USD"};
  p.variants.push_back(std::move(v));
  return p;
}

void SearchCorpus::ToDoc(const Product& p, SearchDoc* d) const {
  d->id = p.id;
  d->title = p.title;
  d->brand = p.brand;
  d->description = p.description;
  d->category_text.clear();
  d->category_ids.clear();
  for (const std::string& leaf_id : p.categories) {
    // "dept-<d>/cat-<l>"
    const size_t slash = leaf_id.find('/');
    const uint64_t dept = std::stoull(leaf_id.substr(5, slash - 5));
    const uint64_t leaf = std::stoull(leaf_id.substr(slash + 5));
    d->category_ids.push_back(leaf_id.substr(0, slash));
    d->category_ids.push_back(leaf_id);
    if (!d->category_text.empty()) d->category_text += ' ';
    d->category_text += department_names_[dept] + " " + leaf_names_[leaf];
  }
  d->price = p.variants.empty() ? 0 : p.variants[0].price.minor;
  for (const Variant& v : p.variants) d->price = std::min(d->price, v.price.minor);
  d->popularity = p.popularity;
}

bool SearchCorpus::WriteJsonl(const std::string& path, Progress* progress, std::string* error) const {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) {
    *error = "cannot create " + path;
    return false;
  }
  for (uint64_t i = 0; i < size(); ++i) {
    out << ProductToJson(product(i), false) << '\n';
    if (progress && (i & 4095) == 0) progress->Update(i);
  }
  out.close();
  if (!out) {
    *error = "cannot write " + path;
    return false;
  }
  return true;
}

CorpusQuery SearchCorpus::query(uint64_t seed) const {
  Rng rng(Mix(options_.seed ^ Mix(kQuerySalt ^ seed)));
  CorpusQuery q;
  q.product = rng.uniform(size());
  const Product p = product(q.product);
  const std::vector<std::string> title = QueryTokens(p.title);
  const uint64_t roll = rng.uniform(20);
  const size_t want = roll < 7 ? 1 : roll < 15 ? 2 : 3;
  // `want` distinct words at distinct positions, kept in title order.
  std::vector<size_t> picked;
  for (int tries = 0; picked.size() < want && tries < 32; ++tries) {
    const size_t k = rng.uniform(title.size());
    bool dup = false;
    for (size_t j : picked) dup |= j == k || title[j] == title[k];
    if (!dup) picked.push_back(k);
  }
  std::sort(picked.begin(), picked.end());
  for (size_t k : picked) {
    if (!q.text.empty()) q.text += ' ';
    q.text += title[k];
  }
  q.brand = p.brand;
  q.category = p.categories[0].substr(0, p.categories[0].find('/'));
  const int64_t price = p.variants[0].price.minor;
  q.price_min = price / 2;
  q.price_max = price * 2;
  return q;
}

std::vector<CorpusQuery> SearchCorpus::QueryPool(size_t n, uint64_t seed) const {
  std::vector<CorpusQuery> out;
  std::unordered_set<std::string> seen;
  for (uint64_t k = 0; out.size() < n && k < 100 * n + 1000; ++k) {
    CorpusQuery q = query(Mix(seed + k));
    if (seen.insert(q.text).second) out.push_back(std::move(q));
  }
  return out;
}

}  // namespace commerce::bench
