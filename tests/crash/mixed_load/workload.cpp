#include "crash/mixed_load/workload.h"

#include <sys/prctl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <chrono>
#include <functional>
#include <map>
#include <random>
#include <thread>

namespace commerce::crash {

namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch()).count();
}

const char* CodeName(const Status& s) {
  if (s.IsOutOfStock()) return "OutOfStock";
  if (s.IsNotFound()) return "NotFound";
  if (s.IsResourceExhausted()) return "ResourceExhausted";
  if (s.IsFailedPrecondition()) return "FailedPrecondition";
  return "other";
}

std::vector<std::pair<std::string, int64_t>> LinesOf(const Cart& c) {
  std::vector<std::pair<std::string, int64_t>> out;
  for (const auto& l : c.lines) out.emplace_back(l.sku, l.quantity);
  return out;
}

std::vector<std::pair<std::string, int64_t>> LinesOf(const Order& o) {
  std::map<std::string, int64_t> m;
  for (const auto& l : o.lines) m[l.sku] += l.quantity;
  return {m.begin(), m.end()};
}

// One thread of the child.
class Worker {
 public:
  Worker(Engine& engine, JournalWriter& journal, const HarnessOptions& options, const ChildPlan& plan,
         int thread)
      : e_(engine), j_(journal), options_(options), plan_(plan), t_(thread),
        rng_(options.seed * 1000003 + static_cast<uint64_t>(plan.round) * 101 + static_cast<uint64_t>(thread)) {
    for (const auto& id : plan.orders)
      if (ThreadOfOrder(id, options.threads) == thread) orders_.push_back(id);
    cart_ = plan.carts[static_cast<size_t>(thread)];
  }

  [[noreturn]] void Run() {
    // A placement from a cart is retried by the cart's thread (it owns the cart); one from
    // lines by any.
    for (size_t i = 0; i < plan_.retries.size(); ++i) {
      const PlaceOrder& r = plan_.retries[i];
      const int owner = r.cart_id.empty() ? static_cast<int>(i % static_cast<size_t>(options_.threads))
                                          : ThreadOfCart(r.cart_id);
      if (owner == t_) Place(r);
    }
    LoadCart();
    for (;;) {
      const int dice = static_cast<int>(rng_() % 100);
      if (dice < 10) Upsert();
      else if (dice < 22) Receive();
      else if (dice < 50) EditCart();
      else if (dice < 70) PlaceNew();
      else if (dice < 95) Transition();
      else RetryAcked();
    }
  }

 private:
  uint64_t Intent(std::vector<std::string> fields) {
    j_.Intent(t_, ++opno_, fields);
    return opno_;
  }
  void Ack(std::vector<std::string> fields) { j_.Ack(t_, opno_, fields); }
  // An error the operation may give: journalled as F. Any other: fatal.
  void Expect(const Status& s, std::initializer_list<bool (Status::*)() const> allowed, const std::string& what) {
    for (auto is : allowed)
      if ((s.*is)()) {
        j_.Failed(t_, opno_, CodeName(s));
        return;
      }
    j_.Fatal("thread " + std::to_string(t_) + ": " + what + ": " + s.ToString());
  }

  void Upsert() {
    const int i = static_cast<int>(rng_() % kProducts);
    Product p;
    p.id = ProductId(i);
    p.title = "Product " + std::to_string(i) + " round " + std::to_string(plan_.round) + " t" +
              std::to_string(t_) + " n" + std::to_string(opno_ + 1);
    p.brand = "Brand " + std::to_string(i % 5);
    p.options = {"size"};
    const int64_t price = 500 + static_cast<int64_t>(rng_() % 5000);
    for (int v = 0; v < 2; ++v) {
      Variant var;
      var.sku = Sku(i, v);
      var.options = {{"size", v == 0 ? "S" : "L"}};
      var.price = Money{price + v * 100, "USD"};
      p.variants.push_back(var);
    }
    Intent({"upsert", p.id, p.title});
    auto r = e_.catalog().upsert(p);
    if (!r.ok()) j_.Fatal("upsert " + p.id + ": " + r.status().ToString());
    Ack({"upsert", p.id, std::to_string(r->version), r->title});
  }

