#include "inventory/stock_home_slot.h"

#include "common/key.h"

namespace commerce {

std::string SlotHomeCounterKey() { return KeyBuilder().str("counter").str("stock_slot_homes").key(); }

Result<uint64_t> TakeSlotHomeNumber(Storage& storage, Table meta) {
  const std::string key = SlotHomeCounterKey();
  uint64_t n = 0;
  // A mutation, not a checked change: it reads and writes the one record in one go, so two
  // processes opening at once take different numbers.
  COMMERCE_RETURN_IF_ERROR(storage.write([&](WriteTxn& txn) -> Status {
    n = 0;
    std::string_view bytes;
    Status s = txn.get(meta, key, &bytes);
    if (s.ok()) {
      KeyReader r(bytes);
      auto stored = r.u64();
      if (!stored || !r.done())
        return Status::Corruption("meta: the stock slot home counter does not decode (" +
                                  std::to_string(bytes.size()) + " bytes)");
      n = *stored;
    } else if (!s.IsNotFound()) {
      return s;
    }
    return txn.put(meta, key, KeyBuilder().u64(n + 1).key());
  }));
  return n;
}

size_t HomeSlot(uint64_t n, size_t slots) {
  // The bits of n's low 32 reversed, read as a fraction of the ring: 0, 1/2, 1/4, 3/4, 1/8...
  uint32_t x = static_cast<uint32_t>(n), reversed = 0;
  for (int bit = 0; bit < 32; ++bit, x >>= 1) reversed = (reversed << 1) | (x & 1);
  return static_cast<size_t>((static_cast<uint64_t>(reversed) * slots) >> 32);
}

}  // namespace commerce
