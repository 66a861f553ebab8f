// An order's returns (RMA, docs/returns.md), in the order's detail: each return with its lines,
// refund and exchange order, and the moves its state allows (approve, reject, receive with a
// warehouse to restock to or a write-off per line, refund, cancel), each sent with the return's
// version (If-Match) so that a move made meanwhile is refused and shown, never overwritten;
// and a form asking for a new return of some of the order's units. The engine checks every
// move (never more returned than ordered, a refund never past what was captured); the page
// shows its refusal as it says it. Read again when a return event of the order arrives.
import { api } from "./api.js";
import { h, clear, money, errorText, say } from "./dom.js";

const returnsOf = new Map();  // order id -> [return] | {error} | {loading: true}
let warehouses = null;        // [{id, name, active}] once listed

function newKey() {
  return "console-" + Date.now().toString(36) + "-" + Math.floor(Math.random() * 1e6).toString(36);
}

// The returns part of an order's detail, drawn once per opening (so that what the user types
// in its forms survives the redraws); filled by loadReturns.
export function returnsSection(order) {
  return h("section", { id: "order-returns", dataset: { id: order.id } },
    h("h3", null, "Returns"), h("div", { id: "returns-list" }, listOf(order.id)), requestForm(order));
}

export async function loadReturns(orderId, signal) {
  if (!returnsOf.has(orderId)) returnsOf.set(orderId, { loading: true });
  let got;
  try {
    got = (await api("GET", `/v1/orders/${encodeURIComponent(orderId)}/returns`, { signal })).data.items;
    if (warehouses === null) warehouses = (await api("GET", "/v1/warehouses", { signal })).data.items;
  } catch (e) {
    if (e.name === "AbortError") return;
    got = { error: e };
  }
  returnsOf.set(orderId, got);
  draw(orderId);
}

function draw(orderId) {
  const section = document.getElementById("order-returns");
  if (!section || section.dataset.id !== orderId) return;
  clear(section.querySelector("#returns-list"), listOf(orderId));
}

function listOf(orderId) {
  const rs = returnsOf.get(orderId);
  const line = (cls, text) => h("p", { class: cls, id: "returns-state" }, text);
  if (!rs || rs.loading) return line("muted", "Reading the order's returns…");
  if (rs.error) return line("error", "The order's returns: " + errorText(rs.error));
  if (!rs.length) return line("muted", "No returns.");
  return rs.map((r) => returnView(orderId, r));
}

function returnView(orderId, r) {
  const error = h("p", { class: "error", role: "alert" });
  // A move: POST /v1/returns/{id}/<verb> with the version shown.
  const move = async (verb, body) => {
    error.textContent = "";
    try {
      await api("POST", `/v1/returns/${encodeURIComponent(r.id)}/${verb}`, { body: body || {}, headers: { "If-Match": `"${r.version}"` } });
      say(`Return ${r.id}: ${verb} done.`);
      await loadReturns(orderId);
    } catch (e) { error.textContent = `${verb}: ${errorText(e)}`; }
  };
  const button = (verb, label) => h("button", { type: "button", dataset: { move: verb }, onclick: () => move(verb) }, label);
  const cur = r.refund.currency;
  const actions = [];
  if (r.status === "requested") actions.push(button("approve", "Approve"), button("reject", "Reject"), button("cancel", "Cancel"));
  if (r.status === "approved") actions.push(receiveForm(r, move), button("cancel", "Cancel"));
  if (r.status === "received") actions.push(button("refund", `Refund ${money(r.refund)}`));
  return h("article", { class: "return", dataset: { id: r.id, status: r.status } },
    h("p", null, h("span", { class: "badge " + r.status }, r.status), ` ${r.id} · refund ${money(r.refund)}`,
      r.refund_method !== "none" ? ` (${r.refund_method})` : "", r.exchange_order_id ? ` · exchange order ${r.exchange_order_id}` : ""),
    h("table", { class: "grid" },
      h("thead", null, h("tr", null, ["SKU", "Qty", "Reason", "Refund", "Received"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", null, r.lines.map((l) => h("tr", { dataset: { sku: l.sku } },
        h("td", null, l.sku), h("td", null, l.quantity), h("td", null, l.reason), h("td", null, money(l.refund.minor, cur)),
        h("td", null, l.disposition === "restocked" ? `restocked in ${l.warehouse_id}` : l.disposition === "written_off" ? "written off" : "–"))))),
    r.exchange_lines.length ? h("p", { class: "muted" }, "Exchange for: " + r.exchange_lines.map((x) => `${x.quantity}× ${x.sku}`).join(", ")) : null,
    actions.length ? h("div", { class: "toolbar" }, actions) : null, error);
}

// Receiving: per line, a warehouse to restock to or a write-off.
function receiveForm(r, move) {
  const active = (warehouses || []).filter((w) => w.active !== false);
  const choices = r.lines.map((l) => h("select", { "aria-label": `Receive ${l.sku}`, dataset: { sku: l.sku } },
    active.map((w) => h("option", { value: w.id }, `restock in ${w.id}`)), h("option", { value: "" }, "write off")));
  return h("form", { class: "toolbar receive", onsubmit: (ev) => {
    ev.preventDefault();
    move("receive", { lines: choices.map((c) => c.value ? { sku: c.dataset.sku, warehouse_id: c.value } : { sku: c.dataset.sku, write_off: true }) });
  } }, choices, h("button", { type: "submit", dataset: { move: "receive" } }, "Receive"));
}

// Asking for a return: a quantity per line of the order (0: not returned) and a reason. The
// Idempotency-Key is drawn once per form: a second press for the same return asks once.
function requestForm(order) {
  let key = newKey();
  const qty = order.lines.map((l) => h("input", { type: "number", min: 0, max: l.quantity, value: 0, size: 4,
    "aria-label": `Return how many of ${l.sku}`, dataset: { sku: l.sku } }));
  const reason = h("input", { type: "text", id: "return-reason", maxlength: 500 });
  const error = h("p", { class: "error", role: "alert", id: "return-error" });
  return [h("form", { id: "return-form", onsubmit: async (ev) => {
    ev.preventDefault();
    error.textContent = "";
    const lines = qty.filter((q) => Number(q.value) > 0).map((q) => ({ sku: q.dataset.sku, quantity: Number(q.value), reason: reason.value }));
    if (!lines.length) { error.textContent = "Choose how many of a line to return."; return; }
    try {
      const { data } = await api("POST", `/v1/orders/${encodeURIComponent(order.id)}/returns`, { body: { lines }, headers: { "Idempotency-Key": key } });
      say(`Return ${data.id} requested for order ${order.id}.`);
      key = newKey();
      for (const q of qty) q.value = 0;
      reason.value = "";
      await loadReturns(order.id);
    } catch (e) { error.textContent = errorText(e); }
  } },
    h("table", { class: "grid" }, h("tbody", null, order.lines.map((l, i) => h("tr", null,
      h("td", null, l.sku), h("td", null, `of ${l.quantity}`), h("td", null, qty[i]))))),
    h("div", { class: "toolbar" }, h("label", { for: "return-reason" }, "Reason"), reason,
      h("button", { type: "submit" }, "Ask for a return"))),
    error];
}
