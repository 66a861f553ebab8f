"""A mixed load of orders, cart edits and searches through the fleet's HAProxy, recording what
each client saw acknowledged, and the checks after a fault: no acknowledged order lost or
duplicated, no oversell, reservations equal to the live orders, cart lines equal to the
acknowledged adds.

A client behaves as a careful shop front does: an order whose outcome it did not learn (a 5xx,
a reset connection, a timeout) is placed again with the same Idempotency-Key until it gets an
answer; a cart add without an answer is not repeated (it has no key of its own) and counts as
"maybe applied".
"""
import random
import threading
import time
from collections import defaultdict

import requests

ADDRESS = {"name": "Ada", "line1": "1 Main St", "city": "Reno", "region": "us-west", "country": "US"}
HOT_UNITS = 120   # of the hot SKU, for which orders race; the other never runs out
WORDS = ["shirt", "kitchen", "set", "oxford", "navy", "steel", "bag", "shoes", "black", "lamp"]


def expect_ok(r):
    assert r.status_code in (200, 201), f"{r.request.method} {r.request.url}: {r.status_code} {r.text}"
    return r


def failure_of(r, exc=None):
    """None for an answer that is not a failure of the fleet, else why: `transport` (no answer,
    or HAProxy's 502/503/504: no instance answered), `contention` (the engine's Unavailable
    after its serialization retries ran out: docs/scaling.md, "The write model"), or the code."""
    if exc is not None or r is None:
        return "transport"
    if r.status_code < 500:
        return None
    try:
        message = r.json()["error"]["message"]
    except (ValueError, KeyError, TypeError):
        return "transport"   # not the fleet's JSON: an error page of someone else's
    if message.startswith("load balancer:"):
        return "transport"   # HAProxy's own answer (tools/cluster's error files)
    if "serialization failures" in message:
        return "contention"
    return f"http {r.status_code}"


def percentile(values, p):
    if not values:
        return None
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


