// Table id -> table name, for the life of one Storage: the registry the SQL drivers (SQLite,
// PostgreSQL) use to turn a Table handle into SQL. Ids are indexes into the list, so a Table
// handed out stays valid for the process.
//
// Thread safety: every method locks; share one instance through shared_ptr.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace commerce {

class TableNames {
 public:
  // The id of `name`, adding it if new.
  uint32_t add(std::string_view name);
  std::optional<uint32_t> find(std::string_view name) const;
  std::optional<std::string> name(uint32_t id) const;

 private:
  mutable std::mutex mu_;
  std::vector<std::string> names_;  // GUARDED_BY(mu_)
};

}  // namespace commerce
