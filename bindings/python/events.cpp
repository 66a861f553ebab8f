// Binds include/commerce/events.h: the event log, its tail and durable consumer cursors.
#include "commerce/events.h"

#include <optional>

#include "bind.h"

namespace commerce::python {

void BindEvents(py::module_& m) {
  Value<Event>(m, "Event", "One entry of the event log (docs/events.md).")
      .field("seq", &Event::seq, "Sequence: from 1, +1 per event, in commit order.")
      .field("type", &Event::type, "'ProductUpserted', 'OrderPlaced', ...")
      .field("subject", &Event::subject, "The id of what changed.")
      .field("time_ms", &Event::time_ms, "Wall-clock time of the change, ms since the epoch.")
      .field("data", &Event::data, "A JSON object (text) with the change's details; see json().")
      .def(
          "json",
          [](const Event& e) {
            return py::module_::import("json").attr("loads")(
                ToPython(e.data, py::return_value_policy::copy, py::handle(), "Event.json"));
          },
          "data parsed into a dict.");

  Value<EventRetention>(m, "EventRetention",
                        "Which events may be trimmed (EngineOptions.event_retention, Events.trim): "
                        "those every durable consumer has passed that are older than max_age OR "
                        "beyond the newest max_count; 0 turns a limit off (docs/events.md, "
                        "'Retention').")
      .field("max_age", &EventRetention::max_age, "A timedelta (or seconds); 0: no age limit.")
      .field("max_count", &EventRetention::max_count, "Events kept at most; 0: no count limit.")
      .field("interval", &EventRetention::interval,
             "How often the engine's background thread trims (1 s .. 1 day).");
  Value<EventTrimReport>(m, "EventTrimReport", "What Events.trim did.")
      .field("removed", &EventTrimReport::removed, "Events deleted.")
      .field("first_seq", &EventTrimReport::first_seq, "The horizon after the trim: the oldest event kept.")
      .field("last_seq", &EventTrimReport::last_seq, "The newest event.")
      .field("held_by", &EventTrimReport::held_by,
             "What kept the horizon from moving further: '', 'cursor:<name>', "
             "'webhook:<id>' or 'search-index'.");

  py::class_<Events>(m, "Events",
                     "The event log (Engine.events). Safe from any number of threads; every "
                     "call releases the GIL.")
      .def("tail", &Events::tail, py::arg("from_seq"), py::arg("limit") = 1000, ReleaseGil(),
           "Up to limit (1..10000) events with seq >= from_seq, in order; commerce.Gone when "
           "from_seq is below first_seq() (trimmed). See iter() and follow().")
      .def("last_seq", &Events::last_seq, ReleaseGil(), "The newest event's seq; 0 when empty.")
      .def("first_seq", &Events::first_seq, ReleaseGil(),
           "The horizon: the oldest event kept (1 until the log is trimmed). tail() below it "
           "raises commerce.Gone.")
      .def(
          "trim",
          [](Events& e, std::optional<std::chrono::milliseconds> max_age, uint64_t max_count) {
            EventRetention p;
            if (max_age) p.max_age = *max_age;
            p.max_count = max_count;
            return e.trim(p);
          },
          py::kw_only(), py::arg("max_age") = py::none(), py::arg("max_count") = 0, ReleaseGil(),
          "Removes, oldest first and in batches, the events every consumer has passed that are "
          "older than max_age (a timedelta or seconds) or beyond the newest max_count; returns "
          "an EventTrimReport. InvalidArgument when neither limit is given.")
      .def("wait", &Events::wait, py::arg("after"), py::arg("timeout"), ReleaseGil(),
           "Blocks (GIL released) until an event with seq > after exists or timeout (a "
           "timedelta or seconds) passes; returns last_seq().")
      .def("cursor", &Events::cursor, py::arg("consumer"), ReleaseGil(),
           "A consumer's durable cursor: the last seq it processed (0 if never set).")
      .def(
          "set_cursor",
          [](Events& e, const std::string& consumer, uint64_t seq, bool sync) {
            WriteOptions o;
            o.sync = sync;
            return e.set_cursor(consumer, seq, o);
          },
          py::arg("consumer"), py::arg("seq"), py::arg("sync").noconvert() = true, ReleaseGil(),
          "Stores a consumer's cursor (names: 1..64 of [a-z0-9_.-]); sync=False lets it ride "
          "along with the next durable write.");
}

}  // namespace commerce::python
