// The catalog's edit form for one product: its fields, categories (ids of existing categories),
// attributes, option names and variants (SKU, price, currency, option values), saved as one
// PUT /v1/products/{id} with If-Match (a concurrent edit is a 412, not a silent overwrite). The
// API checks everything (an option a variant uses must be among the product's option names, a
// category must exist, ...); its refusal is shown as it says it, under the form.
import { api } from "./api.js";
import { h, say, errorText, minorText, parseAmount } from "./dom.js";
import { parsePairs, pairsText } from "./pairs.js";

// onSaved(product): called with the product as saved.
export function productForm(p, categories, onSaved) {
  const field = (name, label, value, type = "text") => [
    h("label", { for: "edit-" + name }, label),
    h("input", { id: "edit-" + name, name, type, value: String(value) })];
  const status = h("select", { id: "edit-status", name: "status" },
    ["draft", "active", "archived"].map((s) => h("option", { value: s, selected: s === p.status }, s)));
  const description = h("textarea", { id: "edit-description", name: "description", rows: 3 });
  description.value = p.description;
  const attributes = h("textarea", { id: "edit-attributes", name: "attributes", rows: 3, spellcheck: "false" });
  attributes.value = pairsText(p.attributes, "\n");
  const known = categories.map((c) => c.id).join(", ");
  const variants = h("tbody");
  for (const v of p.variants) variants.append(variantRow(v));
  const error = h("p", { class: "error", role: "alert", id: "cat-edit-error" });
  const form = h("form", { class: "stack", id: "cat-edit", onsubmit: async (ev) => {
    ev.preventDefault();
    error.textContent = "";
    let body;
    try { body = formProduct(p, form, variants); } catch (e) { error.textContent = e.message; return; }
    try {
      const { data } = await api("PUT", "/v1/products/" + encodeURIComponent(p.id),
        { body, headers: { "If-Match": `"${p.version}"` } });
      say(`Saved ${data.id} (version ${data.version}).`);
      onSaved(data);
    } catch (e) {
      error.textContent = e.status === 412
        ? "Someone changed this product since it was loaded: reopen it and edit again." : errorText(e);
    }
  } },
    field("title", "Title", p.title), field("brand", "Brand", p.brand),
    h("label", { for: "edit-description" }, "Description"), description,
    h("label", { for: "edit-status" }, "Status"), status,
    field("popularity", "Popularity", p.popularity, "number"),
    field("categories", "Category ids (comma-separated" + (known ? `; top level: ${known}` : "") + ")", p.category_ids.join(", ")),
    h("label", { for: "edit-attributes" }, "Attributes (name=value, one a line)"), attributes,
    field("option_names", "Option names (comma-separated, e.g. size, colour)", p.options.join(", ")),
    h("fieldset", null, h("legend", null, "Variants"),
      h("div", { class: "scroll" }, h("table", { class: "grid", id: "edit-variants" },
        h("thead", null, h("tr", null, ["SKU", "Price", "Currency", "Options (name=value, …)", ""].map((t) => h("th", { scope: "col" }, t)))),
        variants)),
      h("button", { type: "button", class: "quiet", id: "edit-add-variant",
        onclick: () => { const row = variantRow({ sku: "", price: 0, currency: p.variants[0] ? p.variants[0].currency : "USD", options: {} }); variants.append(row); row.querySelector("input").focus(); } },
        "Add a variant")),
    h("button", { type: "submit" }, "Save"),
    error);
  return form;
}

function variantRow(v) {
  const cell = (name, value, label, size) => h("td", null,
    h("input", { type: "text", name, value, size, "aria-label": label, spellcheck: "false" }));
  const row = h("tr", { dataset: { sku: v.sku } },
    cell("sku", v.sku, "SKU", 12),
    cell("price", minorText(v.price, v.currency), "Price", 8),
    cell("currency", v.currency, "Currency", 4),
    cell("options", pairsText(v.options, ","), "Options", 16),
    h("td", null, h("button", { type: "button", class: "quiet", onclick: () => row.remove() }, "Remove")));
  return row;
}

// The product the form describes, in the API's input schema; throws Error naming a bad field.
function formProduct(p, form, variants) {
  const v = (name) => form.elements[name].value;
  const list = (text) => text.split(",").map((x) => x.trim()).filter(Boolean);
  return {
    id: p.id, title: v("title"), brand: v("brand"), description: v("description"), status: v("status"),
    popularity: Number(v("popularity")), category_ids: list(v("categories")),
    attributes: parsePairs(v("attributes"), "\n", "attribute"), options: list(v("option_names")),
    variants: [...variants.rows].map((row, i) => {
      const cell = (name) => row.querySelector(`input[name=${name}]`).value.trim();
      const price = cell("price");
      try { parseAmount(price, cell("currency")); } catch (e) { throw new Error(`variant ${i + 1}: price ${e.message}`); }
      // The variant as it was (its barcode and attributes), with what the form edits.
      const was = p.variants.find((x) => x.sku === row.dataset.sku) || {};
      const { price: _, ...kept } = was;
      return { ...kept, sku: cell("sku"), price_decimal: price, currency: cell("currency"),
        options: parsePairs(cell("options"), ",", `variant ${i + 1} option`) };
    }),
  };
}
