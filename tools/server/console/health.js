// Health: GET /metrics (scope admin) sampled every 2 s while the page is open, kept for the
// last 10 minutes, drawn as charts: request throughput, P50/P99 latency (from the latency
// histogram's buckets, between two samples), search index lag, group-commit size (mutations per
// durable group), search cache hit rate, and the circuit breakers of remote parts (how many are
// open or half-open over time, and each one's state now). Routes of
// the console itself and event streams (long by design) are left out of throughput and latency.
import { api, may, keyScope } from "./api.js";
import { h, clear, errorText, gate } from "./dom.js";
import { lineChart } from "./chart.js";

const PERIOD_MS = 2000;
const WINDOW_MS = 10 * 60 * 1000;
const IGNORED_ROUTES = new Set(["GET /metrics", "GET /console", "GET /console/{file}", "GET /v1/events/stream"]);
const BREAKER = ["closed", "open", "half-open"];

let root, charts, breakers, stateLine;
let timer = 0;
let samples = [];   // [{t, m: Map(name{labels} -> value)}]
let derived = [];   // [{t, rps, p50, p99, lag, lagSeconds, group, hit}]

export function mount(section) {
  root = section;
  stateLine = h("p", { id: "health-state", class: "muted" });
  charts = h("div", { class: "charts", id: "health-charts" });
  breakers = h("div", { id: "health-breakers" });
  clear(root, h("h1", { id: "health-title" }, "Health"), stateLine, charts,
    h("h2", null, "Remote parts (circuit breakers)"), breakers);
}

export function show() {
  // /metrics needs the admin scope: a narrower key is told so, and nothing is asked.
  if (!gate(root, may("admin"), "The health charts (read from /metrics)", "admin", keyScope())) return;
  tick();
  timer = setInterval(tick, PERIOD_MS);
}
export function hide() { clearInterval(timer); timer = 0; }

// Prometheus text: "name{a="b",c="d"} value" -> Map of "name{a="b",c="d"}" -> number.
export function parseMetrics(text) {
  const m = new Map();
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const sp = line.lastIndexOf(" ");
    m.set(line.slice(0, sp), Number(line.slice(sp + 1)));
  }
  return m;
}

function labelsOf(key) {
  const out = {};
  const brace = key.indexOf("{");
  if (brace < 0) return out;
  for (const [, k, v] of key.slice(brace + 1, -1).matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) out[k] = v;
  return out;
}

function nameOf(key) { const b = key.indexOf("{"); return b < 0 ? key : key.slice(0, b); }

function sum(m, name, keep = () => true) {
  let total = 0;
  for (const [k, v] of m) if (nameOf(k) === name && keep(labelsOf(k))) total += v;
  return total;
}

const apiRoute = (l) => !IGNORED_ROUTES.has(l.route);

// The latency quantile q between two samples, from the histogram's cumulative buckets summed
// over the routes kept; linear within a bucket, as Prometheus' histogram_quantile does.
function quantile(prev, cur, q) {
  const byLe = new Map();
  for (const [k, v] of cur) {
    if (nameOf(k) !== "commerce_http_request_duration_seconds_bucket") continue;
    const l = labelsOf(k);
    if (!apiRoute(l)) continue;
    const before = prev.get(k) || 0;
    const le = l.le === "+Inf" ? Infinity : Number(l.le);
    byLe.set(le, (byLe.get(le) || 0) + (v - before));
  }
  const bounds = [...byLe.keys()].sort((a, b) => a - b);
  const total = byLe.get(Infinity) || 0;
  if (!total) return null;
  const rank = q * total;
  let lower = 0, below = 0;
  for (const b of bounds) {
    const n = byLe.get(b);
    if (n >= rank) {
      if (b === Infinity) return lower * 1000;
      return (lower + (b - lower) * ((rank - below) / Math.max(1, n - below))) * 1000;
    }
    lower = b; below = n;
  }
  return null;
}

