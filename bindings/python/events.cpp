// Binds include/commerce/events.h: the event log, its tail and durable consumer cursors.
#include "commerce/events.h"

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

  py::class_<Events>(m, "Events",
                     "The event log (Engine.events). Safe from any number of threads; every "
                     "call releases the GIL.")
      .def("tail", &Events::tail, py::arg("from_seq"), py::arg("limit") = 1000, ReleaseGil(),
           "Up to limit (1..10000) events with seq >= from_seq, in order. See iter() and follow().")
      .def("last_seq", &Events::last_seq, ReleaseGil(), "The newest event's seq; 0 when empty.")
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
          py::arg("consumer"), py::arg("seq"), py::arg("sync") = true, ReleaseGil(),
          "Stores a consumer's cursor (names: 1..64 of [a-z0-9_.-]); sync=False lets it ride "
          "along with the next durable write.");
}

}  // namespace commerce::python
