"""Webhooks from Python: subscriptions, their bad inputs (nothing written), the signature
helper and the receiver's check against Python's hmac, private targets refused unless allowed,
and one signed delivery to a receiver on 127.0.0.1 (allowed for the test)."""

import hashlib
import hmac
import http.server
import json
import threading
import time

import pytest

import commerce
from conftest import open_engine

SECRET = "s" * 32


def sub(**fields):
    fields.setdefault("url", "http://hooks.example:9/hook")
    fields.setdefault("secret", SECRET)
    return commerce.WebhookSubscription(**fields)


def test_subscribe_get_list_unsubscribe(engine):
    s = engine.webhooks.subscribe(sub(event_types=["OrderPlaced"]))
    assert s.id.startswith("wh-")
    assert engine.webhooks.get(s.id).secret == SECRET
    listed = engine.webhooks.list()
    assert [x.id for x in listed] == [s.id]
    assert listed[0].secret == ""  # never returned by list()
    engine.webhooks.unsubscribe(s.id)
    assert engine.webhooks.list() == []
    with pytest.raises(commerce.NotFound) as e:
        engine.webhooks.unsubscribe(s.id)
    assert isinstance(e.value, KeyError)


@pytest.mark.parametrize("fields, what", [
    ({"url": "ftp://example.com/x"}, "url"),
    ({"url": "http://" + "a" * 2100}, "url"),
    ({"url": ""}, "url"),
    ({"secret": "short"}, "secret"),
    ({"secret": "x" * 300}, "secret"),
    ({"event_types": ["NoSuchEvent"]}, "NoSuchEvent"),
    ({"event_types": ["OrderPlaced", "OrderPlaced"]}, "OrderPlaced"),
    ({"url": "http://127.0.0.1:9/hook"}, "loopback"),
    ({"url": "http://169.254.169.254/latest/meta-data/"}, "link-local"),
    ({"url": "http://[fd00::1]/hook"}, "unique-local"),
])
def test_bad_subscriptions_are_refused_and_write_nothing(engine, fields, what):
    before = engine.events.last_seq()
    with pytest.raises(commerce.InvalidArgument) as e:
        engine.webhooks.subscribe(sub(**fields))
    assert isinstance(e.value, ValueError)
    assert what in str(e.value)
    assert engine.webhooks.list() == []
    assert engine.events.last_seq() == before


def test_duplicate_id_is_already_exists(engine):
    engine.webhooks.subscribe(sub(id="wh-one"))
    with pytest.raises(commerce.AlreadyExists):
        engine.webhooks.subscribe(sub(id="wh-one"))
    assert len(engine.webhooks.list()) == 1


def test_signature_is_hmac_of_timestamp_and_body():
    body = '{"id": 7}'
    assert commerce.webhook_signature(SECRET, 1718000000, body) == "t=1718000000,v1=" + hmac.new(
        SECRET.encode(), b"1718000000." + body.encode(), hashlib.sha256).hexdigest()
    assert commerce.webhook_signature(SECRET, 5, body.encode()) == commerce.webhook_signature(SECRET, 5, body)


def test_verify_webhook_signature():
    now = int(time.time())
    body = b'{"id": 7}'
    header = commerce.webhook_signature(SECRET, now, body)
    assert commerce.verify_webhook_signature(SECRET, header, body) is None
    for secret, hdr, data, what in [
            (SECRET, header, body + b" ", "no v1 signature matches"),
            ("t" * 32, header, body, "no v1 signature matches"),
            (SECRET, commerce.webhook_signature(SECRET, now - 301, body), body, "tolerance"),
            (SECRET, "sha256=abc", body, "expected t="),
    ]:
        with pytest.raises(commerce.InvalidArgument, match=what):
            commerce.verify_webhook_signature(secret, hdr, data)
    commerce.verify_webhook_signature(SECRET, commerce.webhook_signature(SECRET, now - 301, body), body,
                                      tolerance_s=600)


def test_bad_allowed_networks_are_refused_at_open(tmp_path):
    with pytest.raises(commerce.InvalidArgument, match=r"allowed_networks\[0\]"):
        open_engine(tmp_path / "store", webhooks={"allowed_networks": ["10.1.2.3/8"]})


def test_a_signed_delivery_reaches_a_local_receiver(tmp_path):
    received = []

    class Receiver(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((dict(self.headers), body))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with open_engine(tmp_path / "store", webhooks={"allowed_networks": ["127.0.0.1/32"]}) as engine:
            engine.webhooks.subscribe(sub(url="http://127.0.0.1:%d/hook" % server.server_port,
                                          event_types=["CategoryUpserted"]))
            engine.catalog.upsert_category("audio", "Audio")
            engine.run_background_once()
            assert len(received) == 1
            headers, body = received[0]
            event = json.loads(body)
            assert event["type"] == "CategoryUpserted"
            assert event["subject"] == "audio"
            commerce.verify_webhook_signature(SECRET, headers["X-Commerce-Signature"], body)
            assert engine.webhooks.failures() == []
    finally:
        server.shutdown()


def test_update_changes_what_is_given_and_keeps_the_rest(engine):
    s = engine.webhooks.subscribe(sub(id="erp", event_types=["OrderPlaced"]))
    before = engine.events.last_seq()
    changed = engine.webhooks.update("erp", url="https://erp.example.com/v2/hooks", secret="r" * 40)
    assert changed.url == "https://erp.example.com/v2/hooks"
    assert changed.event_types == ["OrderPlaced"] and changed.active  # kept
    assert changed.secret == "" and changed.created_at_ms == s.created_at_ms
    assert engine.webhooks.get("erp").secret == "r" * 40  # rotated
    engine.webhooks.update("erp", event_types=[], active=False)
    got = engine.webhooks.get("erp")
    assert got.event_types == [] and not got.active and got.url == "https://erp.example.com/v2/hooks"
    engine.webhooks.update("erp", active=True)
    assert engine.webhooks.get("erp").active
    assert engine.events.last_seq() == before  # configuration, not a change of the shop


@pytest.mark.parametrize("fields, error, what", [
    ({}, commerce.InvalidArgument, "nothing to change"),
    ({"url": "ftp://example.com/x"}, commerce.InvalidArgument, "url"),
    ({"url": "http://127.0.0.1:9/hook"}, commerce.InvalidArgument, "loopback"),
    ({"url": "http://169.254.169.254/latest/meta-data/", "active": False}, commerce.InvalidArgument, "link-local"),
    ({"secret": "short"}, commerce.InvalidArgument, "secret"),
    ({"event_types": ["NoSuchEvent"]}, commerce.InvalidArgument, "NoSuchEvent"),
])
def test_bad_updates_are_refused_and_write_nothing(engine, fields, error, what):
    engine.webhooks.subscribe(sub(id="erp"))
    before = engine.webhooks.get("erp")
    with pytest.raises(error) as e:
        engine.webhooks.update("erp", **fields)
    assert what in str(e.value)
    assert engine.webhooks.get("erp") == before


def test_update_of_an_unknown_subscription_or_a_wrong_type(engine):
    with pytest.raises(commerce.NotFound):
        engine.webhooks.update("nobody", active=False)
    engine.webhooks.subscribe(sub(id="erp"))
    with pytest.raises(TypeError):
        engine.webhooks.update("erp", active="no")
    with pytest.raises(TypeError):
        engine.webhooks.update("erp", "http://hooks.example/x")  # keywords only: which field is it?
