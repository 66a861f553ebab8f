// An event as it leaves the engine: the JSON object a webhook POSTs and a NATS message carries
// (docs/events.md, docs/webhooks.md), built in one place so that every outside reader gets
// the same fields:
//
//   {"id":1234,"type":"OrderPlaced","subject":"o-1","time_ms":1764780000000,"data":{...}}
//
// `id` is the event's sequence in the log: the de-duplication key everywhere.
#pragma once

#include <string>

#include "commerce/events.h"

namespace commerce {

std::string EventMessage(const Event& e);

}  // namespace commerce
