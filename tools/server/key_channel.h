// Holding a request made with a key limited to a channel (`channel=ID` in the keys file,
// Request::key_channel) to that channel, for the routes that name or reach one: carts and
// orders are made in it, products it hides are absent, prices are its own, and a cart or an
// order of another channel is absent (404 worded as for none, so a key cannot even learn that
// one exists). docs/security.md, "Keys limited to a channel".
//
// A key without a channel passes every check unchanged.
//
// Thread safety: free functions over the engine (thread-safe) and one request.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "commerce/commerce.h"
#include "http_message.h"

namespace commerce::server {

// The channel a request asks for (`field` names it: "body.channel", "channel"), held to the
// key's: empty takes the key's channel; another is a 403 saying which the key is limited to.
// std::nullopt when the request may go on (with *channel set).
std::optional<Response> HoldToKeyChannel(const Request& r, std::string_view field, std::string* channel);

// A product read for the request: with a channel key, NotFound(`not_found`) when the channel
// does not show it (or no longer exists), as for a product that does not exist.
Result<Product> ShownToKey(Engine& engine, const Request& r, Result<Product> p, std::string not_found);

// OK when the key may reach cart `cart_id`: no channel, or the cart is in the key's channel.
// NotFound worded as for a cart that does not exist otherwise (and when it does not).
Status CartInKeyChannel(Engine& engine, const Request& r, const std::string& cart_id);

// As CartInKeyChannel, for an order already read.
Status OrderInKeyChannel(const Request& r, const Order& o);

}  // namespace commerce::server
