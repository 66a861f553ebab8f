#include "common/ids.h"

#include <pthread.h>
#include <sys/random.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "common/utf8.h"

namespace commerce {

namespace {

// `size` bytes from the kernel's CSPRNG. getrandom blocks only until the pool is initialised
// at boot, and returns short only when interrupted, so this loops over EINTR and short reads;
// it cannot otherwise fail on Linux >= 3.17, and an id that is not random is worse than none.
void OsRandom(unsigned char* p, size_t size) {
  size_t got = 0;
  while (got < size) {
    const ssize_t n = getrandom(p + got, size - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::perror("commerce: getrandom");
      std::abort();
    }
    got += static_cast<size_t>(n);
  }
}

// Moved in a forked child: a child must never hand out the bytes its parent's threads had
// drawn already (the two would make the same ids). The child's one thread is the forking one,
// whose buffer is the only one copied into it.
std::atomic<uint64_t> fork_generation{0};
void AfterFork() { fork_generation.fetch_add(1, std::memory_order_relaxed); }

// Bytes drawn from getrandom 4 KiB at a time per thread and handed out once each, front to
// back, then wiped: one system call per 256 capability ids rather than one per id (an order
// placement made two, 2.4 % of a flash sale's samples: docs/orders.md "Profiled again and
// cut"). Every byte is the kernel CSPRNG's, so ids stay as unguessable as before: no generator
// of ours stretches a seed, and a byte given out is zeroed so that a later look at memory does
// not show it. A tail shorter than the next id is skipped (wiped with the refill), never
// handed out short.
class RandomPool {
 public:
  void take(unsigned char* out, size_t size) {
    const uint64_t generation = fork_generation.load(std::memory_order_relaxed);
    if (generation != generation_) {
      Wipe(0, sizeof bytes_);
      next_ = sizeof bytes_;
      generation_ = generation;
    }
    if (size > sizeof bytes_ - next_) {
      OsRandom(bytes_, sizeof bytes_);
      next_ = 0;
    }
    std::memcpy(out, bytes_ + next_, size);
    Wipe(next_, size);
    next_ += size;
  }

 private:
  void Wipe(size_t from, size_t size) {
    // volatile: the compiler may not drop stores it thinks no one reads.
    volatile unsigned char* p = bytes_ + from;
    for (size_t i = 0; i < size; ++i) p[i] = 0;
  }
  unsigned char bytes_[4096];
  size_t next_ = sizeof bytes_;  // all used: the first take fills the buffer
  uint64_t generation_ = 0;
};

void TakeRandom(unsigned char* out, size_t size) {
  static const int registered = pthread_atfork(nullptr, nullptr, AfterFork);
  (void)registered;
  thread_local RandomPool pool;
  pool.take(out, size);
}

}  // namespace

std::string RandomId(std::string_view prefix, size_t bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  unsigned char raw[64];
  if (bytes > sizeof raw) bytes = sizeof raw;
  TakeRandom(raw, bytes);
  std::string id(prefix);
  id.reserve(prefix.size() + 2 * bytes);
  for (size_t i = 0; i < bytes; ++i) {
    id += kHex[raw[i] >> 4];
    id += kHex[raw[i] & 15];
  }
  return id;
}

Status CheckIdentifier(std::string_view what, std::string_view id, size_t max_bytes) {
  std::string w(what);
  if (id.empty()) return Status::InvalidArgument(w + ": is empty");
  if (id.size() > max_bytes)
    return Status::InvalidArgument(w + ": is " + std::to_string(id.size()) + " bytes, more than " +
                                   std::to_string(max_bytes));
  for (char c : id)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      return Status::InvalidArgument(w + ": contains a control character");
  COMMERCE_RETURN_IF_ERROR(CheckUtf8(w, id));
  if (id.front() == ' ' || id.back() == ' ')
    return Status::InvalidArgument(w + ": has leading or trailing spaces");
  return Status::OK();
}

}  // namespace commerce
