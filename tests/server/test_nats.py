"""commerce-server --nats (docs/events.md, "The event log on NATS JetStream"): the server
publishes its event log to a private nats-server with JetStream; /metrics shows the
publisher's counters and its endpoint; each event is in the stream once (nats-server's /jsz
says how many the stream holds); a bad --nats URL stops the server at start with a clear
error."""

import os
import sys
import time

import requests

from conftest import ADMIN_KEY, own_server

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "python"))
from private_server import PrivateServer, free_port, nats_argv  # noqa: E402

ADMIN = {"Authorization": "Bearer " + ADMIN_KEY}


def metrics(base):
    out = {}
    for line in requests.get(base + "/metrics", headers=ADMIN, timeout=10).text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


def stream_messages(monitor, stream):
    jsz = requests.get("http://127.0.0.1:%d/jsz?streams=true" % monitor, timeout=5).json()
    for account in jsz.get("account_details") or []:
        for s in account.get("stream_detail") or []:
            if s["name"] == stream:
                return s["state"]["messages"]
    return 0


def test_the_server_publishes_its_event_log_to_nats(tmp_path):
    monitor = free_port()
    with PrivateServer(nats_argv(tmp_path / "nats", monitor)) as nats, \
            own_server(workdir=str(tmp_path), args=("--nats", "nats://127.0.0.1:%d" % nats.port,
                                                    "--nats-stream", "SRV", "--nats-subject", "srv.ev")) as s:
        for i in range(10):
            p = {"title": "N %d" % i, "variants": [{"sku": "N-%d" % i, "price": 100, "currency": "USD"}]}
            r = requests.put("%s/v1/products/n-%d" % (s.base, i), json=p, headers=ADMIN, timeout=30)
            assert r.status_code in (200, 201), r.text
        deadline = time.time() + 20
        while time.time() < deadline:
            m = metrics(s.base)
            if m["commerce_nats_cursor"] >= m["commerce_events_last_seq"] > 0:
                break
            time.sleep(0.1)
        assert m["commerce_nats_lag_events"] == 0, m
        assert m["commerce_nats_published_total"] == m["commerce_events_last_seq"]
        assert m["commerce_nats_publishing"] == 1 and m["commerce_nats_connected"] == 1
        assert 'commerce_remote_breaker_state{endpoint="nats nats://127.0.0.1:%d"}' % nats.port in m
        assert stream_messages(monitor, "SRV") == m["commerce_events_last_seq"]


def test_a_bad_nats_url_stops_the_server_at_start(tmp_path):
    with own_server(workdir=str(tmp_path), args=("--nats", "http://127.0.0.1:1"), wait=False) as s:
        code = s.proc.wait(timeout=30)
        assert code != 0
        err = s.stderr_text()
        assert "--nats" in err and "must be [nats://]HOST:PORT" in err, err
