// Checking a store: `commerce verify --data DIR`, commerce.verify(path) in Python, and
// Engine::verify() on an open engine.
//
//   auto report = commerce::VerifyStore({.path = "./shop"});
//   if (!report.ok()) { /* could not check: report.status() says why */ }
//   else if (!report->ok()) std::cerr << report->ToText();
//
// VerifyStore checks a store that no process has open (it takes the store's lock: a store
// in use by another process is Unavailable — stop that process, or verify a copy of the
// store). It writes nothing: on LMDB it reads data.mdb itself, without liblmdb, so that damage LMDB would abort on is reported instead. What it checks
// (docs/guarantees.md lists where else each kind of damage is caught):
//   - files: LMDB's meta pages and length, every page of every tree (bounds, order, depth,
//     no page used twice, counts); SQLite's integrity_check;
//   - records: every value of every table decoded and its checksum checked, keys in their
//     table's shape, every string UTF-8; records of codec version 1 (written before
//     checksums) are counted, not refused;
//   - invariants across records: the SKU, category, email, order and cart indexes agree with
//     the records they index; stock is never negative, equals what its events say, and
//     every reservation belongs to a live order or a hold; idempotency keys and orders name
//     each other; the event log has no gap; consumer cursors are not ahead of it; webhook
//     queues name existing subscriptions and events;
//   - the LMDB log (wal/): every record's CRC, LSNs in sequence from the one data.mdb holds,
//     every record's operations decoding — as replay checks them on open, cutting nothing; the
//     groups data.mdb does not hold yet (after a crash) and a torn tail are notes;
//   - the search index: Xapian's own check of every shard, and that it is not ahead of the log.
//
// Engine::verify() runs the record and invariant checks on one snapshot of an open engine
// (a crash test after reopening, a backup test on its copy): any driver, while writes go on.
//
// Thread safety: VerifyStore is safe from any thread; it holds the store's lock while it runs.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "commerce/export.h"
#include "commerce/status.h"

namespace commerce {

struct VerifyProgress {
  std::string stage;        // "pages", "records", "invariants", "log", "search"
  std::string table;        // the table being read, when there is one
  uint64_t done = 0;        // records (or pages) read so far in this stage
};

struct VerifyOptions {
  std::string path;                // the store's directory
  std::string driver;              // "lmdb", "sqlite", or "" to tell from the files
  bool search = true;              // also check the search index (<path>/search)
  // Problems kept per check (the count goes on past it): a store damaged everywhere still
  // gives a report a person can read.
  size_t max_problems_per_check = 100;
  // Called every few thousand records and at each stage's start, on the calling thread.
  std::function<void(const VerifyProgress&)> progress;
};

struct VerifyProblem {
  std::string check;  // which check found it: "pages", "records", "skus", "stock", ...
  std::string where;  // the file and page, or the table and key ("products (\"P-1\")")
  std::string what;   // what is wrong, in words
};

struct VerifyReport {
  std::string path;
  std::string driver;
  std::vector<VerifyProblem> problems;  // at most max_problems_per_check per check
  std::map<std::string, uint64_t> problem_counts;  // per check, including those not kept
  std::map<std::string, uint64_t> records;         // per table: records read
  uint64_t unchecksummed_records = 0;  // codec version 1: no checksum to check
  uint64_t events = 0;                 // the newest event's sequence
  std::vector<std::string> notes;      // what was not checked, and why
  double seconds = 0;

  bool ok() const { return problems.empty(); }
  uint64_t problem_total() const;
  // A report a person reads: a summary line, then one line per problem grouped by check.
  std::string ToText() const;
  // The same as one JSON object: {"path", "driver", "ok", "problems": [{check, where, what}],
  // "problem_counts", "records", "unchecksummed_records", "events", "notes",
  // "seconds"}.
  std::string ToJson() const;
};

// Errors (the store could not be checked at all): InvalidArgument for an empty path or an
// unknown driver; NotFound when the directory or its data file does not exist;
// Unavailable when another process has the store open; Corruption when nothing in the
// directory is a commerce store. Damage found while checking is in the report, not here.
COMMERCE_EXPORT Result<VerifyReport> VerifyStore(const VerifyOptions& options);

}  // namespace commerce
