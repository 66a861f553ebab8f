// Checks of a channel before anything is read or written. Errors are InvalidArgument naming
// the field ("currencies[1]: ...").
//
// Thread safety: pure functions.
#pragma once

#include "commerce/channels.h"
#include "commerce/status.h"

namespace commerce {

// Every field but whether its warehouses and categories exist (the writer checks those).
Status ValidateChannel(const Channel& c);

}  // namespace commerce
