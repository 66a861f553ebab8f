// Small DOM helpers. Everything the server sends is put in the page as text (textContent),
// never as HTML: a product title cannot run script in the console.

// h("a", {href: "#x", class: "y", onclick: f}, "text", child...): an element.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k in el && typeof v !== "string") el[k] = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export function $(sel, root = document) { return root.querySelector(sel); }

// "12.50 USD" from {minor, currency} or (minor, currency): minor units, two decimals (the
// currencies of the sample catalog; the API's amounts are integers of minor units).
export function money(m, currency) {
  const minor = typeof m === "object" ? m.minor : m;
  const cur = typeof m === "object" ? m.currency : currency;
  return (minor / 100).toFixed(2) + " " + (cur || "");
}

export function when(ms) {
  if (!ms) return "";
  return new Date(ms).toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
}

// The search's highlighted_title: HTML-escaped text with matched words in <b>..</b>. Turned
// into text nodes and <mark> elements without ever parsing it as HTML.
export function highlighted(s) {
  const out = [];
  const unescape = (t) => t.replace(/&(lt|gt|quot|#39|apos|amp);/g, (_, e) =>
    ({ lt: "<", gt: ">", quot: '"', "#39": "'", apos: "'", amp: "&" })[e]);
  const parts = s.split(/(<b>|<\/b>)/);
  let bold = false;
  for (const p of parts) {
    if (p === "<b>") bold = true;
    else if (p === "</b>") bold = false;
    else if (p) out.push(bold ? h("mark", null, unescape(p)) : unescape(p));
  }
  return out;
}

// Shows what happened last in the status line (an aria-live region).
export function say(text, isError = false) {
  const el = document.getElementById("status");
  el.textContent = text;
  el.classList.toggle("error", isError);
}

export function errorText(e) {
  return e.code ? `${e.code}: ${e.message}` : String(e.message || e);
}

export function debounce(fn, ms) {
  let t = 0;
  return (...args) => { clearTimeout(t); t = setTimeout(() => fn(...args), ms); };
}

// Shows `box`'s children (but its headings) when the key may, else hides them and says instead
// that `what` needs a key with the `needed` scope. Called as a page is shown: the same page
// may be shown to another key after signing out and in. Returns whether the key may.
export function gate(box, allowed, what, needed, scope) {
  for (const n of box.querySelectorAll(":scope > .notice")) n.remove();
  for (const el of box.children) {
    if (/^H[1-3]$/.test(el.tagName)) continue;
    // What was hidden before (a closed detail panel) stays hidden when shown again.
    if (!allowed && el.dataset.gated === undefined) { el.dataset.gated = el.hidden ? "hidden" : ""; el.hidden = true; }
    if (allowed && el.dataset.gated !== undefined) { el.hidden = el.dataset.gated === "hidden"; delete el.dataset.gated; }
  }
  if (!allowed) box.append(scopeNotice(what, needed, scope));
  return allowed;
}

// The sentence shown instead of what the key may not reach.
export function scopeNotice(what, needed, scope) {
  return h("p", { class: "notice", dataset: { needs: needed } },
    `${what} needs a key with the ${needed} scope; this key's scope is ${scope}.`);
}
