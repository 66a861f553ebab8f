#include "search/index_layout.h"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "storage/file_io.h"

namespace commerce::search {

namespace fs = std::filesystem;

namespace {
// "g12" -> 12; 0 for anything else.
uint64_t GenerationNumber(const std::string& name) {
  if (name.size() < 2 || name[0] != 'g') return 0;
  uint64_t n = 0;
  for (size_t i = 1; i < name.size(); ++i) {
    if (name[i] < '0' || name[i] > '9') return 0;
    n = n * 10 + static_cast<uint64_t>(name[i] - '0');
  }
  return n;
}
}  // namespace

std::string IndexLayout::ShardPath(const std::string& generation, uint32_t shard) const {
  return GenerationPath(generation) + "/shard-" + std::to_string(shard);
}

Result<std::string> IndexLayout::Current() const {
  std::ifstream in(root_ + "/CURRENT");
  if (!in) return std::string();
  std::string name;
  std::getline(in, name);
  if (GenerationNumber(name) == 0)
    return Status::Corruption("search index: " + root_ + "/CURRENT holds '" + name +
                              "', not a generation name");
  return name;
}

Status IndexLayout::SetCurrent(const std::string& generation) const {
  const std::string tmp = root_ + "/CURRENT.tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::Unavailable("search index: cannot write " + tmp);
  std::string line = generation + "\n";
  bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
            ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), (root_ + "/CURRENT").c_str()) != 0)
    return Status::Unavailable("search index: cannot replace " + root_ + "/CURRENT");
  return file_io::SyncDirectory(root_);
}

Result<std::string> IndexLayout::NextGeneration() const {
  uint64_t highest = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(root_, ec))
    highest = std::max(highest, GenerationNumber(e.path().filename().string()));
  if (ec) return Status::Unavailable("search index: cannot list " + root_ + ": " + ec.message());
  return "g" + std::to_string(highest + 1);
}

Result<uint32_t> IndexLayout::ShardCount(const std::string& generation) const {
  uint32_t n = 0;
  std::error_code ec;
  while (fs::is_directory(ShardPath(generation, n), ec)) ++n;
  if (n == 0)
    return Status::Corruption("search index: generation " + GenerationPath(generation) +
                              " has no shards");
  return n;
}

void IndexLayout::RemoveOtherGenerations(const std::string& keep) const {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(root_, ec)) {
    const std::string name = e.path().filename().string();
    if (GenerationNumber(name) != 0 && name != keep) fs::remove_all(e.path(), ec);
  }
}

uint64_t IndexLayout::DiskBytes() const {
  uint64_t total = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root_, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec)) total += it->file_size(ec);
  }
  return total;
}

}  // namespace commerce::search
