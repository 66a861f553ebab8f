#include "catalog/json_node.h"

#include <cstring>
#include <new>

#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

namespace commerce {

JsonNode::JsonNode() = default;

namespace {

// Builds a JsonNode from SAX events. Only the innermost open container ever grows, so the
// pointers on stack_ (into their parents' vectors) stay valid while they are open.
class TreeBuilder : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, TreeBuilder> {
 public:
  bool Null() { return add(JsonNode::Type::kNull) || too_many(); }
  bool Bool(bool b) {
    JsonNode* n = add(JsonNode::Type::kBool);
    if (!n) return too_many();
    n->boolean = b;
    return true;
  }
  bool RawNumber(const char* s, rapidjson::SizeType len, bool) { return text(JsonNode::Type::kNumber, s, len); }
  bool String(const char* s, rapidjson::SizeType len, bool) { return text(JsonNode::Type::kString, s, len); }
  bool Key(const char* s, rapidjson::SizeType len, bool) {
    key_.assign(s, len);
    return true;
  }
  bool StartObject() { return open(JsonNode::Type::kObject); }
  bool EndObject(rapidjson::SizeType) { return close(); }
  bool StartArray() { return open(JsonNode::Type::kArray); }
  bool EndArray(rapidjson::SizeType) { return close(); }

  JsonNode& root() { return root_; }
  const std::string& error() const { return error_; }

 private:
  JsonNode* add(JsonNode::Type type) {
    if (++values_ > kMaxJsonValues) return nullptr;
    JsonNode* n;
    if (stack_.empty()) {
      n = &root_;
    } else if (stack_.back()->type == JsonNode::Type::kArray) {
      n = &stack_.back()->items.emplace_back();
    } else {
      n = &stack_.back()->members.emplace_back(std::move(key_), JsonNode{}).second;
      key_.clear();
    }
    n->type = type;
    return n;
  }
  bool text(JsonNode::Type type, const char* s, rapidjson::SizeType len) {
    JsonNode* n = add(type);
    if (!n) return too_many();
    n->text.assign(s, len);
    return true;
  }
  bool open(JsonNode::Type type) {
    if (stack_.size() >= kMaxJsonDepth) {
      error_ = "nested deeper than " + std::to_string(kMaxJsonDepth) + " levels";
      return false;
    }
    JsonNode* n = add(type);
    if (!n) return too_many();
    stack_.push_back(n);
    return true;
  }
  bool too_many() {
    error_ = "more than " + std::to_string(kMaxJsonValues) + " values (the limit of one record)";
    return false;
  }
  bool close() {
    stack_.pop_back();
    return true;
  }

  JsonNode root_;
  std::vector<JsonNode*> stack_;
  std::string key_;
  std::string error_;
  size_t values_ = 0;
};

}  // namespace

const JsonNode* JsonNode::find(std::string_view key) const {
  for (const auto& [k, v] : members) {
    if (k == key) return &v;
  }
  return nullptr;
}

const char* JsonNode::type_name() const {
  switch (type) {
    case Type::kNull:
      return "null";
    case Type::kBool:
      return "boolean";
    case Type::kNumber:
      return "number";
    case Type::kString:
      return "string";
    case Type::kArray:
      return "array";
    case Type::kObject:
      return "object";
  }
  return "value";
}

Result<JsonNode> ParseJson(std::string_view text) {
  // rapidjson's stream reports '\0' at the end of input, so an embedded NUL would silently
  // end the document; JSON never needs a raw NUL (it is escaped as \u0000 in strings).
  if (const void* nul = std::memchr(text.data(), '\0', text.size())) {
    const size_t at = static_cast<const char*>(nul) - text.data();
    return Status::InvalidArgument("offset " + std::to_string(at) + ": NUL byte");
  }
  constexpr unsigned kFlags = rapidjson::kParseNumbersAsStringsFlag |
                              rapidjson::kParseValidateEncodingFlag |
                              rapidjson::kParseIterativeFlag;
  try {
    rapidjson::MemoryStream stream(text.data(), text.size());
    rapidjson::Reader reader;
    TreeBuilder builder;
    rapidjson::ParseResult ok = reader.Parse<kFlags>(stream, builder);
    if (!ok) {
      std::string why = builder.error().empty() ? rapidjson::GetParseError_En(ok.Code()) : builder.error();
      return Status::InvalidArgument("offset " + std::to_string(ok.Offset()) + ": " + why);
    }
    return std::move(builder.root());
  } catch (const std::bad_alloc&) {
    return Status::ResourceExhausted("out of memory parsing a JSON record of " +
                                     std::to_string(text.size()) + " bytes");
  }
}

}  // namespace commerce
