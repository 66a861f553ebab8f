// Orders: the orders so far (GET /v1/orders, followed page by page), then live from the event
// log (GET /v1/events/stream read with fetch: a new or changed order is read again with
// GET /v1/orders/{id}); an order's timeline (its transitions, and its events: those stored in
// the log, found by order_events.js, and those seen live since); and moving it on
// (POST /v1/orders/{id}/transitions with If-Match, scope admin); its payment and refunds
// (payment_panel.js) and its returns (returns_panel.js).
import { api, followEvents, may, keyScope } from "./api.js";
import { h, clear, money, when, say, errorText, gate } from "./dom.js";
import { storedEvents } from "./order_events.js";
import { paymentSection, loadPayment } from "./payment_panel.js";
import { returnsSection, loadReturns } from "./returns_panel.js";

const STATUSES = ["placed", "paid", "fulfilling", "shipped", "delivered", "cancelled", "returned", "refunded"];
const MAX_SHOWN = 500;

let root, table, liveState, detail;
const orders = new Map();   // id -> order
const events = new Map();   // id -> Map(seq -> event) seen live while the page was open
const stored = new Map();   // id -> {events, notes} | {error} | {loading: true}: from the log
let stop = null;
let truncated = false;

// How far back the list starts: the API lists oldest first, so the newest orders of a large
// store are found by asking for a recent window (created_from_ms) rather than every page.
const WINDOWS = [["1 hour", 3600e3], ["24 hours", 86400e3], ["7 days", 7 * 86400e3], ["30 days", 30 * 86400e3]];
const MAX_PAGES = 20;

export function mount(section) {
  root = section;
  liveState = h("span", { id: "orders-live", class: "badge" }, "not connected");
  table = h("div", { class: "scroll" });
  detail = h("div", { id: "order-detail", class: "panel", hidden: true });
  const since = h("select", { id: "orders-since", onchange: () => { hide(); show(); } },
    WINDOWS.map(([label, ms]) => h("option", { value: String(ms), selected: ms === 86400e3 }, label)));
  clear(root, h("h1", { id: "orders-title" }, "Orders"),
    h("div", { class: "toolbar" }, h("label", { for: "orders-since" }, "Placed in the last"), since,
      h("span", null, "Stream: ", liveState)),
    table, detail);
}

export async function show() {
  // The list, the stream and the event log need the admin scope: a narrower key is told so.
  if (!gate(root, may("admin"), "The orders list, its live stream and the orders' events", "admin", keyScope())) return;
  stop = new AbortController();
  const signal = stop.signal;
  try {
    // The log's end first, then the list: an order placed in between comes from the stream
    // (and is listed once, by id).
    const { data: tail } = await api("GET", "/v1/events", { query: { limit: 1 }, signal });
    const from = Date.now() - Number(root.querySelector("#orders-since").value);
    orders.clear();
    let cursor = "";
    let pages = 0;
    do {
      const { data } = await api("GET", "/v1/orders", { query: { limit: 200, cursor, created_from_ms: from }, signal });
      for (const o of data.items) orders.set(o.id, o);
      cursor = data.next_cursor;
    } while (cursor && ++pages < MAX_PAGES && !signal.aborted);
    // More than MAX_PAGES pages: the window holds more than the list shows (its oldest ones).
    truncated = !!cursor;
    render();
    followEvents(tail.last_seq + 1, onEvent, (s) => { liveState.textContent = s; liveState.classList.toggle("ok", s === "live"); }, signal);
  } catch (e) {
    if (!signal.aborted) clear(table, h("p", { class: "error" }, "Orders: " + errorText(e)));
  }
}

export function hide() {
  if (stop) stop.abort();
  stop = null;
  liveState.textContent = "not connected";
  liveState.classList.remove("ok");
}

