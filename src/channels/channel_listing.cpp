#include "channels/channel_listing.h"

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog_store.h"
#include "catalog/product_codec.h"
#include "channels/channel_store.h"
#include "common/key.h"
#include "common/record.h"

namespace commerce {

namespace {

// `cat` is `ancestor` or one of its sub-categories (ids are paths: "a/b" is under "a").
bool IsUnder(std::string_view cat, std::string_view ancestor) {
  return cat.size() >= ancestor.size() && cat.substr(0, ancestor.size()) == ancestor &&
         (cat.size() == ancestor.size() || cat[ancestor.size()] == '/');
}

// A range of keys (prefix, product id), ascending by product id.
struct RangeSource {
  Table table;
  std::string prefix;
  bool values_are_products = false;  // the products table: the value is the product
};

struct Candidate {
  bool listed = false;  // read from a range, so the product exists (an id of product_ids may not)
  std::optional<std::string> product;  // the record, when a range read it already
};

}  // namespace

Result<Page<Product>> ListChannelProducts(ReadView& view, const Tables& t, const Channel& c,
                                          std::string_view category_id, const ListOptions& o) {
  // The sources (see the header). When the channel shows all of the asked category (no rules,
  // or one of its categories is that category or an ancestor), that one range is the listing;
  // when it shows part of it, the asked category's range with each product checked.
  std::vector<RangeSource> ranges;
  std::vector<std::string> ids;
  bool all = c.category_ids.empty() && c.product_ids.empty();
  for (const std::string& cat : c.category_ids)
    if (!category_id.empty() && IsUnder(category_id, cat)) all = true;
  const bool check_each = !category_id.empty() && !all;
  if (!category_id.empty()) {
    ranges.push_back({t.category_products, KeyBuilder().str(category_id).key()});
  } else if (all) {
    ranges.push_back({t.products, "", true});
  } else {
    for (const std::string& cat : c.category_ids)
      ranges.push_back({t.category_products, KeyBuilder().str(cat).key()});
    ids = c.product_ids;
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  }
  std::vector<std::string> excluded = c.excluded_product_ids;
  std::sort(excluded.begin(), excluded.end());

  Page<Product> page;
  std::optional<std::string> after;
  if (!o.cursor.empty()) after = o.cursor;
  // Each round reads up to `want` keys past `after` from every source: enough for the rest of
  // the page and one more (which says whether there is a next page).
  const size_t want = o.limit + 1;
  for (;;) {
    std::vector<std::string> begins, ends;
    begins.reserve(ranges.size());
    ends.reserve(ranges.size());
    std::vector<RangeRead> reads;
    for (const RangeSource& r : ranges) {
      begins.push_back(after ? PrefixEnd(r.prefix + KeyBuilder().str(*after).key()) : r.prefix);
      ends.push_back(PrefixEnd(r.prefix));
      reads.push_back({r.table, begins.back(), ends.back(), want});
    }
    std::map<std::string, Candidate> cands;
    // The smallest last id of a source that was cut off: past it, a source not read yet may
    // hold a smaller id, so only candidates up to it are in order.
    std::optional<std::string> frontier;
    auto cut_at = [&](const std::string& id) {
      if (!frontier || id < *frontier) frontier = id;
    };
    if (!reads.empty()) {
      COMMERCE_ASSIGN_OR_RETURN(ReadResults read, view.read_many({}, reads));
      for (size_t i = 0; i < ranges.size(); ++i) {
        const auto& rows = read.ranges[i];
        std::string last;
        for (const KeyValue& kv : rows) {
          KeyReader kr(std::string_view(kv.key).substr(ranges[i].prefix.size()));
          auto id = kr.str();
          if (!id) return Status::Corruption("catalog index key does not decode");
          Candidate& cand = cands[*id];
          cand.listed = true;
          if (ranges[i].values_are_products) cand.product = kv.value;
          last = std::move(*id);
        }
        if (rows.size() == want) cut_at(last);
      }
    }
    auto it = after ? std::upper_bound(ids.begin(), ids.end(), *after) : ids.begin();
    size_t taken = 0;
    for (; it != ids.end() && taken < want; ++it, ++taken) cands.try_emplace(*it);
    if (it != ids.end()) cut_at(*(it - 1));

    // The products to read this round: at most `want`, so a round reads no more products than
    // a page holds (and one); the next round goes on after the last of them.
    std::vector<std::string> todo;
    for (auto& [id, cand] : cands) {
      if (frontier && id > *frontier) break;
      if (std::binary_search(excluded.begin(), excluded.end(), id)) continue;
      todo.push_back(id);
      if (todo.size() == want) {
        frontier = id;
        break;
      }
    }
    std::vector<std::string> keys;
    std::vector<KeyRead> gets;
    keys.reserve(todo.size());
    for (const std::string& id : todo)
      if (!cands[id].product) {
        keys.push_back(KeyBuilder().str(id).key());
        gets.push_back({t.products, keys.back()});
      }
    std::vector<std::optional<std::string>> got;
    if (!gets.empty()) {
      COMMERCE_ASSIGN_OR_RETURN(got, view.get_many(gets));
    }
    size_t next_get = 0;
    for (const std::string& id : todo) {
      Candidate& cand = cands[id];
      const std::string key = KeyBuilder().str(id).key();
      if (!cand.product) {
        cand.product = std::move(got[next_get++]);
        // A product id of the channel need not name a product (yet).
        if (!cand.product && !cand.listed) continue;
      }
      COMMERCE_ASSIGN_OR_RETURN(Product p,
                                DecodeRecord<Product>(cand.product, key, id, "product", DecodeProduct));
      if (check_each && !VisibleIn(c, p)) continue;
      if (p.status == ProductStatus::kArchived && !o.include_archived) continue;
      if (page.items.size() == o.limit) {
        page.next_cursor = page.items.back().id;
        return page;
      }
      page.items.push_back(std::move(p));
    }
    if (!frontier) return page;
    after = std::move(frontier);
  }
}

}  // namespace commerce
