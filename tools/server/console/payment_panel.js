// An order's payment, in the order's detail (docs/payments.md): what the provider authorized,
// captured and refunded, each refund and its state (GET /v1/orders/{id}/payment, scope admin);
// and a refund of what was captured (POST /v1/orders/{id}/refunds). The refund id is the
// provider's idempotency key: it is drawn once with the form, so sending the same form twice
// (a double click, a retry after a dropped answer) refunds once; a new one is drawn after a
// refund is queued. The server checks the amount against what was captured less what was
// refunded; the form only turns the text into minor units.
import { api } from "./api.js";
import { h, clear, money, parseAmount, errorText, say } from "./dom.js";

const payments = new Map();  // order id -> payment | {none: true} | {error} | {loading: true}

function newRefundId() {
  return "console-" + Date.now().toString(36) + "-" + Math.floor(Math.random() * 1e6).toString(36);
}

// The payment part of an order's detail: drawn once per opening of the order (so that what
// the user types in the refund form survives), filled by loadPayment.
export function paymentSection(orderId) {
  return h("section", { id: "order-payment", dataset: { id: orderId } },
    h("h3", null, "Payment"), h("div", { id: "payment-info" }, paymentInfo(orderId)), refundForm(orderId));
}

// Reads the order's payment again and redraws it where it is shown.
export async function loadPayment(orderId, signal) {
  if (!payments.has(orderId)) payments.set(orderId, { loading: true });
  let got;
  try {
    ({ data: got } = await api("GET", `/v1/orders/${encodeURIComponent(orderId)}/payment`, { signal }));
  } catch (e) {
    if (e.name === "AbortError") return;
    got = e.status === 404 ? { none: true } : { error: e };
  }
  payments.set(orderId, got);
  draw(orderId);
}

function draw(orderId) {
  const section = document.getElementById("order-payment");
  if (!section || section.dataset.id !== orderId) return;
  clear(section.querySelector("#payment-info"), paymentInfo(orderId));
  const p = payments.get(orderId);
  section.querySelector("#refund-form").hidden = !(p && p.amount && p.captured_minor > 0);
}

// The payment's state, drawn again with each change; the refund form is drawn once per
// opening (refundForm) so that what the user types survives the redraws.
function paymentInfo(orderId) {
  const p = payments.get(orderId);
  const box = (cls, text) => h("p", { class: cls, id: "payment-state" }, text);
  if (!p || p.loading) return box("muted", "Reading the order's payment…");
  if (p.none) return box("muted", "No payment: the order was placed without a payment provider (docs/payments.md).");
  if (p.error) return box("error", "The order's payment: " + errorText(p.error));
  const cur = p.amount.currency;
  const row = (label, field, minor) => [h("dt", null, label), h("dd", { dataset: { field } }, money(minor, cur))];
  return h("div", { id: "payment-state", dataset: { status: p.status } },
    h("p", null, h("span", { class: "badge " + p.status }, p.status), ` ${p.provider} · ${p.id}`,
      p.reference ? ` · reference ${p.reference}` : "", p.reason ? ` · ${p.reason}` : ""),
    h("dl", { class: "facts" },
      row("Amount", "amount", p.amount.minor), row("Authorized", "authorized", p.authorized_minor),
      row("Captured", "captured", p.captured_minor), row("Refunded", "refunded", p.refunded_minor),
      row("Refund pending", "refund_pending", p.refund_pending_minor)),
    p.pending_operations ? h("p", { class: "muted" }, `${p.pending_operations} call${p.pending_operations === 1 ? "" : "s"} to the provider queued`,
      p.last_error ? `; the last failed: ${p.last_error}` : "") : null,
    p.refunds.length ? h("table", { class: "grid", id: "payment-refunds" },
      h("thead", null, h("tr", null, ["Refund", "Amount", "State", "Reason"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", null, p.refunds.map((r) => h("tr", { dataset: { id: r.id } },
        h("td", null, r.id), h("td", null, money(r.amount_minor, cur)), h("td", null, r.status), h("td", null, r.reason))))) : null);
}

// The refund form, shown once something was captured.
function refundForm(orderId) {
  let refundId = newRefundId();
  const amount = h("input", { id: "refund-amount", type: "text", inputmode: "decimal", size: 10, spellcheck: "false" });
  const error = h("p", { class: "error", role: "alert", id: "refund-error" });
  return [h("form", { class: "toolbar", id: "refund-form", hidden: true, onsubmit: async (ev) => {
    ev.preventDefault();
    error.textContent = "";
    const p = payments.get(orderId);
    if (!p || !p.amount) { error.textContent = "This order has no payment to refund."; return; }
    let minor;
    try { minor = parseAmount(amount.value, p.amount.currency); } catch (e) { error.textContent = e.message; return; }
    try {
      const { data } = await api("POST", `/v1/orders/${encodeURIComponent(orderId)}/refunds`, {
        body: { refund_id: refundId, amount_minor: minor } });
      payments.set(orderId, data);
      say(`Refund ${refundId} of ${money(minor, p.amount.currency)} queued for order ${orderId}.`);
      refundId = newRefundId();
      amount.value = "";
      draw(orderId);
    } catch (e) { error.textContent = errorText(e); }
  } },
    h("label", { for: "refund-amount" }, "Refund"), amount, h("button", { type: "submit" }, "Refund")),
    error];
}
