#include <map>
#include <string>

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

}  // namespace commerce
