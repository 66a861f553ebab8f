// A small form for the common merchandising rule — when it applies (query, match, schedule,
// enabled) and what it does to products by id (pin at a position, hide) — beside the rule's
// JSON, which stays what is saved. Each change in the form is written into the JSON: the form's
// fields replace theirs and the rest (boost, bury, categories, redirect, ...) is kept, so that
// a rule the form cannot express whole is still edited through it without loss.
import { h } from "./dom.js";

// text: the JSON textarea; state: where to say the JSON cannot be read. Returns {form, fill}:
// fill(rule) shows a rule in the form (and the JSON).
export function ruleForm(text, state) {
  // Named rule_<name>: an input named "id" would shadow the form's own id property.
  const input = (name, label, attrs = {}) => [h("label", { for: "rule-" + name }, label),
    h("input", { id: "rule-" + name, name: "rule_" + name, type: "text", spellcheck: "false", ...attrs })];
  const match = h("select", { id: "rule-match", name: "rule_match" },
    h("option", { value: "contains" }, "contains (these words in a row)"), h("option", { value: "exact" }, "exact (the same words)"));
  const enabled = h("input", { id: "rule-enabled", name: "rule_enabled", type: "checkbox", checked: true });
  const form = h("form", { class: "stack", id: "rule-form", oninput: () => toJson(), onsubmit: (ev) => ev.preventDefault() },
    input("id", "Id"), input("query", "Query"),
    h("label", { for: "rule-match" }, "Match"), match,
    input("pins", "Pin (product id at position, comma-separated: p-0036 at 1, p-0002 at 3)"),
    input("hide", "Hide (product ids, comma-separated)"),
    input("starts", "Starts (your local time; empty: from now on)", { type: "datetime-local" }),
    input("ends", "Ends (your local time; empty: no end)", { type: "datetime-local" }),
    h("label", { class: "check" }, enabled, " enabled"));
  const field = (name) => form.elements["rule_" + name];

  // The form's fields written over the JSON's (or over {} when the JSON cannot be read).
  function toJson() {
    let rule = {};
    try { rule = JSON.parse(text.value); } catch (e) { /* replaced whole: the form is what the user edits now */ }
    const list = (s) => s.split(",").map((x) => x.trim()).filter(Boolean);
    const pins = [];
    for (const p of list(field("pins").value)) {
      const m = /^(\S+)\s+at\s+(\d+)$/.exec(p);
      if (!m) { state.textContent = `pin "${p}": write a product id, "at" and a position, e.g. p-0036 at 1`; return; }
      pins.push({ product_id: m[1], position: Number(m[2]) });
    }
    const when = (name) => (field(name).value ? new Date(field(name).value).getTime() : 0);
    Object.assign(rule, { id: field("id").value.trim(), query: field("query").value, match: match.value,
      enabled: enabled.checked, pins, starts_at_ms: when("starts"), ends_at_ms: when("ends") });
    const hide = list(field("hide").value);
    if (hide.length) rule.hide = { ...(rule.hide || {}), product_ids: hide };
    else if (rule.hide) { delete rule.hide.product_ids; if (!Object.keys(rule.hide).length) delete rule.hide; }
    text.value = JSON.stringify(rule, null, 2);
    state.textContent = "";
  }

  function fill(rule) {
    text.value = JSON.stringify(rule, null, 2);
    // datetime-local wants local time without a zone: "2030-01-01T09:30".
    const local = (ms) => (ms ? new Date(ms - new Date(ms).getTimezoneOffset() * 60000).toISOString().slice(0, 16) : "");
    field("id").value = rule.id || "";
    field("query").value = rule.query || "";
    match.value = rule.match || "contains";
    field("pins").value = (rule.pins || []).map((p) => `${p.product_id} at ${p.position}`).join(", ");
    field("hide").value = ((rule.hide || {}).product_ids || []).join(", ");
    field("starts").value = local(rule.starts_at_ms);
    field("ends").value = local(rule.ends_at_ms);
    enabled.checked = rule.enabled !== false;
  }

  return { form, fill };
}
