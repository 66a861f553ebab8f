#include "search/facet_spy.h"

#include <algorithm>
#include <string_view>

#include "search/index_schema.h"

namespace commerce::search {

void FacetSpy::operator()(const Xapian::Document& doc, double) {
  ++seen_;
  if (brands_) {
    std::string brand = doc.get_value(kSlotBrand);
    if (!brand.empty()) ++brand_counts_[brand];
  }
  if (categories_) {
    const std::string all = doc.get_value(kSlotCategories);
    std::string_view rest(all);
    while (!rest.empty()) {
      size_t nl = rest.find('\n');
      std::string_view id = rest.substr(0, nl);
      if (!id.empty()) ++category_counts_[std::string(id)];
      if (nl == std::string_view::npos) break;
      rest.remove_prefix(nl + 1);
    }
  }
  if (prices_) {
    const std::string v = doc.get_value(kSlotPrice);
    if (!v.empty()) {
      const auto price = static_cast<int64_t>(Xapian::sortable_unserialise(v));
      size_t b = std::upper_bound(kPriceBucketBounds.begin(), kPriceBucketBounds.end(), price) -
                 kPriceBucketBounds.begin();
      ++price_counts_[b];
    }
  }
}

}  // namespace commerce::search
