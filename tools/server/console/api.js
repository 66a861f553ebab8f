// The console's one way to the server: every call goes through api(), which adds the key in
// the Authorization header. The key lives in this module's memory, and in sessionStorage only
// when the user asked for it (it then survives a reload of this tab, not the tab). It is never
// put in a URL (the server refuses keys there) and never written to the console or the page.

const STORAGE_NAME = "commerce-console-key";
let key = sessionStorage.getItem(STORAGE_NAME) || "";

export function hasKey() { return key !== ""; }

// The key's scope ("public", "store" or "admin"; GET /v1/key), learnt at sign-in and after a
// reload, so that a page asks only what the key may do and says what it may not, instead of
// making calls that are refused (a browser logs each refused call as an error in its console).
const SCOPES = ["public", "store", "admin"];
let scope = "";
export function keyScope() { return scope; }
// Whether the key may call a route that needs `needed` (the scopes nest: public < store < admin).
export function may(needed) { return SCOPES.indexOf(scope) >= SCOPES.indexOf(needed); }
// Asks the server which key this is; rejects with ApiError (401 for a key it does not know).
export async function learnScope() {
  const { data } = await api("GET", "/v1/key");
  scope = data.scope;
  return data;
}

export function setKey(k, keep) {
  key = k;
  if (keep) sessionStorage.setItem(STORAGE_NAME, k);
  else sessionStorage.removeItem(STORAGE_NAME);
}

export function forgetKey() {
  key = "";
  scope = "";
  sessionStorage.removeItem(STORAGE_NAME);
}

// An error answer of the API: {error: {code, message, request_id}} and the HTTP status.
export class ApiError extends Error {
  constructor(status, code, message, requestId) {
    super(message);
    this.status = status;
    this.code = code;
    this.requestId = requestId;
  }
}

function authHeaders(extra) {
  const h = new Headers(extra || {});
  if (key) h.set("Authorization", "Bearer " + key);
  return h;
}

// path: "/v1/search"; query: an object (arrays repeat the parameter); body: an object (sent as
// JSON) or a Blob/string with its own content type in headers. Resolves to
// {status, headers, data} (data: the JSON, or the text for other types); rejects with ApiError.
export async function api(method, path, { query, body, headers, signal } = {}) {
  const url = new URL(path, location.origin);
  for (const [k, v] of Object.entries(query || {})) {
    if (v === undefined || v === null || v === "") continue;
    for (const one of Array.isArray(v) ? v : [v]) url.searchParams.append(k, String(one));
  }
  const h = authHeaders(headers);
  let payload = body;
  if (body !== undefined && !(body instanceof Blob) && typeof body !== "string") {
    payload = JSON.stringify(body);
    h.set("Content-Type", "application/json");
  }
  const resp = await fetch(url, { method, headers: h, body: payload, signal, cache: "no-store" });
  const type = resp.headers.get("Content-Type") || "";
  const data = type.startsWith("application/json") ? await resp.json() : await resp.text();
  if (!resp.ok) {
    const e = (data && data.error) || {};
    throw new ApiError(resp.status, e.code || String(resp.status), e.message || resp.statusText, e.request_id || "");
  }
  return { status: resp.status, headers: resp.headers, data };
}

// The event log as it is written: GET /v1/events/stream read with fetch (EventSource cannot
// send the Authorization header). Calls onEvent(event) for each event from `from` on, and
// reconnects after a drop with Last-Event-ID, until `signal` aborts. onState("live" |
// "reconnecting" | error message) says how the stream is.
export async function followEvents(from, onEvent, onState, signal) {
  let last = from > 1 ? from - 1 : 0;
  let delay = 500;
  while (!signal.aborted) {
    try {
      const headers = authHeaders(last > 0 ? { "Last-Event-ID": String(last) } : {});
      const url = new URL("/v1/events/stream", location.origin);
      if (last === 0) url.searchParams.set("from", String(from));
      const resp = await fetch(url, { headers, signal, cache: "no-store" });
      if (!resp.ok) {
        const data = await resp.json().catch(() => ({}));
        const msg = (data.error && data.error.message) || resp.statusText;
        onState(`stream refused (${resp.status}): ${msg}`);
        if (resp.status === 401 || resp.status === 403 || resp.status === 400) return;
      } else {
        onState("live");
        delay = 500;
        const reader = resp.body.getReader();
        const decoder = new TextDecoder();
        let buffer = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += decoder.decode(value, { stream: true });
          let end;
          while ((end = buffer.indexOf("\n\n")) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const ev = parseBlock(block);
            if (!ev) continue;
            if (ev.type === "error") { onState("stream error: " + ev.data); continue; }
            last = Number(ev.id) || last;
            onEvent(JSON.parse(ev.data));
          }
        }
      }
    } catch (e) {
      if (signal.aborted) return;
      onState("reconnecting: " + e.message);
    }
    if (signal.aborted) return;
    onState("reconnecting");
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 10000);
  }
}

// One Server-Sent Events block: {id, type, data}; null for a comment (a heartbeat).
function parseBlock(block) {
  const ev = { id: "", type: "message", data: "" };
  let any = false;
  for (const line of block.split("\n")) {
    if (line === "" || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "id") ev.id = value;
    else if (field === "event") ev.type = value;
    else if (field === "data") { ev.data += (ev.data ? "\n" : "") + value; any = true; }
  }
  return any ? ev : null;
}
