// Search playground: results as you type (GET /v1/search with explain and facets; the
// suggestions of GET /v1/search/suggest), sorted as chosen, narrowed by the brand and category
// facets, a price bucket and attribute filters; the correction applied, the matched words
// marked, each hit's explanation; the synonym list (GET/PUT /v1/search/synonyms) and the merchandising
// rules (GET /v1/search/rules, PUT/DELETE /v1/search/rules/{id}) edited beside it, the query run
// again after each change so that its effect shows at once.
import { api, may, keyScope } from "./api.js";
import { h, clear, money, say, errorText, debounce, highlighted, gate } from "./dom.js";
import { parsePairs } from "./pairs.js";
import { ruleForm } from "./rule_form.js";

let root, input, sort, attrs, results, facetsBox, summary, suggestBox, synBox, rulesBox;
const chosen = { brand: new Set(), category: new Set() };
let price = "";  // the price bucket filtered on: "lo..hi" or "lo.." (the facet's value), "" for any
const SORTS = [["relevance", "relevance"], ["popularity", "popularity"], ["price_asc", "price, lowest first"],
  ["price_desc", "price, highest first"], ["newest", "newest"]];
let generation = 0;  // answers to older keystrokes are dropped
let synonymsVersion = 0;

export function mount(section) {
  root = section;
  input = h("input", { type: "search", id: "q", placeholder: "Type a query: a typo is corrected",
    autocomplete: "off", spellcheck: "false", "aria-controls": "search-results",
    oninput: debounce(() => { run(); suggest(); }, 120) });
  sort = h("select", { id: "search-sort", onchange: () => run() },
    SORTS.map(([value, label]) => h("option", { value }, label)));
  attrs = h("input", { type: "text", id: "search-attrs", placeholder: "size=M, colour=black", autocomplete: "off",
    spellcheck: "false", oninput: debounce(() => run(), 250) });
  summary = h("p", { id: "search-summary", role: "status" });
  suggestBox = h("ul", { id: "search-suggestions", class: "chips", "aria-label": "Suggestions" });
  facetsBox = h("div", { id: "search-facets", class: "facets" });
  results = h("ol", { id: "search-results", class: "hits" });
  synBox = h("div", { class: "panel" });
  rulesBox = h("div", { class: "panel" });
  clear(root,
    h("h1", { id: "search-title" }, "Search playground"),
    h("div", { class: "toolbar" }, h("label", { for: "q" }, "Query"), input,
      h("label", { for: "search-sort" }, "Sort by"), sort,
      h("label", { for: "search-attrs" }, "Attributes"), attrs),
    suggestBox, summary,
    h("div", { class: "split" }, h("aside", { "aria-label": "Facets" }, facetsBox), results),
    h("h2", null, "Synonyms"), synBox,
    h("h2", null, "Merchandising rules"), rulesBox);
  renderSynonymEditor();
  renderRuleEditor();
}

// Searching is public; the synonyms and rules are read and written with the admin scope only.
export function show() {
  run();
  if (gate(synBox, may("admin"), "Reading and editing synonyms", "admin", keyScope())) loadSynonyms();
  if (gate(rulesBox, may("admin"), "Reading and editing merchandising rules", "admin", keyScope())) loadRules();
}
export function hide() {}

// "size=M, colour=black" as the API's attribute filters {"attr.size": "M", ...}.
function attributeFilters(text) {
  return Object.fromEntries(Object.entries(parsePairs(text, ",", "attribute filter")).map(([k, v]) => ["attr." + k, v]));
}

// The chosen price bucket as the API's price_min / price_max (minor units, both inclusive).
function priceRange() {
  if (!price) return {};
  const [lo, hi] = price.split("..");
  return { price_min: lo, price_max: hi || undefined };
}

async function run() {
  const mine = ++generation;
  try {
    const { data } = await api("GET", "/v1/search", { query: {
      q: input.value, limit: 20, facets: "brand,category,price", disjunctive_facets: "brand,category,price",
      explain: "true", sort: sort.value, brand: [...chosen.brand], category: [...chosen.category],
      ...priceRange(), ...attributeFilters(attrs.value) } });
    if (mine !== generation) return;
    render(data);
  } catch (e) {
    if (mine !== generation) return;
    clear(summary, h("span", { class: "error", id: "search-error" }, errorText(e)));
    clear(results);
  }
}

