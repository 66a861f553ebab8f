// Event log retention: an engine that trims events older than 30 days (in the background),
// a trim on demand that a consumer's cursor holds back, the Gone error below the horizon, and
// the sequence numbers going on after a trim (docs/events.md, "Retention").
//   build/bin/example_events_retention /tmp/retention-example
// Safe to run again: it starts from an empty store at DIR and removes it at the end.
#include <commerce/engine.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <string>

namespace {
commerce::Product Lamp(int i) {
  commerce::Product p;
  p.id = "lamp-" + std::to_string(i);
  p.title = "Desk lamp " + std::to_string(i);
  p.variants.push_back({.sku = "LAMP-" + std::to_string(i), .price = commerce::Money{1999, "USD"}});
  return p;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: " << argv[0] << " DIR\n";
    return 2;
  }
  std::filesystem::remove_all(argv[1]);
  int rc = 0;
  {
    commerce::EngineOptions options;
    options.path = argv[1];
    // In a real deployment: keep 30 days, trimmed by the background thread every minute.
    options.event_retention = {.max_age = std::chrono::hours(24 * 30)};
    options.run_background = false;  // here the example runs the consumers itself
    auto engine = commerce::Engine::open(options);
    if (!engine.ok()) {
      std::cerr << engine.status().ToString() << "\n";
      return 1;
    }
    auto& events = (*engine)->events();
    for (int i = 0; i < 20; ++i) (void)(*engine)->catalog().upsert(Lamp(i));
    (void)(*engine)->run_background_once();  // cart expiry and the index pass every event
    std::cout << "log " << *events.first_seq() << ".." << *events.last_seq() << "\n";

    // A consumer of one's own that has processed up to event 8 holds the log there.
    (void)events.set_cursor("my-report", 8);
    auto r = events.trim({.max_count = 5});
    if (!r.ok()) {
      std::cerr << "trim: " << r.status().ToString() << "\n";
      return 1;
    }
    std::cout << "trimmed " << r->removed << "; log " << r->first_seq << ".." << r->last_seq
              << "; held by " << r->held_by << "\n";

    // Below the horizon: Gone, naming it, instead of the events after the gap.
    auto below = events.tail(1);
    std::cout << "tail(1): " << below.status().ToString() << "\n";
    if (below.status().code() != commerce::Code::kGone) rc = 1;

    // The numbering goes on after a trim.
    (void)(*engine)->catalog().upsert(Lamp(20));
    std::cout << "next event: " << *events.last_seq() << "\n";
    (void)(*engine)->close();
  }
  std::filesystem::remove_all(argv[1]);
  return rc;
}
