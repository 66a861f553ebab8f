// A line chart in SVG, drawn by the console itself (no library): series of [time_ms, value]
// over a fixed window ending now, a zero-based y axis with its top value labelled, and a text
// alternative (the chart's <title> and the latest values) for screen readers.
import { h } from "./dom.js";

const NS = "http://www.w3.org/2000/svg";
const W = 320, H = 120, PAD_L = 56, PAD_B = 16, PAD_T = 8;

function s(tag, attrs, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  for (const c of children) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

function nice(v) {
  if (v <= 0) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

export function format(v, unit) {
  if (v === null || v === undefined || Number.isNaN(v)) return "–";
  if (unit === "ms") return v < 10 ? v.toFixed(2) + " ms" : v.toFixed(0) + " ms";
  if (unit === "%") return (v * 100).toFixed(1) + "%";
  if (Math.abs(v) >= 1000) return (v / 1000).toFixed(1) + "k" + (unit ? " " + unit : "");
  return (Number.isInteger(v) ? String(v) : v.toFixed(v < 10 ? 2 : 1)) + (unit ? " " + unit : "");
}

// series: [{name, points: [[t, v]...]}] (v null: a gap); windowMs: the time shown.
export function lineChart({ id, title, unit, series, windowMs, now }) {
  const values = series.flatMap((x) => x.points.map((p) => p[1])).filter((v) => v !== null && !Number.isNaN(v));
  const top = nice(Math.max(0, ...values) * (unit === "%" ? 1 : 1.1));
  const x = (t) => PAD_L + ((t - (now - windowMs)) / windowMs) * (W - PAD_L - 4);
  const y = (v) => PAD_T + (1 - v / top) * (H - PAD_T - PAD_B);
  // The latest value of each series that has one (an interval without requests has no latency).
  const latest = series.map((x) => {
    const p = [...x.points].reverse().find((q) => q[1] !== null && !Number.isNaN(q[1]));
    return `${x.name} ${format(p ? p[1] : null, unit)}`;
  }).join(", ");
  const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-labelledby": id + "-t", class: "chart" },
    s("title", { id: id + "-t" }, `${title}: ${latest || "no samples yet"}`),
    s("line", { x1: PAD_L, y1: y(0), x2: W - 4, y2: y(0), class: "axis" }),
    s("line", { x1: PAD_L, y1: y(top), x2: W - 4, y2: y(top), class: "grid-line" }),
    s("text", { x: PAD_L - 4, y: y(top) + 4, class: "tick", "text-anchor": "end" }, format(top, unit)),
    s("text", { x: PAD_L - 4, y: y(0), class: "tick", "text-anchor": "end" }, "0"),
    s("text", { x: PAD_L, y: H - 2, class: "tick" }, windowMs < 60000 ? `−${Math.round(windowMs / 1000)} s` : `−${Math.round(windowMs / 60000)} min`),
    s("text", { x: W - 4, y: H - 2, class: "tick", "text-anchor": "end" }, "now"));
  series.forEach((ser, i) => {
    let d = "";
    let pen = false;
    for (const [t, v] of ser.points) {
      if (v === null || Number.isNaN(v) || t < now - windowMs) { pen = false; continue; }
      d += `${pen ? "L" : "M"}${x(t).toFixed(1)},${y(Math.min(v, top)).toFixed(1)}`;
      pen = true;
    }
    if (d) svg.append(s("path", { d, class: "series s" + i }));
  });
  return h("figure", { class: "chart-box", id },
    h("figcaption", null, h("strong", null, title), " ",
      series.map((ser, i) => h("span", { class: "key s" + i }, latest.split(", ")[i]))),
    svg);
}