async function onEvent(ev) {
  // An order's own events, its payment's and its returns' (their subject is the order's id)
  // and the stock moves made for one (their ref is the order's id).
  const own = ev.type.startsWith("Order");
  const payment = ev.type.startsWith("Payment");
  const ret = ev.type.startsWith("Return");
  const id = own || payment || ret ? ev.subject : ev.type.startsWith("Stock") && ev.data && ev.data.ref;
  if (!id) return;
  if (!events.has(id)) events.set(id, new Map());
  events.get(id).set(ev.seq, ev);
  const shown = !detail.hidden && detail.dataset.id === id;
  if (payment && shown) loadPayment(id, stop ? stop.signal : undefined);
  if (ret && shown) loadReturns(id, stop ? stop.signal : undefined);
  if (!own) {
    if (!detail.hidden && detail.dataset.id === id && orders.has(id)) renderDetail(orders.get(id));
    return;
  }
  try {
    const { data } = await api("GET", "/v1/orders/" + encodeURIComponent(id));
    orders.set(id, data);
    render(id);
    if (!detail.hidden && detail.dataset.id === id) renderDetail(data);
  } catch (e) { say(`Order ${id}: ${errorText(e)}`, true); }
}

function render(fresh) {
  const newest = [...orders.values()].sort((a, b) => b.created_at_ms - a.created_at_ms || (a.id < b.id ? 1 : -1)).slice(0, MAX_SHOWN);
  clear(table, h("table", { class: "grid", id: "orders-table" },
    h("caption", null, `${orders.size} order${orders.size === 1 ? "" : "s"}, newest first` +
      (truncated ? ` (the window holds more: its first ${MAX_PAGES * 200} are listed, then those that arrive; choose a shorter one)` : "")),
    h("thead", null, h("tr", null, ["Order", "Customer", "Status", "Total", "Placed"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", null, newest.map((o) => h("tr", { class: o.id === fresh ? "fresh" : "", dataset: { id: o.id } },
      h("td", null, h("button", { type: "button", class: "link", onclick: () => open(o.id) }, o.id)),
      h("td", null, o.customer_id), h("td", null, h("span", { class: "badge " + o.status }, o.status)),
      h("td", null, money(o.total)), h("td", null, when(o.created_at_ms)))))));
}

async function open(id) {
  try {
    const { data } = await api("GET", "/v1/orders/" + encodeURIComponent(id));
    orders.set(id, data);
    renderDetail(data);
    loadStored(data);
    loadPayment(id, stop ? stop.signal : undefined);
    loadReturns(id, stop ? stop.signal : undefined);
  } catch (e) { say(errorText(e), true); }
}

// The order's events from the log, once per opening (what happens after comes live).
async function loadStored(o) {
  stored.set(o.id, { loading: true });
  let got;
  try { got = await storedEvents(o, stop ? stop.signal : undefined); } catch (e) {
    if (e.name === "AbortError") return;
    got = { error: e };
  }
  stored.set(o.id, got);
  if (!detail.hidden && detail.dataset.id === o.id) renderDetail(orders.get(o.id) || o);
}

function eventText(e) {
  const d = e.data || {};
  const what = e.type.startsWith("Stock") ? ` ${d.sku} ×${d.quantity} in ${d.warehouse_id}`
    : e.type === "OrderStatusChanged" ? ` ${d.from} → ${d.to}`
    : e.type.startsWith("Payment") ? ` ${money(d.amount, d.currency)} ${d.status}${d.reason ? ": " + d.reason : ""}`
    : e.type.startsWith("Return") ? ` ${d.return_id} ${d.status}, refund ${money(d.refund, d.currency)}${d.note ? ": " + d.note : ""}`
    : e.type === "OrderPlaced" ? ` ${money(d.total, d.currency)}` : "";
  return `event #${e.seq} ${e.type}${what}`;
}

// The order's events from the log and those seen live, each once.
function orderEvents(id) {
  const all = new Map(((stored.get(id) || {}).events || []).map((e) => [e.seq, e]));
  for (const [seq, e] of events.get(id) || []) all.set(seq, e);
  return [...all.values()];
}

