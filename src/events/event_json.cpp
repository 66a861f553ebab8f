#include "events/event_json.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "common/utf8.h"

namespace commerce {

namespace {

rapidjson::SizeType Len(std::string_view s) { return static_cast<rapidjson::SizeType>(s.size()); }

// Text checked on the way in is UTF-8 already; anything else (data written before the checks
// existed) still comes out as valid JSON: a malformed byte becomes U+FFFD rather than a byte
// no JSON parser accepts.
template <typename Fn>
void WithValidUtf8(std::string_view s, Fn&& fn) {
  if (IsValidUtf8(s)) {
    fn(s);
  } else {
    const std::string fixed = ToValidUtf8(s);
    fn(std::string_view(fixed));
  }
}

void WriteString(rapidjson::Writer<rapidjson::StringBuffer>& w, std::string_view s) {
  WithValidUtf8(s, [&](std::string_view v) { w.String(v.data(), Len(v)); });
}

}  // namespace

struct EventJson::Impl {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w{buf};

  void key(std::string_view name) {
    if (!name.empty()) WithValidUtf8(name, [&](std::string_view v) { w.Key(v.data(), Len(v)); });
  }
};

EventJson::EventJson() : impl_(std::make_unique<Impl>()) { impl_->w.StartObject(); }
EventJson::~EventJson() = default;
EventJson::EventJson(EventJson&&) noexcept = default;
EventJson& EventJson::operator=(EventJson&&) noexcept = default;

EventJson& EventJson::str(std::string_view name, std::string_view value) {
  impl_->key(name);
  WriteString(impl_->w, value);
  return *this;
}

EventJson& EventJson::i64(std::string_view name, int64_t value) {
  impl_->key(name);
  impl_->w.Int64(value);
  return *this;
}

EventJson& EventJson::u64(std::string_view name, uint64_t value) {
  impl_->key(name);
  impl_->w.Uint64(value);
  return *this;
}

EventJson& EventJson::boolean(std::string_view name, bool value) {
  impl_->key(name);
  impl_->w.Bool(value);
  return *this;
}

EventJson& EventJson::raw(std::string_view name, std::string_view json) {
  impl_->key(name);
  impl_->w.RawValue(json.data(), json.size(), rapidjson::kObjectType);
  return *this;
}

EventJson& EventJson::begin_array(std::string_view name) {
  impl_->key(name);
  impl_->w.StartArray();
  return *this;
}

EventJson& EventJson::end_array() {
  impl_->w.EndArray();
  return *this;
}

EventJson& EventJson::begin_object(std::string_view name) {
  impl_->key(name);
  impl_->w.StartObject();
  return *this;
}

EventJson& EventJson::end_object() {
  impl_->w.EndObject();
  return *this;
}

EventJson& EventJson::element(std::string_view value) {
  WriteString(impl_->w, value);
  return *this;
}

EventJson& EventJson::strings(std::string_view name, const std::vector<std::string>& values) {
  begin_array(name);
  for (const std::string& v : values) element(v);
  return end_array();
}

std::string EventJson::done() {
  impl_->w.EndObject();
  return std::string(impl_->buf.GetString(), impl_->buf.GetSize());
}

std::string JsonQuote(std::string_view value) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  WriteString(w, value);
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace commerce
