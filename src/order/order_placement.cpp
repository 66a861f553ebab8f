#include "order/order_placement.h"

#include <map>
#include <optional>
#include <set>

#include "cart/cart_store.h"
#include "catalog/catalog_store.h"
#include "catalog/product_codec.h"
#include "channels/channel_store.h"
#include "common/key.h"
#include "common/record_tail.h"
#include "events/counted_event.h"
#include "events/event_json.h"
#include "events/event_log.h"
#include "inventory/inventory_codec.h"
#include "inventory/stock_counters.h"
#include "inventory/stock_home_slot.h"
#include "inventory/stock_store.h"
#include "inventory/warehouse_store.h"
#include "order/allocation.h"
#include "order/order_store.h"
#include "order/order_validation.h"
#include "customer/customer_store.h"
#include "payments/payment_store.h"
#include "price_lists/price_list_store.h"
#include "price_lists/price_resolution.h"
#include "promotions/promotion_pricing.h"
#include "promotions/promotion_store.h"
#include "promotions/promotion_validation.h"
#include "storage/prefetch_view.h"

namespace commerce {

namespace {

// A line to price and allocate, with the field path its errors start with.
struct Wanted {
  std::string sku;
  int64_t quantity = 0;
  std::string path;  // "lines[2].sku" or "cart_id"
};

struct Request {
  std::vector<Wanted> lines;
  std::string currency;  // "" until a cart or the first priced line decides it
  std::string channel;   // the cart's, or the request's
  std::string customer_group;  // the customer's, as the placement read it
  // The channel (channels.h) when the key names one; none for "" and in a store that has never
  // had a channel. Its record is expected unchanged at commit.
  std::optional<Channel> channel_record;
  // A cart order: the cart record as read (the set expects its bytes unchanged).
  CartRecord cart;
};

// The customer's group, which selects price lists. The record is expected unchanged at commit,
// so that an order is never priced for a group its customer had already left.
Result<std::string> CustomerGroup(ReadView& view, const Tables& t, const std::string& id,
                                  ChangeSet& changes) {
  const std::string key = KeyBuilder().str(id).key();
  std::string_view bytes;
  Status s = view.get(t.customers, key, &bytes);
  if (s.IsNotFound()) return Status::NotFound("customer_id: no customer with id '" + id + "'");
  COMMERCE_RETURN_IF_ERROR(s);
  Customer c;
  COMMERCE_RETURN_IF_ERROR(DecodeCustomer(key, bytes, &c));
  changes.expect(t.customers, key, bytes);
  return c.group;
}

Result<Request> LinesOf(ReadView& view, const Tables& t, const PlaceOrder& r, ChangeSet& changes) {
  Request req;
  req.currency = r.currency;
  req.channel = r.channel;
  if (r.cart_id.empty()) {
    for (size_t i = 0; i < r.lines.size(); ++i)
      req.lines.push_back({r.lines[i].sku, r.lines[i].quantity,
                           "lines[" + std::to_string(i) + "].sku"});
    return req;
  }
  auto read = ReadCartRecord(view, t, r.cart_id, changes);
  if (!read.ok()) return read.status().WithContext("cart_id");
  req.cart = std::move(read).value();
  COMMERCE_ASSIGN_OR_RETURN(auto live, LiveCartLines(req.cart.state));
  const CartState& cart = req.cart.state;
  if (!cart.customer_id.empty() && cart.customer_id != r.customer_id)
    return Status::FailedPrecondition("cart_id: cart '" + r.cart_id +
                                      "' belongs to another customer");
  if (live.empty())
    return Status::FailedPrecondition("cart_id: cart '" + r.cart_id + "' is empty");
  if (live.size() > kMaxOrderLines)
    return Status::InvalidArgument("cart_id: cart '" + r.cart_id + "' has " +
                                   std::to_string(live.size()) + " lines; an order takes " +
                                   "at most " + std::to_string(kMaxOrderLines));
  if (!r.currency.empty() && r.currency != cart.currency)
    return Status::InvalidArgument("currency: " + r.currency + " differs from the cart's " +
                                   cart.currency);
  req.currency = cart.currency;
  if (!r.channel.empty() && r.channel != req.cart.channel)
    return Status::InvalidArgument("channel: '" + r.channel + "' differs from the cart's ('" +
                                   req.cart.channel + "')");
  req.channel = req.cart.channel;
  for (const auto& line : live) {
    // The cart caps a line at kMaxQuantity; checked again because an order must never
    // reserve more than one stock operation accepts.
    COMMERCE_RETURN_IF_ERROR(CheckQuantity("cart_id: line '" + line.sku + "' quantity", line.quantity));
    req.lines.push_back({line.sku, line.quantity, "cart_id"});
  }
  return req;
}

// Prices every line: the price that applies at `now_ms` (price_lists.h) to the order's
// currency, channel and customer group and the line's quantity; in a channel, only products
// visible there (channels.h). Products are read once however
// many of their SKUs the order has; each is expected unchanged when the set is applied (its
// base price and status), and so is each SKU's price row (the lists that price it).
Result<std::vector<OrderLine>> PriceLines(ReadView& view, const Tables& t, Request& req,
                                          int64_t now_ms, ChangeSet& changes) {
  std::map<std::string, Product> products;
  std::vector<OrderLine> out;
  for (const auto& w : req.lines) {
    auto owner = SkuOwner(view, t, w.sku);
    if (owner.status().IsNotFound())
      return Status::NotFound(w.path + ": no product has sku '" + w.sku + "'");
    COMMERCE_RETURN_IF_ERROR(owner.status());
    auto it = products.find(*owner);
    if (it == products.end()) {
      const std::string key = KeyBuilder().str(*owner).key();
      std::string_view bytes;
      Status got = view.get(t.products, key, &bytes);
      if (got.IsNotFound())
        return Status::Corruption("sku index names product '" + *owner + "' for sku '" + w.sku +
                                  "', which does not exist");
      COMMERCE_RETURN_IF_ERROR(got);
      changes.expect(t.products, key, bytes);  // copies the bytes before the next read
      Product p;
      Status decoded = DecodeProduct(key, changes.value(changes.ops().back()), &p);
      if (!decoded.ok()) return decoded.WithContext("product '" + *owner + "'");
      it = products.emplace(*owner, std::move(p)).first;
    }
    const Product& p = it->second;
    if (p.status != ProductStatus::kActive)
      return Status::InvalidArgument(w.path + ": sku '" + w.sku + "' belongs to product '" + p.id +
                                     "', which is " + ProductStatusName(p.status) +
                                     "; only active products can be ordered");
    const Variant* v = nullptr;
    for (const auto& candidate : p.variants)
      if (candidate.sku == w.sku) v = &candidate;
    if (!v)
      return Status::Corruption("sku index names product '" + p.id + "' for sku '" + w.sku +
                                "', which has no such variant");
    if (req.channel_record) COMMERCE_RETURN_IF_ERROR(CheckVisible(*req.channel_record, p, w.sku, w.path));
    if (req.currency.empty()) req.currency = v->price.currency;
    COMMERCE_ASSIGN_OR_RETURN(SkuPrices rows, ReadSkuPrices(view, t, w.sku, &changes));
    PriceContext ctx{req.currency, req.customer_group, req.channel, w.quantity, now_ms};
    auto chosen = ChoosePrice(w.sku, rows, v->price, ctx);
    // A SKU with no price in the order's currency was InvalidArgument before price lists
    // existed, and stays so: the request asks for what the shop does not sell.
    if (chosen.status().IsFailedPrecondition())
      return Status::InvalidArgument(w.path + ": sku '" + w.sku + "' is priced in " +
                                     v->price.currency + "; the order is in " + req.currency +
                                     ", and no price list that applies prices it in " + req.currency);
    COMMERCE_RETURN_IF_ERROR(chosen.status());
    const Money unit = chosen->price;
    int64_t total = 0;
    if (__builtin_mul_overflow(unit.minor, w.quantity, &total) || total > kMaxMoneyMinor)
      return Status::InvalidArgument(w.path + ": " + std::to_string(w.quantity) + " x " +
                                     std::to_string(unit.minor) + " " + req.currency +
                                     " minor units is past the largest amount, " +
                                     std::to_string(kMaxMoneyMinor));
    OrderLine line{w.sku, p.id, p.title, w.quantity, unit, Money{total, req.currency}};
    line.price_list_id = chosen->price_list_id;
    line.tax_inclusive = chosen->tax_inclusive;
    out.push_back(std::move(line));
  }
  return out;
}

// The stock rows of the order's SKUs, each SKU's read and decoded once per preparation: the
// read-ahead, the allocation and the slot reservations all look at them. (Read by each step
// again, a split SKU's rows cost a split order twice a plain one's reads on LMDB: 10 % of the
// samples in docs/profiles/orders-hot-sku-64-split.txt, against 5 % for the plain record.)
class StockRowsBySku {
 public:
  // The rows of `sku` (ReadSkuRows): read on first use, then from memory.
  Result<const std::vector<StockRow>*> rows(ReadView& view, const Tables& t,
                                            const std::string& sku) {
    auto it = rows_.find(sku);
    if (it == rows_.end()) {
      COMMERCE_ASSIGN_OR_RETURN(auto read, ReadSkuRows(view, t, sku));
      it = rows_.emplace(sku, std::move(read)).first;
    }
    return &it->second;
  }

