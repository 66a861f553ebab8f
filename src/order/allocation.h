// Allocation: which warehouses ship which units of an order. A pure function over what the
// caller read from the store, so every rule is tested without one (order_allocation_test).
//
// The rule (docs/orders.md has a worked example):
//   1. Warehouses are ranked: those in the shipping address's region first, then by
//      priority (higher first), then by id (ascending) so the choice is deterministic.
//   2. If any warehouse can ship every line in full, the best-ranked such warehouse ships
//      the whole order: one shipment.
//   3. Otherwise, greedy set cover: repeatedly take the warehouse that can ship the most of
//      the still-unassigned lines in full (ties broken by rank) and give it those lines,
//      until no warehouse can ship any remaining line in full.
//   4. A line left over is one no single warehouse holds in full: only then is it split,
//      taking units first from warehouses already shipping (by rank, adding no parcel), then
//      from new ones with the most of that SKU first (fewest new parcels), ties by rank.
// Greedy set cover is not always optimal (the exact problem is NP-hard) but is within a
// logarithmic factor and deterministic; with the handful of lines of a real order it finds
// the fewest shipments in practice.
//
// Thread safety: a pure function.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "commerce/order.h"
#include "commerce/status.h"

namespace commerce {

struct AllocationLine {
  std::string sku;
  int64_t quantity = 0;
};

struct AllocationWarehouse {
  std::string id;
  std::string region;
  int32_t priority = 0;
  std::map<std::string, int64_t> available;  // sku -> units available (absent: none)
};

// REQUIRES: lines have distinct SKUs and quantities >= 1; warehouses have distinct ids and
// are the active ones (inactive warehouses are never allocated from: leave them out).
// Returns the shipments, best-ranked warehouse first, items in line order; or OutOfStock
// naming the first line's SKU that the warehouses together cannot cover, with the units
// available in total and the units requested.
Result<std::vector<Shipment>> Allocate(const std::vector<AllocationLine>& lines,
                                       const std::vector<AllocationWarehouse>& warehouses,
                                       std::string_view region);

}  // namespace commerce
