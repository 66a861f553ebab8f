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

// Digits after the point in a currency's amounts (ISO 4217: 2 for USD, 0 for JPY, 3 for BHD),
// from the browser's own currency data; 2 for a code it does not know.
export function currencyDigits(currency) {
  try {
    return new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits;
  } catch { return 2; }
}

// An amount in minor units (the API's integers) as decimal text in the currency's digits:
// "12.50" for (1250, "USD"), "500" for (500, "JPY"). Done on digits, never through a float.
export function minorText(minor, currency) {
  const digits = currencyDigits(currency);
  const n = BigInt(minor);
  const abs = (n < 0n ? -n : n).toString().padStart(digits + 1, "0");
  const whole = digits ? abs.slice(0, -digits) + "." + abs.slice(-digits) : abs;
  return (n < 0n ? "-" : "") + whole;
}

// The minor units of decimal text in `currency` ("12.5" USD -> 1250); throws an Error that
// says what is wrong for anything but a plain positive amount with at most the currency's digits.
export function parseAmount(text, currency) {
  const digits = currencyDigits(currency);
  const m = /^(\d{1,15})(?:\.(\d+))?$/.exec(text.trim());
  if (!m || (m[2] || "").length > digits) {
    throw new Error(`"${text}" is not an amount in ${currency}: write it like ${minorText(1250 * 10 ** Math.max(0, digits - 2), currency)}`);
  }
  const minor = BigInt(m[1]) * 10n ** BigInt(digits) + BigInt((m[2] || "").padEnd(digits, "0") || "0");
  if (minor > 10n ** 15n) throw new Error(`"${text}" is more than any amount the engine takes`);
  return Number(minor);
}

// "12.50 USD" from {minor, currency} or (minor, currency).
export function money(m, currency) {
  const minor = typeof m === "object" ? m.minor : m;
  const cur = typeof m === "object" ? m.currency : currency;
  return minorText(minor, cur || "") + " " + (cur || "");
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
