"""Webhook deliveries across the fleet's three instances (issue 14, part 5): one subscription,
a stream of events written through HAProxy, and each instance SIGKILLed in turn mid-stream (so
the one delivering — the lease holder, docs/scaling.md "Durable consumers" — dies at some
point). A receiver on 127.0.0.1 counts deliveries per event id: every event is delivered at
least once with a valid signature, none that was not written, and duplicates stay the few
deliveries in flight when their sender died — three instances each delivering would send
every event three times.

In the full run (ctest label `full`; tools/cluster fault-matrix), ~1.5 minutes."""
import hashlib
import hmac
import http.server
import json
import threading
import time
from collections import Counter

from fleet import Fleet

SECRET = "whsec_fleet_0123456789abcdef"
ALL = {"server-1", "server-2", "server-3"}


class Receiver:
    def __init__(self):
        self.counts = Counter()
        self.bad = []
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                # t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>"> (docs/webhooks.md)
                fields = dict(f.split("=", 1) for f in self.headers.get("X-Commerce-Signature", "").split(",")
                              if "=" in f)
                t = fields.get("t", "")
                expected = hmac.new(SECRET.encode(), t.encode() + b"." + body, hashlib.sha256).hexdigest()
                ok = (t.isdigit() and abs(time.time() - int(t)) <= 300
                      and hmac.compare_digest(expected, fields.get("v1", "")))
                event_id = int(self.headers.get("X-Commerce-Event-Id", "0"))
                with outer.lock:
                    if not ok or json.loads(body)["id"] != event_id:
                        outer.bad.append(event_id)
                    outer.counts[event_id] += 1
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_one_delivery_stream_across_instances_survives_each_instance_killed():
    fleet = Fleet(products=0)
    receiver = Receiver()
    try:
        s = fleet.session()
        r = s.post(fleet.url + "/v1/webhooks", json={"url": receiver.url, "secret": SECRET,
                                                     "event_types": ["CustomerCreated"]}, timeout=30)
        assert r.status_code == 201, r.text
        first = s.get(fleet.url + "/v1/events", params={"from": 1, "limit": 1}, timeout=30).json()["last_seq"] + 1

        stop = threading.Event()
        written = []

        def writer():
            n = 0
            while not stop.is_set():
                try:
                    r = s.post(fleet.url + "/v1/customers", json={"email": f"hook-{n}@example.com"}, timeout=15)
                    if r.status_code == 201:
                        written.append(r.json()["id"])
                        n += 1
                except Exception:
                    pass
                time.sleep(0.1)

        t = threading.Thread(target=writer, daemon=True)
        t.start()
        try:
            # Each process of the store dies in turn, 12 s apart: more than the lease's ttl
            # (10 s), so the holder is killed at least once and a successor takes over while
            # events flow. The indexer first: it opened the store first, so it is likely the
            # first holder.
            for part in ("indexer", "server-1", "server-2", "server-3"):
                time.sleep(6)
                fleet.kill(part)
                time.sleep(3)
                fleet.start(part)
                fleet.wait_backends(ALL, timeout=30)
            time.sleep(3)
        finally:
            stop.set()
            t.join(timeout=30)

        # The events the stream wrote, from the log.
        want = set()
        nxt = first
        while True:
            body = s.get(fleet.url + "/v1/events", params={"from": nxt, "limit": 10000}, timeout=30).json()
            want |= {e["seq"] for e in body["events"] if e["type"] == "CustomerCreated"}
            if not body["events"] or body["next"] > body["last_seq"]:
                break
            nxt = body["next"]
        # A creation whose answer was lost may have committed: the log has at least those acknowledged.
        assert len(want) >= len(written) > 50, (len(want), len(written))

        # Every one delivered: the lease moves within its ttl plus a look (~13 s) of the kill.
        deadline = time.time() + 60
        while time.time() < deadline:
            with receiver.lock:
                missing = want - set(receiver.counts)
            if not missing:
                break
            time.sleep(0.5)
        time.sleep(2)   # room for a late duplicate, were a second deliverer sending
        with receiver.lock:
            counts = dict(receiver.counts)
            bad = list(receiver.bad)
        assert not bad, f"bad signature or id: {bad[:10]}"
        assert not (want - set(counts)), f"never delivered: {sorted(want - set(counts))[:20]}"
        assert not (set(counts) - want), f"delivered but never written: {sorted(set(counts) - want)[:20]}"
        duplicated = {k: v for k, v in counts.items() if v > 1}
        print(f"webhooks across the indexer and 3 instances, each killed once: {len(want)} events, "
              f"{sum(counts.values())} deliveries, {len(duplicated)} delivered more than once", flush=True)
        assert len(duplicated) <= 10, duplicated
    finally:
        receiver.close()
        fleet.stop()
    fleet.remove()
