#include "search/category_names.h"

namespace commerce::search {

std::string CategoryNames::Get(const std::string& id) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = names_.find(id);
    if (it != names_.end()) return it->second;
  }
  auto c = catalog_->get_category(id);
  if (!c.ok()) return id;  // not cached: a later call reads again
  std::lock_guard<std::mutex> lock(mu_);
  // Categories number in the thousands, not millions: no eviction needed.
  names_[id] = c->name;
  return c->name;
}

void CategoryNames::Forget(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  names_.erase(id);
}

}  // namespace commerce::search
