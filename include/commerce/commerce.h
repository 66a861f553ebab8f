// The umbrella header: everything a program needs to embed commerce.
#pragma once

#include "commerce/catalog.h"
#include "commerce/engine.h"
#include "commerce/events.h"
#include "commerce/money.h"
#include "commerce/status.h"
#include "commerce/storage.h"
#include "commerce/version.h"
