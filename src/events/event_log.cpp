#include "events/event_log.h"

#include <algorithm>

#include "common/codec.h"
#include "common/key.h"
#include "common/record_tail.h"
#include "events/counted_event.h"

namespace commerce {

namespace {
// The stored form of an event; its key holds the sequence.
struct EventRecord {
  std::string type, subject, data;
  int64_t time_ms = 0;
  template <class Archive>
  void serialize(Archive& ar, std::uint32_t /*version*/) {
    ar(type, subject, data, time_ms);
  }
};

// The stored form of an event whose data ends with counters the writer fills in
// (counted_event.h): the record inside a tailed envelope (common/record_tail.h), which names
// the first counters of its tail.
struct CountedEventRecord {
  std::string type, subject, data;
  int64_t time_ms = 0;
  std::vector<std::string> counter_names;
  template <class Archive>
  void serialize(Archive& ar, std::uint32_t /*version*/) {
    ar(type, subject, data, time_ms, counter_names);
  }
};

// `data` (a JSON object) with `"name":value` members added at its end.
Result<std::string> WithCounters(std::string data, const std::vector<std::string>& names,
                                 const std::vector<int64_t>& values) {
  if (data.size() < 2 || data.front() != '{' || data.back() != '}' || names.size() > values.size())
    return Status::Corruption("a counted event's data is not an object with room for its counters");
  data.pop_back();
  bool first = data.size() == 1;
  for (size_t i = 0; i < names.size(); ++i) {
    if (!first) data.push_back(',');
    first = false;
    data += '"' + names[i] + "\":" + std::to_string(values[i]);
  }
  data.push_back('}');
  return data;
}
}  // namespace
}  // namespace commerce

CEREAL_CLASS_VERSION(commerce::EventRecord, 1);
CEREAL_CLASS_VERSION(commerce::CountedEventRecord, 1);

namespace commerce {

Result<uint64_t> LastEventSeq(ReadView& view, Table events) {
  auto c = view.cursor(events, CursorOptions{.reverse = true});
  c->seek_to_first();
  if (!c->valid()) {
    COMMERCE_RETURN_IF_ERROR(c->status());
    return uint64_t{0};
  }
  auto seq = KeyReader(c->key()).u64();
  if (!seq) return Status::Corruption("event log key is not a sequence number");
  return *seq;
}

Result<uint64_t> FirstEventSeq(ReadView& view, Table events) {
  auto c = view.cursor(events);
  c->seek_to_first();
  if (!c->valid()) {
    COMMERCE_RETURN_IF_ERROR(c->status());
    return uint64_t{1};
  }
  auto seq = KeyReader(c->key()).u64();
  if (!seq) return Status::Corruption("event log key is not a sequence number");
  return *seq;
}

Status CheckNotTrimmed(ReadView& view, Table events, uint64_t from, std::string_view what) {
  from = std::max<uint64_t>(from, 1);
  COMMERCE_ASSIGN_OR_RETURN(uint64_t first, FirstEventSeq(view, events));
  if (from >= first) return Status::OK();
  return Status::Gone(std::string(what) + " reads from event " + std::to_string(from) +
                      ", but events " + std::to_string(from) + ".." + std::to_string(first - 1) +
                      " were trimmed from the log: the oldest kept is " + std::to_string(first) +
                      " (first_seq)");
}

Result<uint64_t> AppendEvent(WriteTxn& txn, Table events, std::string_view type,
                             std::string_view subject, std::string data, int64_t time_ms) {
  // The log's keys are WriteTxn::append's (8 bytes big-endian, KeyBuilder().u64), so events
  // from mutations and from change sets share one sequence.
  EventRecord r{std::string(type), std::string(subject), std::move(data), time_ms};
  return txn.append(events, Encode(r));
}

void AppendEvent(ChangeSet& changes, Table events, std::string_view type,
                 std::string_view subject, std::string data, int64_t time_ms) {
  changes.append(events, Encode(EventRecord{std::string(type), std::string(subject), std::move(data), time_ms}));
}

void AppendCountedEvent(ChangeSet& changes, Table events, std::string_view type,
                        std::string_view subject, std::string data, int64_t time_ms,
                        int32_t counters_of, uint8_t counters_size,
                        std::vector<std::string> counter_names) {
  CountedEventRecord r{std::string(type), std::string(subject), std::move(data), time_ms,
                       std::move(counter_names)};
  changes.append(events, Tailed(Encode(r), counters_size, /*placeholder=*/false), counters_of);
}

Status DecodeEvent(std::string_view key, std::string_view value, Event* out) {
  auto seq = KeyReader(key).u64();
  if (!seq || key.size() != 8)
    return RecordCorruption("events", key, "the key is not a sequence number");
  if (IsTailed(value)) {
    COMMERCE_ASSIGN_OR_RETURN(TailedParts parts, SplitTailed(value, "events", key));
    CountedEventRecord r;
    COMMERCE_RETURN_IF_ERROR(Decode(parts.framed, &r, "events", key));
    auto data = WithCounters(std::move(r.data), r.counter_names, parts.numbers);
    if (!data.ok()) return RecordCorruption("events", key, data.status().message());
    out->seq = *seq;
    out->type = std::move(r.type);
    out->subject = std::move(r.subject);
    out->data = std::move(*data);
    out->time_ms = r.time_ms;
    return Status::OK();
  }
  EventRecord r;
  COMMERCE_RETURN_IF_ERROR(Decode(value, &r, "events", key));
  out->seq = *seq;
  out->type = std::move(r.type);
  out->subject = std::move(r.subject);
  out->data = std::move(r.data);
  out->time_ms = r.time_ms;
  return Status::OK();
}

}  // namespace commerce
