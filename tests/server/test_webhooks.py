"""Webhook subscriptions over HTTP (admin): subscribe, list (secrets never returned), get,
failures, unsubscribe. Delivery itself is the engine's (tests/unit, docs/webhooks.md); here a
receiver on 127.0.0.1 that always fails shows up in /v1/webhooks/failures on a server that
allows 127.0.0.1 (--webhook-allow-network), and a server without that option refuses it."""
import hashlib
import hmac
import http.server
import json
import threading
import time

import pytest

from conftest import ADMIN_KEY, Client, own_server


@pytest.fixture
def failing_receiver():
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(500)
            self.end_headers()

        def log_message(self, *args):
            pass

    srv = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}/hooks"
    srv.shutdown()


def test_private_targets_are_refused_by_default(admin, store, failing_receiver):
    assert store.get("/v1/webhooks").status_code == 403
    for url in (failing_receiver, "http://169.254.169.254/latest/meta-data/", "http://localhost:9/x",
                "http://[::1]/x", "http://10.0.0.1/x"):
        r = admin.post("/v1/webhooks", json={"url": url, "secret": "whsec_0123456789abcdef"})
        assert r.status_code == 400, (url, r.text)
        err = r.json()["error"]
        assert err["code"] == "INVALID_ARGUMENT" and err["message"].startswith("url: "), err
        assert "--webhook-allow-network" in err["message"]
    assert admin.get("/v1/webhooks").json()["items"] == []


def test_webhook_subscriptions(checker, failing_receiver):
    with own_server(args=["--webhook-allow-network", "127.0.0.1/32"]) as srv:
        run_subscriptions(Client(srv, checker, ADMIN_KEY), failing_receiver)


