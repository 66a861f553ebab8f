// JSON in and out of the reference server, on rapidjson.
//
// Reading is strict, as the importer is: a field of the wrong type is InvalidArgument naming
// the field ("body.lines[2].quantity: expected an integer"), and a field the schema does not
// know is InvalidArgument too, so a typo is caught rather than silently dropped.
// ParseJsonBody refuses nesting deeper than kMaxJsonDepth before rapidjson sees the text, and
// parses iteratively, so no body can exhaust the stack.
//
// Thread safety: plain values and functions; use each object from one thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "commerce/commerce.h"

namespace commerce::server {

inline constexpr int kMaxJsonDepth = 32;
// Values (objects, arrays, scalars) a request body may hold, counted on the text before parsing.
inline constexpr size_t kMaxJsonValues = 100000;

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

// Parses `body` into *doc. InvalidArgument for an empty body, malformed JSON (with the
// offset) or JSON that is not UTF-8, nesting past kMaxJsonDepth, more than kMaxJsonValues
// values, a key twice in one object (naming it: "body.lines[0].sku"), or a top-level value
// that is not an object.
Status ParseJsonBody(std::string_view body, rapidjson::Document* doc);

// Whether `s` is well-formed UTF-8 (what every text field of a request must be).
bool IsUtf8(std::string_view s);

// A strict reader over one JSON object. Each getter marks its field as known; Finish()
// reports the first member no getter asked for.
class JsonObject {
 public:
  JsonObject(const rapidjson::Value& v, std::string path) : v_(v), path_(std::move(path)) {}

  bool has(const char* name) const { return v_.HasMember(name); }
  Status str(const char* name, std::string* out, bool required = false);
  Status i64(const char* name, int64_t* out, bool required = false);
  // An int32 read through i64 without wrapping: out of range is InvalidArgument naming the
  // field, before an engine's own range check could see a truncated value.
  Status i32(const char* name, int32_t* out);
  Status u64(const char* name, uint64_t* out, bool required = false);
  Status opt_i64(const char* name, std::optional<int64_t>* out);
  Status boolean(const char* name, bool* out);
  Status str_list(const char* name, std::vector<std::string>* out);
  Status i64_list(const char* name, std::vector<int64_t>* out);
  Status str_map(const char* name, std::map<std::string, std::string>* out);
  // The member's value when present and of `type`; nullptr when absent.
  Status object(const char* name, const rapidjson::Value** out, bool required = false);
  Status array(const char* name, const rapidjson::Value** out, bool required = false);
  // Engine-set fields a client may echo back (version, timestamps): accepted and ignored.
  void ignore(const char* name) { seen_.push_back(name); }
  Status Finish() const;

  std::string field(const char* name) const { return path_.empty() ? name : path_ + "." + name; }

 private:
  const rapidjson::Value* get(const char* name);
  const rapidjson::Value& v_;
  std::string path_;
  std::vector<std::string_view> seen_;
};

// Writers shared by the routes.
void Str(JsonWriter& w, std::string_view s);
void WriteMoney(JsonWriter& w, const Money& m);
void WriteStringMap(JsonWriter& w, const std::map<std::string, std::string>& m);
void WriteAddress(JsonWriter& w, const Address& a);
void WriteWarehouse(JsonWriter& w, const Warehouse& wh);
void WriteStockLevel(JsonWriter& w, const StockLevel& s);
void WriteSkuStock(JsonWriter& w, const SkuStock& s);
void WriteCart(JsonWriter& w, const Cart& c);
void WriteOrder(JsonWriter& w, const Order& o);
// The promotions applied to an order or a cart ([{promotion_id, name, coupon_code, amount,
// free_shipping}]).
void WriteAppliedPromotions(JsonWriter& w, const std::vector<AppliedPromotion>& ps);
// What promotions took off one line ([{promotion_id, amount}]).
void WriteLineDiscounts(JsonWriter& w, const std::vector<LineDiscount>& ds);
void WriteCustomer(JsonWriter& w, const Customer& c);
void WriteCategory(JsonWriter& w, const Category& c);
void WriteEvent(JsonWriter& w, const Event& e);
void WriteSearchResult(JsonWriter& w, const SearchResult& r);
void WriteImportReport(JsonWriter& w, const ImportReport& r);
// An import's rejections ([{line, field, reason}]) and its progress so far (import jobs).
void WriteRejections(JsonWriter& w, const std::vector<Rejection>& rejections);
void WriteImportProgress(JsonWriter& w, const ImportProgress& p);
// A product as ProductToJson writes it (the catalog's native schema, engine fields included).
void WriteProduct(JsonWriter& w, const Product& p);

// Readers for request bodies.
Status ReadAddress(const rapidjson::Value& v, const std::string& path, Address* a);
Status ReadCustomer(const rapidjson::Value& v, Customer* c);

}  // namespace commerce::server
