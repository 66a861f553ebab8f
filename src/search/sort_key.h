// Sort keys: byte strings whose order is the order of the results. Xapian sorts by one value
// slot (then by its own document numbers, which depend on the order products were indexed,
// not on the catalog); each sort order of the index has a slot holding a key built here that
// ends with the product id, so every order is total and two indexes of one catalog — or one
// index split over any number of local or remote shards — answer every page alike.
//
// A key is a concatenation of parts. Integer parts are prefix-free (a length header, then
// the bytes), so a later part decides only between equal earlier parts whatever the
// numbers' sizes; a descending part is the ascending one with every byte complemented. The
// product id goes last, as its bytes, so it sorts in byte order. (Xapian::sortable_serialise
// is not prefix-free, so its output cannot be concatenated.)
//
// Thread safety: a SortKey is a value; use one per thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace commerce::search {

class SortKey {
 public:
  SortKey& Ascending(int64_t v);
  SortKey& Descending(int64_t v);
  // The last part.
  SortKey& Id(std::string_view id) {
    key_.append(id);
    return *this;
  }
  const std::string& str() const { return key_; }

 private:
  std::string key_;
};

// What follows a key's first integer part (Ascending or Descending alike: the header says the
// part's length either way); "" when `key` does not start with one. Skipping a key's integer
// parts leaves its id.
std::string_view AfterSortKeyPart(std::string_view key);

}  // namespace commerce::search
