// Catalog: products page by page (GET /v1/products), filtered by category and by text within
// what is loaded; one product's variants and their stock per warehouse (GET /v1/stock/{sku});
// stock received or adjusted (stock_form.js); editing it, variants, categories and attributes
// included (product_form.js); importing a file as a job (POST /v1/import-jobs) with its
// progress and its report.
import { api, may, keyScope } from "./api.js";
import { h, clear, money, when, say, errorText, debounce, gate, scopeNotice } from "./dom.js";
import { productForm } from "./product_form.js";
import { stockForm } from "./stock_form.js";

let root, list, detail, importBox, importSection, archivedBox;
let products = [];
let cursor = "";
let categories = [];
let warehouses = null;  // [{id, ...}] once listed; null while unknown or refused to this key

export function mount(section) {
  root = section;
  const category = h("select", { id: "cat-category", onchange: () => reload() }, h("option", { value: "" }, "All categories"));
  const archived = h("input", { type: "checkbox", id: "cat-archived", onchange: () => reload() });
  const filter = h("input", { type: "search", id: "cat-filter", placeholder: "title, brand, id or SKU", oninput: debounce(renderList, 100) });
  list = h("div", { class: "scroll" });
  detail = h("div", { id: "cat-detail", class: "panel", hidden: true });
  importBox = h("div", { id: "cat-import-result" });
  const fileInput = h("input", { type: "file", id: "cat-file", accept: ".jsonl,.ndjson,.json,.csv,text/csv,application/json" });
  const format = h("select", { id: "cat-format" },
    h("option", { value: "" }, "by file name"), h("option", { value: "jsonl" }, "JSON Lines"),
    h("option", { value: "json" }, "JSON array"), h("option", { value: "csv" }, "CSV"));
  archivedBox = h("label", { class: "check" }, archived, " archived too");
  importSection = h("div", { id: "cat-import" },
    h("h2", null, "Import"),
    h("form", { class: "toolbar", id: "cat-import-form", onsubmit: (ev) => { ev.preventDefault(); startImport(fileInput.files[0], format.value); } },
      h("label", { for: "cat-file" }, "File"), fileInput,
      h("label", { for: "cat-format" }, "Format"), format,
      h("button", { type: "submit" }, "Import")),
    importBox);
  clear(root,
    h("h1", { id: "catalog-title" }, "Catalog"),
    h("div", { class: "toolbar" },
      h("label", { for: "cat-filter" }, "Filter"), filter,
      h("label", { for: "cat-category" }, "Category"), category, archivedBox),
    list,
    h("button", { type: "button", id: "cat-more", hidden: true, onclick: () => load(false) }, "Load more"),
    detail, importSection);
}

// What the key's scope reaches: a public key sees active products only (no archived ones, no
// stock); editing, stock operations and imports need admin.
export function show() {
  archivedBox.hidden = !may("store");
  if (archivedBox.hidden) root.querySelector("#cat-archived").checked = false;
  gate(importSection, may("admin"), "Importing products", "admin", keyScope());
  loadCategories();
  if (may("store")) loadWarehouses();
  reload();
}
export function hide() {}

async function loadCategories() {
  try {
    const { data } = await api("GET", "/v1/categories");
    categories = data.items;
    const sel = root.querySelector("#cat-category");
    const chosen = sel.value;
    clear(sel, h("option", { value: "" }, "All categories"),
      categories.map((c) => h("option", { value: c.id, selected: c.id === chosen }, c.name)));
  } catch (e) { say("Categories: " + errorText(e), true); }
}

async function loadWarehouses() {
  try { warehouses = (await api("GET", "/v1/warehouses")).data.items; } catch (e) { warehouses = null; }
}

function reload() { products = []; cursor = ""; load(true); }

async function load(first) {
  try {
    const { data } = await api("GET", "/v1/products", { query: {
      limit: 50, cursor: first ? "" : cursor,
      category: root.querySelector("#cat-category").value,
      include_archived: root.querySelector("#cat-archived").checked ? "true" : "" } });
    products = products.concat(data.items);
    cursor = data.next_cursor;
    root.querySelector("#cat-more").hidden = !cursor;
    renderList();
  } catch (e) {
    clear(list, h("p", { class: "error" }, "Products: " + errorText(e)));
  }
}

function priceRange(p) {
  if (!p.variants.length) return "";
  const prices = p.variants.map((v) => v.price);
  const lo = Math.min(...prices), hi = Math.max(...prices);
  const cur = p.variants[0].currency;
  return lo === hi ? money(lo, cur) : `${money(lo, cur)} – ${money(hi, cur)}`;
}

function renderList() {
  const text = root.querySelector("#cat-filter").value.trim().toLowerCase();
  const shown = products.filter((p) => !text || [p.id, p.title, p.brand, ...p.variants.map((v) => v.sku)]
    .some((s) => s.toLowerCase().includes(text)));
  clear(list, h("table", { class: "grid", id: "cat-table" },
    h("caption", null, `${shown.length} of ${products.length} loaded products`),
    h("thead", null, h("tr", null, ["Product", "Brand", "Status", "Variants", "Price"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", null, shown.map((p) => h("tr", null,
      h("td", null, h("button", { type: "button", class: "link", onclick: () => open(p.id) }, p.title), h("div", { class: "muted" }, p.id)),
      h("td", null, p.brand), h("td", null, p.status), h("td", null, p.variants.length), h("td", null, priceRange(p)))))));
}

