// Events whose data ends with counters that only the writer knows: a stock event written by a
// change set says what on_hand and reserved became, and the set reserves with a conditional
// change (ChangeSet::add) whose result the preparing thread cannot know. The writer appends the
// counters of that add to the event (ChangeSet::append's counters_of), and DecodeEvent adds them
// to the data as `"name":value` members at its end -- so readers see the same JSON a mutation
// writes (docs/events.md). Stored in a tailed envelope (common/record_tail.h).
//
// Thread safety: as the ChangeSet it adds to (one thread).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "commerce/storage.h"

namespace commerce {

// `data` is a JSON object (EventJson); `counters_of` the index, among the set's adds, of the
// add whose counters (all `counters_size` of them) the writer appends; the first
// counter_names.size() of them are added to the data under those names.
void AppendCountedEvent(ChangeSet& changes, Table events, std::string_view type,
                        std::string_view subject, std::string data, int64_t time_ms,
                        int32_t counters_of, uint8_t counters_size,
                        std::vector<std::string> counter_names);

}  // namespace commerce
