// The one encoder of event data (docs/events.md): every engine builds the JSON object of its
// events here, member by member, so that strings are escaped one way everywhere and a data
// field is never assembled by hand.
//
//   std::string data = EventJson().str("sku", sku).i64("quantity", 3).done();
//   // {"sku":"A-1","quantity":3}
//
// Nested values: begin_array/begin_object name a member (or, inside an array, take none) and
// end_array/end_object close it. raw() embeds a value that is already JSON (the webhook body
// embeds an event's data as stored).
//
// Thread safety: an EventJson is a value used by one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace commerce {

class EventJson {
 public:
  EventJson();  // starts the outer object
  ~EventJson();
  EventJson(EventJson&&) noexcept;
  EventJson& operator=(EventJson&&) noexcept;

  // Members of the current object. Strings should be UTF-8 (the engines validate text at
  // their entry points); a byte that is not part of a well-formed sequence becomes U+FFFD, so
  // the output is valid JSON whatever the input.
  EventJson& str(std::string_view name, std::string_view value);
  EventJson& i64(std::string_view name, int64_t value);
  EventJson& u64(std::string_view name, uint64_t value);
  EventJson& boolean(std::string_view name, bool value);
  // A member whose value is already encoded JSON.
  EventJson& raw(std::string_view name, std::string_view json);

  // Containers: a named member of the current object; `name` empty inside an array.
  EventJson& begin_array(std::string_view name = {});
  EventJson& end_array();
  EventJson& begin_object(std::string_view name = {});
  EventJson& end_object();
  // Elements of the current array.
  EventJson& element(std::string_view value);
  // A named array of strings: begin_array(name), an element each, end_array().
  EventJson& strings(std::string_view name, const std::vector<std::string>& values);

  // Closes the outer object and returns the text. REQUIRES: every container opened was closed.
  std::string done();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// `value` as a JSON string literal, quotes included.
std::string JsonQuote(std::string_view value);

}  // namespace commerce
