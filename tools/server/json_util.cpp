#include "json_util.h"

#include <rapidjson/error/en.h>

#include <algorithm>

namespace commerce::server {

namespace {

const char* TypeName(const rapidjson::Value& v) {
  if (v.IsNull()) return "null";
  if (v.IsBool()) return "a boolean";
  if (v.IsObject()) return "an object";
  if (v.IsArray()) return "an array";
  if (v.IsString()) return "a string";
  return "a number";
}

Status Expected(const std::string& field, const char* what, const rapidjson::Value& got) {
  return Status::InvalidArgument(field + ": expected " + what + ", got " + TypeName(got));
}

}  // namespace

namespace {

// The first key that appears twice in one object, anywhere in `v`; empty when none. Depth is
// bounded by kMaxJsonDepth already.
std::string DuplicateKey(const rapidjson::Value& v, const std::string& path) {
  if (v.IsArray()) {
    for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
      std::string d = DuplicateKey(v[i], path + "[" + std::to_string(i) + "]");
      if (!d.empty()) return d;
    }
    return "";
  }
  if (!v.IsObject()) return "";
  std::vector<std::string_view> names;
  names.reserve(v.MemberCount());
  for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it)
    names.emplace_back(it->name.GetString(), it->name.GetStringLength());
  std::vector<std::string_view> sorted = names;
  std::sort(sorted.begin(), sorted.end());
  for (size_t i = 1; i < sorted.size(); ++i)
    if (sorted[i] == sorted[i - 1]) return path + "." + std::string(sorted[i]);
  for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
    std::string d = DuplicateKey(it->value, path + "." + std::string(it->name.GetString(), it->name.GetStringLength()));
    if (!d.empty()) return d;
  }
  return "";
}

}  // namespace

bool IsUtf8(std::string_view s) {
  // RFC 3629 §4: no overlong forms, no surrogates, nothing past U+10FFFF.
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  for (size_t i = 0; i < n;) {
    const unsigned char b = p[i];
    if (b < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF;  // the range of the second byte
    if (b >= 0xC2 && b <= 0xDF) len = 2;
    else if (b >= 0xE0 && b <= 0xEF) {
      len = 3;
      if (b == 0xE0) lo = 0xA0;
      if (b == 0xED) hi = 0x9F;
    } else if (b >= 0xF0 && b <= 0xF4) {
      len = 4;
      if (b == 0xF0) lo = 0x90;
      if (b == 0xF4) hi = 0x8F;
    } else {
      return false;
    }
    if (i + len > n || p[i + 1] < lo || p[i + 1] > hi) return false;
    for (size_t k = 2; k < len; ++k)
      if ((p[i + k] & 0xC0) != 0x80) return false;
    i += len;
  }
  return true;
}

Status ParseJsonBody(std::string_view body, rapidjson::Document* doc) {
  if (body.empty()) return Status::InvalidArgument("body: a JSON object is required");
  // Depth and size are checked on the text first: cheap, and no parser ever walks a hostile
  // nest or builds a tree many times the size of the text ("[0,0,0,...]" costs rapidjson
  // about 40 bytes of tree per 2 bytes of text).
  int depth = 0;
  size_t values = 1;  // every value but the first follows a ',' or opens a container
  bool in_string = false, escaped = false;
  for (char c : body) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '{' || c == '[') {
      ++values;
      if (++depth > kMaxJsonDepth)
        return Status::InvalidArgument("body: JSON nested deeper than " +
                                       std::to_string(kMaxJsonDepth) + " levels");
    } else if (c == '}' || c == ']') --depth;
    else if (c == ',') ++values;
    if (values > kMaxJsonValues)
      return Status::InvalidArgument("body: more than " + std::to_string(kMaxJsonValues) +
                                     " JSON values (the limit of a request body)");
  }
  doc->Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag>(body.data(),
                                                                                      body.size());
  if (doc->HasParseError())
    return Status::InvalidArgument(std::string("body: malformed JSON at offset ") +
                                   std::to_string(doc->GetErrorOffset()) + ": " +
                                   rapidjson::GetParseError_En(doc->GetParseError()));
  if (!doc->IsObject()) return Status::InvalidArgument("body: expected a JSON object");
  std::string dup = DuplicateKey(*doc, "body");
  if (!dup.empty()) return Status::InvalidArgument(dup + ": the key appears more than once in its object");
  return Status::OK();
}

