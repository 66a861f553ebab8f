// The umbrella header: everything a program needs to embed commerce.
#pragma once

#include "commerce/cart.h"
#include "commerce/catalog.h"
#include "commerce/customer.h"
#include "commerce/engine.h"
#include "commerce/events.h"
#include "commerce/inventory.h"
#include "commerce/money.h"
#include "commerce/order.h"
#include "commerce/pricing.h"
#include "commerce/sample.h"
#include "commerce/search.h"
#include "commerce/status.h"
#include "commerce/storage.h"
#include "commerce/verify.h"
#include "commerce/version.h"
#include "commerce/webhooks.h"
