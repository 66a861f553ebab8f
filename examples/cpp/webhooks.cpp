// Webhooks: subscribe a URL to order events, make an event, let delivery try, print failures,
// then update the subscription in place (a new URL, a rotated secret), keeping its queue.
//   build/bin/example_webhooks /tmp/shop [http://127.0.0.1:9000/hooks [http://127.0.0.1:9001/new]]
// With nobody listening at the URL the delivery fails and is retried with backoff; the failure
// is printed with its attempts and the error. After the update the queued delivery goes to the
// second URL, signed with the new secret. A receiver checks X-Commerce-Signature with
// commerce::VerifyWebhookSignature (docs/webhooks.md). Safe to run again (the subscription is replaced).
#include <commerce/engine.h>

#include <chrono>
#include <iostream>
#include <string>
#include <thread>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: " << argv[0] << " DIR [URL]\n";
    return 2;
  }
  commerce::EngineOptions options;
  options.path = argv[1];
  options.webhooks.backoff_initial = std::chrono::milliseconds(200);
  // The example's receiver runs on this machine: loopback is refused unless allowed (SSRF).
  options.webhooks.allowed_networks = {"127.0.0.0/8", "::1"};
  auto engine = commerce::Engine::open(options);
  if (!engine.ok()) {
    std::cerr << engine.status().ToString() << "\n";
    return 1;
  }
  auto& webhooks = (*engine)->webhooks();
  (void)webhooks.unsubscribe("example");
  auto sub = webhooks.subscribe({.id = "example",
                                 .url = argc > 2 ? argv[2] : "http://127.0.0.1:9/hooks",
                                 .event_types = {"CustomerCreated", "OrderPlaced", "OrderStatusChanged"},
                                 .secret = "whsec_example_0123456789"});
  if (!sub.ok()) {
    std::cerr << "subscribe: " << sub.status().ToString() << "\n";
    return 1;
  }
  std::cout << "subscribed " << sub->id << " -> " << sub->url << "\n";

  // A new customer each run, so each run has an event to deliver.
  const auto now = std::chrono::system_clock::now().time_since_epoch() / std::chrono::milliseconds(1);
  auto customer = (*engine)->customers().create({.email = "hooks-" + std::to_string(now) + "@example.com"});
  if (!customer.ok()) {
    std::cerr << "customer: " << customer.status().ToString() << "\n";
    return 1;
  }
  std::this_thread::sleep_for(std::chrono::seconds(1));  // the delivery thread works meanwhile

  auto failures = webhooks.failures("example");
  if (!failures.ok()) {
    std::cerr << "failures: " << failures.status().ToString() << "\n";
    return 1;
  }
  if (failures->empty()) std::cout << "no failures: every event was delivered\n";
  for (const auto& f : *failures)
    std::cout << "event " << f.event_seq << " " << f.event_type << ": " << f.attempts << " attempt(s), "
              << (f.given_up ? "given up" : "retrying") << ", last error: " << f.last_error << "\n";

  // The receiver moved and the secret is rotated: update() changes the subscription in place;
  // its queued deliveries and failures are kept (unsubscribe + subscribe would drop them).
  auto moved = webhooks.update("example", {.url = argc > 3 ? argv[3] : "http://127.0.0.1:9/new",
                                           .secret = "whsec_example_rotated_" + std::to_string(now)});
  if (!moved.ok()) {
    std::cerr << "update: " << moved.status().ToString() << "\n";
    return 1;
  }
  auto kept = webhooks.failures("example");
  std::cout << "updated " << moved->id << " -> " << moved->url << " (secret rotated); failures kept: "
            << (kept.ok() ? kept->size() : 0) << "\n";
  return 0;
}