const rapidjson::Value* JsonObject::get(const char* name) {
  seen_.push_back(name);
  auto it = v_.FindMember(name);
  if (it == v_.MemberEnd() || it->value.IsNull()) return nullptr;
  return &it->value;
}

Status JsonObject::str(const char* name, std::string* out, bool required) {
  const auto* v = get(name);
  if (!v) return required ? Status::InvalidArgument(field(name) + ": required") : Status::OK();
  if (!v->IsString()) return Expected(field(name), "a string", *v);
  out->assign(v->GetString(), v->GetStringLength());
  return Status::OK();
}

Status JsonObject::i64(const char* name, int64_t* out, bool required) {
  const auto* v = get(name);
  if (!v) return required ? Status::InvalidArgument(field(name) + ": required") : Status::OK();
  if (!v->IsInt64()) return Expected(field(name), "an integer", *v);
  *out = v->GetInt64();
  return Status::OK();
}

Status JsonObject::i32(const char* name, int32_t* out) {
  int64_t v = *out;
  COMMERCE_RETURN_IF_ERROR(i64(name, &v));
  if (v < INT32_MIN || v > INT32_MAX)
    return Status::InvalidArgument(field(name) + ": " + std::to_string(v) + " is out of range");
  *out = static_cast<int32_t>(v);
  return Status::OK();
}

Status JsonObject::u64(const char* name, uint64_t* out, bool required) {
  const auto* v = get(name);
  if (!v) return required ? Status::InvalidArgument(field(name) + ": required") : Status::OK();
  if (!v->IsUint64()) return Expected(field(name), "a non-negative integer", *v);
  *out = v->GetUint64();
  return Status::OK();
}

Status JsonObject::opt_i64(const char* name, std::optional<int64_t>* out) {
  const auto* v = get(name);
  if (!v) return Status::OK();
  if (!v->IsInt64()) return Expected(field(name), "an integer", *v);
  *out = v->GetInt64();
  return Status::OK();
}

Status JsonObject::boolean(const char* name, bool* out) {
  const auto* v = get(name);
  if (!v) return Status::OK();
  if (!v->IsBool()) return Expected(field(name), "a boolean", *v);
  *out = v->GetBool();
  return Status::OK();
}

Status JsonObject::str_list(const char* name, std::vector<std::string>* out) {
  const auto* v = get(name);
  if (!v) return Status::OK();
  if (!v->IsArray()) return Expected(field(name), "an array of strings", *v);
  out->clear();
  for (rapidjson::SizeType i = 0; i < v->Size(); ++i) {
    const auto& e = (*v)[i];
    if (!e.IsString())
      return Expected(field(name) + "[" + std::to_string(i) + "]", "a string", e);
    out->emplace_back(e.GetString(), e.GetStringLength());
  }
  return Status::OK();
}

Status JsonObject::i64_list(const char* name, std::vector<int64_t>* out) {
  const auto* v = get(name);
  if (!v) return Status::OK();
  if (!v->IsArray()) return Expected(field(name), "an array of integers", *v);
  out->clear();
  for (rapidjson::SizeType i = 0; i < v->Size(); ++i) {
    const auto& e = (*v)[i];
    if (!e.IsInt64()) return Expected(field(name) + "[" + std::to_string(i) + "]", "an integer", e);
    out->push_back(e.GetInt64());
  }
  return Status::OK();
}

Status JsonObject::str_map(const char* name, std::map<std::string, std::string>* out) {
  const auto* v = get(name);
  if (!v) return Status::OK();
  if (!v->IsObject()) return Expected(field(name), "an object of strings", *v);
  out->clear();
  for (auto it = v->MemberBegin(); it != v->MemberEnd(); ++it) {
    std::string key(it->name.GetString(), it->name.GetStringLength());
    if (!it->value.IsString()) return Expected(field(name) + "." + key, "a string", it->value);
    (*out)[key] = std::string(it->value.GetString(), it->value.GetStringLength());
  }
  return Status::OK();
}

Status JsonObject::object(const char* name, const rapidjson::Value** out, bool required) {
  const auto* v = get(name);
  *out = nullptr;
  if (!v) return required ? Status::InvalidArgument(field(name) + ": required") : Status::OK();
  if (!v->IsObject()) return Expected(field(name), "an object", *v);
  *out = v;
  return Status::OK();
}

