// Stock operations on a product's variants, one warehouse at a time, through the inventory
// routes (scope admin): receive {warehouse_id, quantity} and adjust {warehouse_id, delta,
// reason} (POST /v1/stock/{sku}/{op}). The engine never lets available stock go negative: an
// adjustment past what is on hand and not reserved is refused, and the refusal is shown under
// the form as the API words it, with nothing changed.
import { api } from "./api.js";
import { h, say, errorText } from "./dom.js";

// warehouses: [{id, name}] (GET /v1/warehouses), or null when the key may not list them (the
// warehouse is then typed). onDone(): called after a change, to show the stock again.
export function stockForm(p, warehouses, onDone) {
  const sku = h("select", { id: "stock-sku", name: "sku" }, p.variants.map((v) => h("option", { value: v.sku }, v.sku)));
  const warehouse = warehouses && warehouses.length
    ? h("select", { id: "stock-warehouse", name: "warehouse" }, warehouses.map((w) => h("option", { value: w.id }, w.id)))
    : h("input", { id: "stock-warehouse", name: "warehouse", type: "text", required: true, spellcheck: "false" });
  const op = h("select", { id: "stock-op", name: "op", onchange: () => { reason.disabled = op.value !== "adjust"; } },
    h("option", { value: "receive" }, "receive (add to on hand)"), h("option", { value: "adjust" }, "adjust (+/- on hand, a count)"));
  const amount = h("input", { id: "stock-amount", name: "amount", type: "number", step: 1, required: true });
  const reason = h("input", { id: "stock-reason", name: "reason", type: "text", disabled: true, placeholder: "e.g. cycle count" });
  const error = h("p", { class: "error", role: "alert", id: "cat-stock-error" });
  const form = h("form", { class: "toolbar", id: "cat-stock", onsubmit: async (ev) => {
    ev.preventDefault();
    error.textContent = "";
    const n = Number(amount.value);
    const body = op.value === "receive" ? { warehouse_id: warehouse.value, quantity: n }
      : { warehouse_id: warehouse.value, delta: n, reason: reason.value };
    try {
      const { data } = await api("POST", `/v1/stock/${encodeURIComponent(sku.value)}/${op.value}`, { body });
      say(`${sku.value} in ${data.warehouse_id}: ${data.on_hand} on hand, ${data.available} available.`);
      onDone();
    } catch (e) {
      error.textContent = `${op.value} ${n} of ${sku.value} in ${warehouse.value} refused: ${errorText(e)}`;
    }
  } },
    h("label", { for: "stock-sku" }, "SKU"), sku,
    h("label", { for: "stock-warehouse" }, "Warehouse"), warehouse,
    h("label", { for: "stock-op" }, "Operation"), op,
    h("label", { for: "stock-amount" }, "Quantity"), amount,
    h("label", { for: "stock-reason" }, "Reason"), reason,
    h("button", { type: "submit" }, "Apply"));
  return [form, error];
}
