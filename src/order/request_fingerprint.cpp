#include "order/request_fingerprint.h"

#include <algorithm>
#include <cstdio>

namespace commerce {

namespace {

class Hasher {
 public:
  // Each field is length-prefixed, so ("ab", "c") and ("a", "bc") differ.
  void Add(std::string_view s) {
    AddU64(s.size());
    for (unsigned char c : s) Byte(c);
  }
  void AddU64(uint64_t v) {
    for (int i = 0; i < 8; ++i) Byte(static_cast<unsigned char>(v >> (8 * i)));
  }
  uint64_t Finish() const {
    // splitmix64's finaliser: spreads FNV's weak high bits over the whole word.
    uint64_t z = h_;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

 private:
  void Byte(unsigned char c) {
    h_ ^= c;
    h_ *= 0x100000001b3ULL;
  }
  uint64_t h_ = 0xcbf29ce484222325ULL;
};

}  // namespace

std::string RequestFingerprint(const PlaceOrder& r) {
  Hasher h;
  h.Add("place-order/1");  // the encoding's version: bump it if the fields below change
  h.Add(r.customer_id);
  h.Add(r.cart_id);
  h.Add(r.currency);
  std::vector<const OrderLineRequest*> lines;
  for (const auto& l : r.lines) lines.push_back(&l);
  std::sort(lines.begin(), lines.end(),
            [](const OrderLineRequest* a, const OrderLineRequest* b) { return a->sku < b->sku; });
  h.AddU64(lines.size());
  for (const auto* l : lines) {
    h.Add(l->sku);
    h.AddU64(static_cast<uint64_t>(l->quantity));
  }
  const Address& a = r.shipping_address;
  for (const std::string* f : {&a.name, &a.line1, &a.line2, &a.city, &a.postal_code, &a.region,
                               &a.country})
    h.Add(*f);
  // Coupon codes (in the stored, upper-case form, sorted) only when given, so that a request
  // without them keeps the fingerprint it had before coupons existed (a retry after an
  // upgrade still finds its order).
  if (!r.coupon_codes.empty()) {
    std::vector<std::string> codes;
    for (const auto& c : r.coupon_codes) {
      std::string up = c;
      for (char& ch : up)
        if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
      codes.push_back(std::move(up));
    }
    std::sort(codes.begin(), codes.end());
    h.Add("coupons");
    h.AddU64(codes.size());
    for (const auto& c : codes) h.Add(c);
  }
  // The channel likewise only when given (price lists, price_lists.h).
  if (!r.channel.empty()) {
    h.Add("channel");
    h.Add(r.channel);
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h.Finish()));
  return buf;
}

}  // namespace commerce
