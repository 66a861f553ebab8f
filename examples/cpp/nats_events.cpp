// The event log on NATS JetStream: every event of the store published, in order and each once
// (Nats-Msg-Id = the event's seq), to a stream any NATS client can consume.
//
//   nats-server -js -a 127.0.0.1 -p 4333 -sd /tmp/nats-example &
//   build/bin/example_nats_events /tmp/shop-nats nats://127.0.0.1:4333
//
// Writes a few products, waits until they are published, and prints the publisher's counters.
// Run it with NATS stopped and it still writes (the store never waits for NATS); start NATS
// and run it again: the publisher catches up from its cursor.
#include <chrono>
#include <cstdio>
#include <string>

#include "commerce/commerce.h"
#include "commerce/event_publisher.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s STORE_DIR nats://HOST:PORT\n", argv[0]);
    return 2;
  }
  auto engine = commerce::Engine::open({.path = argv[1]});
  if (!engine.ok()) {
    std::fprintf(stderr, "%s\n", engine.status().ToString().c_str());
    return 1;
  }
  commerce::EventPublisherOptions po;
  po.nats_url = argv[2];
  po.stream = "SHOP";
  po.subject = "shop.events";  // subjects shop.events.ProductUpserted, shop.events.OrderPlaced, ...
  auto pub = commerce::EventPublisher::open(**engine, po);
  if (!pub.ok()) {
    std::fprintf(stderr, "%s\n", pub.status().ToString().c_str());
    return 1;
  }
  for (const char* id : {"mug", "tee", "cap"}) {
    commerce::Product p;
    p.id = id;
    p.title = id;
    commerce::Variant v;
    v.sku = std::string(id) + "-1";
    v.price = commerce::Money{1200, "USD"};
    p.variants.push_back(v);
    auto stored = (*engine)->catalog().upsert(p);
    if (!stored.ok()) {
      std::fprintf(stderr, "%s\n", stored.status().ToString().c_str());
      return 1;
    }
  }
  const uint64_t last = *(*engine)->events().last_seq();
  const bool done = (*pub)->wait_for(last, std::chrono::seconds(5));
  commerce::EventPublisherStats s = (*pub)->stats();
  std::printf("log at %llu; published up to %llu (%s): %llu new, %llu skipped as already in the stream, "
              "%llu failures%s%s\n",
              static_cast<unsigned long long>(last), static_cast<unsigned long long>(s.cursor),
              done ? "caught up" : "NATS not reachable yet", static_cast<unsigned long long>(s.published),
              static_cast<unsigned long long>(s.skipped), static_cast<unsigned long long>(s.failures),
              s.last_error.empty() ? "" : ": ", s.last_error.c_str());
  pub->reset();  // before the engine
  return (*engine)->close().ok() ? 0 : 1;
}
