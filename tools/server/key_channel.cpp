#include "key_channel.h"

namespace commerce::server {

std::optional<Response> HoldToKeyChannel(const Request& r, std::string_view field, std::string* channel) {
  if (r.key_channel.empty()) return std::nullopt;
  if (channel->empty()) {
    *channel = r.key_channel;
    return std::nullopt;
  }
  if (*channel == r.key_channel) return std::nullopt;
  return ErrorResponse(403, "PERMISSION_DENIED",
                       std::string(field) + ": key \"" + r.key_name + "\" is limited to channel '" +
                           r.key_channel + "', not '" + *channel + "'");
}

Result<Product> ShownToKey(Engine& engine, const Request& r, Result<Product> p, std::string not_found) {
  if (!p.ok() || r.key_channel.empty()) return p;
  auto shown = engine.channels().visible(r.key_channel, p->id);
  if (shown.ok() && *shown) return p;
  // A channel removed since the key was loaded shows nothing; a store error stays an error.
  if (shown.ok() || shown.status().IsNotFound()) return Status::NotFound(std::move(not_found));
  return shown.status();
}

Status CartInKeyChannel(Engine& engine, const Request& r, const std::string& cart_id) {
  if (r.key_channel.empty()) return Status::OK();
  auto cart = engine.carts().get(cart_id);
  if (!cart.ok()) return cart.status();
  if (cart->channel == r.key_channel) return Status::OK();
  return Status::NotFound("cart_id: no cart with id '" + cart_id + "'");
}

Status OrderInKeyChannel(const Request& r, const Order& o) {
  if (r.key_channel.empty() || o.channel == r.key_channel) return Status::OK();
  return Status::NotFound("no order with id '" + o.id + "'");
}

}  // namespace commerce::server