 private:
  std::map<std::string, std::vector<StockRow>, std::less<>> rows_;
};

// What every active warehouse holding any of the order's SKUs has available of each; in a
// channel, only the warehouses it sells from (channels.h): stock elsewhere does not count.
Result<std::vector<AllocationWarehouse>> ReadAvailability(ReadView& view, const Tables& t,
                                                          const std::vector<Wanted>& lines,
                                                          const Channel* channel,
                                                          StockRowsBySku& stock) {
  std::map<std::string, std::optional<size_t>> index;  // warehouse id -> slot (none: inactive)
  std::vector<AllocationWarehouse> out;
  for (const auto& w : lines) {
    COMMERCE_ASSIGN_OR_RETURN(const std::vector<StockRow>* rows, stock.rows(view, t, w.sku));
    COMMERCE_ASSIGN_OR_RETURN(auto levels, SkuLevelsOfRows(w.sku, *rows));
    for (const auto& level : levels) {
      if (level.available() <= 0) continue;
      if (channel && !SellsFrom(*channel, level.warehouse_id)) continue;
      auto it = index.find(level.warehouse_id);
      if (it == index.end()) {
        auto found = GetWarehouse(view, t, level.warehouse_id);
        // Stock is only received into existing warehouses, which are never deleted.
        if (found.status().IsNotFound())
          return Status::Corruption("stock of sku '" + w.sku + "' names unknown warehouse '" +
                                    level.warehouse_id + "'");
        COMMERCE_ASSIGN_OR_RETURN(Warehouse wh, std::move(found));
        std::optional<size_t> slot;
        if (wh.active) {
          slot = out.size();
          out.push_back({wh.id, wh.region, wh.priority, {}});
        }
        it = index.emplace(level.warehouse_id, slot).first;
      }
      if (it->second) out[*it->second].available[w.sku] = level.available();
    }
  }
  return out;
}

// Read-ahead (PrefetchView): what an order reads, in as few round trips as what it reads
// depends on. Each step only gathers keys; a read that fails or does not decode is left for the
// code after it to meet and report, in its usual order.

// The SKUs' index entries, price rows (price lists) and stock rows, with `keys` besides.
Status PrefetchLines(PrefetchView& view, const Tables& t, const std::vector<Wanted>& lines,
                     std::vector<KeyRead> keys) {
  std::vector<std::string> sku_keys;
  std::vector<SkuStockRange> stock;
  sku_keys.reserve(lines.size());
  stock.reserve(lines.size());
  std::vector<RangeRead> ranges;
  std::vector<std::string> price_keys;
  price_keys.reserve(lines.size());
  for (const auto& w : lines) {
    keys.push_back({t.skus, sku_keys.emplace_back(KeyBuilder().str(w.sku).key())});
    keys.push_back({t.sku_prices, price_keys.emplace_back(SkuPricesKey(w.sku))});
    ranges.push_back(stock.emplace_back(w.sku).read(t));
  }
  return view.prefetch(keys, ranges);
}

// The products of the lines' SKUs and the warehouses holding their stock (both named by what
// PrefetchLines read), and every promotion.
Status PrefetchProductsAndWarehouses(PrefetchView& view, const Tables& t,
                                     const std::vector<Wanted>& lines, StockRowsBySku& stock) {
  if (!view.enabled()) return Status::OK();
  std::set<std::string> products, warehouses;
  for (const auto& w : lines) {
    auto owner = SkuOwner(view, t, w.sku);
    if (owner.ok()) products.insert(KeyBuilder().str(*owner).key());
    auto rows = stock.rows(view, t, w.sku);
    if (!rows.ok()) continue;
    auto levels = SkuLevelsOfRows(w.sku, **rows);
    if (!levels.ok()) continue;
    for (const auto& level : *levels)
      if (level.available() > 0) warehouses.insert(KeyBuilder().str(level.warehouse_id).key());
  }
  std::vector<KeyRead> keys;
  for (const auto& k : products) keys.push_back({t.products, k});
  for (const auto& k : warehouses) keys.push_back({t.warehouses, k});
  // The promotions too (PrepareDiscounts reads them all), in the same round trip.
  return view.prefetch(keys, {PromotionsRange(t)});
}

// The units of `qty` each row of (sku, warehouse) reserves: {qty} for a plain row; for a split
// stock, per slot, from this process's home slot on (stock_home_slot.h), as much as each had
// available in the snapshot (the allocation saw their sum cover qty). `rows` are the SKU's, as
// the allocation read them. The writer's add re-checks each slot on its current counts; a slot
// drained meanwhile fails the set, which is prepared again and moves on to the next slots.
std::vector<int64_t> SlotTakes(const std::vector<StockRow>& rows, const std::string& warehouse_id,
                               int64_t qty, uint64_t slot_home) {
  std::vector<int64_t> room;
  for (const auto& row : rows)
    if (row.slot >= 0 && row.level.warehouse_id == warehouse_id) room.push_back(row.level.available());
  if (room.size() < 2) return std::vector<int64_t>{qty};
  return Spread(room, qty, HomeSlot(slot_home, room.size()));
}

Status AddChecked(const char* what, int64_t a, int64_t b, int64_t* sum) {
  if (__builtin_add_overflow(a, b, sum) || *sum > kMaxMoneyMinor)
    return Status::InvalidArgument(std::string(what) + ": past the largest amount, " +
                                   std::to_string(kMaxMoneyMinor) + " minor units");
  return Status::OK();
}

std::string OrderPlacedData(const Order& o) {
  EventJson d;
  d.str("order_id", o.id).str("customer_id", o.customer_id).str("currency", o.currency);
  d.i64("subtotal", o.subtotal.minor).i64("tax", o.tax.minor).i64("shipping", o.shipping.minor);
  d.i64("total", o.total.minor).u64("lines", o.lines.size());
  if (o.status != OrderStatus::kPlaced) d.str("status", OrderStatusName(o.status));
  // Only when there are some, so that an order of a store without channels or price lists
  // writes the event it always wrote.
  if (!o.channel.empty()) d.str("channel", o.channel);
  std::set<std::string_view> lists;
  for (const OrderLine& l : o.lines)
    if (!l.price_list_id.empty()) lists.insert(l.price_list_id);
  if (!lists.empty()) {
    d.begin_array("price_lists");
    for (std::string_view id : lists) d.element(id);
    d.end_array();
  }
  if (!o.promotions.empty()) {
    d.i64("discount", o.discount.minor).begin_array("promotions");
    for (const AppliedPromotion& p : o.promotions)
      d.begin_object().str("promotion_id", p.promotion_id).str("coupon_code", p.coupon_code)
          .i64("amount", p.amount.minor).end_object();
    d.end_array();
  }
  d.begin_array("shipments");
  for (const Shipment& s : o.shipments) {
    d.begin_object().str("warehouse_id", s.warehouse_id).begin_array("items");
    for (const ShipmentItem& item : s.items)
      d.begin_object().str("sku", item.sku).i64("quantity", item.quantity).end_object();
    d.end_array().end_object();
  }
  return d.end_array().done();
}

}  // namespace

Status PreparePlacement(ReadView& snapshot, bool read_ahead, const Tables& t,
                        const PricingPolicy& pricing, const PlaceOrder& r,
                        const std::string& order_id, const std::string& access_token,
                        const std::string& fingerprint, int64_t now_ms, ChangeSet& changes,
                        Placement* out, std::string_view payment_provider, uint64_t slot_home) {
  *out = Placement{};
  PrefetchView view(snapshot, read_ahead);
  StockRowsBySku stock;
  if (view.enabled()) {
    // Round trip 1: the idempotency key, the customer, the cart, and the SKUs of the
    // request's lines with their stock.
    const std::string key = IdempotencyKey(r.customer_id, r.idempotency_key);
    const std::string customer = KeyBuilder().str(r.customer_id).key();
    const std::string cart = r.cart_id.empty() ? std::string() : CartKey(r.cart_id);
    std::vector<KeyRead> keys{{t.order_keys, key}, {t.customers, customer}};
    if (!cart.empty()) keys.push_back({t.carts, cart});
    std::vector<Wanted> lines;
    for (const auto& line : r.lines) lines.push_back({line.sku, line.quantity, ""});
    COMMERCE_RETURN_IF_ERROR(PrefetchLines(view, t, lines, std::move(keys)));
  }
  // Idempotency first: a retry must find its order even after the first attempt emptied
  // the cart or sold the last unit.
  COMMERCE_ASSIGN_OR_RETURN(auto key, ReadOrderKey(view, t, r.customer_id, r.idempotency_key));
  if (key) {
    if (key->fingerprint != fingerprint)
      return Status::Conflict("idempotency_key: '" + r.idempotency_key +
                              "' was used for a different request (order '" + key->order_id +
                              "'); use a new key for a new order");
    COMMERCE_ASSIGN_OR_RETURN(StoredOrder stored, GetStoredOrder(view, t, key->order_id));
    out->order = std::move(stored.order);
    out->replayed = true;
    return Status::OK();  // nothing to write
  }
  COMMERCE_ASSIGN_OR_RETURN(std::string group, CustomerGroup(view, t, r.customer_id, changes));
  COMMERCE_ASSIGN_OR_RETURN(Request req, LinesOf(view, t, r, changes));
  req.customer_group = std::move(group);
  COMMERCE_ASSIGN_OR_RETURN(req.channel_record, ReadChannelOf(view, t, req.channel, &changes));
  if (req.channel_record) {
    // Lines without a currency are in the channel's default; any currency must be one it sells in.
    if (req.currency.empty()) req.currency = req.channel_record->default_currency;
    COMMERCE_RETURN_IF_ERROR(CheckChannelCurrency(*req.channel_record, req.currency, "currency"));
  }
  if (view.enabled()) {
    // A cart's lines: their SKUs and stock (nothing more for a request's own lines, read
    // already). Then the products and warehouses those name: one round trip each.
    COMMERCE_RETURN_IF_ERROR(PrefetchLines(view, t, req.lines, {}));
    COMMERCE_RETURN_IF_ERROR(PrefetchProductsAndWarehouses(view, t, req.lines, stock));
  }
  COMMERCE_ASSIGN_OR_RETURN(std::vector<OrderLine> lines, PriceLines(view, t, req, now_ms, changes));

  COMMERCE_ASSIGN_OR_RETURN(
      auto warehouses,
      ReadAvailability(view, t, req.lines, req.channel_record ? &*req.channel_record : nullptr,
                       stock));
  std::vector<AllocationLine> wanted;
  for (const auto& w : req.lines) wanted.push_back({w.sku, w.quantity});
  COMMERCE_ASSIGN_OR_RETURN(std::vector<Shipment> shipments,
                            Allocate(wanted, warehouses, r.shipping_address.region));

  int64_t subtotal = 0, items = 0;
  DiscountRequest discounts;
  for (const auto& l : lines) {
    COMMERCE_RETURN_IF_ERROR(AddChecked("subtotal", subtotal, l.line_total.minor, &subtotal));
    items += l.quantity;  // <= 500 x 10^6: no overflow
    discounts.lines.push_back({l.sku, l.product_id, l.quantity, l.unit_price.minor, l.line_total.minor});
  }
  // Promotions, then the pricing policy on what they left (promotions.h). The coupons' uses
  // join the change set as checked changes, bounded by their limits.
  COMMERCE_ASSIGN_OR_RETURN(discounts.coupon_codes, NormalizeCouponCodes(r.coupon_codes));
  discounts.currency = req.currency;
  discounts.customer_id = r.customer_id;
  // The group as read above, expected unchanged at commit (CustomerGroup), and the channel
  // the order is placed in: a promotion limited to either holds for the order as committed.
  discounts.customer_group = req.customer_group;
  discounts.channel = req.channel;
  discounts.now_ms = now_ms;
  COMMERCE_ASSIGN_OR_RETURN(DiscountOutcome discounted,
                            PrepareDiscounts(view, t, discounts, &changes));
  for (size_t i = 0; i < lines.size(); ++i) {
    lines[i].discount = Money{0, req.currency};
    for (const auto& d : discounted.lines[i]) lines[i].discount.minor += d.amount.minor;
    lines[i].discounts = std::move(discounted.lines[i]);
  }
  const int64_t discount = discounted.discount_minor;  // <= subtotal: never below zero
  // The part of what the lines cost after discounts whose prices include tax already.
  int64_t tax_inclusive = 0;
  for (const auto& l : lines)
    if (l.tax_inclusive) tax_inclusive += l.line_total.minor - l.discount.minor;  // <= subtotal
  PricingInput in{req.currency, r.shipping_address.region, r.shipping_address.country,
                  subtotal - discount, shipments.size(), items};
  in.discount_minor = discount;
  in.free_shipping = discounted.free_shipping;
  in.tax_inclusive_minor = tax_inclusive;
  auto priced = pricing.price(in);
  if (!priced.ok()) return priced.status().WithContext("pricing");
  if (priced->tax_minor < 0 || priced->shipping_minor < 0)
    return Status::Internal("pricing: the policy returned a negative amount (tax " +
                            std::to_string(priced->tax_minor) + ", shipping " +
                            std::to_string(priced->shipping_minor) + ")");
  if (priced->tax_included_minor < 0 || priced->tax_included_minor > tax_inclusive)
    return Status::Internal("pricing: the policy says the tax-inclusive prices hold " +
                            std::to_string(priced->tax_included_minor) +
                            " of tax, outside 0.." + std::to_string(tax_inclusive));
  if (discounted.free_shipping) priced->shipping_minor = 0;
  int64_t total = 0;
  COMMERCE_RETURN_IF_ERROR(AddChecked("total", subtotal - discount, priced->tax_minor, &total));
  COMMERCE_RETURN_IF_ERROR(AddChecked("total", total, priced->shipping_minor, &total));

  StoredOrder stored;  // seq 0: the writer fills in the placement sequence
  Order& o = stored.order;
  o.id = order_id;
  o.access_token = access_token;
  o.customer_id = r.customer_id;
  o.idempotency_key = r.idempotency_key;
  o.status = payment_provider.empty() ? OrderStatus::kPlaced : OrderStatus::kPaymentPending;
  o.currency = req.currency;
  o.channel = req.channel;
  o.lines = std::move(lines);
  o.shipments = std::move(shipments);
  o.subtotal = {subtotal, req.currency};
  o.tax = {priced->tax_minor, req.currency};
  o.tax_included = {priced->tax_included_minor, req.currency};
  o.shipping = {priced->shipping_minor, req.currency};
  o.total = {total, req.currency};
  o.discount = {discount, req.currency};
  o.promotions = std::move(discounted.applied);
  o.shipping_address = r.shipping_address;
  o.history.push_back({o.status, o.status, now_ms, ""});
  o.created_at_ms = o.updated_at_ms = now_ms;
  o.version = 1;

  // The events in the order a mutation wrote them: OrderPlaced (append 0, whose sequence is
  // the placement sequence), a StockReserved per reservation, then CartUpdated.
  constexpr int32_t kPlaced = 0;
  AppendEvent(changes, t.events, "OrderPlaced", o.id, OrderPlacedData(o), now_ms);
  // seq 0 inside the record; the writer puts the placement sequence after it (a with_seq slot
  // in a tailed envelope, common/record_tail.h). A transition rewrites it with the sequence
  // inside (EncodeOrder); DecodeOrder reads both.
  const std::string record = Tailed(EncodeOrder(stored), 1, /*placeholder=*/true);
  changes.expect_absent(t.orders, OrderKey(o.id));
  changes.put(t.orders, OrderKey(o.id), record)
      .with_seq(kPlaced, TailOffset(record.size(), 1), false, /*in_value=*/true);
  const std::string by_customer = CustomerIndexKey(o.customer_id, 0);
  changes.put(t.customer_orders, by_customer, o.id)
      .with_seq(kPlaced, by_customer.size() - 8, /*invert=*/true);
  const std::string by_status = StatusIndexKey(o.status, 0);
  changes.put(t.status_orders, by_status, o.id).with_seq(kPlaced, by_status.size() - 8);
  changes.insert(t.order_keys, IdempotencyKey(r.customer_id, r.idempotency_key),
                 EncodeOrderKey({o.id, fingerprint}));
  // Never a provider call here (a preparation may run several times): the worker asks.
  if (!payment_provider.empty()) AddNewPayment(changes, t, o, payment_provider, now_ms);
  for (const auto& s : o.shipments)
    for (const auto& item : s.items) {
      COMMERCE_ASSIGN_OR_RETURN(const std::vector<StockRow>* rows, stock.rows(view, t, item.sku));
      const std::vector<int64_t> takes = SlotTakes(*rows, s.warehouse_id, item.quantity, slot_home);
      for (size_t slot = 0; slot < takes.size(); ++slot) {
        const int64_t qty = takes.size() == 1 ? item.quantity : takes[slot];
        if (qty == 0) continue;
        const bool split = takes.size() > 1;
        // This add's index among the set's, counted by the set: the coupons' uses were added
        // before the reservations (PrepareDiscounts), and an event naming another add's
        // counters gets the wrong ones, of the wrong size.
        const auto reservation = static_cast<int32_t>(changes.adds());
        changes.add(t.stock,
                    split ? StockSlotKey(item.sku, s.warehouse_id, static_cast<int64_t>(slot))
                          : StockKey(item.sku, s.warehouse_id),
                    StockChange(0, qty, now_ms, kMaxStockLevel));
        EventJson data;
        data.str("sku", item.sku).str("warehouse_id", s.warehouse_id);
        data.i64("quantity", qty).str("ref", o.id);
        if (split) data.i64("slot", static_cast<int64_t>(slot));
        AppendCountedEvent(changes, t.events, "StockReserved", item.sku, data.done(), now_ms, reservation,
                           kStockCounters, {"on_hand", "reserved"});
      }
    }
  if (!r.cart_id.empty()) {
    // The set expects the cart as read (LinesOf). Every live dot is recorded as removed, so
    // that a stale copy merged in later cannot bring the ordered lines back.
    CartRecord cleared = std::move(req.cart);
    CartStateClear(cleared.state);
    cleared.updated_at_ms = now_ms;
    WriteCartRecord(changes, t, cleared, cleared.state.customer_id);
    AppendCartEvent(changes, t, "CartUpdated", cleared, now_ms, {{"op", "ordered"}});
  }
  COMMERCE_RETURN_IF_ERROR(changes.status());
  out->order = std::move(o);
  return Status::OK();
}

}  // namespace commerce