async function tick() {
  try {
    const { data } = await api("GET", "/metrics");
    const now = Date.now();
    const m = parseMetrics(data);
    const prev = samples[samples.length - 1];
    samples.push({ t: now, m });
    samples = samples.filter((x) => x.t >= now - WINDOW_MS - PERIOD_MS);
    if (prev) {
      const dt = (now - prev.t) / 1000;
      const delta = (name, keep) => sum(m, name, keep) - sum(prev.m, name, keep);
      const hits = delta("commerce_search_cache_hits_total"), misses = delta("commerce_search_cache_misses_total");
      const groups = delta("commerce_storage_groups_total");
      derived.push({
        t: now,
        rps: delta("commerce_http_requests_total", apiRoute) / dt,
        p50: quantile(prev.m, m, 0.5),
        p99: quantile(prev.m, m, 0.99),
        lag: sum(m, "commerce_search_index_lag_events"),
        group: groups > 0 ? delta("commerce_storage_mutations_total") / groups : null,
        hit: hits + misses > 0 ? hits / (hits + misses) : null,
        notClosed: [...m].filter(([k, v]) => nameOf(k) === "commerce_remote_breaker_state" && v !== 0).length,
      });
      derived = derived.filter((x) => x.t >= now - WINDOW_MS);
    }
    render(now, m);
    stateLine.textContent = `Sampled every ${PERIOD_MS / 1000} s; ${derived.length} intervals so far, the last ${WINDOW_MS / 60000} minutes kept.`;
  } catch (e) {
    stateLine.textContent = "GET /metrics: " + errorText(e);
    stateLine.className = "error";
  }
}

function render(now, m) {
  const pts = (f) => derived.map((d) => [d.t, d[f]]);
  // The time axis covers what has been sampled, from 30 s up to WINDOW_MS: a page just
  // opened shows its first seconds across the chart rather than squeezed at its right edge.
  const since = derived.length ? now - derived[0].t + PERIOD_MS : 0;
  const common = { windowMs: Math.min(WINDOW_MS, Math.max(30000, since)), now };
  clear(charts,
    lineChart({ ...common, id: "chart-throughput", title: "Throughput", unit: "req/s", series: [{ name: "API", points: pts("rps") }] }),
    lineChart({ ...common, id: "chart-latency", title: "Latency", unit: "ms", series: [{ name: "P50", points: pts("p50") }, { name: "P99", points: pts("p99") }] }),
    lineChart({ ...common, id: "chart-lag", title: "Search index lag", unit: "events", series: [{ name: "lag", points: pts("lag") }] }),
    lineChart({ ...common, id: "chart-group", title: "Group commit size", unit: "writes", series: [{ name: "mean", points: pts("group") }] }),
    lineChart({ ...common, id: "chart-cache", title: "Search cache hit rate", unit: "%", series: [{ name: "hits", points: pts("hit") }] }));
  const rows = [];
  for (const [k, v] of m) if (nameOf(k) === "commerce_remote_breaker_state") rows.push([labelsOf(k).endpoint, v]);
  if (rows.length)
    charts.append(lineChart({ ...common, id: "chart-breakers", title: "Breakers not closed", unit: "",
      series: [{ name: `of ${rows.length}`, points: pts("notClosed") }] }));
  clear(breakers, rows.length ? h("table", { class: "grid", id: "health-breaker-table" },
    h("thead", null, h("tr", null, h("th", { scope: "col" }, "Endpoint"), h("th", { scope: "col" }, "Breaker"))),
    h("tbody", null, rows.map(([ep, v]) => h("tr", null, h("td", null, ep),
      h("td", null, h("span", { class: "badge " + (v === 0 ? "ok" : "bad") }, BREAKER[v] || String(v)))))))
    : h("p", { class: "muted" }, "No remote parts: this server runs on local storage and its own index."));
}
