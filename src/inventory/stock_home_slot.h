// The slot a process's orders reserve a split stock from first: its home slot (docs/orders.md,
// "A hot SKU"). Every order a process places on a split stock starts at that process's home
// slot and moves on round the ring only when the slot cannot cover it, so the orders of one
// process's group of change sets touch one slot row, and two processes -- whose home slots
// differ -- touch disjoint rows while their slots last. On PostgreSQL that is what lets two
// processes' groups on one hot SKU take different record locks (docs/scaling.md, "Groups of
// change sets side by side"); on a local store (one process, one writer) every order starts
// at slot 0, and a split order reads what a plain one does, plus its slots' counts.
//
// The number comes from the store: each engine opened on a store that other processes share
// (a kRemote driver) takes the next value of a counter in the meta table, so processes opened
// one after another get 0, 1, 2, ... The home slot of number n spreads them over the ring
// (0, 1/2, 1/4, 3/4, ... of it), so the first processes' homes are far apart and one that
// drains its home falls over into slots no other process starts from. Numbers grow with every
// open; two live processes whose numbers differ by a multiple of the slot count share a home,
// which costs speed, never units (the writer's checked add refuses a drained slot).
//
// Thread safety: HomeSlot is a pure function; TakeSlotHomeNumber writes through the storage,
// from any thread but the writer's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "commerce/storage.h"

namespace commerce {

// The meta key of the counter TakeSlotHomeNumber advances (a KeyBuilder u64 value).
std::string SlotHomeCounterKey();

// The next number of the store's counter, which this call advances by one: one write.
Result<uint64_t> TakeSlotHomeNumber(Storage& storage, Table meta);

// The home slot of process number `n` among `slots` slots (0 when slots is 0).
size_t HomeSlot(uint64_t n, size_t slots);

}  // namespace commerce
