#include "crash/mixed_load/ledger.h"

#include <rapidjson/document.h>

#include <algorithm>
#include <chrono>
#include <tuple>

#include "crash/mixed_load/journal.h"

namespace commerce::crash {

namespace {

constexpr const char* kAbsent = "!";  // a cart that does not exist

std::string LinesOf(const Cart& c) {
  std::vector<std::pair<std::string, int64_t>> v;
  for (const auto& l : c.lines) v.emplace_back(l.sku, l.quantity);
  return FormatLines(v);
}

std::string LinesOf(const Order& o) {
  std::map<std::string, int64_t> m;
  for (const auto& l : o.lines) m[l.sku] += l.quantity;
  return FormatLines({m.begin(), m.end()});
}

std::string Join(const std::set<std::string>& s) {
  std::string out;
  for (const auto& x : s) out += (out.empty() ? "" : " | ") + x;
  return out;
}

}  // namespace

Ledger::Ledger(int threads) : threads_(threads) {
  for (int t = 0; t < threads; ++t) {
    current_cart_.push_back(CartId(t, 0, 0));
    carts_[current_cart_.back()] = {kAbsent};
  }
}

void Ledger::Apply(const JournalEntry& e, Findings* f) {
  switch (e.kind) {
    case 'I': {
      in_flight_[e.thread] = e;
      const auto& x = e.fields;
      if (x[0] == "place" && x.size() == 6) {
        requests_[x[1]] = MakeRequest(x[1], x[2], x[3] == "-" ? "" : x[3], ParseLines(x[4]), x[5]);
      } else if (x[0] == "cart_create" && x.size() == 3) {
        current_cart_[static_cast<size_t>(e.thread)] = x[1];
        carts_.try_emplace(x[1], std::set<std::string>{kAbsent});
      }
      return;
    }
    case 'A':
      in_flight_.erase(e.thread);
      ++acked_;
      ++pending_checks_;
      ApplyAck(e, f);
      return;
    case 'F': {
      auto it = in_flight_.find(e.thread);
      // A placement that failed leaves no key (docs/orders.md): it is known not to be there.
      if (it != in_flight_.end() && it->second.fields[0] == "place") unresolved_.erase(it->second.fields[1]);
      in_flight_.erase(e.thread);
      return;
    }
    default:
      f->violations.push_back("journal: unreadable line: " + (e.fields.empty() ? "" : e.fields[0]));
  }
}

void Ledger::AnswerKey(const std::string& key, const std::string& order_id, Findings* f) {
  auto [it, fresh] = key_order_.emplace(key, order_id);
  if (!fresh && it->second != order_id)
    f->violations.push_back("idempotency key " + key + " answered with two orders: " + it->second + " and " + order_id);
  if (fresh && requests_.count(key)) acked_keys_.push_back(key);
  unresolved_.erase(key);
}

void Ledger::ApplyAck(const JournalEntry& e, Findings* f) {
  const auto& x = e.fields;
  const std::string& op = x[0];
  if (op == "upsert" && x.size() == 4) {
    const uint64_t version = std::stoull(x[2]);
    ProductAck& p = products_[x[1]];
    if (version == p.version && p.title != x[3])
      f->violations.push_back("two upserts of " + x[1] + " acknowledged as version " + x[2]);
    if (version > p.version) p = {version, x[3]};
  } else if (op == "receive" && x.size() == 6) {
    receipts_.push_back({x[1], x[2], std::stoll(x[3]), std::stoll(x[4]), std::stoll(x[5])});
  } else if (op == "cart_create" && x.size() == 2) {
    carts_[x[1]] = {"-"};
  } else if (op == "cart" && x.size() == 3) {
    carts_[x[1]] = {x[2]};
  } else if (op == "place" && x.size() == 4) {
    AnswerKey(x[1], x[2], f);
    OrderAck& o = orders_[x[2]];
    o.key = x[1];
    o.lines = x[3];
    auto req = requests_.find(x[1]);
    if (req != requests_.end() && !req->second.cart_id.empty()) carts_[req->second.cart_id] = {"-"};
  } else if (op == "retry" && x.size() == 3) {
    AnswerKey(x[1], x[2], f);
  } else if (op == "transition" && x.size() == 4) {
    orders_[x[1]].moves[std::stoull(x[3])] = x[2];
  } else {
    f->violations.push_back("journal: unknown acknowledgement " + op);
  }
}

std::string Ledger::ApplyCartOp(const std::vector<std::string>& x, const std::string& lines) {
  if (lines == kAbsent) return lines;  // an edit of a missing cart is NotFound
  std::map<std::string, int64_t> m;
  for (const auto& [sku, q] : ParseLines(lines)) m[sku] = q;
  if (x[0] == "cart_add") {
    m[x[2]] = std::min<int64_t>(m[x[2]] + std::stoll(x[3]), kMaxQuantity);
  } else if (x[0] == "cart_set") {
    if (std::stoll(x[3]) == 0) m.erase(x[2]);
    else m[x[2]] = std::stoll(x[3]);
  } else if (x[0] == "cart_remove") {
    m.erase(x[2]);
  } else if (x[0] == "cart_clear") {
    m.clear();
  }
  return FormatLines({m.begin(), m.end()});
}

void Ledger::EndRound() {
  for (const auto& [t, e] : in_flight_) {
    ++unknown_;
    const auto& x = e.fields;
    if (x[0].rfind("cart_", 0) == 0 && x[0] != "cart_create") {
      auto& possible = carts_[x[1]];
      std::set<std::string> next = possible;
      for (const auto& lines : possible) next.insert(ApplyCartOp(x, lines));
      possible = std::move(next);
    } else if (x[0] == "cart_create") {
      carts_[x[1]].insert("-");
    } else if (x[0] == "place") {
      if (!key_order_.count(x[1])) unresolved_.insert(x[1]);
      if (x[3] != "-") carts_[x[3]].insert("-");
    }
  }
  in_flight_.clear();
}

uint64_t Ledger::Check(Engine& e, Findings* f) {
  // Products: the acknowledged version or a later one; that version's title.
  for (const auto& [id, ack] : products_) {
    auto p = e.catalog().get(id);
    if (!p.ok()) {
      f->lost.push_back("product " + id + " (acknowledged at version " + std::to_string(ack.version) + "): " +
                        p.status().ToString());
    } else if (p->version < ack.version || (p->version == ack.version && p->title != ack.title)) {
      f->lost.push_back("product " + id + ": version " + std::to_string(p->version) + " '" + p->title +
                        "', acknowledged version " + std::to_string(ack.version) + " '" + ack.title + "'");
    }
  }

  // Receipts: each acknowledged one is a StockReceived event with the levels it returned.
  using ReceiptKey = std::tuple<std::string, std::string, int64_t, int64_t, int64_t>;
  std::multiset<ReceiptKey> received;
  for (uint64_t from = 1;;) {
    auto batch = e.events().tail(from, 5000);
    if (!batch.ok()) {
      f->violations.push_back("events: " + batch.status().ToString());
      break;
    }
    if (batch->empty()) break;
    for (const auto& ev : *batch) {
      if (ev.type != "StockReceived") continue;
      rapidjson::Document d;
      d.Parse(ev.data.c_str());
      if (d.HasParseError() || !d.IsObject() || !d.HasMember("quantity") || !d.HasMember("warehouse_id")) {
        f->violations.push_back("event " + std::to_string(ev.seq) + ": StockReceived data unreadable: " + ev.data);
        continue;
      }
      received.emplace(d["sku"].GetString(), d["warehouse_id"].GetString(), d["quantity"].GetInt64(),
                       d["on_hand"].GetInt64(), d["reserved"].GetInt64());
    }
    from = batch->back().seq + 1;
  }
  for (const auto& r : receipts_) {
    auto it = received.find({r.sku, r.wh, r.qty, r.on_hand, r.reserved});
    if (it == received.end()) {
      f->lost.push_back("receipt of " + std::to_string(r.qty) + " " + r.sku + " in " + r.wh + " (on hand " +
                        std::to_string(r.on_hand) + " after it): no StockReceived event");
    } else {
      received.erase(it);
    }
  }
  receipts_.clear();

  // Carts: as the acknowledged edits left them, or one unknown edit further.
  for (auto& [id, possible] : carts_) {
    auto c = e.carts().get(id);
    std::string actual;
    if (c.ok()) {
      actual = LinesOf(*c);
    } else if (c.status().IsNotFound()) {
      actual = kAbsent;
    } else {
      f->violations.push_back("cart " + id + ": " + c.status().ToString());
      continue;
    }
    if (!possible.count(actual))
      f->lost.push_back("cart " + id + " holds " + actual + "; its acknowledged edits leave " + Join(possible));
    possible = {actual};
  }

  // Every order in the store: keys answer one order each; placements whose outcome was
  // unknown are resolved (their retry must now return this order).
  std::map<std::string, std::string> stored_keys;
  for (int s = 0; s <= static_cast<int>(OrderStatus::kRefunded); ++s) {
    OrderListOptions o;
    o.limit = 1000;
    for (;;) {
      auto page = e.orders().list_by_status(static_cast<OrderStatus>(s), o);
      if (!page.ok()) {
        f->violations.push_back("list orders: " + page.status().ToString());
        break;
      }
      for (const auto& order : page->items) {
        auto [it, fresh] = stored_keys.emplace(order.idempotency_key, order.id);
        if (!fresh)
          f->violations.push_back("two orders hold idempotency key " + order.idempotency_key + ": " + it->second +
                                  " and " + order.id);
        auto known = key_order_.find(order.idempotency_key);
        if (known != key_order_.end() && known->second != order.id)
          f->violations.push_back("order " + order.id + " holds key " + order.idempotency_key +
                                  ", which was answered with " + known->second);
        if (unresolved_.count(order.idempotency_key)) {
          key_order_[order.idempotency_key] = order.id;
          unresolved_.erase(order.idempotency_key);
        }
      }
      if (page->next_cursor.empty()) break;
      o.cursor = page->next_cursor;
    }
  }

  // Acknowledged orders: present with their key and lines; acknowledged moves in their history.
  for (auto& [id, ack] : orders_) {
    if (ack.checked && ack.moves.empty()) continue;
    auto o = e.orders().get(id);
    if (!o.ok()) {
      f->lost.push_back("order " + id + " (key " + ack.key + "): " + o.status().ToString());
      continue;
    }
    if (!ack.checked) {
      if (o->idempotency_key != ack.key || LinesOf(*o) != ack.lines)
        f->lost.push_back("order " + id + ": key " + o->idempotency_key + " lines " + LinesOf(*o) +
                          ", acknowledged with key " + ack.key + " lines " + ack.lines);
      ack.checked = true;
    }
    for (const auto& [version, to] : ack.moves) {
      if (o->version < version || o->history.size() < version ||
          OrderStatusName(o->history[version - 1].to) != to)
        f->lost.push_back("order " + id + ": the move to " + to + " acknowledged as version " +
                          std::to_string(version) + " is not in its history (version " +
                          std::to_string(o->version) + ", status " + OrderStatusName(o->status) + ")");
    }
    ack.moves.clear();
    ack.done = o->status == OrderStatus::kCancelled || o->status == OrderStatus::kRefunded;
  }

  // The newest acknowledged requests, placed again, return their orders and write nothing.
  auto before = e.events().last_seq();
  int replayed = 0;
  for (auto it = acked_keys_.rbegin(); it != acked_keys_.rend() && replayed < 5; ++it, ++replayed) {
    auto again = e.orders().place(requests_.at(*it));
    if (!again.ok() || again->id != key_order_.at(*it))
      f->violations.push_back("placing acknowledged " + *it + " again gave " +
                              (again.ok() ? again->id : again.status().ToString()) + ", not " + key_order_.at(*it));
  }
  auto after = e.events().last_seq();
  if (!before.ok() || !after.ok() || *after != *before)
    f->violations.push_back("placing acknowledged requests again wrote events");

  // The search index converges to the catalog: every product found by its SKU, as it is now.
  if (after.ok()) {
    Status s = e.search().wait_for(*after, std::chrono::seconds(120));
    if (!s.ok()) f->violations.push_back("search did not catch up with the log: " + s.ToString());
  }
  for (int i = 0; i < kProducts; ++i) {
    auto p = e.catalog().get(ProductId(i));
    if (!p.ok()) continue;  // reported above
    SearchRequest r;
    r.text = Sku(i, 0);
    r.use_cache = false;
    auto res = e.search().query(r);
    if (!res.ok()) {
      f->violations.push_back("search for " + r.text + ": " + res.status().ToString());
      continue;
    }
    auto hit = std::find_if(res->hits.begin(), res->hits.end(),
                            [&](const SearchHit& h) { return h.product_id == p->id; });
    if (hit == res->hits.end())
      f->violations.push_back("search: " + p->id + " not found by its SKU " + r.text);
    else if (hit->title != p->title)
      f->violations.push_back("search: " + p->id + " indexed as '" + hit->title + "', the catalog has '" +
                              p->title + "'");
  }

  const uint64_t checked = pending_checks_;
  pending_checks_ = 0;
  return checked;
}

ChildPlan Ledger::Plan(int round) const {
  ChildPlan plan;
  plan.round = round;
  for (const auto& key : unresolved_) plan.retries.push_back(requests_.at(key));
  for (const auto& key : acked_keys_) plan.acked.push_back(requests_.at(key));
  for (const auto& [id, o] : orders_)
    if (!o.done) plan.orders.push_back(id);
  plan.carts = current_cart_;
  return plan;
}

}  // namespace commerce::crash
