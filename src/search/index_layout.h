// Where the search index lives under a store: <store>/search/
//   CURRENT        the name of the generation queries read ("g3"), replaced atomically
//   g3/shard-0..N  the generation's Xapian shards (one writer each)
// A rebuild writes a new generation beside the current one and then switches CURRENT, so
// queries keep being answered from the old one until the new one is complete.
//
// Thread safety: const methods are safe from any thread; the filesystem is the state.
#pragma once

#include <cstdint>
#include <string>

#include "commerce/status.h"

namespace commerce::search {

class IndexLayout {
 public:
  explicit IndexLayout(std::string root) : root_(std::move(root)) {}

  const std::string& root() const { return root_; }
  std::string GenerationPath(const std::string& generation) const { return root_ + "/" + generation; }
  std::string ShardPath(const std::string& generation, uint32_t shard) const;

  // The current generation's name, or "" when there is none yet.
  Result<std::string> Current() const;
  // Atomically points CURRENT at `generation` (durable when this returns).
  Status SetCurrent(const std::string& generation) const;
  // A name no generation has used: one past the highest on disk.
  Result<std::string> NextGeneration() const;
  // Shards of a generation, from its shard-N directories.
  Result<uint32_t> ShardCount(const std::string& generation) const;
  // Removes every generation directory except `keep` (best effort).
  void RemoveOtherGenerations(const std::string& keep) const;
  // Bytes on disk under the root.
  uint64_t DiskBytes() const;

 private:
  std::string root_;
};

}  // namespace commerce::search
