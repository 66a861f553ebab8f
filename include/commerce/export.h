// Symbol visibility. The library is built with -fvisibility=hidden; only what is marked
// COMMERCE_EXPORT is part of the ABI.
#pragma once

#define COMMERCE_EXPORT [[gnu::visibility("default")]]
