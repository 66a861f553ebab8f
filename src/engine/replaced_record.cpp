#include "engine/replaced_record.h"

namespace commerce {

Status StaleVersion(std::string_view noun, std::string_view id, uint64_t stored, uint64_t given) {
  return Status::Conflict(std::string(noun) + " '" + std::string(id) + "' is at version " +
                          std::to_string(stored) + ", not " + std::to_string(given) +
                          ": read it again and reapply the change");
}

}  // namespace commerce