class Load:
    """`workers` client threads against fleet.url until stop()."""

    def __init__(self, fleet, workers=6, run="r"):
        self.fleet = fleet
        self.url = fleet.url
        self.workers = workers
        self.run = run
        self.stop_flag = threading.Event()
        self.lock = threading.Lock()
        self.samples = []            # (start_time, kind, seconds, failure or None)
        self.acked = {}              # idempotency key -> order id
        self.acked_lines = {}        # order id -> {sku: qty}
        self.refused = set()         # keys answered OUT_OF_STOCK
        self.unknown = set()         # keys whose outcome no answer told
        self.customer_of = {}        # key -> customer id
        self.carts = {}              # cart id -> {"acked": n, "maybe": n}
        self.errors = defaultdict(int)
        self.messages = {}           # "http 503" -> the first body answered with it (to tell why)
        self.min_available = None
        self.threads = []
        self.stop_at = None
        # SKUs of their own per run, so that several runs on one fleet do not mix.
        self.hot_sku = f"FLEET-HOT-{run}".upper()
        self.plenty_sku = f"FLEET-PLENTY-{run}".upper()

    # --- setup -----------------------------------------------------------------------------

    def setup(self):
        s = self.fleet.session()
        ok = expect_ok
        ok(s.put(self.url + "/v1/warehouses/wh-fleet", json={"name": "fleet", "region": "us-west"}, timeout=30))
        for sku, title in ((self.hot_sku, "Fleet Limited"), (self.plenty_sku, "Fleet Plenty")):
            ok(s.put(self.url + f"/v1/products/{sku.lower()}", json={
                "title": title, "variants": [{"sku": sku, "price": 1500}]}, timeout=30))
        ok(s.post(self.url + f"/v1/stock/{self.hot_sku}/receive",
                  json={"warehouse_id": "wh-fleet", "quantity": HOT_UNITS}, timeout=30))
        ok(s.post(self.url + f"/v1/stock/{self.plenty_sku}/receive",
                  json={"warehouse_id": "wh-fleet", "quantity": 1_000_000}, timeout=30))
        self.customers = []
        for w in range(self.workers):
            r = s.post(self.url + "/v1/customers", json={"email": f"fleet-{self.run}-{w}@example.com"}, timeout=30)
            ok(r)
            self.customers.append(r.json()["id"])

    # --- the clients -------------------------------------------------------------------------

    def _timed(self, kind, fn):
        """fn() returns None when it went well, else the failure (failure_of)."""
        t0 = time.time()
        failure = "exception"
        try:
            failure = fn()
            return failure
        finally:
            with self.lock:
                self.samples.append((t0, kind, time.time() - t0, failure))

    def _place(self, s, w, n):
        key = f"{self.run}-{w}-{n}"
        sku = self.hot_sku if n % 3 == 0 else self.plenty_sku
        qty = 1 if sku == self.hot_sku else 2
        body = {"customer_id": self.customers[w], "lines": [{"sku": sku, "quantity": qty}],
                "shipping_address": ADDRESS}
        with self.lock:
            self.customer_of[key] = self.customers[w]
        deadline = time.time() + 60
        while True:
            def attempt():
                try:
                    r = s.post(self.url + "/v1/orders", json=body, headers={"Idempotency-Key": key}, timeout=15)
                except requests.RequestException as e:
                    self.errors[type(e).__name__] += 1
                    return None
                return r
            t0 = time.time()
            r = attempt()
            code = r.status_code if r is not None else None
            with self.lock:
                self.samples.append((t0, "order", time.time() - t0, failure_of(r)))
            if code in (200, 201):
                order = r.json()
                with self.lock:
                    if key in self.acked and self.acked[key] != order["id"]:
                        raise AssertionError(f"key {key}: two orders {self.acked[key]}, {order['id']}")
                    self.acked[key] = order["id"]
                    self.acked_lines[order["id"]] = {l["sku"]: l["quantity"] for l in order["lines"]}
                    self.unknown.discard(key)
                return
            if code == 409 and r.json()["error"]["code"] == "OUT_OF_STOCK":
                with self.lock:
                    self.refused.add(key)
                    self.unknown.discard(key)
                return
            if code is not None and 400 <= code < 500 and code not in (408, 429):
                raise AssertionError(f"order {key}: {code} {r.text}")
            # 5xx, 408, 429 or no answer: the outcome is unknown until a retry tells.
            with self.lock:
                self.unknown.add(key)
                if code is not None:
                    self.errors[f"http {code}"] += 1
                    self._note(r)
            if time.time() > deadline or self.stop_flag.is_set() and time.time() > self.stop_at + 30:
                return
            time.sleep(0.2)

    def _cart(self, s, w, n):
        def go():
            try:
                r = s.post(self.url + "/v1/carts", json={"customer_id": self.customers[w]}, timeout=15)
            except requests.RequestException as e:
                self.errors[type(e).__name__] += 1
                return failure_of(None, e)
            if r.status_code != 201:
                self.errors[f"http {r.status_code}"] += 1
                self._note(r)
                return failure_of(r) or f"http {r.status_code}"
            cart = r.json()["id"]
            with self.lock:
                self.carts[cart] = {"acked": 0, "maybe": 0}
            failure = None
            for _ in range(2):
                r, exc = None, None
                try:
                    r = s.post(self.url + f"/v1/carts/{cart}/lines", json={"sku": self.plenty_sku, "quantity": 1}, timeout=15)
                except requests.RequestException as e:
                    self.errors[type(e).__name__] += 1
                    exc = e
                code = r.status_code if r is not None else None
                with self.lock:
                    if code == 200:
                        self.carts[cart]["acked"] += 1
                    elif code is None or code >= 500:
                        self.errors[f"http {code}"] += code is not None
                        if r is not None:
                            self._note(r)
                        self.carts[cart]["maybe"] += 1
                        failure = failure or failure_of(r, exc)
                    else:
                        raise AssertionError(f"cart add: {code} {r.text}")
            return failure
        self._timed("cart", go)

    def _search(self, s, rnd):
        def go():
            try:
                r = s.get(self.url + "/v1/search", params={"q": rnd.choice(WORDS), "limit": 10}, timeout=15)
            except requests.RequestException as e:
                self.errors[type(e).__name__] += 1
                return failure_of(None, e)
            if r.status_code != 200:
                self.errors[f"http {r.status_code}"] += 1
                self._note(r)
                return failure_of(r) or f"http {r.status_code}"
            return None
        self._timed("search", go)

    def _note(self, r):
        self.messages.setdefault(f"http {r.status_code}", r.text[:300])

    def _worker(self, w):
        s = self.fleet.session()
        rnd = random.Random(w)
        n = 0
        while not self.stop_flag.is_set():
            x = rnd.random()
            if x < 0.4:
                self._place(s, w, n)
            elif x < 0.7:
                self._cart(s, w, n)
            else:
                self._search(s, rnd)
            n += 1

    def _watch_stock(self):
        s = self.fleet.session()
        while not self.stop_flag.is_set():
            try:
                r = s.get(self.url + f"/v1/stock/{self.hot_sku}", timeout=5)
                if r.status_code == 200:
                    a = r.json()["available"]
                    with self.lock:
                        self.min_available = a if self.min_available is None else min(self.min_available, a)
            except requests.RequestException:
                pass
            time.sleep(0.3)

    def start(self):
        self.stop_flag.clear()
        self.threads = [threading.Thread(target=self._worker, args=(w,), daemon=True) for w in range(self.workers)]
        self.threads.append(threading.Thread(target=self._watch_stock, daemon=True))
        for t in self.threads:
            t.start()

    def stop(self):
        self.stop_at = time.time()
        self.stop_flag.set()
        for t in self.threads:
            t.join(timeout=120)
        assert not any(t.is_alive() for t in self.threads), "a client thread did not finish"

    # --- figures ---------------------------------------------------------------------------

    def window(self, t0, t1):
        """{kind: {"requests", "failed", "p50_ms", "p99_ms", "failures": {reason: n}}} of the
        requests started in [t0, t1)."""
        out = {}
        with self.lock:
            rows = [x for x in self.samples if t0 <= x[0] < t1]
        for kind in ("order", "cart", "search"):
            lat = [d for (_, k, d, _) in rows if k == kind]
            reasons = defaultdict(int)
            for (_, k, _, failure) in rows:
                if k == kind and failure:
                    reasons[failure] += 1
            p50, p99 = percentile(lat, 50), percentile(lat, 99)
            out[kind] = {"requests": len(lat), "failed": sum(reasons.values()),
                         "p50_ms": None if p50 is None else round(p50 * 1000, 1),
                         "p99_ms": None if p99 is None else round(p99 * 1000, 1),
                         "failures": dict(reasons)}
        return out

    # --- the checks ------------------------------------------------------------------------

    def check(self):
        """Compares what clients saw with the store. Returns a summary dict; raises on a breach."""
        s = self.fleet.session()
        # The log's orders: every OrderPlaced, with its lines.
        placed = {}
        nxt = 1
        while True:
            r = s.get(self.url + "/v1/events", params={"from": nxt, "limit": 10000}, timeout=60)
            assert r.status_code == 200, r.text
            body = r.json()
            for e in body["events"]:
                if e["type"] == "OrderPlaced":
                    placed[e["data"]["order_id"]] = e["data"]
            if not body["events"] or body["next"] > body["last_seq"]:
                break
            nxt = body["next"]
        # Nothing lost: every acknowledged order is in the log and readable.
        lost = [k for k, oid in self.acked.items() if oid not in placed]
        assert not lost, f"acknowledged orders missing from the store: {lost[:10]}"
        for oid in list(self.acked.values())[:: max(1, len(self.acked) // 50)]:
            r = s.get(self.url + f"/v1/orders/{oid}", timeout=30)
            assert r.status_code == 200, (oid, r.text)
        # Nothing doubled: an order of this run nobody saw acknowledged must belong to a key
        # whose outcome stayed unknown, one order per such key.
        acked_ids = set(self.acked.values())
        extra_keys = defaultdict(list)
        lines_of = dict(self.acked_lines)
        for oid in placed:
            if oid in acked_ids:
                continue
            r = s.get(self.url + f"/v1/orders/{oid}", timeout=30)
            assert r.status_code == 200, (oid, r.text)
            order = r.json()
            lines_of[oid] = {l["sku"]: l["quantity"] for l in order["lines"]}
            key = order["idempotency_key"]
            if key.startswith(self.run + "-"):
                extra_keys[key].append(oid)
        doubled = {k: v for k, v in extra_keys.items() if k in self.acked or k in self.refused or len(v) > 1}
        assert not doubled, f"orders placed twice: {doubled}"
        stray = [k for k in extra_keys if k not in self.unknown]
        assert not stray, f"orders no client asked for: {stray}"
        # No oversell: reservations of the hot SKU are exactly the live orders' units.
        r = s.get(self.url + f"/v1/stock/{self.hot_sku}", timeout=30)
        stock = r.json()
        hot_units = sum(lines_of[oid].get(self.hot_sku, 0) for oid in placed)
        assert stock["reserved"] == hot_units, (stock, hot_units)
        assert stock["on_hand"] == HOT_UNITS and stock["available"] >= 0, stock
        assert self.min_available is None or self.min_available >= 0, self.min_available
        # Cart lines: exactly the acknowledged adds, plus at most the unanswered ones.
        bad_carts = []
        for cart, c in list(self.carts.items())[:: max(1, len(self.carts) // 40)]:
            r = s.get(self.url + f"/v1/carts/{cart}", timeout=30)
            if r.status_code != 200:
                bad_carts.append((cart, r.status_code))
                continue
            qty = sum(l["quantity"] for l in r.json()["lines"])
            if not (c["acked"] <= qty <= c["acked"] + c["maybe"]):
                bad_carts.append((cart, qty, c))
        assert not bad_carts, f"carts that differ from what clients saw: {bad_carts[:10]}"
        return {"acked": len(self.acked), "refused": len(self.refused), "unknown": len(self.unknown),
                "orders_in_log": len(placed), "hot_reserved": stock["reserved"],
                "carts": len(self.carts), "errors": dict(self.errors),
                "messages": dict(self.messages)}
