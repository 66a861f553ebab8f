// One HTTP request as the routes see it, and the response they return.
//
// Thread safety: values. A Request is filled by its connection's loop thread and then read
// by one handler, on the loop or on a pool thread, never both at once.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "commerce/status.h"

namespace commerce::server {

// Scopes of API keys, each including the ones before it (ScopeAllows): kPublic (a
// publishable key, safe in a browser), kStore (a shop's backend), kAdmin (the operator).
// kNone marks routes that need no key.
enum class Scope : uint8_t { kNone = 0, kPublic = 1, kStore = 2, kAdmin = 3 };
const char* ScopeName(Scope s);
// Whether a key of scope `key` may call a route that needs `needed`.
inline bool ScopeAllows(Scope key, Scope needed) {
  return static_cast<uint8_t>(key) >= static_cast<uint8_t>(needed);
}

// What a request may wait for without holding a thread (waiter.h): the event log reaching a
// sequence, or the search index having published it.
enum class WaitClock : uint8_t { kEventLog, kSearchIndex };
// How a wait ended. kNotWaited: the handler's first run. (A wait past the server's limit,
// --max-waits, is answered 429 by the server without running the handler again.)
enum class WaitOutcome : uint8_t { kNotWaited, kReached, kTimedOut, kStopped };

struct Request {
  std::string method;  // "GET"
  std::string target;  // as sent: "/v1/search?q=tee"
  std::string path;    // "/v1/search" (still percent-encoded; routes decode segments)
  std::vector<std::pair<std::string, std::string>> query;    // decoded
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  bool keep_alive = true;
  std::string request_id;
  std::string remote;
  int64_t start_ns = 0;
  // Set by the gateway.
  std::string key_name;
  Scope scope = Scope::kNone;
  // The channel the key is limited to ("": none): key_channel.h holds the request to it.
  std::string key_channel;
  // Set when the handler runs again after the wait it asked for (Response::wait).
  WaitOutcome waited = WaitOutcome::kNotWaited;

  const std::string* header(std::string_view lower_name) const;
  const std::string* param(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string body;  // JSON unless content_type says otherwise
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  bool close = false;  // close the connection once written
  // Set by a handler that must wait (a long-poll, min_index_seq): no response is written;
  // the request is parked on its loop (waiter.h) until `clock` reaches `seq` or timeout_ms
  // passes, then its handler runs again with Request::waited saying how the wait ended.
  struct Wait {
    WaitClock clock = WaitClock::kEventLog;
    uint64_t seq = 0;
    int64_t timeout_ms = 0;
  };
  std::optional<Wait> wait;
  // Set by GET /v1/events/stream once its input is checked: no response is written here; the
  // connection becomes a Server-Sent Events stream of the event log from `from` on
  // (event_stream.h), until the client leaves or a limit ends it.
  struct EventStream {
    uint64_t from = 1;
  };
  std::optional<EventStream> event_stream;
  // An error response: the body is written when the request id is known.
  std::string error_code;
  std::string error_message;
};

// {"error": {"code", "message", "request_id"}} with `http` status. Codes of the engine come
// from status_codes.def through StatusResponse; the gateway adds its own few (UNAUTHENTICATED,
// PERMISSION_DENIED, METHOD_NOT_ALLOWED, REQUEST_TIMEOUT, PAYLOAD_TOO_LARGE,
// UNSUPPORTED_MEDIA_TYPE, HEADERS_TOO_LARGE) for statuses the engine never produces.
Response ErrorResponse(int http, std::string code, std::string message);
// The engine's Status as an error response: CodeHttpStatus and CodeName from the one table.
Response StatusResponse(const Status& s);
// A JSON 200 (or `http`) response with `body`.
Response JsonResponse(std::string body, int http = 200);

// "HTTP/1.1 200 OK\r\n..." with Content-Length, X-Request-Id and Connection headers.
std::string SerializeResponse(const Response& r, std::string_view request_id, bool keep_alive,
                              bool head_only);
const char* ReasonPhrase(int status);
std::string PercentDecode(std::string_view s, bool plus_is_space);

}  // namespace commerce::server
