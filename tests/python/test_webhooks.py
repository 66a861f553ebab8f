"""Webhooks from Python: subscriptions, their bad inputs (nothing written), the signature
helper against RFC 4231, and one signed delivery to a receiver on 127.0.0.1."""

import hashlib
import hmac
import http.server
import json
import threading

import pytest

import commerce
from conftest import open_engine

SECRET = "s" * 32


def sub(**fields):
    fields.setdefault("url", "http://127.0.0.1:9/hook")
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


def test_signature_matches_rfc4231_and_hmac():
    # RFC 4231 test case 2.
    assert commerce.webhook_signature("Jefe", "what do ya want for nothing?") == (
        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    body = '{"id": 7}'
    assert commerce.webhook_signature(SECRET, body) == "sha256=" + hmac.new(
        SECRET.encode(), body.encode(), hashlib.sha256).hexdigest()


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
        with open_engine(tmp_path / "store") as engine:
            engine.webhooks.subscribe(sub(url="http://127.0.0.1:%d/hook" % server.server_port,
                                          event_types=["CategoryUpserted"]))
            engine.catalog.upsert_category("audio", "Audio")
            engine.run_background_once()
            assert len(received) == 1
            headers, body = received[0]
            event = json.loads(body)
            assert event["type"] == "CategoryUpserted"
            assert event["subject"] == "audio"
            assert headers["X-Commerce-Signature"] == commerce.webhook_signature(SECRET, body.decode())
            assert engine.webhooks.failures() == []
    finally:
        server.shutdown()