Status JsonObject::array(const char* name, const rapidjson::Value** out, bool required) {
  const auto* v = get(name);
  *out = nullptr;
  if (!v) return required ? Status::InvalidArgument(field(name) + ": required") : Status::OK();
  if (!v->IsArray()) return Expected(field(name), "an array", *v);
  *out = v;
  return Status::OK();
}

Status JsonObject::Finish() const {
  for (auto it = v_.MemberBegin(); it != v_.MemberEnd(); ++it) {
    std::string_view key(it->name.GetString(), it->name.GetStringLength());
    bool known = false;
    for (auto s : seen_) known = known || s == key;
    if (!known) return Status::InvalidArgument(field(std::string(key).c_str()) + ": unknown field");
  }
  return Status::OK();
}

// --- writers ---------------------------------------------------------------------------

void Str(JsonWriter& w, std::string_view s) {
  if (IsUtf8(s)) {
    w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
    return;
  }
  // Never raw bytes that are not UTF-8 (a %ff from a path echoed in an error, data stored
  // before the engine checked its text): each byte outside a well-formed sequence becomes
  // U+FFFD, so every response stays valid JSON.
  std::string clean;
  clean.reserve(s.size() + 8);
  for (size_t i = 0; i < s.size();) {
    size_t len = 1;
    const auto b = static_cast<unsigned char>(s[i]);
    if (b >= 0x80) {
      len = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2;
      if (i + len > s.size() || !IsUtf8(s.substr(i, len))) {
        clean += "\xEF\xBF\xBD";
        ++i;
        continue;
      }
    }
    clean.append(s.substr(i, len));
    i += len;
  }
  w.String(clean.data(), static_cast<rapidjson::SizeType>(clean.size()));
}

void WriteMoney(JsonWriter& w, const Money& m) {
  w.StartObject();
  w.Key("minor"); w.Int64(m.minor);
  w.Key("currency"); Str(w, m.currency);
  w.EndObject();
}

void WriteStringMap(JsonWriter& w, const std::map<std::string, std::string>& m) {
  w.StartObject();
  for (const auto& [k, v] : m) { Str(w, k); Str(w, v); }
  w.EndObject();
}

void WriteAddress(JsonWriter& w, const Address& a) {
  w.StartObject();
  w.Key("name"); Str(w, a.name);
  w.Key("line1"); Str(w, a.line1);
  w.Key("line2"); Str(w, a.line2);
  w.Key("city"); Str(w, a.city);
  w.Key("postal_code"); Str(w, a.postal_code);
  w.Key("region"); Str(w, a.region);
  w.Key("country"); Str(w, a.country);
  w.EndObject();
}

void WriteWarehouse(JsonWriter& w, const Warehouse& wh) {
  w.StartObject();
  w.Key("id"); Str(w, wh.id);
  w.Key("name"); Str(w, wh.name);
  w.Key("region"); Str(w, wh.region);
  w.Key("priority"); w.Int(wh.priority);
  w.Key("active"); w.Bool(wh.active);
  w.EndObject();
}

void WriteStockLevel(JsonWriter& w, const StockLevel& s) {
  w.StartObject();
  w.Key("sku"); Str(w, s.sku);
  w.Key("warehouse_id"); Str(w, s.warehouse_id);
  w.Key("on_hand"); w.Int64(s.on_hand);
  w.Key("reserved"); w.Int64(s.reserved);
  w.Key("available"); w.Int64(s.available());
  w.Key("updated_at_ms"); w.Int64(s.updated_at_ms);
  w.Key("slots"); w.Int(s.slots);
  w.EndObject();
}

void WriteSkuStock(JsonWriter& w, const SkuStock& s) {
  w.StartObject();
  w.Key("sku"); Str(w, s.sku);
  w.Key("on_hand"); w.Int64(s.on_hand);
  w.Key("reserved"); w.Int64(s.reserved);
  w.Key("available"); w.Int64(s.available);
  w.Key("levels");
  w.StartArray();
  for (const auto& l : s.levels) WriteStockLevel(w, l);
  w.EndArray();
  w.EndObject();
}

void WriteCart(JsonWriter& w, const Cart& c) {
  w.StartObject();
  w.Key("id"); Str(w, c.id);
  w.Key("customer_id"); Str(w, c.customer_id);
  w.Key("currency"); Str(w, c.currency);
  w.Key("channel"); Str(w, c.channel);
  w.Key("lines");
  w.StartArray();
  for (const auto& l : c.lines) {
    w.StartObject();
    w.Key("sku"); Str(w, l.sku);
    w.Key("quantity"); w.Int64(l.quantity);
    w.Key("unit_price"); WriteMoney(w, l.unit_price);
    w.Key("line_total"); WriteMoney(w, l.line_total);
    w.EndObject();
  }
  w.EndArray();
  w.Key("subtotal"); WriteMoney(w, c.subtotal);
  w.Key("item_count"); w.Int64(c.item_count);
  w.Key("updated_at_ms"); w.Int64(c.updated_at_ms);
  w.EndObject();
}

