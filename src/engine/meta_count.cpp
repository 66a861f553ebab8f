#include "engine/meta_count.h"

#include <string>

#include "common/key.h"

namespace commerce {

Result<std::optional<uint64_t>> ReadExpectedCount(ReadView& view, Table meta, std::string_view key,
                                                  std::string_view what, ChangeSet& changes) {
  std::string_view bytes;
  Status s = view.get(meta, key, &bytes);
  if (s.IsNotFound()) {
    changes.expect_absent(meta, key);
    return std::optional<uint64_t>();
  }
  COMMERCE_RETURN_IF_ERROR(s);
  auto n = KeyReader(bytes).u64();
  if (!n) return Status::Corruption("meta: the " + std::string(what) + " does not decode");
  changes.expect(meta, key, bytes);
  return std::optional<uint64_t>(*n);
}

void PutCount(Table meta, std::string_view key, uint64_t n, ChangeSet& changes) {
  changes.put(meta, key, KeyBuilder().u64(n).key());
}

}  // namespace commerce
