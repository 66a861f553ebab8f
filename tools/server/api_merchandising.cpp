// Routes of what merchandisers change in search at run time (commerce/merchandising.h): the
// synonym list and the merchandising rules, admin scope. Each set is versioned: the version
// is the ETag of its reads and writes, and If-Match on a write makes it conditional (412 is
// not used: a stale version is the engine's Conflict, 409, as for products).
#include "routes.h"

namespace commerce::server {

namespace {

void WriteSynonymSet(JsonWriter& w, const SynonymSet& s) {
  w.StartObject();
  w.Key("version"); w.Uint64(s.version);
  w.Key("groups");
  w.StartArray();
  for (const auto& g : s.groups) {
    w.StartObject();
    w.Key("root"); Str(w, g.root);
    w.Key("synonyms");
    w.StartArray();
    for (const auto& e : g.synonyms) Str(w, e);
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

void WriteSelector(JsonWriter& w, const ProductSelector& s) {
  auto list = [&](const char* name, const std::vector<std::string>& v) {
    w.Key(name);
    w.StartArray();
    for (const auto& x : v) Str(w, x);
    w.EndArray();
  };
  w.StartObject();
  list("product_ids", s.product_ids);
  list("brands", s.brands);
  list("categories", s.categories);
  w.Key("attributes"); WriteStringMap(w, s.attributes);
  w.EndObject();
}

void WriteRule(JsonWriter& w, const MerchandisingRule& r) {
  w.StartObject();
  w.Key("id"); Str(w, r.id);
  w.Key("description"); Str(w, r.description);
  w.Key("query"); Str(w, r.query);
  w.Key("match"); Str(w, r.match);
  w.Key("categories");
  w.StartArray();
  for (const auto& c : r.categories) Str(w, c);
  w.EndArray();
  w.Key("enabled"); w.Bool(r.enabled);
  w.Key("pins");
  w.StartArray();
  for (const auto& p : r.pins) {
    w.StartObject();
    w.Key("product_id"); Str(w, p.product_id);
    w.Key("position"); w.Uint(p.position);
    w.EndObject();
  }
  w.EndArray();
  w.Key("boost"); WriteSelector(w, r.boost);
  w.Key("bury"); WriteSelector(w, r.bury);
  w.Key("hide"); WriteSelector(w, r.hide);
  w.Key("redirect"); Str(w, r.redirect);
  w.Key("starts_at_ms"); w.Int64(r.starts_at_ms);
  w.Key("ends_at_ms"); w.Int64(r.ends_at_ms);
  w.Key("version"); w.Uint64(r.version);
  w.EndObject();
}

Status ReadSelector(JsonObject& parent, const char* name, ProductSelector* s) {
  const rapidjson::Value* v = nullptr;
  COMMERCE_RETURN_IF_ERROR(parent.object(name, &v));
  if (v == nullptr) return Status::OK();
  JsonObject o(*v, parent.field(name));
  COMMERCE_RETURN_IF_ERROR(o.str_list("product_ids", &s->product_ids));
  COMMERCE_RETURN_IF_ERROR(o.str_list("brands", &s->brands));
  COMMERCE_RETURN_IF_ERROR(o.str_list("categories", &s->categories));
  COMMERCE_RETURN_IF_ERROR(o.str_map("attributes", &s->attributes));
  return o.Finish();
}

Status ReadRule(const rapidjson::Value& v, MerchandisingRule* r) {
  JsonObject o(v, "body");
  COMMERCE_RETURN_IF_ERROR(o.str("id", &r->id));
  COMMERCE_RETURN_IF_ERROR(o.str("description", &r->description));
  COMMERCE_RETURN_IF_ERROR(o.str("query", &r->query));
  COMMERCE_RETURN_IF_ERROR(o.str("match", &r->match));
  COMMERCE_RETURN_IF_ERROR(o.str_list("categories", &r->categories));
  COMMERCE_RETURN_IF_ERROR(o.boolean("enabled", &r->enabled));
  const rapidjson::Value* pins = nullptr;
  COMMERCE_RETURN_IF_ERROR(o.array("pins", &pins));
  if (pins != nullptr) {
    if (pins->Size() > kMaxRulePins)
      return Status::InvalidArgument("body.pins: " + std::to_string(pins->Size()) + " pins; at most " +
                                     std::to_string(kMaxRulePins));
    for (rapidjson::SizeType i = 0; i < pins->Size(); ++i) {
      const std::string where = "body.pins[" + std::to_string(i) + "]";
      if (!(*pins)[i].IsObject()) return Status::InvalidArgument(where + ": expected an object");
      JsonObject p((*pins)[i], where);
      PinnedProduct pin;
      uint64_t position = 0;
      COMMERCE_RETURN_IF_ERROR(p.str("product_id", &pin.product_id, true));
      COMMERCE_RETURN_IF_ERROR(p.u64("position", &position, true));
      COMMERCE_RETURN_IF_ERROR(p.Finish());
      if (position < 1 || position > kMaxWindow)
        return Status::InvalidArgument(where + ".position: " + std::to_string(position) +
                                       "; must be 1.." + std::to_string(kMaxWindow));
      pin.position = static_cast<uint32_t>(position);
      r->pins.push_back(std::move(pin));
    }
  }
  COMMERCE_RETURN_IF_ERROR(ReadSelector(o, "boost", &r->boost));
  COMMERCE_RETURN_IF_ERROR(ReadSelector(o, "bury", &r->bury));
  COMMERCE_RETURN_IF_ERROR(ReadSelector(o, "hide", &r->hide));
  COMMERCE_RETURN_IF_ERROR(o.str("redirect", &r->redirect));
  COMMERCE_RETURN_IF_ERROR(o.i64("starts_at_ms", &r->starts_at_ms));
  COMMERCE_RETURN_IF_ERROR(o.i64("ends_at_ms", &r->ends_at_ms));
  o.ignore("version");
  return o.Finish();
}

Status ReadSynonyms(const rapidjson::Value& v, std::vector<SynonymGroup>* groups) {
  JsonObject o(v, "body");
  const rapidjson::Value* list = nullptr;
  COMMERCE_RETURN_IF_ERROR(o.array("groups", &list, true));
  o.ignore("version");
  COMMERCE_RETURN_IF_ERROR(o.Finish());
  for (rapidjson::SizeType i = 0; i < list->Size(); ++i) {
    const std::string where = "body.groups[" + std::to_string(i) + "]";
    const rapidjson::Value& g = (*list)[i];
    SynonymGroup group;
    if (g.IsArray()) {  // a multi-way group as a plain list of entries
      for (const auto& e : g.GetArray()) {
        if (!e.IsString()) return Status::InvalidArgument(where + ": expected strings");
        group.synonyms.emplace_back(e.GetString(), e.GetStringLength());
      }
    } else if (g.IsObject()) {
      JsonObject o2(g, where);
      COMMERCE_RETURN_IF_ERROR(o2.str("root", &group.root));
      COMMERCE_RETURN_IF_ERROR(o2.str_list("synonyms", &group.synonyms));
      COMMERCE_RETURN_IF_ERROR(o2.Finish());
    } else {
      return Status::InvalidArgument(where + ": expected an object {root, synonyms} or a list of entries");
    }
    groups->push_back(std::move(group));
  }
  return Status::OK();
}

Response SynonymsResponse(const SynonymSet& s) {
  return VersionedResponse(BuildJson([&](JsonWriter& w) { WriteSynonymSet(w, s); }), s.version);
}

Response GetSynonyms(ServerState& st, const Request&, const Params&) {
  auto s = st.engine->search().synonym_groups();
  return s.ok() ? SynonymsResponse(*s) : StatusResponse(s.status());
}

Response PutSynonyms(ServerState& st, const Request& r, const Params&) {
  rapidjson::Document doc;
  Response err;
  if (!ReadBody(r, &doc, &err)) return err;
  std::optional<uint64_t> if_version;
  if (!IfMatch(r, &if_version, &err)) return err;
  std::vector<SynonymGroup> groups;
  Status s = ReadSynonyms(doc, &groups);
  if (!s.ok()) return StatusResponse(s);
  // If-Match: "0" would mean "never set", which the engine's 0 (no condition) cannot say.
  if (if_version && *if_version == 0)
    return StatusResponse(Status::InvalidArgument("If-Match: a version is 1 or more"));
  auto v = st.engine->search().set_synonym_groups(groups, if_version.value_or(0));
  if (!v.ok()) return StatusResponse(v.status());
  auto now = st.engine->search().synonym_groups();
  return now.ok() ? SynonymsResponse(*now) : StatusResponse(now.status());
}

Response ListRules(ServerState& st, const Request&, const Params&) {
  auto set = st.engine->search().rules();
  if (!set.ok()) return StatusResponse(set.status());
  return VersionedResponse(BuildJson([&](JsonWriter& w) {
                             w.StartObject();
                             w.Key("version"); w.Uint64(set->version);
                             w.Key("rules");
                             w.StartArray();
                             for (const auto& rule : set->rules) WriteRule(w, rule);
                             w.EndArray();
                             w.EndObject();
                           }),
                           set->version);
}

Response RuleResponse(ServerState& st, const std::string& id, int http = 200) {
  auto set = st.engine->search().rules();
  if (!set.ok()) return StatusResponse(set.status());
  for (const auto& rule : set->rules)
    if (rule.id == id)
      return VersionedResponse(BuildJson([&](JsonWriter& w) { WriteRule(w, rule); }), set->version, http);
  return StatusResponse(Status::NotFound("search rule '" + id + "' does not exist"));
}

Response GetRule(ServerState& st, const Request&, const Params& p) { return RuleResponse(st, p[0]); }

Response PutRule(ServerState& st, const Request& r, const Params& p) {
  rapidjson::Document doc;
  Response err;
  if (!ReadBody(r, &doc, &err)) return err;
  std::optional<uint64_t> if_version;
  if (!IfMatch(r, &if_version, &err)) return err;
  MerchandisingRule rule;
  Status s = ReadRule(doc, &rule);
  if (!s.ok()) return StatusResponse(s);
  if (!rule.id.empty() && rule.id != p[0])
    return StatusResponse(Status::InvalidArgument("body.id: \"" + rule.id + "\" differs from the id in the path"));
  rule.id = p[0];
  if (if_version && *if_version == 0)
    return StatusResponse(Status::InvalidArgument("If-Match: a version is 1 or more"));
  auto v = st.engine->search().put_rule(rule, if_version.value_or(0));
  if (!v.ok()) return StatusResponse(v.status());
  return RuleResponse(st, rule.id);
}

Response DeleteRule(ServerState& st, const Request& r, const Params& p) {
  std::optional<uint64_t> if_version;
  Response err;
  if (!IfMatch(r, &if_version, &err)) return err;
  if (if_version && *if_version == 0)
    return StatusResponse(Status::InvalidArgument("If-Match: a version is 1 or more"));
  auto v = st.engine->search().delete_rule(p[0], if_version.value_or(0));
  if (!v.ok()) return StatusResponse(v.status());
  return VersionedResponse(BuildJson([&](JsonWriter& w) {
                             w.StartObject();
                             w.Key("version"); w.Uint64(*v);
                             w.EndObject();
                           }),
                           *v);
}

}  // namespace

void AddMerchandisingRoutes(std::vector<Route>* r) {
  r->push_back({"GET", "/v1/search/synonyms", Scope::kAdmin, Exec::kPool, Body::kNone, GetSynonyms});
  r->push_back({"PUT", "/v1/search/synonyms", Scope::kAdmin, Exec::kPool, Body::kJson, PutSynonyms});
  r->push_back({"GET", "/v1/search/rules", Scope::kAdmin, Exec::kPool, Body::kNone, ListRules});
  r->push_back({"GET", "/v1/search/rules/{id}", Scope::kAdmin, Exec::kPool, Body::kNone, GetRule});
  r->push_back({"PUT", "/v1/search/rules/{id}", Scope::kAdmin, Exec::kPool, Body::kJson, PutRule});
  r->push_back({"DELETE", "/v1/search/rules/{id}", Scope::kAdmin, Exec::kPool, Body::kNone, DeleteRule});
}

}  // namespace commerce::server
