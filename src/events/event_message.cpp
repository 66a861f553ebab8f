#include "events/event_message.h"

#include "events/event_json.h"

namespace commerce {

std::string EventMessage(const Event& e) {
  return EventJson()
      .u64("id", e.seq)
      .str("type", e.type)
      .str("subject", e.subject)
      .i64("time_ms", e.time_ms)
      .raw("data", e.data.empty() ? "{}" : e.data)
      .done();
}

}  // namespace commerce
