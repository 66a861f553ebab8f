#include "storage/table_names.h"

namespace commerce {

uint32_t TableNames::add(std::string_view name) {
  std::lock_guard<std::mutex> lock(mu_);
  for (size_t i = 0; i < names_.size(); ++i)
    if (names_[i] == name) return static_cast<uint32_t>(i);
  names_.emplace_back(name);
  return static_cast<uint32_t>(names_.size() - 1);
}

std::optional<uint32_t> TableNames::find(std::string_view name) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (size_t i = 0; i < names_.size(); ++i)
    if (names_[i] == name) return static_cast<uint32_t>(i);
  return std::nullopt;
}

std::optional<std::string> TableNames::name(uint32_t id) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (id >= names_.size()) return std::nullopt;
  return names_[id];
}

}  // namespace commerce