async function suggest() {
  const q = input.value;
  if (!q.trim()) { clear(suggestBox); return; }
  try {
    const { data } = await api("GET", "/v1/search/suggest", { query: { q, limit: 6 } });
    if (q !== input.value) return;
    clear(suggestBox, data.suggestions.map((s) => h("li", null, h("button", { type: "button", class: "chip",
      onclick: () => { input.value = s.text; run(); clear(suggestBox); input.focus(); } }, s.text))));
  } catch (e) { clear(suggestBox); }
}

function render(r) {
  clear(summary,
    `${r.total}${r.total_exact ? "" : "+"} products`,
    r.used_correction ? [" · showing results for ", h("strong", { id: "search-corrected" }, r.corrected_query)] : null,
    r.rules_applied.length ? ` · rules applied: ${r.rules_applied.join(", ")}` : null,
    r.redirect ? ` · redirect: ${r.redirect}` : null,
    ` · synonyms v${r.synonyms_version}, rules v${r.rules_version}`);
  // The facets are drawn anew with each answer: the box that had the focus gets it back, so
  // that a keyboard user can tick one box after another.
  const focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.facet : undefined;
  clear(facetsBox, r.facets.map((f) => h("fieldset", { class: "facet", dataset: { field: f.field } },
    h("legend", null, f.field),
    f.field === "price" ? priceChoice(f.values) : f.values.map((v) => {
      const selectable = chosen[f.field];
      const box = selectable ? h("input", { type: "checkbox", checked: selectable.has(v.value), dataset: { facet: f.field + "=" + v.value },
        onchange: (ev) => { ev.target.checked ? selectable.add(v.value) : selectable.delete(v.value); run(); } }) : null;
      return h("label", { class: "check" }, box, ` ${v.label} `, h("span", { class: "count" }, v.count));
    }))));
  if (focused) {
    const again = [...facetsBox.querySelectorAll("input[data-facet]")].find((b) => b.dataset.facet === focused);
    if (again) again.focus();
  }
  clear(results, r.hits.map((hit) => h("li", { class: "hit", dataset: { id: hit.product_id } },
    h("div", { class: "hit-title" }, highlighted(hit.highlighted_title)),
    h("div", { class: "muted" }, `${hit.brand} · ${money(hit.price)} · ${hit.in_stock ? "in stock" : "out of stock"} · score ${hit.score.toFixed(3)} · ${hit.product_id}`),
    hit.explanation ? explanation(hit.explanation) : null)));
}

// The price facet as one choice (the API filters on one range): "any" and each bucket, counted
// without the price filter (a disjunctive facet), so the other buckets keep their counts.
function priceChoice(values) {
  const radio = (value, label, count) => h("label", { class: "check" },
    h("input", { type: "radio", name: "search-price", checked: price === value, dataset: { facet: "price=" + value },
      onchange: () => { price = value; run(); } }), ` ${label} `, count === undefined ? null : h("span", { class: "count" }, count));
  return [radio("", "any price"), values.map((v) => radio(v.value, v.label, v.count))];
}

