// Tests of generated identifiers (src/common/ids.cpp): ids that act as capabilities (carts,
// orders, tokens) must not be predictable from ids already seen (issue 15, defect 8).
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "common/ids.h"

namespace common_ids_test {

namespace {

// MT19937-64's output tempering, undone: each step x ^= (x >> s) & m (or <<) is inverted by
// repeating it until every bit is settled.
uint64_t UndoRight(uint64_t y, int shift, uint64_t mask) {
  uint64_t x = y;
  for (int i = 0; i < 64 / shift + 1; ++i) x = y ^ ((x >> shift) & mask);
  return x;
}
uint64_t UndoLeft(uint64_t y, int shift, uint64_t mask) {
  uint64_t x = y;
  for (int i = 0; i < 64 / shift + 1; ++i) x = y ^ ((x << shift) & mask);
  return x;
}
uint64_t Untemper(uint64_t y) {
  y = UndoRight(y, 43, ~0ULL);
  y = UndoLeft(y, 37, 0xFFF7EEE000000000ULL);
  y = UndoLeft(y, 17, 0x71D67FFFEDA60000ULL);
  return UndoRight(y, 29, 0x5555555555555555ULL);
}
uint64_t Temper(uint64_t x) {
  x ^= (x >> 29) & 0x5555555555555555ULL;
  x ^= (x << 17) & 0x71D67FFFEDA60000ULL;
  x ^= (x << 37) & 0xFFF7EEE000000000ULL;
  return x ^ (x >> 43);
}

// What an attacker who saw 312 consecutive ids would predict as the next one if the ids came
// from mt19937_64: its recurrence x[k+312] = x[k+156] ^ twist(x[k], x[k+1]).
uint64_t PredictNext(const std::vector<uint64_t>& outputs) {
  REQUIRE(outputs.size() >= 312);
  const size_t k = outputs.size() - 312;
  const uint64_t a = Untemper(outputs[k]), b = Untemper(outputs[k + 1]), m = Untemper(outputs[k + 156]);
  const uint64_t y = (a & 0xFFFFFFFF80000000ULL) | (b & 0x7FFFFFFFULL);
  const uint64_t x = m ^ (y >> 1) ^ ((y & 1) ? 0xB5026F5AA96619E9ULL : 0);
  return Temper(x);
}

uint64_t IdValue(const std::string& id, const std::string& prefix) {
  REQUIRE(id.size() == prefix.size() + 16);
  REQUIRE(id.compare(0, prefix.size(), prefix) == 0);
  return std::stoull(id.substr(prefix.size()), nullptr, 16);
}

}  // namespace

TEST_CASE("the attack works on mt19937_64, so the test below can fail", "[ids]") {
  std::mt19937_64 rng(12345);
  std::vector<uint64_t> seen;
  for (int i = 0; i < 400; ++i) seen.push_back(rng());
  CHECK(PredictNext(seen) == rng());
}

TEST_CASE("generated ids are not predictable from the ids before them", "[ids]") {
  std::vector<uint64_t> seen;
  for (int i = 0; i < 400; ++i) seen.push_back(IdValue(commerce::RandomId("cart-"), "cart-"));
  int predicted = 0;
  for (int i = 0; i < 64; ++i) {
    const uint64_t next = IdValue(commerce::RandomId("cart-"), "cart-");
    predicted += PredictNext(seen) == next;
    seen.push_back(next);
  }
  CHECK(predicted == 0);
}

TEST_CASE("generated ids are unique across threads", "[ids]") {
  std::vector<std::vector<std::string>> per_thread(4);
  std::vector<std::thread> threads;
  for (auto& out : per_thread)
    threads.emplace_back([&out] {
      for (int i = 0; i < 20000; ++i) out.push_back(commerce::RandomId("o-"));
    });
  for (auto& t : threads) t.join();
  std::set<std::string> all;
  for (const auto& v : per_thread) all.insert(v.begin(), v.end());
  CHECK(all.size() == 80000);
}

TEST_CASE("capability ids carry 128 random bits, names keep 64", "[ids]") {
  const std::string cap = commerce::RandomId("cart-", commerce::kCapabilityBytes);
  REQUIRE(cap.size() == 5 + 32);
  CHECK(cap.find_first_not_of("0123456789abcdef", 5) == std::string::npos);
  CHECK(commerce::RandomId("ord-").size() == 4 + 16);
  // Both halves vary: the second 64 bits are not a copy or function-free pad of the first.
  std::set<std::string> lows, highs;
  for (int i = 0; i < 64; ++i) {
    const std::string id = commerce::RandomId("", commerce::kCapabilityBytes);
    highs.insert(id.substr(0, 16));
    lows.insert(id.substr(16));
  }
  CHECK(highs.size() == 64);
  CHECK(lows.size() == 64);
}

TEST_CASE("a forked child never makes the ids its parent makes next", "[ids]") {
  // Ids come from a per-thread buffer of getrandom bytes (ids.cpp): a child that went on from
  // its copy of the parent's buffer would hand out the very ids the parent hands out next.
  (void)commerce::RandomId("o-");  // the buffer is filled, most of it unused
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    std::string ids;
    for (int i = 0; i < 8; ++i) ids += commerce::RandomId("o-");
    const ssize_t n = ::write(fds[1], ids.data(), ids.size());
    ::_exit(n == static_cast<ssize_t>(ids.size()) ? 0 : 1);
  }
  ::close(fds[1]);
  std::string theirs(8 * 18, '\0');
  size_t got = 0;
  while (got < theirs.size()) {
    const ssize_t n = ::read(fds[0], theirs.data() + got, theirs.size() - got);
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  ::close(fds[0]);
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  REQUIRE(got == theirs.size());
  std::string ours;
  for (int i = 0; i < 8; ++i) ours += commerce::RandomId("o-");
  std::set<std::string> all;
  for (size_t i = 0; i < 8; ++i) {
    all.insert(ours.substr(i * 18, 18));
    all.insert(theirs.substr(i * 18, 18));
  }
  CHECK(all.size() == 16);
}

TEST_CASE("ids drawn past a refill of the random buffer stay distinct", "[ids]") {
  // 4 KiB a thread: 600 capability ids of 16 bytes span two refills and a partial tail.
  std::set<std::string> seen;
  for (int i = 0; i < 600; ++i) seen.insert(commerce::RandomId("", commerce::kCapabilityBytes));
  CHECK(seen.size() == 600);
  // Odd sizes leave a tail shorter than the next id: it is skipped, never handed out short.
  for (int i = 0; i < 300; ++i) {
    const std::string id = commerce::RandomId("", 13);
    CHECK(id.size() == 26);
    seen.insert(id);
  }
  CHECK(seen.size() == 900);
}

}  // namespace common_ids_test
