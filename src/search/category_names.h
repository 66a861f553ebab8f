// Category id -> display name, read through from the catalog and kept: the indexer puts
// category names into a product's words, the query side labels category facets. The
// indexer forgets a name when a CategoryUpserted event says it may have changed.
//
// Thread safety: safe from any number of threads.
#pragma once

#include <mutex>
#include <string>
#include <unordered_map>

#include "commerce/catalog.h"

namespace commerce::search {

class CategoryNames {
 public:
  explicit CategoryNames(Catalog* catalog) : catalog_(catalog) {}

  // The name, or the id itself when the category cannot be read.
  std::string Get(const std::string& id);
  void Forget(const std::string& id);

 private:
  Catalog* catalog_;
  std::mutex mu_;
  std::unordered_map<std::string, std::string> names_;  // GUARDED_BY(mu_)
};

}  // namespace commerce::search
