// Concurrent HTTP POSTs on libcurl's multi interface, driven by one thread (the webhook
// delivery thread, or the caller of Engine::run_background_once()). Every limit is bounded:
// the whole request by a timeout, the response body read up to kMaxResponseBytes (the rest is
// not read: the status line decides), no redirects followed, no proxy from the environment,
// http and https only. Each socket is opened only to an address the TargetPolicy allows,
// judged on the address itself after DNS resolution (target_policy.h).
//
// Thread safety: an HttpPoster belongs to the one thread that drives it.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "webhooks/target_policy.h"

namespace commerce {

struct HttpPost {
  uint64_t tag = 0;  // the caller's, handed back in the outcome
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;
};

struct HttpOutcome {
  uint64_t tag = 0;
  int http_status = 0;  // 0: no response (connection refused, timeout, ...)
  std::string error;    // "" on 2xx; else what went wrong (never the receiver's body)
};

class HttpPoster {
 public:
  static constexpr size_t kMaxResponseBytes = 64 * 1024;

  HttpPoster(std::chrono::milliseconds timeout, TargetPolicy policy);
  ~HttpPoster();  // abandons transfers in flight
  HttpPoster(const HttpPoster&) = delete;
  HttpPoster& operator=(const HttpPoster&) = delete;

  // Starts a POST; its outcome comes out of a later Poll().
  void Start(HttpPost post);
  size_t in_flight() const;
  // Moves transfers along for at most `wait` (less when one finishes) and returns those that
  // finished.
  std::vector<HttpOutcome> Poll(std::chrono::milliseconds wait);
  // Drops every transfer in flight without an outcome.
  void AbandonAll();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace commerce
