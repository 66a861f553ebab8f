#include <map>
#include <string>

#include "catalog/json_node.h"
#include "catalog/record_decoder.h"
#include "commerce/catalog.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace commerce {

namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void Str(Writer& w, const std::string& s) { w.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); }

void StringMap(Writer& w, const std::map<std::string, std::string>& m) {
  w.StartObject();
  for (const auto& [k, v] : m) {
    Str(w, k);
    Str(w, v);
  }
  w.EndObject();
}

}  // namespace

std::string ProductToJson(const Product& p, bool with_engine_fields) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("id"); Str(w, p.id);
  w.Key("title"); Str(w, p.title);
  w.Key("description"); Str(w, p.description);
  w.Key("brand"); Str(w, p.brand);
  w.Key("category_ids");
  w.StartArray();
  for (const auto& c : p.categories) Str(w, c);
  w.EndArray();
  w.Key("attributes"); StringMap(w, p.attributes);
  w.Key("options");
  w.StartArray();
  for (const auto& o : p.options) Str(w, o);
  w.EndArray();
  w.Key("variants");
  w.StartArray();
  for (const auto& v : p.variants) {
    w.StartObject();
    w.Key("sku"); Str(w, v.sku);
    w.Key("price"); w.Int64(v.price.minor);
    w.Key("currency"); Str(w, v.price.currency);
    w.Key("options"); StringMap(w, v.options);
    if (!v.barcode.empty()) { w.Key("barcode"); Str(w, v.barcode); }
    w.Key("attributes"); StringMap(w, v.attributes);
    w.EndObject();
  }
  w.EndArray();
  w.Key("status"); w.String(ProductStatusName(p.status));
  w.Key("popularity"); w.Int64(p.popularity);
  if (with_engine_fields) {
    w.Key("version"); w.Uint64(p.version);
    w.Key("created_at_ms"); w.Int64(p.created_at_ms);
    w.Key("updated_at_ms"); w.Int64(p.updated_at_ms);
  }
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

Result<Product> ProductFromJson(std::string_view json, const ProductJsonOptions& options) {
  auto fail = [&](const Status& s) {
    return Status(s.code(), options.field_prefix + s.message());
  };
  Result<JsonNode> node = ParseJson(json);
  if (!node.ok()) return Status::InvalidArgument("invalid JSON at " + node.error().message());
  if (!node->is_object()) {
    std::string where = options.field_prefix;
    if (!where.empty() && where.back() == '.') where.back() = ':', where += ' ';
    return Status::InvalidArgument(where + "expected a JSON object, got " +
                                   (node->is_array() ? "an " : "a ") + node->type_name());
  }
  // The reader requires an id: when the caller supplies it elsewhere, a placeholder that
  // validates stands in for it and is removed again below.
  const bool add_id = !options.id_required && node->is_object() && !node->find("id");
  if (add_id) node->members.emplace_back("id", JsonNode::String("-"));
  ParsedProduct parsed;
  Status s = DecodeNativeRecord(*node, options.default_currency, /*engine_fields=*/true, &parsed);
  if (!s.ok()) return fail(s);
  Product p = std::move(parsed.product);
  if (add_id) p.id.clear();
  for (const auto& path : parsed.category_paths) p.categories.push_back(CategoryIdFromPath(path));
  for (auto& id : parsed.category_ids) p.categories.push_back(std::move(id));
  return p;
}

}  // namespace commerce
