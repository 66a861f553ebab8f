"""Webhook subscriptions over HTTP (admin): subscribe, list (secrets never returned), get,
failures, unsubscribe. Delivery itself is the engine's (tests/unit, docs/webhooks.md); here a
receiver on 127.0.0.1 that always fails shows up in /v1/webhooks/failures on a server that
allows 127.0.0.1 (--webhook-allow-network), and a server without that option refuses it."""
import http.server
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