  void Receive() {
    const std::string sku = Sku(static_cast<int>(rng_() % kProducts), static_cast<int>(rng_() % 2));
    const std::string wh = kWarehouses[rng_() % 3];
    const int64_t qty = 1 + static_cast<int64_t>(rng_() % 10);
    Intent({"receive", sku, wh, std::to_string(qty)});
    auto r = e_.inventory().receive(sku, wh, qty);
    if (!r.ok()) j_.Fatal("receive " + sku + " " + wh + ": " + r.status().ToString());
    Ack({"receive", sku, wh, std::to_string(qty), std::to_string(r->on_hand), std::to_string(r->reserved)});
  }

  // The current cart: read it, or create it when it does not exist.
  void LoadCart() {
    auto c = e_.carts().get(cart_);
    if (c.ok()) {
      cart_lines_ = LinesOf(*c);
      return;
    }
    if (!c.status().IsNotFound()) j_.Fatal("get cart " + cart_ + ": " + c.status().ToString());
    const std::string customer = kCustomers[t_ % 4];
    Intent({"cart_create", cart_, customer});
    auto made = e_.carts().create({.id = cart_, .customer_id = customer});
    if (!made.ok()) j_.Fatal("create cart " + cart_ + ": " + made.status().ToString());
    Ack({"cart_create", cart_});
    cart_lines_.clear();
  }

  // A new cart after an order took the old one's lines (and its dots).
  void NextCart() {
    cart_ = CartId(t_, plan_.round, opno_ + 1);
    LoadCart();
  }

  void EditCart() {
    const std::string sku = Sku(static_cast<int>(rng_() % kProducts), static_cast<int>(rng_() % 2));
    const int kind = static_cast<int>(rng_() % 10);
    Result<Cart> r = Status::Internal("unset");
    if (kind < 5 || cart_lines_.empty()) {
      const int64_t q = 1 + static_cast<int64_t>(rng_() % 3);
      Intent({"cart_add", cart_, sku, std::to_string(q)});
      r = e_.carts().add(cart_, sku, q);
    } else if (kind < 8) {
      const auto& line = cart_lines_[rng_() % cart_lines_.size()];
      const int64_t q = static_cast<int64_t>(rng_() % 4);  // 0 removes the line
      Intent({"cart_set", cart_, line.first, std::to_string(q)});
      r = e_.carts().set_quantity(cart_, line.first, q);
    } else if (kind < 9) {
      const std::string target = rng_() % 2 ? cart_lines_[rng_() % cart_lines_.size()].first : sku;
      Intent({"cart_remove", cart_, target});
      r = e_.carts().remove(cart_, target);
    } else {
      Intent({"cart_clear", cart_});
      r = e_.carts().clear(cart_);
    }
    if (!r.ok()) {
      // A cart that reached kMaxCartDots takes no more adds: start another.
      Expect(r.status(), {&Status::IsResourceExhausted, &Status::IsNotFound}, "cart edit on " + cart_);
      if (r.status().IsResourceExhausted()) NextCart();
      return;
    }
    cart_lines_ = LinesOf(*r);
    Ack({"cart", cart_, FormatLines(cart_lines_)});
  }

  void PlaceNew() {
    const std::string key = "k-r" + std::to_string(plan_.round) + "-t" + std::to_string(t_) + "-n" +
                            std::to_string(opno_ + 1);
    const std::string region = rng_() % 2 ? "east" : "west";
    if (!cart_lines_.empty() && rng_() % 2) {
      Place(MakeRequest(key, kCustomers[t_ % 4], cart_, {}, region));
      return;
    }
    std::map<std::string, int64_t> lines;
    const int n = 1 + static_cast<int>(rng_() % 3);
    for (int i = 0; i < n; ++i)
      lines[Sku(static_cast<int>(rng_() % kProducts), static_cast<int>(rng_() % 2))] = 1 + static_cast<int64_t>(rng_() % 3);
    Place(MakeRequest(key, kCustomers[rng_() % 4], "", {lines.begin(), lines.end()}, region));
  }

