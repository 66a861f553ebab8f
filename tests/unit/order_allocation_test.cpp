// Tests of allocation (src/order/allocation.cpp), a pure function: the ranking (region, then
// priority, then id), one warehouse when one can ship everything, greedy fewest shipments,
// splitting only lines no warehouse holds in full, OutOfStock, and properties over many
// random instances.
#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "order/allocation.h"

namespace order_allocation_test {

namespace {

using commerce::AllocationLine;
using commerce::AllocationWarehouse;
using commerce::Allocate;
using commerce::Code;
using commerce::Shipment;
using commerce::ShipmentItem;

AllocationWarehouse W(std::string id, std::string region, int32_t priority,
                      std::map<std::string, int64_t> available) {
  return AllocationWarehouse{std::move(id), std::move(region), priority, std::move(available)};
}

std::vector<Shipment> MustAllocate(const std::vector<AllocationLine>& lines,
                                   const std::vector<AllocationWarehouse>& ws,
                                   const std::string& region) {
  auto r = Allocate(lines, ws, region);
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  return *r;
}

Shipment S(std::string warehouse, std::vector<ShipmentItem> items) {
  return Shipment{std::move(warehouse), std::move(items)};
}

}  // namespace

TEST_CASE("allocation: one warehouse in the address's region beats a higher priority elsewhere",
          "[orders][allocation]") {
  std::vector<AllocationWarehouse> ws = {
      W("far", "eu-west", 100, {{"A", 10}, {"B", 10}}),
      W("near", "us-east", 1, {{"A", 10}, {"B", 10}}),
  };
  auto s = MustAllocate({{"A", 2}, {"B", 1}}, ws, "us-east");
  CHECK(s == std::vector<Shipment>{S("near", {{"A", 2}, {"B", 1}})});
  // Shipping to Europe, the European one wins.
  s = MustAllocate({{"A", 2}, {"B", 1}}, ws, "eu-west");
  CHECK(s == std::vector<Shipment>{S("far", {{"A", 2}, {"B", 1}})});
}

TEST_CASE("allocation: among equals, priority then id decide", "[orders][allocation]") {
  std::vector<AllocationWarehouse> ws = {
      W("w-c", "us-east", 5, {{"A", 10}}),
      W("w-b", "us-east", 9, {{"A", 10}}),
      W("w-a", "us-east", 9, {{"A", 10}}),
      W("w-0", "us-west", 50, {{"A", 10}}),
  };
  CHECK(MustAllocate({{"A", 1}}, ws, "us-east") == std::vector<Shipment>{S("w-a", {{"A", 1}})});
  // No warehouse in the region: priority alone, then id.
  CHECK(MustAllocate({{"A", 1}}, ws, "ap-south") == std::vector<Shipment>{S("w-0", {{"A", 1}})});
  ws[3].priority = 9;
  CHECK(MustAllocate({{"A", 1}}, ws, "ap-south") == std::vector<Shipment>{S("w-0", {{"A", 1}})});
  ws[3].id = "w-z";
  CHECK(MustAllocate({{"A", 1}}, ws, "ap-south") == std::vector<Shipment>{S("w-a", {{"A", 1}})});
}

TEST_CASE("allocation: one warehouse anywhere beats two in the region", "[orders][allocation]") {
  std::vector<AllocationWarehouse> ws = {
      W("near-1", "us-east", 9, {{"A", 10}}),
      W("near-2", "us-east", 9, {{"B", 10}}),
      W("far", "eu-west", 0, {{"A", 5}, {"B", 5}}),
  };
  CHECK(MustAllocate({{"A", 5}, {"B", 5}}, ws, "us-east") ==
        std::vector<Shipment>{S("far", {{"A", 5}, {"B", 5}})});
  // One unit more than "far" holds: two shipments from the region.
  CHECK(MustAllocate({{"A", 6}, {"B", 5}}, ws, "us-east") ==
        std::vector<Shipment>{S("near-1", {{"A", 6}}), S("near-2", {{"B", 5}})});
}

TEST_CASE("allocation: greedy set cover takes the warehouse covering most lines first",
          "[orders][allocation]") {
  // w1 covers A and B, w3 covers C and D, w2 covers A, C and D: {w2, ?}: w2 then w1 for B.
  std::vector<AllocationWarehouse> ws = {
      W("w1", "r", 0, {{"A", 5}, {"B", 5}}),
      W("w2", "r", 0, {{"A", 5}, {"C", 5}, {"D", 5}}),
      W("w3", "r", 0, {{"C", 5}, {"D", 5}}),
  };
  auto s = MustAllocate({{"A", 1}, {"B", 1}, {"C", 1}, {"D", 1}}, ws, "r");
  CHECK(s == std::vector<Shipment>{S("w1", {{"B", 1}}), S("w2", {{"A", 1}, {"C", 1}, {"D", 1}})});
}

TEST_CASE("allocation: ties in the greedy step go to the better-ranked warehouse",
          "[orders][allocation]") {
  std::vector<AllocationWarehouse> ws = {
      W("x", "r", 1, {{"A", 5}}),
      W("y", "r", 2, {{"A", 5}}),
      W("z", "other", 9, {{"A", 5}}),
      W("b-only", "r", 0, {{"B", 5}}),
  };
  // A can come from x, y or z (each covers one line): y is best ranked (region, priority 2).
  CHECK(MustAllocate({{"A", 3}, {"B", 2}}, ws, "r") ==
        std::vector<Shipment>{S("y", {{"A", 3}}), S("b-only", {{"B", 2}})});
}

TEST_CASE("allocation: a line is split only when no warehouse holds all of it",
          "[orders][allocation]") {
  SECTION("one warehouse holds it all, even if another is better ranked") {
    std::vector<AllocationWarehouse> ws = {
        W("best", "r", 9, {{"A", 4}}),
        W("big", "x", 0, {{"A", 10}}),
    };
    CHECK(MustAllocate({{"A", 10}}, ws, "r") == std::vector<Shipment>{S("big", {{"A", 10}})});
  }
  SECTION("no warehouse holds it all: the largest holdings first, fewest parcels") {
    std::vector<AllocationWarehouse> ws = {
        W("small", "r", 9, {{"A", 2}}),
        W("mid", "r", 0, {{"A", 5}}),
        W("large", "x", 0, {{"A", 6}}),
    };
    CHECK(MustAllocate({{"A", 10}}, ws, "r") ==
          std::vector<Shipment>{S("mid", {{"A", 4}}), S("large", {{"A", 6}})});
  }
  SECTION("units come from warehouses already shipping before new ones") {
    // A goes whole to w1 (greedy); B is held whole nowhere: w1's 4 first (no new parcel),
    // then the rest from the new warehouse with the most B (w3).
    std::vector<AllocationWarehouse> ws = {
        W("w1", "r", 0, {{"A", 5}, {"B", 4}}),
        W("w2", "r", 5, {{"B", 6}}),
        W("w3", "r", 0, {{"B", 9}}),
    };
    CHECK(MustAllocate({{"A", 5}, {"B", 10}}, ws, "r") ==
          std::vector<Shipment>{S("w1", {{"A", 5}, {"B", 4}}), S("w3", {{"B", 6}})});
  }
}

TEST_CASE("allocation: OutOfStock names the first short SKU, what exists and what was asked",
          "[orders][allocation]") {
  std::vector<AllocationWarehouse> ws = {
      W("w1", "r", 0, {{"A", 3}, {"B", 1}}),
      W("w2", "r", 0, {{"A", 4}, {"B", 0}, {"C", -2}}),
  };
  auto r = Allocate({{"A", 7}, {"B", 2}, {"C", 1}}, ws, "r");
  CHECK(r.status().code() == Code::kOutOfStock);
  CHECK(r.status().message() == "sku 'B': 1 available in total, 2 requested");
  r = Allocate({{"A", 8}}, ws, "r");
  CHECK(r.status().message() == "sku 'A': 7 available in total, 8 requested");
  r = Allocate({{"C", 1}}, ws, "r");  // negative availability counts as none
  CHECK(r.status().message() == "sku 'C': 0 available in total, 1 requested");
  r = Allocate({{"A", 1}}, {}, "r");
  CHECK(r.status().message() == "sku 'A': 0 available in total, 1 requested");
  // Availability up to the stock limit in many warehouses does not overflow the sum.
  std::vector<AllocationWarehouse> huge;
  for (int i = 0; i < 4; ++i)
    huge.push_back(W("h" + std::to_string(i), "r", 0, {{"A", int64_t{1} << 62}}));
  CHECK(MustAllocate({{"A", 1'000'000}}, huge, "r").size() == 1);
}

TEST_CASE("allocation: properties over random instances", "[orders][allocation]") {
  std::mt19937 rng(20240611);
  const std::vector<std::string> skus = {"A", "B", "C", "D", "E"};
  const std::vector<std::string> regions = {"r1", "r2", "r3"};
  int single = 0, split = 0, out_of_stock = 0;
  for (int round = 0; round < 2000; ++round) {
    CAPTURE(round);
    std::vector<AllocationWarehouse> ws;
    const int n_ws = 1 + static_cast<int>(rng() % 6);
    for (int w = 0; w < n_ws; ++w) {
      AllocationWarehouse aw = W("w" + std::to_string(w), regions[rng() % 3],
                                 static_cast<int32_t>(rng() % 3), {});
      for (const auto& sku : skus)
        if (rng() % 2) aw.available[sku] = static_cast<int64_t>(rng() % 8);
      ws.push_back(aw);
    }
    std::vector<AllocationLine> lines;
    for (const auto& sku : skus)
      if (rng() % 2) lines.push_back({sku, 1 + static_cast<int64_t>(rng() % 8)});
    if (lines.empty()) lines.push_back({"A", 1});
    const std::string region = regions[rng() % 3];

    auto avail = [&](const std::string& w, const std::string& sku) -> int64_t {
      for (const auto& aw : ws)
        if (aw.id == w) {
          auto it = aw.available.find(sku);
          return it == aw.available.end() ? 0 : it->second;
        }
      return 0;
    };
    auto r = Allocate(lines, ws, region);

    // The input order of warehouses does not matter.
    auto shuffled = ws;
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    auto again = Allocate(lines, shuffled, region);
    REQUIRE(again.ok() == r.ok());
    if (r.ok()) CHECK(*again == *r);

    int64_t total_short = -1;
    for (const auto& l : lines) {
      int64_t total = 0;
      for (const auto& aw : ws) total += avail(aw.id, l.sku);
      if (total < l.quantity) { total_short = total; break; }
    }
    if (!r.ok()) {
      CHECK(r.status().code() == Code::kOutOfStock);
      CHECK(total_short >= 0);
      ++out_of_stock;
      continue;
    }
    CHECK(total_short == -1);
    // Every line shipped exactly, never more than a warehouse has, no empty parcels, no
    // warehouse twice.
    std::map<std::string, int64_t> shipped;
    std::set<std::string> seen;
    for (const auto& s : *r) {
      CHECK(seen.insert(s.warehouse_id).second);
      CHECK_FALSE(s.items.empty());
      for (const auto& item : s.items) {
        CHECK(item.quantity > 0);
        CHECK(item.quantity <= avail(s.warehouse_id, item.sku));
        shipped[item.sku] += item.quantity;
      }
    }
    for (const auto& l : lines) CHECK(shipped[l.sku] == l.quantity);
    // One warehouse when one can ship everything.
    bool one_can = false;
    for (const auto& aw : ws) {
      bool all = true;
      for (const auto& l : lines) all = all && avail(aw.id, l.sku) >= l.quantity;
      one_can = one_can || all;
    }
    CHECK((r->size() == 1) == one_can);
    if (one_can) ++single;
    // A line is split only if no warehouse holds all of it.
    for (const auto& l : lines) {
      int parcels = 0;
      for (const auto& s : *r)
        for (const auto& item : s.items) parcels += item.sku == l.sku;
      bool whole_somewhere = false;
      for (const auto& aw : ws) whole_somewhere = whole_somewhere || avail(aw.id, l.sku) >= l.quantity;
      if (parcels > 1) {
        CHECK_FALSE(whole_somewhere);
        ++split;
      }
    }
  }
  // The instances exercised every branch.
  CHECK(single > 100);
  CHECK(split > 100);
  CHECK(out_of_stock > 100);
}

}  // namespace order_allocation_test
