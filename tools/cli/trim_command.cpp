// `commerce events trim --data DIR --older-than 30d [--max-count N]`: Events::trim on demand
// (docs/events.md, "Retention"). The store's own consumers first catch up -- the search index
// and cart expiry, which run in this process as in any engine -- so that they do not hold the
// log back; the report says what was removed and what held the horizon.
//
//   commerce events trim --data ./shop --older-than 30d
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <thread>

#include "commands.h"

namespace commerce::cli {

namespace {
// "30d", "12h", "15m", "10s", "500ms" or "0" (no age limit).
Result<std::chrono::milliseconds> ParseAge(const std::string& text) {
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  const std::string unit = text.substr(digits);
  if (digits == 0 || digits > 12)
    return Status::InvalidArgument("--older-than '" + text + "': expected a number and a unit (30d, 12h, 15m, 10s, 500ms)");
  const int64_t n = std::stoll(text.substr(0, digits));
  int64_t ms_per = 0;
  if (unit == "ms") ms_per = 1;
  else if (unit == "s") ms_per = 1000;
  else if (unit == "m") ms_per = 60'000;
  else if (unit == "h") ms_per = 3'600'000;
  else if (unit == "d") ms_per = 86'400'000;
  else if (unit.empty() && n == 0) ms_per = 1;
  else
    return Status::InvalidArgument("--older-than '" + text + "': the unit must be ms, s, m, h or d");
  return std::chrono::milliseconds(n * ms_per);
}
}  // namespace

CLI::App* AddTrimCommand(CLI::App* events, TrimArgs* a) {
  auto* trim = events->add_subcommand(
      "trim", "remove old events that every consumer has passed (docs/events.md, Retention)");
  trim->add_option("--data", a->store.data, "store directory (must hold a store)")->capture_default_str();
  trim->add_option("--driver", a->store.driver, "storage driver (postgres: the server from COMMERCE_PG_URL)")
      ->check(CLI::IsMember({"lmdb", "sqlite", "postgres"}))
      ->capture_default_str();
  trim->add_option("--pg-schema", a->store.pg_schema, "PostgreSQL schema of the store (driver postgres)")
      ->capture_default_str();
  trim->add_option("--older-than", a->older_than, "remove events older than this: 30d, 12h, 15m, 10s, 500ms");
  trim->add_option("--max-count", a->max_count, "or beyond the newest this many events");
  return trim;
}

int RunTrim(const TrimArgs& a) {
  EventRetention policy;
  if (!a.older_than.empty()) {
    auto age = ParseAge(a.older_than);
    if (!age.ok()) {
      std::fprintf(stderr, "events trim: %s\n", age.status().message().c_str());
      return 2;
    }
    policy.max_age = *age;
  }
  if (a.max_count < 0) {
    std::fprintf(stderr, "events trim: --max-count must not be negative, got %lld\n",
                 static_cast<long long>(a.max_count));
    return 2;
  }
  policy.max_count = static_cast<uint64_t>(a.max_count);
  if (policy.max_age.count() == 0 && policy.max_count == 0) {
    std::fprintf(stderr, "events trim: give --older-than or --max-count\n");
    return 2;
  }
  auto engine = OpenStore(a.store, StoreUse::kRead);
  if (!engine.ok()) return Fail(engine.status());
  Engine& e = **engine;
  Status s = CatchUpIndex(e);
  if (!s.ok()) return Fail(s);
  // Cart expiry runs on the engine's background thread; give it a few seconds to pass the log.
  auto last = e.events().last_seq();
  if (!last.ok()) return Fail(last.status());
  for (int i = 0; i < 100 && e.events().cursor("cart-expiry").value_or(0) < *last; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  auto r = e.events().trim(policy);
  if (!r.ok()) return Fail(r.status());
  std::printf("removed %llu events; the log now holds %llu..%llu\n", (unsigned long long)r->removed,
              (unsigned long long)r->first_seq, (unsigned long long)r->last_seq);
  if (!r->held_by.empty())
    std::printf("held back by %s: it has not passed event %llu yet\n", r->held_by.c_str(),
                (unsigned long long)r->first_seq);
  s = e.close();
  return s.ok() ? 0 : Fail(s);
}

}  // namespace commerce::cli
