// The search subcommands of the CLI (search, reindex) and the demo's search step.
#include <unistd.h>

#include <cstdio>
#include <sstream>
#include <thread>

#include "commands.h"
#include "commerce/commerce.h"
#include "progress.h"

namespace commerce::cli {

namespace {

// A hit's title for a terminal: the search's HTML highlighting (<b>..</b>, &amp; ...) becomes
// bold on a terminal and plain text in a pipe or a file, so that piped results carry no
// markup. At most `width` characters (UTF-8 aware), padded to `width` columns.
std::string TerminalTitle(const std::string& html, size_t width, bool tty) {
  static constexpr std::pair<std::string_view, std::string_view> kEntities[] = {
      {"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}};
  std::string out;
  size_t columns = 0;
  bool bold = false;
  for (size_t i = 0; i < html.size() && columns < width;) {
    std::string_view rest = std::string_view(html).substr(i);
    if (rest.starts_with("<b>") || rest.starts_with("</b>")) {
      bold = rest[1] == 'b';
      if (tty) out += bold ? "\033[1m" : "\033[0m";
      i += bold ? 3 : 4;
      continue;
    }
    bool entity = false;
    for (auto [name, text] : kEntities)
      if (rest.starts_with(name)) {
        out += text;
        i += name.size();
        entity = true;
        break;
      }
    if (!entity) {
      auto c = static_cast<unsigned char>(html[i]);
      size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
      out.append(html, i, std::min(len, html.size() - i));
      i += len;
    }
    ++columns;
  }
  if (bold && tty) out += "\033[0m";
  out.append(width - columns, ' ');
  return out;
}

std::vector<std::string> Split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

// SearchRequest::explain's data under a hit, indented beneath it: one line for the text and
// weight, one per matched term (the BM25 part it gave), one for its tier and sort.
void PrintExplanation(const HitExplanation& x) {
  std::printf("      found by '%s'%s", x.query.c_str(), x.corrected ? " (the spelling correction)" : "");
  if (x.relaxed) std::printf(", some words required: %.1f matched", x.words_matched);
  std::printf(", weight %.4f\n", x.weight);
  for (const auto& t : x.terms)
    std::printf("        term %-20s wdf %-4u weight %.4f\n", t.term.c_str(), t.wdf, t.weight);
  std::string rules;
  for (const auto& id : x.rules) rules += (rules.empty() ? "" : ", ") + id;
  if (x.tier == "pinned")
    std::printf("      pinned at %u by rule %s", x.pinned_position, rules.c_str());
  else if (!x.tier.empty())
    std::printf("      %s by rule %s", x.tier.c_str(), rules.c_str());
  else
    std::printf("      ranked");
  std::printf("; sort %s, then product id\n", x.sort.c_str());
  if (!x.intent_category.empty())
    std::printf("      category intent: %s, share %.2f, added %.4f\n", x.intent_category.c_str(), x.intent_share,
                x.intent_added);
}

void PrintResult(const SearchRequest& r, const SearchResult& res) {
  std::printf("   %llu%s products for '%s'%s%s\n", (unsigned long long)res.total,
              res.total_exact ? "" : " (about)", r.text.c_str(),
              res.used_correction ? (", showing results for '" + res.corrected_query + "'").c_str()
              : !res.corrected_query.empty() ? (", did you mean '" + res.corrected_query + "'?").c_str()
                                             : "",
              res.relaxed ? " (matching some of the words)" : "");
  const bool tty = ::isatty(1);
  for (const auto& h : res.hits) {
    std::printf("   %-14s %s %10s %s%s\n", h.product_id.c_str(),
                TerminalTitle(h.highlighted_title, 64, tty).c_str(),
                FormatMoney(h.price).c_str(), h.price.currency.c_str(), h.in_stock ? "" : "  (out of stock)");
    if (h.explanation) PrintExplanation(*h.explanation);
  }
  if (!res.rules_applied.empty()) {
    std::string rules;
    for (const auto& id : res.rules_applied) rules += (rules.empty() ? "" : ", ") + id;
    std::printf("   rules applied: %s (rule set version %llu)\n", rules.c_str(),
                (unsigned long long)res.rules_version);
  }
  if (!res.redirect.empty()) std::printf("   redirect: %s\n", res.redirect.c_str());
  for (const auto& f : res.facets) {
    std::printf("   facet %s%s:", f.field.c_str(), f.exact ? "" : " (estimated)");
    for (const auto& v : f.values) std::printf("  %s (%llu)", v.label.c_str(), (unsigned long long)v.count);
    std::printf("\n");
  }
}

}  // namespace

Status CatchUpIndex(Engine& engine) {
  COMMERCE_ASSIGN_OR_RETURN(uint64_t target, engine.events().last_seq());
  COMMERCE_ASSIGN_OR_RETURN(auto st, engine.search().stats());
  if (st.indexed_seq >= target) return Status::OK();
  ProgressBar bar("indexing for search");
  const uint64_t from = st.indexed_seq;
  for (;;) {
    Status s = engine.search().wait_for(target, std::chrono::milliseconds(200));
    COMMERCE_ASSIGN_OR_RETURN(st, engine.search().stats());
    bar.update(st.indexed_seq - std::min(st.indexed_seq, from), target - from,
               std::to_string(st.documents) + " products searchable");
    if (s.ok()) break;
    if (s.code() != Code::kDeadlineExceeded) return s;
  }
  bar.finish(std::to_string(st.documents) + " products searchable");
  return Status::OK();
}

int RunSearch(const SearchArgs& a) {
  auto engine = OpenStore(a.store, StoreUse::kRead);
  if (!engine.ok()) return Fail(engine.status());
  if (Status s = CatchUpIndex(**engine); !s.ok()) return Fail(s);
  SearchRequest r;
  r.text = a.text;
  r.brands = a.brands;
  r.categories = a.categories;
  if (a.price_min >= 0) r.price_min = a.price_min;
  if (a.price_max >= 0) r.price_max = a.price_max;
  r.in_stock = a.in_stock;
  r.facets = Split(a.facets);
  r.sort = a.sort;
  r.offset = a.offset;
  r.limit = a.limit;
  r.explain = a.explain;
  auto res = (*engine)->search().query(r);
  if (!res.ok()) return Fail(res.status());
  PrintResult(r, *res);
  return 0;
}

int RunReindex(const StoreArgs& s, uint32_t shards) {
  auto engine = OpenStore(s, StoreUse::kRead);
  if (!engine.ok()) return Fail(engine.status());
  ProgressBar bar("rebuilding the search index");
  Status st = (*engine)->search().rebuild(shards, [&](const RebuildProgress& p) {
    bar.update(p.products_done, p.products_total,
               std::to_string(p.products_done) + " products" +
                   (p.elapsed_s > 0 ? ", " + std::to_string(static_cast<int>(p.products_done / p.elapsed_s)) + "/s" : ""));
  });
  if (!st.ok()) return Fail(st);
  auto stats = (*engine)->search().stats();
  if (!stats.ok()) return Fail(stats.status());
  bar.finish(std::to_string(stats->documents) + " products in " + std::to_string(stats->shards) +
             " shards, " + std::to_string(stats->index_bytes / (1024 * 1024)) + " MB");
  return 0;
}

namespace {

// The most populous department, then its most populous sub-category (when it has any): ""
// for a catalog without categories.
Result<std::string> LargestCategory(Engine& engine) {
  std::string id;
  for (int level = 0; level < 2; ++level) {
    SearchRequest r{.facets = {"category"}, .facet_size = 1, .limit = 1};
    if (!id.empty()) r.categories = {id};
    COMMERCE_ASSIGN_OR_RETURN(SearchResult res, engine.search().query(r));
    if (res.facets.empty() || res.facets[0].values.empty()) break;
    id = res.facets[0].values[0].value;
  }
  return id;
}

}  // namespace

Result<std::vector<Product>> DemoSearch(Engine& engine) {
  COMMERCE_RETURN_IF_ERROR(CatchUpIndex(engine));
  std::vector<Product> picked;
  struct Step { std::string what; SearchRequest request; };
  // The category browsed is the largest sub-category of the largest department of the
  // catalog loaded, found by the category facet: a fixed id (it was "electronics/audio") is
  // only there in the generated catalog, and a browse of imported data found nothing.
  COMMERCE_ASSIGN_OR_RETURN(std::string browsed, LargestCategory(engine));
  const Step steps[] = {
      {"free text with facets", {.text = "wireless headphones", .facets = {"brand", "price"}, .limit = 5}},
      {"a misspelt query", {.text = "wireles hedphones", .limit = 3}},
      {"search-as-you-type", {.text = "frying p", .limit = 3}},
      {"browse category '" + browsed + "', cheapest first",
       {.categories = {browsed}, .facets = {"category"}, .sort = "price_asc", .limit = 3}},
  };
  for (const auto& step : steps) {
    if (step.request.categories.size() == 1 && step.request.categories[0].empty()) continue;  // no category
    auto res = engine.search().query(step.request);
    if (!res.ok()) return res.status();
    std::printf("-- search, %s:\n", step.what.c_str());
    PrintResult(step.request, *res);
    // The cart below is filled with what the first search found.
    for (const auto& h : res->hits) {
      if (picked.size() >= 2) break;
      auto p = engine.catalog().get(h.product_id);
      if (!p.ok()) return p.status();
      picked.push_back(std::move(*p));
    }
  }
  return picked;
}

}  // namespace commerce::cli
