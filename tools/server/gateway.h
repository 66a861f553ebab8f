// The gateway duties of the reference server (the card's API gateway): API keys with scopes
// compared in constant time, a token bucket per key, request ids, and the JSON Lines access
// log.
//
// Keys file: keys_file.h. Scope `admin` (catalog, stock, order transitions, events, webhooks,
// metrics) includes `store` (customers, stock reads, every order, cart login), which includes
// `public` (a publishable key, safe in a browser: active products, categories, search, carts
// by id, placing an order and reading it by its Order-Token; docs/security.md).
//
// Thread safety: a Gateway is safe from any number of threads once loaded (each bucket has
// its own lock); AccessLog::write may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "commerce/status.h"
#include "http_message.h"

namespace commerce::server {

struct ApiKey {
  std::string name;
  std::string secret;
  Scope scope = Scope::kStore;
  double rate = 0;   // tokens a second; 0: unlimited
  double burst = 0;  // bucket size
  std::string channel;  // "": any; else every request is held to it (key_channel.h)
  std::mutex mu;
  double tokens = 0;
  int64_t last_ns = 0;
};

class Gateway {
 public:
  // Whether a channel exists: OK, or the error that says why a key naming it is refused.
  using ChannelCheck = std::function<Status(const std::string& channel)>;

  // An empty path disables authentication (every request is admin).
  Status Load(const std::string& path);
  // Checks every key's channel now (the store is open only after Load) and at every Reload:
  // a key naming a channel the store does not have is refused, naming the key and the channel.
  Status CheckChannels(ChannelCheck check);
  // Reads the keys file again (SIGHUP). On error the keys in use stay as they were. Buckets
  // of keys whose name, secret and rate are unchanged keep their tokens.
  Status Reload();
  bool enabled() const { return enabled_; }
  size_t size() const { return keys_.load()->size(); }

  // The key whose secret equals `presented`, or null. Every key's secret is compared
  // byte by byte over the full length of both strings, without an early exit, so the time
  // taken does not say how much of a guess was right, or which key came close. The key
  // stays valid while the caller holds it, even across a Reload().
  std::shared_ptr<ApiKey> Authenticate(std::string_view presented) const;
  // Takes one token from the key's bucket; false with *retry_after_s when it is empty.
  bool TakeToken(ApiKey* key, int64_t now_ns, int* retry_after_s) const;

 private:
  using KeySet = std::vector<std::shared_ptr<ApiKey>>;
  Result<std::shared_ptr<const KeySet>> Read(const KeySet* previous) const;

  std::string path_;
  bool enabled_ = false;
  ChannelCheck channel_check_;  // set once by CheckChannels, before any Reload
  std::atomic<std::shared_ptr<const KeySet>> keys_{std::make_shared<const KeySet>()};
};

// Repeated failed authentications from one client address (a key being guessed): after
// kFailures failures within kWindowS seconds, every request of that address that needs a key
// is 429 with Retry-After for kBlockS seconds, before any key is compared. A success does not
// reset the count: a guesser that also holds one valid key gains nothing.
//
// Memory is bounded: at most kMaxAddresses addresses are tracked; when full, entries whose
// window and block have passed are dropped first, and then the table is cleared (forgetting
// failures is the safe direction for a legitimate client, and a flood of addresses costs the
// flooder its own counts).
//
// Thread safety: any thread.
class AuthThrottle {
 public:
  static constexpr int kFailures = 10;
  static constexpr int64_t kWindowS = 60;
  static constexpr int64_t kBlockS = 60;
  static constexpr size_t kMaxAddresses = 100000;

  // False, with *retry_after_s, while `addr` is blocked.
  bool Allowed(const std::string& addr, int64_t now_ns, int* retry_after_s);
  // Counts one failed authentication of `addr`.
  void Failed(const std::string& addr, int64_t now_ns);

 private:
  struct Entry {
    int failures = 0;
    int64_t window_start_ns = 0;
    int64_t blocked_until_ns = 0;
  };
  std::mutex mu_;
  std::unordered_map<std::string, Entry> by_addr_;  // GUARDED_BY(mu_)
};

// The presented secret: "Authorization: Bearer <key>" or "X-Api-Key: <key>"; empty if none.
std::string_view PresentedKey(const Request& r);
// Query parameter names a client may have put an API key in (key, api_key, access_token...).
// A key is taken from headers only: a URL is kept by access logs, proxies, browser history
// and Referer headers. A request with such a parameter is refused (400) before any key is
// looked at, and the access log writes its value as REDACTED.
bool IsKeyParam(std::string_view name);

class AccessLog {
 public:
  ~AccessLog();
  Status Open(const std::string& where);  // a path, "-" (stdout) or "off"
  bool enabled() const { return f_ != nullptr; }
  void Write(const std::string& line);    // one JSON object; the newline is added
  void Flush();

 private:
  std::mutex mu_;
  FILE* f_ = nullptr;
  bool own_ = false;
};

// A fresh request id: a per-process random prefix, the loop's index and a counter
// ("r3f9a1c2e-1-000042"): unique, short, sortable within a loop.
std::string NewRequestId(int loop, uint64_t counter);
// A client-supplied X-Request-Id is kept when it is 1..64 of [A-Za-z0-9._-].
bool ValidRequestId(std::string_view id);

int64_t NowNs();
int64_t NowMs();

}  // namespace commerce::server
