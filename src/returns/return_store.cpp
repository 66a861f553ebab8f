// The returns' stored records and indexes (return_store.h). Cereal archives, version 1, in the
// checksummed frame of common/codec.h, written field by field from private wrappers so that
// the public types get no serialize() of ours.
#include "returns/return_store.h"

#include <algorithm>
#include <stdexcept>

#include "common/codec.h"
#include "common/key.h"
#include "common/record_fields.h"
#include "common/record.h"
#include "events/event_json.h"
#include "events/event_log.h"

namespace commerce {

namespace {

template <class Ar, class R>
void IoReturn(Ar& ar, R& r) {
  ar(r.id, r.order_id, r.customer_id, r.idempotency_key);
  IoEnum(ar, r.status, ReturnStatus::kCancelled, "return status");
  IoListSize(ar, r.lines, 10'000, "return lines");
  for (auto& l : r.lines) {
    ar(l.sku, l.quantity, l.reason, l.refund.minor, l.refund.currency);
    IoEnum(ar, l.disposition, ReturnDisposition::kWrittenOff, "return disposition");
    ar(l.warehouse_id);
  }
  IoListSize(ar, r.exchange_lines, 10'000, "exchange lines");
  for (auto& l : r.exchange_lines) ar(l.sku, l.quantity);
  ar(r.exchange_order_id, r.refund.minor, r.refund.currency);
  IoEnum(ar, r.refund_method, RefundMethod::kManual, "refund method");
  ar(r.refund_id);
  IoListSize(ar, r.history, 10'000, "return transitions");
  for (auto& h : r.history) {
    IoEnum(ar, h.from, ReturnStatus::kCancelled, "return status");
    IoEnum(ar, h.to, ReturnStatus::kCancelled, "return status");
    ar(h.time_ms, h.note);
  }
  ar(r.created_at_ms, r.updated_at_ms, r.version);
}

struct StoredReturn {
  Return r;
  template <class Archive>
  void save(Archive& ar, std::uint32_t /*version*/) const {
    IoReturn(ar, r);
  }
  template <class Archive>
  void load(Archive& ar, std::uint32_t version) {
    if (version != 1) throw std::runtime_error("unknown return record version " + std::to_string(version));
    IoReturn(ar, r);
  }
};

}  // namespace
}  // namespace commerce

CEREAL_CLASS_VERSION(commerce::StoredReturn, 1);

namespace commerce {

std::string ReturnKey(std::string_view return_id) { return KeyBuilder().str(return_id).key(); }
std::string OrderReturnKey(std::string_view order_id, std::string_view return_id) {
  return KeyBuilder().str(order_id).str(return_id).key();
}
std::string OrderReturnPrefix(std::string_view order_id) { return KeyBuilder().str(order_id).key(); }
std::string ReturnIdempotencyKey(std::string_view order_id, std::string_view key) {
  return KeyBuilder().str(order_id).str(key).key();
}

std::string EncodeReturn(const Return& r) { return Encode(StoredReturn{r}); }
Status DecodeReturn(std::string_view key, std::string_view bytes, Return* out) {
  StoredReturn s;
  COMMERCE_RETURN_IF_ERROR(Decode(bytes, &s, "returns", key));
  *out = std::move(s.r);
  return Status::OK();
}

Result<Return> ReadReturn(ReadView& view, const Tables& t, std::string_view return_id) {
  return GetRecord<Return>(view, t.returns, ReturnKey(return_id), return_id, "return", DecodeReturn);
}

Result<std::vector<Return>> ReadOrderReturns(ReadView& view, const Tables& t, std::string_view order_id) {
  const std::string prefix = OrderReturnPrefix(order_id);
  COMMERCE_ASSIGN_OR_RETURN(auto rows, view.scan(t.order_returns, prefix, PrefixEnd(prefix), 0));
  std::vector<Return> out;
  out.reserve(rows.size());
  for (const auto& kv : rows) {
    KeyReader k(kv.key);
    auto order = k.str();
    auto id = k.str();
    if (!order || !id || !k.done())
      return Status::Corruption("order_returns: key " + DescribeKey(kv.key) + " is not (order id, return id)");
    COMMERCE_ASSIGN_OR_RETURN(Return r, ReadReturn(view, t, *id));
    out.push_back(std::move(r));
  }
  std::sort(out.begin(), out.end(), [](const Return& a, const Return& b) {
    return a.created_at_ms != b.created_at_ms ? a.created_at_ms < b.created_at_ms : a.id < b.id;
  });
  return out;
}

bool HoldsUnits(ReturnStatus s) { return s != ReturnStatus::kRejected && s != ReturnStatus::kCancelled; }
bool IsOpen(ReturnStatus s) { return HoldsUnits(s) && s != ReturnStatus::kRefunded; }

std::map<std::string, int64_t> ReturnedUnits(const std::vector<Return>& returns) {
  std::map<std::string, int64_t> units;
  for (const auto& r : returns)
    if (HoldsUnits(r.status))
      for (const auto& l : r.lines) units[l.sku] += l.quantity;
  return units;
}

Status CheckNoReturnHoldsUnits(ReadView& view, const Tables& t, std::string_view order_id) {
  COMMERCE_ASSIGN_OR_RETURN(auto returns, ReadOrderReturns(view, t, order_id));
  for (const auto& r : returns)
    if (HoldsUnits(r.status))
      return Status::FailedPrecondition("order '" + std::string(order_id) + "' has return '" + r.id + "' (" +
                                        ReturnStatusName(r.status) +
                                        "): return the rest of its units with another return (returns.h), "
                                        "not by moving the whole order to returned");
  return Status::OK();
}

Status PutReturnInTxn(WriteTxn& txn, const Tables& t, Return& r, int64_t now_ms) {
  r.version += 1;
  r.updated_at_ms = now_ms;
  return txn.put(t.returns, ReturnKey(r.id), EncodeReturn(r));
}

Status AppendReturnEvent(WriteTxn& txn, const Tables& t, std::string_view type, const Return& r,
                         int64_t now_ms) {
  EventJson d;
  d.str("return_id", r.id).str("order_id", r.order_id).str("customer_id", r.customer_id);
  d.str("status", ReturnStatusName(r.status));
  if (!r.history.empty()) d.str("note", r.history.back().note);
  d.begin_array("lines");
  for (const auto& l : r.lines)
    d.begin_object()
        .str("sku", l.sku)
        .i64("quantity", l.quantity)
        .i64("refund", l.refund.minor)
        .str("disposition", ReturnDispositionName(l.disposition))
        .str("warehouse_id", l.warehouse_id)
        .end_object();
  d.end_array();
  d.i64("refund", r.refund.minor).str("currency", r.refund.currency);
  d.str("refund_method", RefundMethodName(r.refund_method));
  if (!r.exchange_order_id.empty()) d.str("exchange_order_id", r.exchange_order_id);
  d.u64("version", r.version);
  return AppendEvent(txn, t.events, type, r.order_id, d.done(), now_ms).status();
}

}  // namespace commerce
