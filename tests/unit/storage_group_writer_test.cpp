// Tests of the group writer itself (src/storage/group_writer.cpp), under a backend of the test's
// own: every write() caller gets its own mutation's answer, with callers of several groups
// waiting together, beside write_async callbacks and control tasks (written for a wake of a
// whole group at once, which was measured and taken back: docs/orders.md, "Profiled again").
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "storage/group_writer.h"

namespace storage_group_writer_test {

using namespace commerce;

namespace {

// A transaction that stores nothing: the mutations below answer by their own identity.
class NullTxn final : public WriteTxn {
 public:
  Status get(Table, std::string_view, std::string_view*) override { return Status::NotFound("none"); }
  std::unique_ptr<Cursor> cursor(Table, CursorOptions) override { return nullptr; }
  Status put(Table, std::string_view, std::string_view, PutMode) override { return Status::OK(); }
  Status del(Table, std::string_view) override { return Status::OK(); }
};

// Runs each mutation and keeps its answer; takes a little time per group so that callers pile
// up into groups of many, and fails a whole group when told to.
class TestBackend final : public GroupBackend {
 public:
  Status commit_group(std::span<PendingWrite* const> group, bool) override {
    NullTxn txn;
    for (auto* w : group) w->result = w->mutation(txn);
    std::this_thread::sleep_for(std::chrono::microseconds(200));
    groups.fetch_add(1);
    largest.store(std::max<size_t>(largest.load(), group.size()));
    return fail_groups.load() ? Status::Unavailable("the test failed the group") : Status::OK();
  }
  std::atomic<uint64_t> groups{0};
  std::atomic<size_t> largest{0};
  std::atomic<bool> fail_groups{false};
};

// The answer caller `t`'s `i`-th write expects: every third one fails, naming both.
Status Expected(int t, int i) {
  if (i % 3 == 0) return Status::Conflict("caller " + std::to_string(t) + " write " + std::to_string(i));
  return Status::OK();
}

}  // namespace

TEST_CASE("group writer: each caller woken with its group gets its own answer", "[storage][group_writer]") {
  TestBackend backend;
  GroupWriter writer(&backend, /*max_group_size=*/16, /*max_group_wait_us=*/0);
  constexpr int kThreads = 48, kWrites = 300;
  // Checked on this thread after the join: Catch2's assertions are not thread-safe.
  std::atomic<int> wrong{0}, answered{0}, async_answered{0};
  std::string first_wrong;
  std::mutex first_mu;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kWrites; ++i) {
        if (t % 8 == 7 && i % 10 == 0) {
          // write_async callbacks and control tasks in the same queue as write()'s callers.
          writer.write_async([](WriteTxn&) { return Status::OK(); }, {},
                             [&](Status s) { async_answered.fetch_add(s.ok() ? 1 : 1000); });
          (void)writer.run([] { return Status::OK(); });
        }
        Status s = writer.write([t, i](WriteTxn&) { return Expected(t, i); }, {});
        answered.fetch_add(1);
        if (s.ToString() != Expected(t, i).ToString()) {
          wrong.fetch_add(1);
          std::lock_guard<std::mutex> lock(first_mu);
          if (first_wrong.empty()) first_wrong = s.ToString() + " for " + Expected(t, i).ToString();
        }
      }
    });
  for (auto& th : threads) th.join();
  writer.stop();
  INFO(first_wrong);
  CHECK(wrong.load() == 0);
  CHECK(answered.load() == kThreads * kWrites);
  CHECK(async_answered.load() == (kThreads / 8) * (kWrites / 10));
  // The callers did share groups, and the cap held.
  CHECK(backend.largest.load() > 1);
  CHECK(backend.largest.load() <= 16);
  CHECK(writer.stats().mutations == uint64_t{kThreads} * kWrites + (kThreads / 8) * (kWrites / 10));
}

TEST_CASE("group writer: a group that fails answers every caller in it with its Status",
          "[storage][group_writer]") {
  TestBackend backend;
  backend.fail_groups = true;
  GroupWriter writer(&backend, 64, 0);
  std::atomic<int> unavailable{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i)
        if (writer.write([](WriteTxn&) { return Status::OK(); }, {}).IsUnavailable()) unavailable.fetch_add(1);
    });
  for (auto& th : threads) th.join();
  CHECK(unavailable.load() == 16 * 50);
}

TEST_CASE("group writer: a write to a stopped or failed writer is refused at once", "[storage][group_writer]") {
  TestBackend backend;
  GroupWriter writer(&backend, 8, 0);
  REQUIRE(writer.write([](WriteTxn&) { return Status::OK(); }, {}).ok());
  writer.stop();
  Status s = writer.write([](WriteTxn&) { return Status::OK(); }, {});
  CHECK(s.IsFailedPrecondition());
  GroupWriter failed(&backend, 8, 0);
  failed.fail(Status::Unavailable("the disk went away"));
  CHECK(failed.write([](WriteTxn&) { return Status::OK(); }, {}).IsUnavailable());
}

}  // namespace storage_group_writer_test
