// The console's entry: signing in, and the pages behind #catalog, #search, #orders, #health
// (the hash, so that no address the browser keeps ever holds anything but a page name). Each
// page module exports mount(section) once and show()/hide() as it is opened and left.
import { hasKey, setKey, forgetKey, learnScope, keyScope, ApiError } from "./api.js";
import { $, say, errorText } from "./dom.js";
import * as catalog from "./catalog.js";
import * as search from "./search.js";
import * as orders from "./orders.js";
import * as health from "./health.js";

const pages = { catalog, search, orders, health };
const mounted = new Set();
let current = null;

function showPage(name) {
  if (!hasKey()) name = "login";
  if (name !== "login" && !pages[name]) name = "catalog";
  if (current && current !== name && pages[current]) pages[current].hide();
  for (const sec of document.querySelectorAll(".page")) sec.hidden = sec.id !== "page-" + name;
  $("#nav").hidden = name === "login";
  $("#signout").hidden = name === "login";
  for (const a of document.querySelectorAll("#nav a"))
    a.toggleAttribute("aria-current", a.dataset.page === name);
  if (name === "login") {
    current = null;
    $("#login-key").focus();
    return;
  }
  const section = $("#page-" + name);
  if (!mounted.has(name)) { pages[name].mount(section); mounted.add(name); }
  if (current !== name) {
    current = name;
    pages[name].show();
    const heading = section.querySelector("h1");
    if (heading) { heading.tabIndex = -1; heading.focus(); }
  }
}

// A key kept in sessionStorage comes back with a reload, its scope does not: asked again first.
async function route() {
  if (hasKey() && !keyScope()) {
    try { await learnScope(); } catch (e) {
      forgetKey();
      $("#login-error").textContent = "Sign-in failed: " + errorText(e);
    }
  }
  showPage(location.hash.replace(/^#/, "") || "catalog");
}

$("#login-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const k = $("#login-key").value.trim();
  const err = $("#login-error");
  err.textContent = "";
  setKey(k, $("#login-keep").checked);
  try {
    // Any key may ask which key it is (scope public): this proves the key and says its scope.
    const me = await learnScope();
    $("#login-key").value = "";
    say(`Signed in as ${me.name} (scope ${me.scope}).`);
    if (!location.hash || location.hash === "#login") location.hash = "#catalog";
    route();
  } catch (e) {
    forgetKey();
    err.textContent = e instanceof ApiError && e.status === 401
      ? "That key was refused: " + e.message : "Sign-in failed: " + errorText(e);
  }
});

$("#signout").addEventListener("click", () => {
  if (current && pages[current]) pages[current].hide();
  current = null;
  forgetKey();
  say("Signed out.");
  showPage("login");
});

window.addEventListener("hashchange", route);
route();
