// commerce verify: the meta table and the event log.
//
// CheckMeta: counters and consumer cursors are 8-byte sequence numbers, the replica id is
// text, the synonym list and the merchandising rules decode and their versions are decimal
// numbers, a format mark is one this version writes, a login-cart record holds a cart id
// (cart_login.cpp).
// CheckEvents: every event decodes; sequence numbers run without a gap from the first event kept
// (the horizon, after retention trimmed the older ones: docs/events.md); each type is one of
// docs/events.md; data is a JSON object; consumer cursors are not ahead of the log. It also
// replays the stock events (each StockX event carries on_hand and reserved after the change,
// so every one must follow from the one before by its quantity) and collects, per SKU and
// warehouse, the state they leave and the holds of refs that are not orders; and, per cart,
// its newest event that makes an expiry row — for the inventory and cart checks.
#include <rapidjson/document.h>

#include <algorithm>

#include "commerce/webhooks.h"
#include "common/key.h"
#include "common/utf8.h"
#include "engine/store_format.h"
#include "events/event_log.h"
#include "events/stock_event.h"
#include "order/order_store.h"
#include "search/rules.h"
#include "search/search_id.h"
#include "search/synonyms.h"
#include "verify/check_context.h"

namespace commerce::verify {

namespace {

constexpr const char* kMeta = "meta";
constexpr const char* kEvents = "events";

std::optional<uint64_t> Sequence(std::string_view v) {
  KeyReader r(v);
  auto n = r.u64();
  if (!n || !r.done()) return std::nullopt;
  return n;
}

bool MakesExpiryRow(std::string_view type) {
  return type == "CartCreated" || type == "CartUpdated" || type == "CartMerged";
}

// StockSplit and StockMerged (inventory/stock_split.h): the stock's rows change shape, its
// totals do not. Split hands each slot its counts (slot_counts); merge ends the slots, whose
// sums must be what the merged row holds.
void ReplaySplit(CheckContext& c, Facts& f, const Event& e, const rapidjson::Document& d,
                 std::string_view key, bool log_from_start) {
  auto str = [&](const char* k) -> std::optional<std::string> {
    auto it = d.FindMember(k);
    if (it == d.MemberEnd() || !it->value.IsString()) return std::nullopt;
    return std::string(it->value.GetString(), it->value.GetStringLength());
  };
  auto num = [](const rapidjson::Value& o, const char* k) -> std::optional<int64_t> {
    auto it = o.FindMember(k);
    if (it == o.MemberEnd() || !it->value.IsInt64()) return std::nullopt;
    return it->value.GetInt64();
  };
  auto sku = str("sku"), wh = str("warehouse_id");
  auto slots = num(d, "slots"), on_hand = num(d, "on_hand"), reserved = num(d, "reserved");
  if (!sku || !wh || !slots || !on_hand || !reserved) {
    c.Problem("events", Where(kEvents, key), "a " + e.type + " event without its counts");
    return;
  }
  auto& st = f.stock_events[{*sku, *wh}];
  const bool known = st.last_seq != 0 || log_from_start;
  const std::string where = Where(kEvents, key);
  if (e.type == "StockSplit") {
    if (known && st.split) c.Problem("stock", where, "StockSplit of a stock split already");
    else if (known && (st.on_hand != *on_hand || st.reserved != *reserved))
      c.Problem("stock", where, "StockSplit of on_hand " + std::to_string(*on_hand) + ", reserved " +
                                    std::to_string(*reserved) + ", but the change before it left " +
                                    std::to_string(st.on_hand) + ", " + std::to_string(st.reserved));
    st.slots.clear();
    auto counts = d.FindMember("slot_counts");
    int64_t sum_on_hand = 0, sum_reserved = 0;
    if (counts != d.MemberEnd() && counts->value.IsArray()) {
      for (const auto& o : counts->value.GetArray()) {
        auto slot = o.IsObject() ? num(o, "slot") : std::nullopt;
        auto oh = o.IsObject() ? num(o, "on_hand") : std::nullopt;
        auto rs = o.IsObject() ? num(o, "reserved") : std::nullopt;
        if (!slot || !oh || !rs) continue;
        st.slots[*slot] = {*oh, *rs, e.seq};
        sum_on_hand += *oh;
        sum_reserved += *rs;
      }
    }
    if (static_cast<int64_t>(st.slots.size()) != *slots || sum_on_hand != *on_hand ||
        sum_reserved != *reserved)
      c.Problem("stock", where, "StockSplit into " + std::to_string(*slots) +
                                    " slots whose slot_counts do not add up to its totals");
    st.split = true;
  } else {
    if (known && !st.split) c.Problem("stock", where, "StockMerged of a stock that is not split");
    int64_t sum_on_hand = 0, sum_reserved = 0;
    for (const auto& [slot, counts] : st.slots) {
      sum_on_hand += counts.on_hand;
      sum_reserved += counts.reserved;
    }
    if (st.split && static_cast<int64_t>(st.slots.size()) == *slots &&
        (sum_on_hand != *on_hand || sum_reserved != *reserved))
      c.Problem("stock", where, "StockMerged to on_hand " + std::to_string(*on_hand) + ", reserved " +
                                    std::to_string(*reserved) + ", but its slots' events left " +
                                    std::to_string(sum_on_hand) + ", " + std::to_string(sum_reserved));
    st.split = false;
    st.slots.clear();
  }
  st.on_hand = *on_hand;
  st.reserved = *reserved;
  st.last_seq = e.seq;
}

}  // namespace

void CheckMeta(CheckContext& c) {
  uint64_t unknown = 0;
  c.Scan("meta", kMeta, [&](std::string_view key, std::string_view value) {
    KeyReader r(key);
    auto kind = r.str();
    const std::string where = Where(kMeta, key);
    if (!kind) {
      c.Problem("meta", where, "the key does not decode");
      return true;
    }
    if (*kind == "counter" || *kind == "cursor") {
      auto name = r.str();
      auto n = Sequence(value);
      if (!name || !r.done() || !n) {
        c.Problem("meta", where, "a " + *kind + " that does not decode (" +
                                     std::to_string(value.size()) + " bytes)");
      } else if (*kind == "cursor") {
        c.facts.cursors[*name] = *n;
      }
    } else if (*kind == "format") {
      // engine/store_format.h: a format this version reads, once its upgrade has finished.
      auto what = r.str();
      auto n = Sequence(value);
      if (!what || !r.done() || !n)
        c.Problem("meta", where, "a format mark that does not decode");
      else if (*what == "stock" && *n != kStockFormat)
        c.Problem("meta", where, "stock format " + std::to_string(*n) + "; this version writes " +
                                     std::to_string(kStockFormat));
    } else if (*kind == "upgrade") {
      // An upgrade cut short: it resumes when the store is next opened by an engine.
      c.Note("an upgrade of the " + std::string(r.str().value_or("?")) +
             " records was cut short; it resumes when an engine next opens the store");
    } else if (*kind == "login-cart") {
      // cart_login.cpp: the cart a customer's last login made.
      auto customer = r.str();
      if (!customer || !r.done() || value.empty() || !IsValidUtf8(value))
        c.Problem("meta", where, "a login-cart record that does not decode");
    } else if (*kind == "replica") {
      if (value.empty() || !IsValidUtf8(value)) c.Problem("meta", where, "the replica id is not text");
    } else if (*kind == "search.synonyms") {
      auto s = search::Synonyms::Decode(value);
      if (!s.ok()) c.Problem("meta", where, s.status().message());
    } else if (*kind == "search.rules") {
      RuleSet set;
      Status s = search::DecodeRuleSet(value, &set);
      if (!s.ok()) c.Problem("meta", where, s.message());
      // Each rule as put_rule would take it (a schedule window, a redirect URL): a record
      // written around the checks, or by a build whose checks were looser, is named here.
      for (const auto& rule : set.rules)
        if (auto checked = search::CheckRule(rule); !checked.ok())
          c.Problem("meta", where, "rule '" + rule.id + "': " + checked.status().message());
    } else if (*kind == "search.id_key") {
      // search/search_id.h: the key that signs search ids, made once per store.
      if (std::string what = search::SearchIdCodec::KeyProblem(value); !what.empty() || !r.done())
        c.Problem("meta", where, what.empty() ? "a search id key record whose key does not decode" : what);
    } else if (*kind == "search.synonyms.version" || *kind == "search.rules.version") {
      // search_service.cpp writes the sets' versions as decimal text.
      if (value.empty() || value.size() > 20 ||
          !std::all_of(value.begin(), value.end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
        c.Problem("meta", where, "a version that is not a decimal number");
    } else {
      ++unknown;
    }
    return true;
  }, /*count=*/true);
  if (unknown > 0)
    c.Note("meta holds " + std::to_string(unknown) + " entries this version does not know (not checked)");
}

void CheckEvents(CheckContext& c) {
  Facts& f = c.facts;
  const auto& types = WebhookEventTypes();
  uint64_t prev = 0;
  bool gap = false;
  c.Scan("events", kEvents, [&](std::string_view key, std::string_view value) {
    Event e;
    if (!DecodeRecord(c, kEvents, key, value, [&] { return DecodeEvent(key, value, &e); }))
      return true;
    if (f.first_event == 0) f.first_event = e.seq;
    else if (e.seq != prev + 1) {
      gap = true;
      c.Problem("events", Where(kEvents, key),
                "the log has a gap: events " + std::to_string(prev + 1) + ".." +
                    std::to_string(e.seq - 1) + " are missing");
    }
    prev = e.seq;
    f.last_event = e.seq;
    if (std::find(types.begin(), types.end(), e.type) == types.end())
      c.Problem("events", Where(kEvents, key), "unknown event type '" + e.type + "'");
    rapidjson::Document d;
    d.Parse(e.data.data(), e.data.size());
    if (d.HasParseError() || !d.IsObject()) {
      c.Problem("events", Where(kEvents, key), "its data is not a JSON object");
      return true;
    }
    if (MakesExpiryRow(e.type)) f.cart_last_event[e.subject] = e.seq;
    if (e.type.rfind("Stock", 0) != 0) return true;

    if (e.type == "StockSplit" || e.type == "StockMerged") {
      ReplaySplit(c, f, e, d, key, f.first_event == 1 && !gap);
      return true;
    }
    auto s = ParseStockEvent(e.type, d);
    if (!s) {
      c.Problem("events", Where(kEvents, key), "a " + e.type + " event without its counts");
      return true;
    }
    auto& st = f.stock_events[{s->sku, s->warehouse_id}];
    // What the change did to (on_hand, reserved), by type (stock_store.cpp).
    const StockDelta delta = StockEventDelta(e.type, s->quantity);
    const int64_t d_on_hand = delta.on_hand, d_reserved = delta.reserved;
    // Without the first event of this stock row in the log, its earlier state is unknown. A
    // slot's row is the slot's own (its counts start at the StockSplit that made it).
    int64_t* on_hand = &st.on_hand;
    int64_t* reserved = &st.reserved;
    bool known = st.last_seq != 0 || (f.first_event == 1 && !gap);
    if (s->slot >= 0) {
      if (!st.split && known)
        c.Problem("stock", Where(kEvents, key),
                  e.type + " of slot " + std::to_string(s->slot) + ", but no StockSplit split this stock");
      auto [it, fresh] = st.slots.try_emplace(s->slot);
      known = !fresh;
      on_hand = &it->second.on_hand;
      reserved = &it->second.reserved;
      it->second.last_seq = e.seq;
    } else if (st.split) {
      c.Problem("stock", Where(kEvents, key), e.type + " of the plain row of a split stock");
    }
    if (known && (*on_hand + d_on_hand != s->on_hand || *reserved + d_reserved != s->reserved))
      c.Problem("stock", Where(kEvents, key),
                e.type + " of " + std::to_string(s->quantity) + " leaves on_hand " +
                    std::to_string(s->on_hand) + ", reserved " + std::to_string(s->reserved) +
                    ", but the change before it left " + std::to_string(*on_hand) + ", " +
                    std::to_string(*reserved));
    *on_hand = s->on_hand;
    *reserved = s->reserved;
    st.last_seq = e.seq;
    // Holds made through the inventory API under refs that are not orders; an order's own
    // holds are accounted from the order (CheckOrders).
    if (d_reserved != 0 && (s->ref.empty() || !c.Has("events", "orders", OrderKey(s->ref))))
      st.held_by_refs += d_reserved;
    return true;
  }, /*count=*/true);
  f.log_from_start = f.first_event == 1 && !gap;
  c.report().events = f.last_event;
  if (f.first_event > 1)
    c.Note("the event log starts at " + std::to_string(f.first_event) +
           ": stock history before it is not checked");
  for (const auto& [name, seq] : f.cursors)
    if (f.first_event > 1 && seq + 1 < f.first_event)  // retention never passes a cursor
      c.Note("consumer '" + name + "' is at event " + std::to_string(seq) +
             ", below the log's horizon " + std::to_string(f.first_event) +
             ": its next read fails (Gone) until it starts again from the horizon");
  for (const auto& [name, seq] : f.cursors)
    if (seq > f.last_event)
      c.Problem("events", Where(kMeta, KeyBuilder().str("cursor").str(name).key()),
                "consumer '" + name + "' is at event " + std::to_string(seq) +
                    ", past the newest event " + std::to_string(f.last_event));
}

}  // namespace commerce::verify
