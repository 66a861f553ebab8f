#include "events/event_log.h"

#include "common/codec.h"
#include "common/key.h"

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
}  // namespace
}  // namespace commerce

CEREAL_CLASS_VERSION(commerce::EventRecord, 1);

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

Status DecodeEvent(std::string_view key, std::string_view value, Event* out) {
  auto seq = KeyReader(key).u64();
  if (!seq || key.size() != 8)
    return RecordCorruption("events", key, "the key is not a sequence number");
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