async function open(id) {
  detail.hidden = false;
  clear(detail, h("p", null, "Loading " + id + "…"));
  try {
    const { data: p } = await api("GET", "/v1/products/" + encodeURIComponent(id));
    const stock = await Promise.all(p.variants.map((v) => !may("store") ? { error: "stock: needs a store key" } :
      api("GET", "/v1/stock/" + encodeURIComponent(v.sku)).then((r) => r.data, (e) => ({ error: errorText(e) }))));
    renderDetail(p, stock);
  } catch (e) {
    clear(detail, h("p", { class: "error" }, errorText(e)));
  }
}

function renderDetail(p, stock) {
  const onSaved = (data) => {
    products = products.map((x) => (x.id === data.id ? data : x));
    renderList();
    open(data.id);
  };
  clear(detail,
    h("h2", { id: "cat-detail-title" }, p.title),
    h("p", { class: "muted" }, `${p.id} · version ${p.version} · updated ${when(p.updated_at_ms)}`),
    h("h3", null, "Variants and stock"),
    h("div", { class: "scroll" }, h("table", { class: "grid", id: "cat-variants" },
      h("thead", null, h("tr", null, ["SKU", "Options", "Price", "Warehouse", "On hand", "Reserved", "Available"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", null, p.variants.map((v, i) => {
        const s = stock[i];
        const levels = s.error ? [{ warehouse_id: s.error }] : s.levels.length ? s.levels : [{ warehouse_id: "none", on_hand: 0, reserved: 0, available: 0 }];
        return levels.map((l, j) => h("tr", null,
          h("td", null, j ? "" : v.sku),
          h("td", null, j ? "" : Object.entries(v.options).map(([k, x]) => `${k}: ${x}`).join(", ")),
          h("td", null, j ? "" : money(v.price, v.currency)),
          h("td", null, l.warehouse_id), h("td", null, l.on_hand ?? ""), h("td", null, l.reserved ?? ""), h("td", null, l.available ?? "")));
      })))),
    may("admin") ? [h("h3", null, "Receive or adjust stock"), stockForm(p, warehouses, () => open(p.id)),
      h("h3", null, "Edit"), productForm(p, categories, onSaved)]
      : scopeNotice("Receiving stock and editing the product", "admin", keyScope()),
    h("button", { type: "button", class: "quiet", onclick: () => { detail.hidden = true; } }, "Close"));
  detail.scrollIntoView({ block: "nearest" });
}

const TYPES = { jsonl: "application/x-ndjson", json: "application/json", csv: "text/csv" };

async function startImport(file, format) {
  if (!file) { clear(importBox, h("p", { class: "error" }, "Choose a file first.")); return; }
  if (!format) format = /\.csv$/i.test(file.name) ? "csv" : /\.json$/i.test(file.name) ? "json" : "jsonl";
  const bar = h("progress", { id: "cat-import-progress", max: 1, value: 0 });
  const line = h("p", { id: "cat-import-line" }, `Uploading ${file.name}…`);
  clear(importBox, h("label", { for: "cat-import-progress" }, "Progress"), bar, line);
  try {
    const { data: job } = await api("POST", "/v1/import-jobs", { query: { format }, body: file,
      headers: { "Content-Type": TYPES[format] } });
    let j = job;
    while (j.state === "running" || j.state === "cancelling") {
      bar.max = Math.max(1, j.progress.bytes_total);
      bar.value = j.progress.bytes_read;
      line.textContent = `${j.state}: ${j.progress.records} records, ${j.progress.imported} imported, ${j.progress.rejected} rejected`;
      await new Promise((r) => setTimeout(r, 250));
      j = (await api("GET", "/v1/import-jobs/" + encodeURIComponent(j.id))).data;
    }
    bar.max = 1; bar.value = 1;
    line.textContent = `${j.state}: ${j.progress.records} records, ${j.progress.imported} imported, ${j.progress.rejected} rejected`;
    renderReport(j);
    reload();
  } catch (e) {
    line.textContent = "Import failed: " + errorText(e);
    line.className = "error";
  }
}

function renderReport(j) {
  const r = j.report || { records: j.progress.records, imported: j.progress.imported,
    unchanged: j.progress.unchanged, rejected: j.progress.rejected, seconds: j.progress.elapsed_s, rejections: j.rejections };
  importBox.append(h("div", { id: "cat-import-report", class: "panel" },
    h("h3", null, `Import ${j.id}: ${j.state}`),
    j.error ? h("p", { class: "error" }, `${j.error.code}: ${j.error.message}`) : null,
    h("dl", { class: "facts" },
      ["records", "imported", "unchanged", "rejected"].map((k) => [h("dt", null, k), h("dd", { dataset: { field: k } }, r[k])]),
      h("dt", null, "seconds"), h("dd", null, Number(r.seconds).toFixed(2))),
    j.rejections.length ? h("div", { class: "scroll" }, h("table", { class: "grid", id: "cat-rejections" },
      h("caption", null, "Rejected records"),
      h("thead", null, h("tr", null, ["Line", "Field", "Reason"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", null, j.rejections.map((x) => h("tr", null, h("td", null, x.line), h("td", null, x.field), h("td", null, x.reason)))))) : null));
  say(`Import ${j.id} ${j.state}: ${r.imported} imported, ${r.rejected} rejected.`);
}
