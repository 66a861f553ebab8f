#include "order/allocation.h"

#include <algorithm>
#include <numeric>

namespace commerce {

namespace {

int64_t Available(const AllocationWarehouse& w, const std::string& sku) {
  auto it = w.available.find(sku);
  return it == w.available.end() ? 0 : std::max<int64_t>(it->second, 0);
}

// Warehouse indices, best first: region match, then priority desc, then id asc.
std::vector<size_t> Rank(const std::vector<AllocationWarehouse>& ws, std::string_view region) {
  std::vector<size_t> order(ws.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const bool ra = ws[a].region == region, rb = ws[b].region == region;
    if (ra != rb) return ra;
    if (ws[a].priority != ws[b].priority) return ws[a].priority > ws[b].priority;
    return ws[a].id < ws[b].id;
  });
  return order;
}

// OutOfStock for the first line the warehouses together cannot cover.
Status CheckTotals(const std::vector<AllocationLine>& lines,
                   const std::vector<AllocationWarehouse>& ws) {
  for (const auto& line : lines) {
    // Stop summing once the line is covered: levels go up to 2^62 each, and the sum is only
    // needed (for the message) when it stays below the quantity, itself <= kMaxQuantity.
    int64_t total = 0;
    for (const auto& w : ws) {
      total += std::min(Available(w, line.sku), line.quantity);
      if (total >= line.quantity) break;
    }
    if (total < line.quantity)
      return Status::OutOfStock("sku '" + line.sku + "': " + std::to_string(total) +
                                " available in total, " + std::to_string(line.quantity) +
                                " requested");
  }
  return Status::OK();
}

}  // namespace

Result<std::vector<Shipment>> Allocate(const std::vector<AllocationLine>& lines,
                                       const std::vector<AllocationWarehouse>& ws,
                                       std::string_view region) {
  COMMERCE_RETURN_IF_ERROR(CheckTotals(lines, ws));
  const std::vector<size_t> ranked = Rank(ws, region);
  auto covers = [&](size_t w, size_t line) {
    return Available(ws[w], lines[line].sku) >= lines[line].quantity;
  };

  // Rule 2: one warehouse for everything.
  for (size_t w : ranked) {
    bool all = true;
    for (size_t l = 0; l < lines.size() && all; ++l) all = covers(w, l);
    if (!all) continue;
    Shipment s;
    s.warehouse_id = ws[w].id;
    for (const auto& line : lines) s.items.push_back({line.sku, line.quantity});
    return std::vector<Shipment>{std::move(s)};
  }

  // take[w][line]: units of `line` shipped from warehouse w.
  std::vector<std::vector<int64_t>> take(ws.size(), std::vector<int64_t>(lines.size(), 0));
  std::vector<bool> used(ws.size(), false);
  std::vector<bool> assigned(lines.size(), false);

  // Rule 3: greedy set cover over the lines some warehouse can ship in full.
  for (;;) {
    size_t best = ws.size(), best_count = 0;
    for (size_t w : ranked) {
      if (used[w]) continue;
      size_t count = 0;
      for (size_t l = 0; l < lines.size(); ++l) count += !assigned[l] && covers(w, l);
      if (count > best_count) best = w, best_count = count;  // strict: ties keep the rank
    }
    if (best_count == 0) break;
    used[best] = true;
    for (size_t l = 0; l < lines.size(); ++l)
      if (!assigned[l] && covers(best, l)) take[best][l] = lines[l].quantity, assigned[l] = true;
  }

  // Rule 4: split what no single warehouse holds in full.
  for (size_t l = 0; l < lines.size(); ++l) {
    if (assigned[l]) continue;
    int64_t need = lines[l].quantity;
    std::vector<size_t> sources;
    for (size_t w : ranked)
      if (used[w]) sources.push_back(w);
    std::vector<size_t> fresh;
    for (size_t w : ranked)
      if (!used[w]) fresh.push_back(w);
    std::stable_sort(fresh.begin(), fresh.end(), [&](size_t a, size_t b) {
      return Available(ws[a], lines[l].sku) > Available(ws[b], lines[l].sku);
    });
    sources.insert(sources.end(), fresh.begin(), fresh.end());
    for (size_t w : sources) {
      if (need == 0) break;
      const int64_t units = std::min(Available(ws[w], lines[l].sku), need);
      if (units == 0) continue;
      take[w][l] = units;
      used[w] = true;
      need -= units;
    }
    // CheckTotals guaranteed the warehouses together hold enough.
    if (need != 0) return Status::Internal("allocation left " + std::to_string(need) +
                                           " units of sku '" + lines[l].sku + "' unplaced");
    assigned[l] = true;
  }

  std::vector<Shipment> out;
  for (size_t w : ranked) {
    if (!used[w]) continue;
    Shipment s;
    s.warehouse_id = ws[w].id;
    for (size_t l = 0; l < lines.size(); ++l)
      if (take[w][l] > 0) s.items.push_back({lines[l].sku, take[w][l]});
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace commerce
