// ReaderPool against an index the writer keeps committing to: every borrow must succeed.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <xapian.h>

#include "search/index_layout.h"
#include "search/reader_pool.h"
#include "test_dir.h"

namespace search_reader_pool_test {

using commerce::search::IndexLayout;
using commerce::search::ReaderPool;
using commerce::testing::TempDir;

TEST_CASE("reader pool: a reader opened while the writer commits again and again is never refused",
          "[search][reader_pool]") {
  // A Glass database opened (or reopened) while its writer commits twice more finds the
  // revision it began on overwritten: Xapian throws DatabaseModifiedError. The pool answered
  // that with Unavailable, so a query failed now and then under a write load (an ASan CI run
  // failed "search under concurrent queries and writes" on it). An open retries instead.
  TempDir dir;
  IndexLayout layout(dir.sub("search"));
  std::filesystem::create_directories(layout.GenerationPath("g1"));
  Xapian::WritableDatabase writer(layout.ShardPath("g1", 0), Xapian::DB_CREATE_OR_OPEN);
  for (int i = 0; i < 64; ++i) {
    Xapian::Document d;
    d.add_term("seed" + std::to_string(i));
    writer.add_document(d);
  }
  writer.commit();
  ReaderPool pool(&layout);
  pool.Publish("g1", 0);

  std::atomic<bool> stop{false};
  std::atomic<int> borrows{0}, refused{0};
  std::mutex first_mu;
  std::string first;
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&, t] {
      while (!stop.load()) {
        // Half the borrowers take a fresh reader each time (a full open), half reuse
        // pooled ones (a reopen).
        auto lease = pool.Acquire();
        borrows.fetch_add(1);
        if (!lease.ok()) {
          if (refused.fetch_add(1) == 0) {
            std::lock_guard<std::mutex> lock(first_mu);
            first = lease.status().ToString();
          }
          continue;
        }
        if (t == 0) (*lease)->generation.clear();  // the next borrow of it opens afresh
      }
    });
  }
  // Small commits as fast as the writer can: each one republishes, so every borrow reopens.
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  uint64_t seq = 0;
  while (std::chrono::steady_clock::now() < until) {
    Xapian::Document d;
    d.add_term("w" + std::to_string(seq));
    writer.replace_document(1 + seq % 64, d);
    writer.commit();
    pool.Publish("g1", ++seq);
  }
  stop.store(true);
  for (auto& t : readers) t.join();
  INFO("commits " << seq << ", borrows " << borrows.load() << ", first refusal: " << first);
  CHECK(borrows.load() > 0);
  CHECK(refused.load() == 0);
}

}  // namespace search_reader_pool_test