  void Place(const PlaceOrder& r) {
    std::vector<std::pair<std::string, int64_t>> lines;
    for (const auto& l : r.lines) lines.emplace_back(l.sku, l.quantity);
    Intent({"place", r.idempotency_key, r.customer_id, r.cart_id.empty() ? "-" : r.cart_id,
            FormatLines(lines), r.shipping_address.region});
    auto o = e_.orders().place(r);
    if (!o.ok()) {
      // An empty cart (a retry whose cart an earlier attempt did not empty) is InvalidArgument
      // or FailedPrecondition; stock may have run out.
      Expect(o.status(), {&Status::IsOutOfStock, &Status::IsFailedPrecondition, &Status::IsInvalidArgument},
             "place " + r.idempotency_key);
      return;
    }
    Ack({"place", r.idempotency_key, o->id, FormatLines(LinesOf(*o))});
    if (ThreadOfOrder(o->id, options_.threads) == t_) orders_.push_back(o->id);
    if (!r.cart_id.empty() && r.cart_id == cart_) NextCart();
  }

  void RetryAcked() {
    if (plan_.acked.empty()) return;
    const PlaceOrder& r = plan_.acked[rng_() % plan_.acked.size()];
    Intent({"retry", r.idempotency_key});
    auto o = e_.orders().place(r);
    if (!o.ok()) j_.Fatal("retry of acknowledged " + r.idempotency_key + ": " + o.status().ToString());
    Ack({"retry", r.idempotency_key, o->id});
  }

  void Transition() {
    if (orders_.empty()) return;
    const size_t at = rng_() % orders_.size();
    const std::string id = orders_[at];
    auto o = e_.orders().get(id);
    if (!o.ok()) j_.Fatal("get acknowledged order " + id + ": " + o.status().ToString());
    OrderStatus to;
    TransitionOptions topt;
    const int dice = static_cast<int>(rng_() % 100);
    switch (o->status) {
      case OrderStatus::kPlaced: to = dice < 75 ? OrderStatus::kPaid : OrderStatus::kCancelled; break;
      case OrderStatus::kPaid: to = dice < 85 ? OrderStatus::kFulfilling : OrderStatus::kCancelled; break;
      case OrderStatus::kFulfilling: to = OrderStatus::kShipped; break;
      case OrderStatus::kShipped: to = OrderStatus::kDelivered; break;
      case OrderStatus::kDelivered:
        if (dice < 50) {
          orders_.erase(orders_.begin() + static_cast<long>(at));  // kept
          return;
        }
        to = OrderStatus::kReturned;
        topt.restock = dice < 75;
        break;
      case OrderStatus::kReturned: to = OrderStatus::kRefunded; break;
      default:
        orders_.erase(orders_.begin() + static_cast<long>(at));  // cancelled, refunded: done
        return;
    }
    Intent({"transition", id, OrderStatusName(to), topt.restock ? "1" : "0"});
    auto r = e_.orders().transition(id, to, topt);
    if (!r.ok()) j_.Fatal("transition " + id + " to " + OrderStatusName(to) + ": " + r.status().ToString());
    Ack({"transition", id, OrderStatusName(to), std::to_string(r->version)});
  }

  Engine& e_;
  JournalWriter& j_;
  const HarnessOptions& options_;
  const ChildPlan& plan_;
  const int t_;
  std::mt19937_64 rng_;
  uint64_t opno_ = 0;
  std::vector<std::string> orders_;
  std::string cart_;
  std::vector<std::pair<std::string, int64_t>> cart_lines_;
};

}  // namespace

std::string ProductId(int i) {
  char b[8];
  std::snprintf(b, sizeof b, "p%02d", i);
  return b;
}

std::string Sku(int i, int variant) { return ProductId(i) + (variant == 0 ? "-a" : "-b"); }

std::string CartId(int thread, int round, uint64_t opno) {
  return "cart-t" + std::to_string(thread) + "-r" + std::to_string(round) + "-n" + std::to_string(opno);
}

int ThreadOfCart(const std::string& cart_id) { return std::atoi(cart_id.c_str() + 6); }

