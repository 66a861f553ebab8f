// Tests of the group writer itself (src/storage/group_writer.cpp), under a backend of the test's
// own: every write() caller gets its own mutation's answer, with callers of several groups
// waiting together, beside write_async callbacks and control tasks (written for a wake of a
// whole group at once, which was measured and taken back: docs/orders.md, "Profiled again").
#include <algorithm>
#include <array>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <future>
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
// up into groups of many, and fails a whole group when told to. Counts the groups running at
// once (lanes), and which lanes ran any.
class TestBackend final : public GroupBackend {
 public:
  // Writes with sync = false stand for the ones a driver runs alone.
  bool may_run_beside_others(std::span<PendingWrite* const> group) const override {
    return std::all_of(group.begin(), group.end(), [](PendingWrite* w) { return w->sync; });
  }
  Status commit_group(size_t lane, std::span<PendingWrite* const> group, bool) override {
    const int now = running.fetch_add(1) + 1;
    if (!may_run_beside_others(group) && now != 1) alone_beside_others.fetch_add(1);
    int seen = most_running.load();
    while (now > seen && !most_running.compare_exchange_weak(seen, now)) {
    }
    if (lane < lanes_used.size()) lanes_used[lane].store(true);
    NullTxn txn;
    for (auto* w : group) w->result = w->mutation(txn);
    std::this_thread::sleep_for(std::chrono::microseconds(group_us.load()));
    groups.fetch_add(1);
    size_t big = largest.load();
    while (group.size() > big && !largest.compare_exchange_weak(big, group.size())) {
    }
    if (!may_run_beside_others(group) && running.load() != 1) alone_beside_others.fetch_add(1);
    running.fetch_sub(1);
    return fail_groups.load() ? Status::Unavailable("the test failed the group") : Status::OK();
  }
  std::atomic<uint64_t> groups{0};
  std::atomic<size_t> largest{0};
  std::atomic<bool> fail_groups{false};
  std::atomic<int> group_us{200};
  std::atomic<int> running{0}, most_running{0}, alone_beside_others{0};
  std::array<std::atomic<bool>, 8> lanes_used{};
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

TEST_CASE("group writer: lanes run groups side by side and each caller gets its own answer",
          "[storage][group_writer]") {
  TestBackend backend;
  backend.group_us = 2000;  // long enough that callers queue while every lane is busy
  GroupWriter writer(&backend, /*max_group_size=*/4, /*max_group_wait_us=*/0, /*idle_tick_ms=*/250,
                     /*lanes=*/4);
  constexpr int kThreads = 24, kWrites = 40;
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kWrites; ++i)
        if (writer.write([t, i](WriteTxn&) { return Expected(t, i); }, {}).ToString() !=
            Expected(t, i).ToString())
          wrong.fetch_add(1);
    });
  for (auto& th : threads) th.join();
  writer.stop();
  CHECK(wrong.load() == 0);
  // With one lane at most one group runs at a time; here all four did.
  CHECK(backend.most_running.load() == 4);
  for (size_t lane = 0; lane < 4; ++lane) CHECK(backend.lanes_used[lane].load());
  CHECK_FALSE(backend.lanes_used[4].load());
  CHECK(backend.largest.load() <= 4);
  CHECK(writer.stats().mutations == uint64_t{kThreads} * kWrites);
}

TEST_CASE("group writer: with several lanes a control task runs while no group does",
          "[storage][group_writer]") {
  TestBackend backend;
  backend.group_us = 1000;
  GroupWriter writer(&backend, 2, 0, 250, /*lanes=*/3);
  std::atomic<bool> stop{false};
  std::atomic<int> tasks{0}, tasks_beside_groups{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 12; ++t)
    threads.emplace_back([&] {
      while (!stop.load()) (void)writer.write([](WriteTxn&) { return Status::OK(); }, {});
    });
  for (int i = 0; i < 50; ++i) {
    Status s = writer.run([&] {
      if (backend.running.load() != 0) tasks_beside_groups.fetch_add(1);
      std::this_thread::sleep_for(std::chrono::microseconds(500));
      if (backend.running.load() != 0) tasks_beside_groups.fetch_add(1);
      tasks.fetch_add(1);
      return Status::OK();
    });
    REQUIRE(s.ok());
  }
  stop = true;
  for (auto& th : threads) th.join();
  writer.stop();
  CHECK(tasks.load() == 50);
  CHECK(tasks_beside_groups.load() == 0);
  CHECK(backend.most_running.load() > 1);  // the groups did overlap between the tasks
}

TEST_CASE("group writer: with several lanes a group the driver runs alone keeps its place in "
          "the queue's order",
          "[storage][group_writer]") {
  TestBackend backend;
  backend.group_us = 500;
  GroupWriter writer(&backend, 4, 0, 250, /*lanes=*/4);
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> order{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 12; ++t)
    threads.emplace_back([&] {
      while (!stop.load()) (void)writer.write([](WriteTxn&) { return Status::OK(); }, {});
    });
  int out_of_order = 0;
  for (int i = 0; i < 40; ++i) {
    // An alone write, then at once a write that may run beside others: the second must not
    // commit before the first (with one lane it never could).
    auto first = std::make_shared<std::atomic<uint64_t>>(0);
    auto second = std::make_shared<std::atomic<uint64_t>>(0);
    auto both = std::make_shared<std::promise<void>>();
    auto answered = std::make_shared<std::atomic<int>>(0);
    auto done = [both, answered](Status) {
      if (answered->fetch_add(1) == 1) both->set_value();
    };
    writer.write_async([&order, first](WriteTxn&) { *first = ++order; return Status::OK(); },
                       WriteOptions{.sync = false}, done);
    writer.write_async([&order, second](WriteTxn&) { *second = ++order; return Status::OK(); }, {}, done);
    both->get_future().wait();
    if (!(*first < *second)) ++out_of_order;
  }
  stop = true;
  for (auto& th : threads) th.join();
  writer.stop();
  CHECK(out_of_order == 0);
  CHECK(backend.alone_beside_others.load() == 0);
  CHECK(backend.most_running.load() > 1);  // the other groups did overlap
}

}  // namespace storage_group_writer_test
