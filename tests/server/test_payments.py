"""Payments over HTTP (docs/payments.md): a server with the built-in test provider; an order
placed in payment_pending and authorized by the worker, captured at shipment, refunded; the
payment and refund routes' scopes and bad input; provider webhooks verified and idempotent."""
import hashlib
import hmac
import json
import os
import tempfile
import time

from conftest import ADMIN_KEY, PUBLIC_KEY, STORE_KEY, Client, make_products, own_server

SECRET = "whsec_0123456789abcdef"
ADDRESS = {"name": "Ada", "line1": "1 Main St", "city": "Reno", "region": "us-west", "country": "US"}


def webhook_signature(secret, t, body):
    """What a provider sends (docs/payments.md): HMAC-SHA256 of "<t>.<body>"."""
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body.encode(), hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def wait_status(client, order_id, leaving, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        o = client.get(f"/v1/orders/{order_id}").json()
        if o["status"] != leaving:
            return o
        time.sleep(0.05)
    raise AssertionError(f"order {order_id} still {leaving}")


def wait_payment(admin, order_id, status, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        p = admin.get(f"/v1/orders/{order_id}/payment").json()
        if p["status"] == status and p["pending_operations"] == 0:
            return p
        time.sleep(0.05)
    raise AssertionError(f"payment of {order_id} not {status}: {p}")


def test_payments_over_http(checker):
    with tempfile.TemporaryDirectory(prefix="commerce-pay-") as d:
        provider = os.path.join(d, "provider")
        with own_server(args=["--payment-test-provider-dir", provider, "--payment-webhook-secret", SECRET]) as s:
            admin, store, web = Client(s, checker, ADMIN_KEY), Client(s, checker, STORE_KEY), Client(s, checker, PUBLIC_KEY)
            assert admin.post("/v1/products/import", data=make_products(2),
                              headers={"Content-Type": "application/x-ndjson"}).status_code == 200
            assert admin.put("/v1/warehouses/wh", json={"name": "wh", "region": "us-west", "priority": 1}).status_code in (200, 201)
            assert admin.post("/v1/stock/P0000-M/receive", json={"warehouse_id": "wh", "quantity": 10}).status_code == 200
            customer = store.post("/v1/customers", json={"email": "ada@example.com", "name": "Ada"}).json()
            body = {"customer_id": customer["id"], "lines": [{"sku": "P0000-M", "quantity": 2}], "shipping_address": ADDRESS}
            r = store.post("/v1/orders", json=body, headers={"Idempotency-Key": "k1"})
            assert r.status_code == 201 and r.json()["status"] == "payment_pending", r.text
            order = r.json()
            # A replay answers the order as placed: payment_pending.
            r = store.post("/v1/orders", json=body, headers={"Idempotency-Key": "k1"})
            assert r.status_code == 201 and r.json()["status"] == "payment_pending"
            assert wait_status(admin, order["id"], "payment_pending")["status"] == "paid"
            p = wait_payment(admin, order["id"], "authorized")
            assert p["authorized_minor"] == order["total"]["minor"] and p["id"] == "pay-" + order["id"][4:]
            # Scopes: a payment is admin.
            assert store.get(f"/v1/orders/{order['id']}/payment").status_code == 403
            assert web.post(f"/v1/orders/{order['id']}/refunds", json={"refund_id": "r1", "amount_minor": 1}).status_code == 403
            assert admin.get("/v1/orders/ord-0000000000000000/payment").status_code == 404
            # Capture at shipment, then a refund.
            r = admin.post(f"/v1/orders/{order['id']}/refunds", json={"refund_id": "r1", "amount_minor": 100})
            assert r.status_code == 412, r.text  # not captured yet
            for to in ("fulfilling", "shipped"):
                assert admin.post(f"/v1/orders/{order['id']}/transitions", json={"to": to}).status_code == 200
            wait_payment(admin, order["id"], "captured")
            for bad, code in [({"refund_id": "r1"}, 400), ({"amount_minor": 1}, 400),
                              ({"refund_id": "r 1", "amount_minor": 1}, 400),
                              ({"refund_id": "r1", "amount_minor": 0}, 400),
                              ({"refund_id": "r1", "amount_minor": 1, "extra": 1}, 400),
                              ({"refund_id": "r1", "amount_minor": order["total"]["minor"] + 1}, 412)]:
                r = admin.post(f"/v1/orders/{order['id']}/refunds", json=bad)
                assert r.status_code == code, (bad, r.text)
            r = admin.post(f"/v1/orders/{order['id']}/refunds", json={"refund_id": "r1", "amount_minor": 100})
            assert r.status_code == 202 and r.json()["refund_pending_minor"] == 100, r.text
            assert admin.post(f"/v1/orders/{order['id']}/refunds",
                              json={"refund_id": "r1", "amount_minor": 101}).status_code == 409
            p = wait_payment(admin, order["id"], "captured")
            assert p["refunded_minor"] == 100 and p["refunds"][0]["status"] == "succeeded"

            # Provider webhooks: no key, the signature is the authentication.
            url = "/v1/payments/webhooks/test"
            event = json.dumps({"id": "evt-1", "idempotency_key": p["id"] + ":authorize", "result": "succeeded"})
            anon = Client(s, checker, None)
            now = int(time.time())
            r = anon.post(url, data=event, headers={"Content-Type": "application/json",
                                                     "X-Commerce-Signature": webhook_signature(SECRET, now, event)})
            assert r.status_code == 200 and r.json() == {"duplicate": False}, r.text
            r = anon.post(url, data=event, headers={"Content-Type": "application/json",
                                                     "X-Commerce-Signature": webhook_signature(SECRET, now, event)})
            assert r.status_code == 200 and r.json() == {"duplicate": True}
            for headers, code in [({}, 400),
                                  ({"X-Commerce-Signature": "t=1,v1=00"}, 400),
                                  ({"X-Commerce-Signature": webhook_signature(SECRET, now - 3600, event)}, 400),
                                  ({"X-Commerce-Signature": webhook_signature("another_secret_0123", now, event)}, 400)]:
                r = anon.post(url, data=event, headers={"Content-Type": "application/json", **headers})
                assert r.status_code == code, (headers, r.text)
            r = anon.post("/v1/payments/webhooks/stripe", data=event,
                          headers={"Content-Type": "application/json",
                                   "X-Commerce-Signature": webhook_signature(SECRET, now, event)})
            assert r.status_code == 404
            assert admin.get(f"/v1/orders/{order['id']}/payment").json()["version"] == p["version"]


def test_payment_abandon_after_flag_takes_its_documented_range(tmp_path):
    """--payment-abandon-after-ms is 100..2592000000 (30 days, docs/server.md). The range's top
    was computed in int and overflowed to a negative number, so every value was refused."""
    import subprocess
    from conftest import find_server, free_port
    provider = str(tmp_path / "provider")
    for ms in ("100", "60000", "2592000000"):
        with own_server(args=["--payment-test-provider-dir", provider, "--payment-abandon-after-ms", ms]) as s:
            assert s.base  # started: Server waits for /healthz
    data = tmp_path / "data"
    for ms in ("99", "2592000001", "-1"):
        proc = subprocess.run([find_server(), "--data", str(data), "--listen", f"127.0.0.1:{free_port()}",
                               "--payment-test-provider-dir", provider, "--payment-abandon-after-ms", ms],
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode != 0, ms
        assert "--payment-abandon-after-ms" in proc.stderr, (ms, proc.stderr)
    assert not data.exists()