void WriteLineDiscounts(JsonWriter& w, const std::vector<LineDiscount>& ds) {
  w.StartArray();
  for (const auto& d : ds) {
    w.StartObject();
    w.Key("promotion_id"); Str(w, d.promotion_id);
    w.Key("amount"); WriteMoney(w, d.amount);
    w.EndObject();
  }
  w.EndArray();
}

void WriteAppliedPromotions(JsonWriter& w, const std::vector<AppliedPromotion>& ps) {
  w.StartArray();
  for (const auto& p : ps) {
    w.StartObject();
    w.Key("promotion_id"); Str(w, p.promotion_id);
    w.Key("name"); Str(w, p.name);
    w.Key("coupon_code"); Str(w, p.coupon_code);
    w.Key("amount"); WriteMoney(w, p.amount);
    w.Key("free_shipping"); w.Bool(p.free_shipping);
    w.EndObject();
  }
  w.EndArray();
}

void WriteOrder(JsonWriter& w, const Order& o) {
  w.StartObject();
  w.Key("id"); Str(w, o.id);
  w.Key("access_token"); Str(w, o.access_token);
  w.Key("customer_id"); Str(w, o.customer_id);
  w.Key("idempotency_key"); Str(w, o.idempotency_key);
  w.Key("status"); w.String(OrderStatusName(o.status));
  w.Key("currency"); Str(w, o.currency);
  w.Key("channel"); Str(w, o.channel);
  w.Key("lines");
  w.StartArray();
  for (const auto& l : o.lines) {
    w.StartObject();
    w.Key("sku"); Str(w, l.sku);
    w.Key("product_id"); Str(w, l.product_id);
    w.Key("title"); Str(w, l.title);
    w.Key("quantity"); w.Int64(l.quantity);
    w.Key("unit_price"); WriteMoney(w, l.unit_price);
    w.Key("line_total"); WriteMoney(w, l.line_total);
    w.Key("discount"); WriteMoney(w, l.discount);
    w.Key("discounts"); WriteLineDiscounts(w, l.discounts);
    w.Key("price_list_id"); Str(w, l.price_list_id);
    w.Key("tax_inclusive"); w.Bool(l.tax_inclusive);
    w.EndObject();
  }
  w.EndArray();
  w.Key("shipments");
  w.StartArray();
  for (const auto& s : o.shipments) {
    w.StartObject();
    w.Key("warehouse_id"); Str(w, s.warehouse_id);
    w.Key("items");
    w.StartArray();
    for (const auto& i : s.items) {
      w.StartObject();
      w.Key("sku"); Str(w, i.sku);
      w.Key("quantity"); w.Int64(i.quantity);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.Key("subtotal"); WriteMoney(w, o.subtotal);
  w.Key("tax"); WriteMoney(w, o.tax);
  w.Key("tax_included"); WriteMoney(w, o.tax_included);
  w.Key("shipping"); WriteMoney(w, o.shipping);
  w.Key("total"); WriteMoney(w, o.total);
  w.Key("discount"); WriteMoney(w, o.discount);
  w.Key("promotions"); WriteAppliedPromotions(w, o.promotions);
  w.Key("shipping_address"); WriteAddress(w, o.shipping_address);
  w.Key("history");
  w.StartArray();
  for (const auto& h : o.history) {
    w.StartObject();
    w.Key("from"); w.String(OrderStatusName(h.from));
    w.Key("to"); w.String(OrderStatusName(h.to));
    w.Key("time_ms"); w.Int64(h.time_ms);
    w.Key("note"); Str(w, h.note);
    w.EndObject();
  }
  w.EndArray();
  w.Key("created_at_ms"); w.Int64(o.created_at_ms);
  w.Key("updated_at_ms"); w.Int64(o.updated_at_ms);
  w.Key("version"); w.Uint64(o.version);
  w.EndObject();
}

void WriteCustomer(JsonWriter& w, const Customer& c) {
  w.StartObject();
  w.Key("id"); Str(w, c.id);
  w.Key("email"); Str(w, c.email);
  w.Key("name"); Str(w, c.name);
  w.Key("group"); Str(w, c.group);
  w.Key("addresses");
  w.StartArray();
  for (const auto& a : c.addresses) WriteAddress(w, a);
  w.EndArray();
  w.Key("created_at_ms"); w.Int64(c.created_at_ms);
  w.Key("updated_at_ms"); w.Int64(c.updated_at_ms);
  w.Key("version"); w.Uint64(c.version);
  w.EndObject();
}

void WriteCategory(JsonWriter& w, const Category& c) {
  w.StartObject();
  w.Key("id"); Str(w, c.id);
  w.Key("name"); Str(w, c.name);
  w.Key("parent_id"); Str(w, c.parent_id);
  w.EndObject();
}

void WriteEvent(JsonWriter& w, const Event& e) {
  w.StartObject();
  w.Key("seq"); w.Uint64(e.seq);
  w.Key("type"); Str(w, e.type);
  w.Key("subject"); Str(w, e.subject);
  w.Key("time_ms"); w.Int64(e.time_ms);
  w.Key("data");
  rapidjson::Document d;
  d.Parse(e.data.data(), e.data.size());
  if (!d.HasParseError() && d.IsObject()) d.Accept(w);
  else { w.StartObject(); w.EndObject(); }
  w.EndObject();
}

void WriteSearchResult(JsonWriter& w, const SearchResult& r) {
  w.StartObject();
  w.Key("hits");
  w.StartArray();
  for (const auto& h : r.hits) {
    w.StartObject();
    w.Key("product_id"); Str(w, h.product_id);
    w.Key("title"); Str(w, h.title);
    w.Key("highlighted_title"); Str(w, h.highlighted_title);
    w.Key("brand"); Str(w, h.brand);
    w.Key("price"); WriteMoney(w, h.price);
    w.Key("price_list_id"); Str(w, h.price_list_id);
    w.Key("in_stock"); w.Bool(h.in_stock);
    w.Key("score"); w.Double(h.score);
    if (h.explanation) {
      const HitExplanation& e = *h.explanation;
      w.Key("explanation");
      w.StartObject();
      w.Key("query"); Str(w, e.query);
      w.Key("corrected"); w.Bool(e.corrected);
      w.Key("relaxed"); w.Bool(e.relaxed);
      w.Key("words_matched"); w.Double(e.words_matched);
      w.Key("weight"); w.Double(e.weight);
      w.Key("terms");
      w.StartArray();
      for (const auto& t : e.terms) {
        w.StartObject();
        w.Key("term"); Str(w, t.term);
        w.Key("wdf"); w.Uint(t.wdf);
        w.Key("weight"); w.Double(t.weight);
        w.EndObject();
      }
      w.EndArray();
      w.Key("tier"); Str(w, e.tier);
      w.Key("rules");
      w.StartArray();
      for (const auto& id : e.rules) Str(w, id);
      w.EndArray();
      w.Key("pinned_position"); w.Uint(e.pinned_position);
      w.Key("sort"); Str(w, e.sort);
      w.Key("intent_category"); Str(w, e.intent_category);
      w.Key("intent_share"); w.Double(e.intent_share);
      w.Key("intent_added"); w.Double(e.intent_added);
      w.EndObject();
    }
    w.EndObject();
  }
  w.EndArray();
  w.Key("total"); w.Uint64(r.total);
  w.Key("total_exact"); w.Bool(r.total_exact);
  w.Key("facets");
  w.StartArray();
  for (const auto& f : r.facets) {
    w.StartObject();
    w.Key("field"); Str(w, f.field);
    w.Key("exact"); w.Bool(f.exact);
    w.Key("values");
    w.StartArray();
    for (const auto& v : f.values) {
      w.StartObject();
      w.Key("value"); Str(w, v.value);
      w.Key("label"); Str(w, v.label);
      w.Key("count"); w.Uint64(v.count);
      if (f.field == "category_tree") {
        w.Key("level"); w.Uint(v.level);
        w.Key("parent"); Str(w, v.parent);
      }
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.Key("corrected_query"); Str(w, r.corrected_query);
  w.Key("used_correction"); w.Bool(r.used_correction);
  w.Key("relaxed"); w.Bool(r.relaxed);
  w.Key("index_seq"); w.Uint64(r.index_seq);
  w.Key("from_cache"); w.Bool(r.from_cache);
  w.Key("partial"); w.Bool(r.partial);
  w.Key("missing_shards");
  w.StartArray();
  for (uint32_t s : r.missing_shards) w.Uint(s);
  w.EndArray();
  w.Key("rules_applied");
  w.StartArray();
  for (const auto& id : r.rules_applied) Str(w, id);
  w.EndArray();
  w.Key("redirect"); Str(w, r.redirect);
  w.Key("rules_version"); w.Uint64(r.rules_version);
  w.Key("synonyms_version"); w.Uint64(r.synonyms_version);
  w.Key("search_id"); Str(w, r.search_id);
  w.EndObject();
}

void WriteImportReport(JsonWriter& w, const ImportReport& r) {
  w.StartObject();
  w.Key("records"); w.Uint64(r.records);
  w.Key("imported"); w.Uint64(r.imported);
  w.Key("unchanged"); w.Uint64(r.unchanged);
  w.Key("rejected"); w.Uint64(r.rejected);
  w.Key("categories_created"); w.Uint64(r.categories_created);
  w.Key("seconds"); w.Double(r.seconds);
  w.Key("cancelled"); w.Bool(r.cancelled);
  w.Key("rejections"); WriteRejections(w, r.rejections);
  w.EndObject();
}

void WriteRejections(JsonWriter& w, const std::vector<Rejection>& rejections) {
  w.StartArray();
  for (const auto& j : rejections) {
    w.StartObject();
    w.Key("line"); w.Uint64(j.line);
    w.Key("field"); Str(w, j.field);
    w.Key("reason"); Str(w, j.reason);
    w.EndObject();
  }
  w.EndArray();
}

void WriteImportProgress(JsonWriter& w, const ImportProgress& p) {
  w.StartObject();
  w.Key("bytes_read"); w.Uint64(p.bytes_read);
  w.Key("bytes_total"); w.Uint64(p.bytes_total);
  w.Key("records"); w.Uint64(p.records);
  w.Key("imported"); w.Uint64(p.imported);
  w.Key("unchanged"); w.Uint64(p.unchanged);
  w.Key("rejected"); w.Uint64(p.rejected);
  w.Key("elapsed_s"); w.Double(p.elapsed_s);
  w.EndObject();
}

void WriteProduct(JsonWriter& w, const Product& p) {
  std::string json = ProductToJson(p, true);
  w.RawValue(json.data(), json.size(), rapidjson::kObjectType);
}

// --- readers ---------------------------------------------------------------------------

Status ReadAddress(const rapidjson::Value& v, const std::string& path, Address* a) {
  JsonObject o(v, path);
  COMMERCE_RETURN_IF_ERROR(o.str("name", &a->name));
  COMMERCE_RETURN_IF_ERROR(o.str("line1", &a->line1));
  COMMERCE_RETURN_IF_ERROR(o.str("line2", &a->line2));
  COMMERCE_RETURN_IF_ERROR(o.str("city", &a->city));
  COMMERCE_RETURN_IF_ERROR(o.str("postal_code", &a->postal_code));
  COMMERCE_RETURN_IF_ERROR(o.str("region", &a->region));
  COMMERCE_RETURN_IF_ERROR(o.str("country", &a->country));
  return o.Finish();
}

Status ReadCustomer(const rapidjson::Value& v, Customer* c) {
  JsonObject o(v, "body");
  COMMERCE_RETURN_IF_ERROR(o.str("id", &c->id));
  COMMERCE_RETURN_IF_ERROR(o.str("email", &c->email, true));
  COMMERCE_RETURN_IF_ERROR(o.str("name", &c->name));
  COMMERCE_RETURN_IF_ERROR(o.str("group", &c->group));
  o.ignore("version");
  o.ignore("created_at_ms");
  o.ignore("updated_at_ms");
  const rapidjson::Value* addrs = nullptr;
  COMMERCE_RETURN_IF_ERROR(o.array("addresses", &addrs));
  if (addrs) {
    for (rapidjson::SizeType i = 0; i < addrs->Size(); ++i) {
      std::string path = "body.addresses[" + std::to_string(i) + "]";
      if (!(*addrs)[i].IsObject()) return Status::InvalidArgument(path + ": expected an object");
      Address a;
      COMMERCE_RETURN_IF_ERROR(ReadAddress((*addrs)[i], path, &a));
      c->addresses.push_back(std::move(a));
    }
  }
  return o.Finish();
}

}  // namespace commerce::server