function explanation(x) {
  return h("details", { class: "explain" },
    h("summary", null, "Why here", x.tier ? ` (${x.tier})` : ""),
    h("dl", { class: "facts" },
      h("dt", null, "found by"), h("dd", null, x.query + (x.corrected ? " (corrected)" : "") + (x.relaxed ? ` (relaxed: ${x.words_matched} words)` : "")),
      h("dt", null, "text weight"), h("dd", null, x.weight.toFixed(3)),
      x.tier ? [h("dt", null, "tier"), h("dd", null, x.tier + (x.pinned_position ? ` at ${x.pinned_position}` : ""))] : null,
      x.rules.length ? [h("dt", null, "rules"), h("dd", null, x.rules.join(", "))] : null,
      h("dt", null, "then by"), h("dd", null, x.sort)),
    x.terms.length ? h("table", { class: "grid" },
      h("thead", null, h("tr", null, ["term", "wdf", "weight"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", null, x.terms.map((t) => h("tr", null, h("td", null, t.term), h("td", null, t.wdf), h("td", null, t.weight.toFixed(3)))))) : null);
}

// --- synonyms: one group a line, "a, b, c" (each matches the others) or "root => a, b" --------

function renderSynonymEditor() {
  const text = h("textarea", { id: "syn-text", rows: 5, spellcheck: "false" });
  clear(synBox,
    h("p", { class: "muted" }, "One group a line: ", h("code", null, "tee, t-shirt"), " (each matches the others) or ",
      h("code", null, "sneakers => trainers, runners"), " (a query for the root also finds the others)."),
    h("label", { for: "syn-text" }, "Synonym groups"), text,
    h("div", { class: "toolbar" }, h("button", { type: "button", id: "syn-save", onclick: saveSynonyms }, "Save synonyms"),
      h("span", { id: "syn-state", class: "muted" })));
}

async function loadSynonyms() {
  try {
    const { data } = await api("GET", "/v1/search/synonyms");
    synonymsVersion = data.version;
    root.querySelector("#syn-text").value = data.groups.map((g) =>
      g.root ? `${g.root} => ${g.synonyms.join(", ")}` : g.synonyms.join(", ")).join("\n");
    root.querySelector("#syn-state").textContent = `version ${data.version}`;
  } catch (e) { root.querySelector("#syn-state").textContent = errorText(e); }
}

async function saveSynonyms() {
  const groups = root.querySelector("#syn-text").value.split("\n").map((l) => l.trim()).filter(Boolean).map((l) => {
    const arrow = l.indexOf("=>");
    const words = (s) => s.split(",").map((w) => w.trim()).filter(Boolean);
    return arrow >= 0 ? { root: l.slice(0, arrow).trim(), synonyms: words(l.slice(arrow + 2)) } : { root: "", synonyms: words(l) };
  });
  const state = root.querySelector("#syn-state");
  try {
    // Conditional on the version read, so that a change made meanwhile is not overwritten; the
    // API takes no If-Match before the first list (version 0).
    const headers = synonymsVersion > 0 ? { "If-Match": `"${synonymsVersion}"` } : {};
    const { data } = await api("PUT", "/v1/search/synonyms", { body: { groups }, headers });
    synonymsVersion = data.version;
    state.textContent = `saved: version ${data.version}`;
    say(`Synonyms saved (version ${data.version}).`);
    run();
  } catch (e) {
    state.textContent = e.status === 409 ? "changed elsewhere meanwhile: reloaded, apply your change again" : errorText(e);
    if (e.status === 409) loadSynonyms();
  }
}

// --- merchandising rules: the list, and one rule in a form and as JSON -----------------------------------------

const EXAMPLE_RULE = { id: "pin-example", description: "pin a product for a query", query: "shirt", match: "contains",
  enabled: true, pins: [{ product_id: "p-0000", position: 1 }] };

let fillRule;  // shows a rule in the form and the JSON (rule_form.js)

function renderRuleEditor() {
  const text = h("textarea", { id: "rule-text", rows: 14, spellcheck: "false", class: "code" });
  const state = h("span", { id: "rule-state", class: "muted", role: "status" });
  const { form, fill } = ruleForm(text, state);
  fillRule = fill;
  fill(EXAMPLE_RULE);
  clear(rulesBox,
    h("div", { id: "rule-list" }),
    h("div", { class: "pair" },
      h("div", null, h("h3", null, "The rule"), form),
      h("div", { class: "stack" }, h("label", { for: "rule-text" }, "As JSON, what is saved (the MerchandisingRule of docs/http-api.yaml: boost, bury, categories and a redirect too)"), text)),
    h("div", { class: "toolbar" }, h("button", { type: "button", id: "rule-save", onclick: saveRule }, "Save rule"), state));
}

async function loadRules() {
  const box = root.querySelector("#rule-list");
  try {
    const { data } = await api("GET", "/v1/search/rules");
    clear(box, data.rules.length ? h("ul", { class: "plain" }, data.rules.map((r) => h("li", null,
      h("strong", null, r.id), ` ${r.enabled === false ? "(disabled) " : ""}${r.match || ""} "${r.query || ""}" `,
      h("button", { type: "button", class: "quiet", onclick: () => fillRule(r) }, "Edit"),
      h("button", { type: "button", class: "quiet", onclick: () => deleteRule(r.id) }, "Delete")))) :
      h("p", { class: "muted" }, `No rules (set version ${data.version}).`));
  } catch (e) { clear(box, h("p", { class: "error" }, errorText(e))); }
}

async function saveRule() {
  const state = root.querySelector("#rule-state");
  let rule;
  try { rule = JSON.parse(root.querySelector("#rule-text").value); } catch (e) { state.textContent = "Not JSON: " + e.message; return; }
  if (!rule.id) { state.textContent = "The rule needs an id."; return; }
  delete rule.version;
  try {
    await api("PUT", "/v1/search/rules/" + encodeURIComponent(rule.id), { body: rule });
    state.textContent = `saved ${rule.id}`;
    loadRules();
    run();
  } catch (e) { state.textContent = errorText(e); }
}

async function deleteRule(id) {
  try {
    await api("DELETE", "/v1/search/rules/" + encodeURIComponent(id));
    say(`Rule ${id} deleted.`);
    loadRules();
    run();
  } catch (e) { say(errorText(e), true); }
}
