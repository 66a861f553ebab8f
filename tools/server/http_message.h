// One HTTP request as the routes see it, and the response they return.
//
// Thread safety: values. A Request is filled by its connection's loop thread and then read
// by one handler, on the loop or on a pool thread, never both at once.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "commerce/status.h"

namespace commerce::server {

enum class Scope : uint8_t { kNone = 0, kStore = 1, kAdmin = 2 };
const char* ScopeName(Scope s);

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

  const std::string* header(std::string_view lower_name) const;
  const std::string* param(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string body;  // JSON unless content_type says otherwise
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  bool close = false;  // close the connection once written
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
