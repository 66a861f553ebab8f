// The stored events of one order, found in the event log with what the HTTP API offers: the
// long-poll tail (GET /v1/events?from=&limit=), which has no filter by subject. A filter would
// not make it bounded anyway (it would still walk the whole log); what makes it bounded is
// that the order records when each of its changes happened (its placement, created_at_ms, and
// each transition, history[].time_ms) with the same clock read that timed the change's events,
// and that the log is in commit order, so its times rise with seq, out of order only by how
// changes are timed when prepared and sequenced when committed: within a group commit.
//
// So, for each moment the order changed: a binary search over seq, one event a call, finds
// where the log reaches that moment; from BACK_OFF events before it (the slack of a group
// commit's order) a short read finds the change's events, written in the same transaction and
// so next to each other: the order's own (subject = its id) and the stock moves made for it
// (data.ref = its id). The reading of one moment stops after the change's run of events, at
// an event timed MARGIN_MS after the moment (it is not coming), or after SCAN_BUDGET events:
// about log2(events kept) + SCAN_BUDGET / PAGE calls a moment at most, whatever the log's
// size and however fast it is written. What it cannot find it says (a trimmed moment, a spent
// budget).

import { api } from "./api.js";

const MARGIN_MS = 2000;   // past this after the moment, its events are not coming
const BACK_OFF = 1000;    // events read before where the moment starts: commits out of time order
const PAGE = 200;         // events a read
const SCAN_BUDGET = 4000; // events read for one moment at most

// Whether `ev` is one of order `id`'s events: its own, or a stock move made for it.
function belongs(ev, id) {
  return ev.subject === id || (ev.type.startsWith("Stock") && ev.data && ev.data.ref === id);
}

// The events of the order's changes; {events: [event, ...] by seq, notes: [text, ...]}.
// Rejects with the API's error (a key without the admin scope: 403).
export async function storedEvents(order, signal) {
  const { data: head } = await api("GET", "/v1/events", { query: { limit: 1 }, signal });
  const notes = [];
  const found = new Map();  // seq -> event
  if (!head.events.length) return { events: [], notes };
  const oldest = head.events[0];
  // history[0] is the placement (at created_at_ms); two changes in one millisecond are two runs.
  const moments = new Map();  // time -> how many changes then
  for (const x of order.history) moments.set(x.time_ms, (moments.get(x.time_ms) || 0) + 1);
  for (const [t, runs] of [...moments].sort((a, b) => a[0] - b[0])) {
    if (t < oldest.time_ms - MARGIN_MS) {
      notes.push(`the events of ${new Date(t).toISOString()} were trimmed from the log (it starts at #${head.first_seq})`);
      continue;
    }
    const start = Math.max(head.first_seq, (await firstAtOrAfter(t, head.first_seq, head.last_seq, signal)) - BACK_OFF);
    if (!(await readMoment(order.id, t, runs, start, head.last_seq, found, signal)))
      notes.push(`the events of ${new Date(t).toISOString()} were not all found within ${SCAN_BUDGET} events of the log`);
  }
  return { events: [...found.values()].sort((a, b) => a.seq - b.seq), notes };
}

async function eventAt(seq, signal) {
  const { data } = await api("GET", "/v1/events", { query: { from: seq, limit: 1 }, signal });
  return data.events[0];
}

// The lowest seq in [lo, hi] whose event is timed at `t` or later (hi + 1 when none is).
async function firstAtOrAfter(t, lo, hi, signal) {
  let end = hi + 1;
  while (lo < end) {
    const mid = lo + Math.floor((end - lo) / 2);
    if ((await eventAt(mid, signal)).time_ms < t) lo = mid + 1;
    else end = mid;
  }
  return lo;
}

// Reads from `start` the events of the order's `runs` changes at `t` into `found`. True when
// each change's run of events was read to its end (or the log's).
async function readMoment(id, t, runs, start, last, found, signal) {
  let from = start;
  let read = 0;
  let done = 0;       // runs read to their end
  let inRun = false;  // the last event read was one of a change's at `t`
  while (from <= last && read < SCAN_BUDGET) {
    const { data } = await api("GET", "/v1/events", { query: { from, limit: PAGE }, signal });
    for (const ev of data.events) {
      ++read;
      if (belongs(ev, id)) {
        found.set(ev.seq, ev);
        inRun = inRun || ev.time_ms === t;
        continue;
      }
      if (inRun && ++done === runs) return true;
      inRun = false;
      if (ev.time_ms > t + MARGIN_MS) return false;
    }
    if (!data.events.length) break;
    from = data.next;
  }
  return from > last && done + (inRun ? 1 : 0) === runs;
}