function storedState(id) {
  const s = stored.get(id);
  if (!s || s.loading) return h("p", { class: "muted", id: "order-events-state" }, "Reading the order's events from the log…");
  if (s.error) return h("p", { class: "error", id: "order-events-state" }, s.error.status === 403
    ? "The order's stored events need a key with the admin scope: only its transitions are shown."
    : "The order's stored events: " + errorText(s.error));
  return h("p", { class: "muted", id: "order-events-state" },
    `${s.events.length} event${s.events.length === 1 ? "" : "s"} from the log`, s.notes.length ? "; " + s.notes.join("; ") : "");
}

// An order's detail is drawn in two parts: what it is (redrawn with each change and each event
// that arrives) and the form that moves it on, drawn only when the order is opened, is moved on
// from here or changes status elsewhere, so that an event arriving never wipes what the user is
// typing. The form sends the version it was drawn for (If-Match): a change made meanwhile is
// refused and the refusal shown, never overwritten.
function renderDetail(o) {
  const same = !detail.hidden && detail.dataset.id === o.id && detail.dataset.status === o.status;
  detail.hidden = false;
  detail.dataset.id = o.id;
  detail.dataset.status = o.status;
  if (!same || !detail.querySelector("#order-info")) {
    clear(detail, h("div", { id: "order-info" }), h("h3", null, "Move it on"), moveForm(o), paymentSection(o.id), returnsSection(o),
      h("button", { type: "button", class: "quiet", onclick: () => { detail.hidden = true; } }, "Close"));
  }
  const timeline = [
    ...o.history.map((t) => ({ time: t.time_ms,
      text: (t.from === t.to ? t.to : `${t.from} → ${t.to}`) + (t.note ? ": " + t.note : "") })),
    ...orderEvents(o.id).map((e) => ({ time: e.time_ms, seq: e.seq, text: eventText(e) })),
  ].sort((a, b) => a.time - b.time || (a.seq || 0) - (b.seq || 0));
  clear(detail.querySelector("#order-info"),
    h("h2", null, `Order ${o.id}`),
    h("p", { class: "muted" }, `customer ${o.customer_id} · ${o.status} · total ${money(o.total)} · version ${o.version}`),
    h("div", { class: "scroll" }, h("table", { class: "grid" },
      h("thead", null, h("tr", null, ["SKU", "Title", "Qty", "Line total"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", null, o.lines.map((l) => h("tr", null, h("td", null, l.sku), h("td", null, l.title), h("td", null, l.quantity), h("td", null, money(l.line_total))))))),
    h("p", null, "Shipments: ", o.shipments.map((s) => `${s.warehouse_id} (${s.items.map((i) => `${i.quantity}× ${i.sku}`).join(", ")})`).join("; ") || "none"),
    h("h3", null, "Timeline"), storedState(o.id),
    h("ol", { class: "timeline", id: "order-timeline" }, timeline.map((t) => h("li", null, h("time", null, when(t.time)), " ", t.text))));
}

function moveForm(o) {
  const to = h("select", { id: "order-to" }, STATUSES.filter((s) => s !== o.status).map((s) => h("option", { value: s }, s)));
  const note = h("input", { id: "order-note", type: "text" });
  const restock = h("input", { id: "order-restock", type: "checkbox" });
  const error = h("p", { class: "error", role: "alert" });
  return [h("form", { class: "toolbar", onsubmit: async (ev) => {
    ev.preventDefault();
    try {
      const { data } = await api("POST", `/v1/orders/${encodeURIComponent(o.id)}/transitions`, {
        body: { to: to.value, note: note.value, restock: restock.checked }, headers: { "If-Match": `"${o.version}"` } });
      orders.set(o.id, data);
      render(o.id);
      renderDetail(data);
      say(`Order ${o.id} is ${data.status}.`);
    } catch (e) { error.textContent = errorText(e); }
  } },
    h("label", { for: "order-to" }, "To"), to, h("label", { for: "order-note" }, "Note"), note,
    h("label", { class: "check" }, restock, " restock"), h("button", { type: "submit" }, "Apply")),
    error];
}