def run_subscriptions(admin, failing_receiver):
    r = admin.post("/v1/webhooks", json={"url": failing_receiver, "event_types": ["WarehouseUpserted"],
                                         "secret": "whsec_0123456789abcdef"})
    if r.status_code == 501:
        pytest.skip("this build's engine has no webhooks yet")
    assert r.status_code == 201, r.text
    sub = r.json()
    assert "secret" not in sub and sub["url"] == failing_receiver
    assert admin.get(f"/v1/webhooks/{sub['id']}").json()["id"] == sub["id"]
    assert sub["id"] in [s["id"] for s in admin.get("/v1/webhooks").json()["items"]]
    r = admin.post("/v1/webhooks", json={"url": "ftp://nope", "secret": "short"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "INVALID_ARGUMENT"
    r = admin.post("/v1/webhooks", json={"url": failing_receiver, "secret": "whsec_0123456789abcdef",
                                         "events": ["x"]})
    assert r.status_code == 400 and "body.events" in r.json()["error"]["message"]
    # an event the receiver refuses is recorded as a failure
    admin.put("/v1/warehouses/wh-hook", json={"name": "hook", "region": "eu"})
    deadline = time.time() + 8
    failures = []
    while time.time() < deadline and not failures:
        failures = admin.get("/v1/webhooks/failures", params={"subscription_id": sub["id"]}).json()["items"]
        time.sleep(0.2)
    if failures:
        assert failures[0]["event_type"] == "WarehouseUpserted"
        assert failures[0]["attempts"] >= 1 and failures[0]["last_http_status"] == 500
    r = admin.delete(f"/v1/webhooks/{sub['id']}")
    assert r.status_code == 200 and r.json() == {"deleted": True}
    assert admin.get(f"/v1/webhooks/{sub['id']}").status_code == 404


def test_patch_updates_a_subscription_keeping_its_queue(checker, failing_receiver):
    """PATCH /v1/webhooks/{id}: a delivery failing at the old url is sent to the new one,
    signed with the rotated secret; disabled sends nothing; bad input is 400 naming the field
    and changes nothing (the address rules of subscribe hold)."""
    received = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            received.append((self.path, dict(self.headers), body))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    ok_srv = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=ok_srv.serve_forever, daemon=True).start()
    ok_url = f"http://127.0.0.1:{ok_srv.server_address[1]}/new"
    rotated = "whsec_rotated_fedcba9876543210"
    try:
        with own_server(args=["--webhook-allow-network", "127.0.0.1/32"]) as srv:
            admin = Client(srv, checker, ADMIN_KEY)
            r = admin.post("/v1/webhooks", json={"id": "erp", "url": failing_receiver,
                                                 "event_types": ["WarehouseUpserted"],
                                                 "secret": "whsec_0123456789abcdef"})
            assert r.status_code == 201, r.text
            created = r.json()
            assert admin.put("/v1/warehouses/wh-patch", json={"name": "patch", "region": "eu"}).status_code == 200
            deadline = time.time() + 10
            failures = []
            while time.time() < deadline and not failures:
                failures = admin.get("/v1/webhooks/failures", params={"subscription_id": "erp"}).json()["items"]
                time.sleep(0.1)
            assert failures, "the failing receiver's delivery was never recorded"
            seq = failures[0]["event_seq"]

            r = admin.request("PATCH", "/v1/webhooks/erp", json={"url": ok_url, "secret": rotated,
                                                                 "event_types": ["WarehouseUpserted", "StockReceived"]})
            assert r.status_code == 200, r.text
            got = r.json()
            assert got["url"] == ok_url and got["event_types"] == ["WarehouseUpserted", "StockReceived"]
            assert got["active"] and got["created_at_ms"] == created["created_at_ms"] and "secret" not in got
            # The queued delivery reaches the new url, signed with the new secret (after its backoff).
            deadline = time.time() + 30
            while time.time() < deadline and not received:
                time.sleep(0.1)
            assert received, "the queued delivery never reached the new url"
            path, headers, body = received[0]
            assert path == "/new" and headers["X-Commerce-Event-Id"] == str(seq)
            t, v1 = (part.split("=", 1)[1] for part in headers["X-Commerce-Signature"].split(","))
            assert v1 == hmac.new(rotated.encode(), t.encode() + b"." + body, hashlib.sha256).hexdigest()
            assert json.loads(body)["id"] == seq
            assert admin.get("/v1/webhooks/failures", params={"subscription_id": "erp"}).json()["items"] == []

            # Disabled: an event of its types is not sent (nor queued for later).
            r = admin.request("PATCH", "/v1/webhooks/erp", json={"active": False})
            assert r.status_code == 200 and r.json()["active"] is False, r.text
            assert admin.put("/v1/warehouses/wh-patch-2", json={"name": "off", "region": "eu"}).status_code == 200
            time.sleep(1.5)
            assert len(received) == 1
            # Enabled again (a client may echo back what GET answered): the next event is sent.
            echoed = admin.get("/v1/webhooks/erp").json()
            echoed["active"] = True
            r = admin.request("PATCH", "/v1/webhooks/erp", json=echoed)
            assert r.status_code == 200 and r.json()["active"] is True, r.text
            assert admin.put("/v1/warehouses/wh-patch-3", json={"name": "on", "region": "eu"}).status_code == 200
            deadline = time.time() + 10
            while time.time() < deadline and len(received) < 2:
                time.sleep(0.1)
            assert [json.loads(b)["subject"] for _, _, b in received] == ["wh-patch", "wh-patch-3"]
    finally:
        ok_srv.shutdown()


def test_bad_patches_are_refused_and_change_nothing(admin, store, public):
    r = admin.post("/v1/webhooks", json={"id": "patch-me", "url": "https://hooks.example/h",
                                         "event_types": ["OrderPlaced"], "secret": "whsec_0123456789abcdef"})
    assert r.status_code == 201, r.text
    before = admin.get("/v1/webhooks/patch-me").json()
    for body, word in [({}, "nothing to change"),
                       ({"url": "ftp://hooks.example/h"}, "url"),
                       # the address rules of subscribe: this server allows no private network
                       ({"url": "http://169.254.169.254/latest/meta-data/"}, "url"),
                       ({"url": "http://127.0.0.1:9/h", "active": False}, "url"),
                       ({"url": "http://10.0.0.1/h"}, "url"),
                       ({"event_types": ["NoSuchEvent"]}, "event_types[0]"),
                       ({"event_types": "OrderPlaced"}, "event_types"),
                       ({"secret": "short"}, "secret"),
                       ({"active": "no"}, "active"),
                       ({"url": None}, "url"),
                       ({"id": "other", "active": False}, "body.id"),
                       ({"events": ["OrderPlaced"]}, "body.events")]:
        r = admin.request("PATCH", "/v1/webhooks/patch-me", json=body)
        assert r.status_code == 400, (body, r.text)
        assert word in r.json()["error"]["message"], (body, r.text)
    r = admin.request("PATCH", "/v1/webhooks/patch-me", data="{", headers={"Content-Type": "application/json"})
    assert r.status_code == 400, r.text
    r = admin.request("PATCH", "/v1/webhooks/nobody", json={"active": False})
    assert r.status_code == 404, r.text
    for client in (store, public):
        assert client.request("PATCH", "/v1/webhooks/patch-me", json={"active": False}).status_code == 403
    assert admin.get("/v1/webhooks/patch-me").json() == before
    assert admin.delete("/v1/webhooks/patch-me").status_code == 200
