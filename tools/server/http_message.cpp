#include "http_message.h"

#include "json_util.h"

namespace commerce::server {

const char* ScopeName(Scope s) {
  switch (s) {
    case Scope::kAdmin: return "admin";
    case Scope::kStore: return "store";
    case Scope::kPublic: return "public";
    default: return "none";
  }
}

const std::string* Request::header(std::string_view lower_name) const {
  for (const auto& [k, v] : headers)
    if (k == lower_name) return &v;
  return nullptr;
}

const std::string* Request::param(std::string_view name) const {
  for (const auto& [k, v] : query)
    if (k == name) return &v;
  return nullptr;
}

Response ErrorResponse(int http, std::string code, std::string message) {
  Response r;
  r.status = http;
  r.error_code = std::move(code);
  r.error_message = std::move(message);
  return r;
}

Response StatusResponse(const Status& s) {
  return ErrorResponse(CodeHttpStatus(s.code()), CodeName(s.code()), s.message());
}

Response JsonResponse(std::string body, int http) {
  Response r;
  r.status = http;
  r.body = std::move(body);
  return r;
}

const char* ReasonPhrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 304: return "Not Modified";
    case 412: return "Precondition Failed";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Unknown";
  }
}

std::string SerializeResponse(const Response& r, std::string_view request_id, bool keep_alive,
                              bool head_only) {
  std::string body = r.body;
  if (!r.error_code.empty()) {
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartObject();
    w.Key("error");
    w.StartObject();
    w.Key("code"); Str(w, r.error_code);
    w.Key("message"); Str(w, r.error_message);
    w.Key("request_id"); Str(w, request_id);
    w.EndObject();
    w.EndObject();
    body.assign(buf.GetString(), buf.GetSize());
  }
  std::string out;
  out.reserve(body.size() + 256);
  out += "HTTP/1.1 ";
  out += std::to_string(r.status);
  out += ' ';
  out += ReasonPhrase(r.status);
  out += "\r\nContent-Type: ";
  out += r.content_type;
  // A 304 has no body, and a Content-Length there would have to be the 200's (RFC 9110 §8.6).
  if (r.status != 304) {
    out += "\r\nContent-Length: ";
    out += std::to_string(body.size());
  }
  out += "\r\nX-Request-Id: ";
  out += request_id;
  for (const auto& [k, v] : r.headers) {
    out += "\r\n";
    out += k;
    out += ": ";
    out += v;
  }
  out += keep_alive ? "\r\n\r\n" : "\r\nConnection: close\r\n\r\n";
  if (!head_only) out += body;
  return out;
}

std::string PercentDecode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
      i += 2;
    } else if (plus_is_space && s[i] == '+') {
      out += ' ';
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace commerce::server
