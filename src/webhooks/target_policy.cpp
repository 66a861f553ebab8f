// TargetPolicy (target_policy.h). Every address is judged as 16 bytes of IPv6, IPv4 as
// ::ffff:a.b.c.d, so one allow-list serves both families; IPv6 forms that carry an IPv4
// address (mapped, compatible, NAT64, 6to4) are judged by the IPv4 address they reach.
#include "webhooks/target_policy.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

namespace commerce {

namespace {

using V6 = std::array<uint8_t, 16>;

V6 Mapped(const uint8_t v4[4]) {
  V6 v{};
  v[10] = v[11] = 0xff;
  std::memcpy(v.data() + 12, v4, 4);
  return v;
}

bool IsMapped(const V6& v) {
  for (int i = 0; i < 10; ++i)
    if (v[i]) return false;
  return v[10] == 0xff && v[11] == 0xff;
}

bool AllZero(const V6& v, int from, int to) {
  for (int i = from; i < to; ++i)
    if (v[i]) return false;
  return true;
}

// The IPv4 address an IPv6 address leads to, as mapped; the address itself otherwise.
V6 Effective(const V6& v) {
  if (IsMapped(v)) return v;
  // ::a.b.c.d (deprecated "compatible"), but not :: and ::1, judged as themselves.
  if (AllZero(v, 0, 12) && !(AllZero(v, 12, 15) && v[15] <= 1)) return Mapped(v.data() + 12);
  // 64:ff9b::/96, the well-known NAT64 prefix: a translator forwards to the IPv4 address.
  static const uint8_t kNat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
  if (std::memcmp(v.data(), kNat64, 12) == 0) return Mapped(v.data() + 12);
  // 2002:a.b.c.d::/48, 6to4: the relay reaches a.b.c.d.
  if (v[0] == 0x20 && v[1] == 0x02) return Mapped(v.data() + 2);
  return v;
}

bool InPrefix(const V6& v, const V6& base, int bits) {
  int i = 0;
  for (; bits >= 8; bits -= 8, ++i)
    if (v[i] != base[i]) return false;
  if (bits == 0) return true;
  const uint8_t mask = static_cast<uint8_t>(0xff << (8 - bits));
  return (v[i] & mask) == (base[i] & mask);
}

std::string Text(const V6& v) {
  char buf[INET6_ADDRSTRLEN] = {0};
  if (IsMapped(v)) inet_ntop(AF_INET, v.data() + 12, buf, sizeof buf);
  else inet_ntop(AF_INET6, v.data(), buf, sizeof buf);
  return buf;
}

// Why a (mapped or IPv6) address is not globally routable unicast; nullptr when it is.
const char* DeniedRange(const V6& v) {
  if (IsMapped(v)) {
    const uint8_t a = v[12], b = v[13], c = v[14];
    if (a == 0) return "in 0.0.0.0/8 ('this network')";
    if (a == 10 || (a == 172 && (b & 0xf0) == 16) || (a == 192 && b == 168)) return "private (RFC 1918)";
    if (a == 100 && (b & 0xc0) == 64) return "shared address space (carrier-grade NAT, 100.64.0.0/10)";
    if (a == 127) return "loopback";
    if (a == 169 && b == 254) return "link-local (169.254.0.0/16, where clouds serve instance metadata)";
    if (a == 192 && b == 0 && c == 0) return "reserved for IETF protocol assignments (192.0.0.0/24)";
    if ((a == 192 && b == 0 && c == 2) || (a == 198 && b == 51 && c == 100) || (a == 203 && b == 0 && c == 113))
      return "reserved for documentation";
    if (a == 198 && (b & 0xfe) == 18) return "reserved for benchmarking (198.18.0.0/15)";
    if ((a & 0xf0) == 224) return "multicast";
    if ((a & 0xf0) == 240) return "reserved (240.0.0.0/4, broadcast included)";
    return nullptr;
  }
  if (AllZero(v, 0, 15) && v[15] == 0) return "unspecified (::)";
  if (AllZero(v, 0, 15) && v[15] == 1) return "loopback";
  if ((v[0] & 0xfe) == 0xfc) return "unique-local (fc00::/7, private)";
  if (v[0] == 0xfe && (v[1] & 0xc0) == 0x80) return "link-local (fe80::/10)";
  if (v[0] == 0xfe && (v[1] & 0xc0) == 0xc0) return "site-local (fec0::/10, private)";
  if (v[0] == 0xff) return "multicast";
  if (v[0] == 0x20 && v[1] == 0x01 && v[2] == 0x0d && v[3] == 0xb8) return "reserved for documentation";
  if (v[0] == 0x01 && AllZero(v, 1, 8)) return "the discard prefix (100::/64)";
  return nullptr;
}

bool ParseAddress(std::string_view text, V6* out, bool* v4) {
  const std::string s(text);
  uint8_t buf[16];
  if (inet_pton(AF_INET, s.c_str(), buf) == 1) {
    *out = Mapped(buf);
    *v4 = true;
    return true;
  }
  if (inet_pton(AF_INET6, s.c_str(), buf) == 1) {
    std::memcpy(out->data(), buf, 16);
    *v4 = false;
    return true;
  }
  return false;
}

}  // namespace

Result<TargetPolicy> TargetPolicy::Make(const std::vector<std::string>& allowed) {
  TargetPolicy p;
  for (size_t i = 0; i < allowed.size(); ++i) {
    const std::string& entry = allowed[i];
    const std::string where = "webhooks.allowed_networks[" + std::to_string(i) + "]";
    const size_t slash = entry.find('/');
    Network n;
    bool v4 = false;
    if (!ParseAddress(std::string_view(entry).substr(0, slash), &n.base, &v4))
      return Status::InvalidArgument(where + ": \"" + entry.substr(0, 64) +
                                     "\" is not an IPv4 or IPv6 network (like 10.0.0.0/8 or fd00::/8)");
    const int max_bits = v4 ? 32 : 128;
    int bits = max_bits;
    if (slash != std::string::npos) {
      const std::string len = entry.substr(slash + 1);
      if (len.empty() || len.size() > 3 || len.find_first_not_of("0123456789") != std::string::npos ||
          std::stoi(len) > max_bits)
        return Status::InvalidArgument(where + ": \"" + entry.substr(0, 64) + "\": the prefix length must be 0.." +
                                       std::to_string(max_bits));
      bits = std::stoi(len);
    }
    n.prefix_bits = bits + (v4 ? 96 : 0);
    V6 masked{};
    for (int b = 0; b < n.prefix_bits; ++b)
      if (n.base[b / 8] & (0x80 >> (b % 8))) masked[b / 8] |= static_cast<uint8_t>(0x80 >> (b % 8));
    if (masked != n.base)
      return Status::InvalidArgument(where + ": \"" + entry.substr(0, 64) + "\" has bits set past its /" +
                                     std::to_string(bits) + " (did you mean " + Text(masked) + "/" +
                                     std::to_string(bits) + "?)");
    p.allowed_.push_back(n);
  }
  return p;
}

std::string TargetPolicy::Judge(const V6& raw) const {
  const V6 v = Effective(raw);
  for (const Network& n : allowed_)
    if (InPrefix(raw, n.base, n.prefix_bits) || InPrefix(v, n.base, n.prefix_bits)) return "";
  const char* why = DeniedRange(v);
  if (!why) return "";
  std::string out = Text(raw);
  if (v != raw) out += " (reaching " + Text(v) + ")";
  out += " is ";
  out += why;
  out += ": webhooks are not delivered there unless the operator allows the network "
         "(WebhookOptions::allowed_networks, commerce-server --webhook-allow-network)";
  return out;
}

std::string TargetPolicy::Refusal(const sockaddr* addr) const {
  if (!addr) return "no address";
  if (addr->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(addr);
    return Judge(Mapped(reinterpret_cast<const uint8_t*>(&in->sin_addr)));
  }
  if (addr->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(addr);
    V6 v;
    std::memcpy(v.data(), &in6->sin6_addr, 16);
    return Judge(v);
  }
  return "address family " + std::to_string(addr->sa_family) + " is not IPv4 or IPv6";
}

std::string TargetPolicy::RefusalOfLiteral(std::string_view host) const {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const size_t zone = host.find('%');  // fe80::1%eth0
  if (zone != std::string_view::npos) host = host.substr(0, zone);
  V6 v;
  bool v4 = false;
  if (ParseAddress(host, &v, &v4)) return Judge(v);
  // The resolver also takes IPv4 in the old forms ("2130706433", "0x7f.1", "127.1").
  in_addr a{};
  if (inet_aton(std::string(host).c_str(), &a) == 1) return Judge(Mapped(reinterpret_cast<const uint8_t*>(&a)));
  return "";
}

}  // namespace commerce
