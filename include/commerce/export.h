// Symbol visibility. The library is built with -fvisibility=hidden; only what is marked
// COMMERCE_EXPORT is part of the ABI.
#pragma once

#if defined(COMMERCE_SHARED_LIBRARY)
#define COMMERCE_EXPORT __attribute__((visibility("default")))
#else
#define COMMERCE_EXPORT __attribute__((visibility("default")))
#endif
