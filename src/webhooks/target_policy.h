// Which addresses a webhook may be delivered to (issue 15, defect 4: SSRF). A subscriber
// names a URL; without this policy it could aim the engine's POSTs at the engine's own
// network — loopback services, a cloud's metadata endpoint (169.254.169.254), private ranges
// — and read what answers through the failures API.
//
// The policy is applied to the socket address libcurl is about to connect to (HttpPoster's
// open-socket callback), after DNS resolution, so a name that resolves (or re-resolves, DNS
// rebinding) to a denied address is refused at the moment it would be used. Subscribe checks
// IP literals and `localhost` early, for a clear error; names are checked at delivery.
//
// Denied unless an operator allows them (WebhookOptions::allowed_networks, commerce-server
// --webhook-allow-network): every address that is not globally routable unicast —
//   IPv4  0/8 10/8 100.64/10 127/8 169.254/16 172.16/12 192.0.0/24 192.0.2/24 192.168/16
//         198.18/15 198.51.100/24 203.0.113/24 224/4 240/4 (with 255.255.255.255)
//   IPv6  :: ::1 fc00::/7 fe80::/10 fec0::/10 ff00::/8 2001:db8::/32 100::/64, and the IPv4
//         address inside ::ffff:0:0/96, ::/96, 64:ff9b::/96 and 2002::/16 judged as IPv4.
//
// Thread safety: immutable once made; share it freely.
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "commerce/status.h"

namespace commerce {

class TargetPolicy {
 public:
  // `allowed`: CIDR networks ("10.0.0.0/8", "127.0.0.1/32", "fd00::/8", or a bare address
  // for one host) where delivery is allowed even though the range is denied.
  // InvalidArgument naming the entry that does not parse.
  static Result<TargetPolicy> Make(const std::vector<std::string>& allowed);

  // "" when a POST may connect to `addr`; else why not, for the delivery's error
  // ("169.254.169.254 is link-local (cloud metadata)...").
  std::string Refusal(const sockaddr* addr) const;
  // The same for an address in text ("10.1.2.3", "::1"); "" too for text that is not an
  // address (a host name: checked when it is resolved).
  std::string RefusalOfLiteral(std::string_view host) const;

 private:
  struct Network {
    std::array<uint8_t, 16> base{};  // IPv6, or IPv4-mapped (::ffff:a.b.c.d)
    int prefix_bits = 0;             // of the 128
  };
  std::string Judge(const std::array<uint8_t, 16>& v6) const;

  std::vector<Network> allowed_;
};

}  // namespace commerce
