// The background consumer that expires carts untouched for EngineCore::cart_ttl: it keeps the
// cart_expiry index from Cart* events and, on each tick, deletes the carts whose time has
// come (writing CartExpired). Carts are never expired by the caller's own requests.
#pragma once

#include <memory>

#include "engine/background.h"

namespace commerce {

class EngineCore;

std::unique_ptr<BackgroundConsumer> MakeCartExpiryConsumer(EngineCore* core);

}  // namespace commerce
