"""The event log published to NATS JetStream from Python (event_publisher.h):
commerce.EventPublisher publishes each event of a store once to a private nats-server (its
/jsz monitoring page shows what the stream holds), catches up after NATS was killed while the
store took writes, and its options are checked."""

import json
import time
import urllib.request

import pytest

import commerce
from conftest import open_engine
from private_server import PrivateServer, free_port, nats_argv


@pytest.fixture
def nats(tmp_path):
    monitor = free_port()
    with PrivateServer(nats_argv(tmp_path / "nats", monitor)) as n:
        n.url = "nats://127.0.0.1:%d" % n.port
        n.monitor = monitor
        yield n


def _stream_messages(nats, stream):
    with urllib.request.urlopen("http://127.0.0.1:%d/jsz?streams=true" % nats.monitor, timeout=5) as r:
        jsz = json.load(r)
    for account in jsz.get("account_details") or []:
        for s in account.get("stream_detail") or []:
            if s["name"] == stream:
                return s["state"]["messages"]
    return 0


def _product(pid):
    return commerce.Product(id=pid, title=pid, variants=[{"sku": "SKU-" + pid, "price": {"minor": 500, "currency": "USD"}}])


def test_each_event_is_published_once(tmp_path, nats):
    with open_engine(tmp_path / "s") as e, \
            commerce.EventPublisher(e, nats_url=nats.url, stream="PY", subject="py.events") as pub:
        for i in range(25):
            e.catalog.upsert(_product("p%d" % i))
        last = e.events.last_seq()
        assert pub.wait_for(last, 20.0)
        stats = pub.stats()
        assert stats.published == last and stats.cursor == last and stats.holding
        assert e.events.cursor("nats") == last
        assert _stream_messages(nats, "PY") == last
        names = [s.name for s in commerce.all_endpoint_stats()]
        assert "nats " + nats.url in names
    with pytest.raises(commerce.FailedPrecondition):
        pub.stats()


def test_nats_killed_the_store_goes_on_and_the_publisher_catches_up(tmp_path, nats):
    endpoint = {"deadline": 0.5, "breaker": {"failure_threshold": 2, "open_for": 0.3}}
    with open_engine(tmp_path / "s") as e, \
            commerce.EventPublisher(e, nats_url=nats.url, stream="PY", subject="py.events",
                                    endpoint=endpoint) as pub:
        e.catalog.upsert(_product("first"))
        assert pub.wait_for(e.events.last_seq(), 20.0)
        nats.kill()
        for i in range(30):
            e.catalog.upsert(_product("down%d" % i))  # never waits for NATS
            time.sleep(0.03)
        last = e.events.last_seq()
        assert pub.stats().cursor < last
        state = [s for s in commerce.all_endpoint_stats() if s.name == "nats " + nats.url][0]
        assert state.opened >= 1
        nats.start()
        assert pub.wait_for(last, 30.0)
        assert _stream_messages(nats, "PY") == last
        assert pub.stats().last_error == ""


def test_bad_options_raise(tmp_path):
    with open_engine(tmp_path / "s") as e:
        with pytest.raises(commerce.InvalidArgument):
            commerce.EventPublisher(e, nats_url="http://x:1")
        with pytest.raises(commerce.InvalidArgument):
            commerce.EventPublisher(e, nats_url="nats://127.0.0.1:4222", subject="a.*")
        with pytest.raises(TypeError):
            commerce.EventPublisher(e, nats_url="nats://127.0.0.1:4222", no_such_option=1)
        assert e.events.cursor("nats") == 0
