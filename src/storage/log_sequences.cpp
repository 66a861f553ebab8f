#include "storage/log_sequences.h"

namespace commerce {

Result<uint64_t> LastLogSequence(ReadView& view, Table log) {
  auto c = view.cursor(log, CursorOptions{.reverse = true});
  c->seek_to_first();
  if (!c->valid()) {
    COMMERCE_RETURN_IF_ERROR(c->status());
    return uint64_t{0};
  }
  const std::string_view key = c->key();
  if (key.size() != 8) return Status::Corruption("log table key is not an 8-byte sequence number");
  uint64_t seq = 0;
  for (char b : key) seq = (seq << 8) | static_cast<unsigned char>(b);
  return seq;
}

std::string LogKey(uint64_t seq) {
  std::string key(8, '\0');
  for (int i = 7; i >= 0; --i, seq >>= 8) key[static_cast<size_t>(i)] = static_cast<char>(seq & 0xff);
  return key;
}

Result<uint64_t> LogSequences::next(ReadView& view, Table log) {
  for (auto& [table, last] : last_)
    if (table == log.id) return ++last;
  COMMERCE_ASSIGN_OR_RETURN(uint64_t last, LastLogSequence(view, log));
  last_.emplace_back(log.id, last + 1);
  return last + 1;
}

}  // namespace commerce