int ThreadOfOrder(const std::string& order_id, int threads) {
  return static_cast<int>(std::hash<std::string>{}(order_id) % static_cast<size_t>(threads));
}

EngineOptions MakeEngineOptions(const HarnessOptions& h) {
  EngineOptions o;
  o.path = h.dir;
  o.driver = h.driver;
  if (h.lmdb_map_size) o.storage.lmdb_map_size = h.lmdb_map_size;
  if (h.checkpoints == "off") {
    o.storage.lmdb_checkpoint_bytes = size_t{1} << 40;
    o.storage.lmdb_checkpoint_interval_ms = 1 << 30;
  } else if (h.checkpoints == "frequent") {
    o.storage.lmdb_checkpoint_bytes = 32 << 10;
    o.storage.lmdb_checkpoint_interval_ms = 5;
  }
  if (!h.sqlite_synchronous.empty()) o.storage.sqlite_synchronous = h.sqlite_synchronous;
  o.search.shards = 2;
  return o;
}

Status SetUpShop(Engine& e) {
  COMMERCE_RETURN_IF_ERROR(e.inventory().upsert_warehouse({"wh-a", "A", "east", 2, true}).status());
  COMMERCE_RETURN_IF_ERROR(e.inventory().upsert_warehouse({"wh-b", "B", "west", 1, true}).status());
  COMMERCE_RETURN_IF_ERROR(e.inventory().upsert_warehouse({"wh-c", "C", "east", 0, true}).status());
  for (const char* c : kCustomers) {
    Customer cu;
    cu.id = c;
    cu.email = std::string(c) + "@example.com";
    cu.name = std::string("Customer ") + c;
    COMMERCE_RETURN_IF_ERROR(e.customers().create(cu).status());
  }
  for (int i = 0; i < kProducts; ++i) {
    Product p;
    p.id = ProductId(i);
    p.title = "Product " + std::to_string(i) + " first";
    p.brand = "Brand " + std::to_string(i % 5);
    p.options = {"size"};
    for (int v = 0; v < 2; ++v) {
      Variant var;
      var.sku = Sku(i, v);
      var.options = {{"size", v == 0 ? "S" : "L"}};
      var.price = Money{1000 + i * 10 + v * 100, "USD"};
      p.variants.push_back(var);
    }
    COMMERCE_RETURN_IF_ERROR(e.catalog().upsert(p).status());
    for (int v = 0; v < 2; ++v)
      for (int w = 0; w < 3; ++w)
        if ((i + v + w) % 3 != 0)
          COMMERCE_RETURN_IF_ERROR(e.inventory().receive(Sku(i, v), kWarehouses[w], 40).status());
  }
  return Status::OK();
}

PlaceOrder MakeRequest(const std::string& key, const std::string& customer, const std::string& cart_id,
                       const std::vector<std::pair<std::string, int64_t>>& lines, const std::string& region) {
  PlaceOrder r;
  r.idempotency_key = key;
  r.customer_id = customer;
  r.cart_id = cart_id;
  for (const auto& [sku, q] : lines) r.lines.push_back({sku, q});
  r.shipping_address.name = "Crash Harness";
  r.shipping_address.line1 = "1 Kill Street";
  r.shipping_address.city = "Sigville";
  r.shipping_address.region = region;
  r.shipping_address.country = "US";
  return r;
}

void RunChild(const HarnessOptions& options, const ChildPlan& plan, int journal_fd) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the harness
  JournalWriter journal(journal_fd);
  const int64_t t0 = NowMs();
  auto engine = Engine::open(MakeEngineOptions(options));
  if (!engine.ok()) journal.Fatal("open: " + engine.status().ToString());
  journal.Opened(NowMs() - t0);
  std::vector<std::thread> threads;
  std::vector<std::unique_ptr<Worker>> workers;
  for (int t = 0; t < options.threads; ++t)
    workers.push_back(std::make_unique<Worker>(**engine, journal, options, plan, t));
  for (auto& w : workers) threads.emplace_back([&w] { w->Run(); });
  for (auto& t : threads) t.join();
  _exit(0);
}

}  // namespace commerce::crash
