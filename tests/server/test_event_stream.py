"""GET /v1/events/stream: the event log as Server-Sent Events (docs/server.md, "A live event
stream"). Events arrive live; a reconnection with Last-Event-ID resumes without a gap or a
duplicate; streams wait on the loop (many streams, no thread each) and count against
--max-waits; a client that stops reading is dropped; heartbeats and the total limit;
SIGTERM ends streams cleanly; every refusal before the stream is a JSON error."""

import json
import os
import signal
import threading
import time

import requests

from conftest import ADMIN_KEY, STORE_KEY, own_server
from sse import Stream

ADMIN = {"Authorization": "Bearer " + ADMIN_KEY}


def put_products(base, first, n, prefix="es"):
    for i in range(first, first + n):
        p = {"title": f"Stream {i}", "variants": [{"sku": f"ES-{prefix}-{i:05d}", "price": 100 + i,
                                                   "currency": "USD"}]}
        r = requests.put(f"{base}/v1/products/{prefix}-{i:05d}", json=p, headers=ADMIN, timeout=30)
        assert r.status_code in (200, 201), r.text


def import_products(base, n, prefix):
    lines = "".join(json.dumps({"id": f"{prefix}-{i:05d}", "title": f"Bulk {i} " + "x" * 200,
                                "variants": [{"sku": f"{prefix.upper()}-{i:05d}", "price": 100 + i,
                                              "currency": "USD"}]}) + "\n" for i in range(n))
    r = requests.post(f"{base}/v1/products/import?format=jsonl", data=lines, timeout=120,
                      headers={**ADMIN, "Content-Type": "application/x-ndjson"})
    assert r.status_code == 200, r.text


def last_seq(base):
    r = requests.get(f"{base}/v1/events", params={"limit": 1}, headers=ADMIN, timeout=10)
    return r.json()["last_seq"]


def long_poll(base, start, n):
    r = requests.get(f"{base}/v1/events", params={"from": start, "limit": n}, headers=ADMIN, timeout=10)
    return r.json()["events"]


def metric(base, name):
    for line in requests.get(base + "/metrics", headers=ADMIN, timeout=10).text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(name + " not in /metrics")


def threads_of(proc):
    return len(os.listdir(f"/proc/{proc.pid}/task"))


def wait_until(cond, timeout=10, what=""):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


def test_events_arrive_live_in_the_long_polls_shape(server, checker):
    s = Stream(server, headers=ADMIN)
    try:
        assert s.status == 200, s.body
        checker.check("GET", "/v1/events/stream", s.status, {"Content-Type": s.headers["content-type"]}, b"")
        assert s.headers["content-type"].startswith("text/event-stream")
        assert s.headers["transfer-encoding"] == "chunked"
        assert "no-cache" in s.headers["cache-control"]
        assert s.headers.get("x-request-id")
        start = last_seq(server.base) + 1
        put_products(server.base, 0, 3, prefix="live")
        got = s.events(3)
        # Without from or Last-Event-ID the stream is live: it starts at the next event.
        assert [e["id"] for e in got] == [start, start + 1, start + 2]
        assert all(e["event"] == "ProductUpserted" for e in got)
        # data: is the long-poll's event, field for field.
        assert [e["data"] for e in got] == long_poll(server.base, start, 3)
        assert [e["data"]["subject"] for e in got] == [f"live-{i:05d}" for i in range(3)]
    finally:
        s.close()


def test_resume_with_last_event_id_has_no_gap_and_no_duplicate(server):
    put_products(server.base, 0, 5, prefix="resume")
    end = last_seq(server.base)
    seen = []
    s = Stream(server, "/v1/events/stream?from=1", headers=ADMIN)
    seen += [e["id"] for e in s.events(4)]
    s.close()  # dropped mid-way; events are written meanwhile
    put_products(server.base, 5, 5, prefix="resume")
    end = last_seq(server.base)
    while seen[-1] < end:
        # Last-Event-ID wins over from (a browser resends the original URL on reconnection).
        s = Stream(server, "/v1/events/stream?from=1", headers={**ADMIN, "Last-Event-ID": str(seen[-1])})
        assert s.status == 200, s.body
        seen += [e["id"] for e in s.events(min(7, end - seen[-1]))]
        s.close()
    assert seen == list(range(1, end + 1))
    # Last-Event-ID 0 (nothing received yet) starts at 1; from= alone starts there.
    s = Stream(server, headers={**ADMIN, "Last-Event-ID": "0"})
    assert [e["id"] for e in s.events(2)] == [1, 2]
    s.close()
    s = Stream(server, f"/v1/events/stream?from={end}", headers=ADMIN)
    assert [e["id"] for e in s.events(1)] == [end]
    s.close()


def test_many_streams_hold_no_thread_each_and_count_against_max_waits(tmp_path):
    n = 200
    with own_server(workdir=str(tmp_path),
                    args=("--pool-threads", "4", "--max-waits", str(n + 1))) as srv:
        put_products(srv.base, 0, 1, prefix="many")
        first = Stream(srv, headers=ADMIN)  # the pool's threads start with the first work
        put_products(srv.base, 1, 1, prefix="many")
        assert len(first.events(1)) == 1
        before = threads_of(srv.proc)
        streams = [Stream(srv, headers=ADMIN) for _ in range(n)]
        try:
            assert all(s.status == 200 for s in streams)
            wait_until(lambda: metric(srv.base, "commerce_http_event_streams") == n + 1,
                       what="every stream open")
            # One slot past --max-waits: a JSON 429, before any stream starts.
            extra = Stream(srv, headers=ADMIN)
            assert extra.status == 429, extra.body
            assert extra.json()["error"]["code"] == "RESOURCE_EXHAUSTED"
            assert extra.headers["retry-after"] == "1"
            extra.close()
            put_products(srv.base, 2, 2, prefix="many")
            end = last_seq(srv.base)
            for s in streams:
                got = s.events(2)
                assert [e["id"] for e in got] == [end - 1, end]
            assert threads_of(srv.proc) == before, "a thread per stream?"
            # A stream's slot is free again once its client leaves.
            streams.pop().close()
            wait_until(lambda: metric(srv.base, "commerce_http_event_streams") == n,
                       what="the closed stream let go of its slot")
            again = Stream(srv, headers=ADMIN)
            assert again.status == 200
            streams.append(again)
        finally:
            for s in streams:
                s.close()
            first.close()


def test_a_client_that_does_not_read_is_dropped_and_the_others_go_on(tmp_path):
    args = ("--stream-buffer-bytes", "16384", "--stream-stall-ms", "300")
    with own_server(workdir=str(tmp_path), args=args) as srv:
        slow = Stream(srv, "/v1/events/stream?from=1", headers=ADMIN, rcvbuf=4096)
        reader = Stream(srv, "/v1/events/stream?from=1", headers=ADMIN)
        try:
            assert slow.status == 200 and reader.status == 200
            # The reader reads while the import writes (a reader that paused for the import
            # would be a slow client itself).
            importer = threading.Thread(target=import_products, args=(srv.base, 3000, "slow"))
            importer.start()
            got = reader.events(3000, timeout=120)
            importer.join()
            end = last_seq(srv.base)
            assert end == 3000 and [e["id"] for e in got] == list(range(1, end + 1))
            wait_until(lambda: metric(srv.base, "commerce_http_event_streams_dropped_total") == 1,
                       timeout=15, what="the slow stream dropped")
            assert metric(srv.base, "commerce_http_event_streams") == 1
            # What the slow client gets: a prefix of the log, then the connection closed without
            # the stream's last chunk (a drop, not an end).
            got = slow.events(end, timeout=30)
            assert slow.eof and not slow.ended
            assert 0 < len(got) < end and [e["id"] for e in got] == list(range(1, len(got) + 1))
            # The reader goes on.
            put_products(srv.base, 0, 1, prefix="after")
            assert [e["id"] for e in reader.events(1)] == [end + 1]
        finally:
            slow.close()
            reader.close()


def test_heartbeats_and_the_total_limit_end_the_stream_cleanly(tmp_path):
    args = ("--stream-heartbeat-ms", "200", "--stream-max-ms", "1500")
    with own_server(workdir=str(tmp_path), args=args) as srv:
        put_products(srv.base, 0, 2, prefix="hb")
        t0 = time.time()
        s = Stream(srv, "/v1/events/stream?from=1", headers=ADMIN)
        got = s.events(100, timeout=10)
        took = time.time() - t0
        assert [e["id"] for e in got] == [1, 2]
        assert s.ended, "no last chunk: the stream was cut, not ended"
        assert 1.4 < took < 5, took
        assert s.comments.count("heartbeat") >= 3, s.comments
        s.close()
        wait_until(lambda: metric(srv.base, "commerce_http_event_streams") == 0, what="slot freed")
        def logged():  # the access log is flushed by a loop's sweep, every 250 ms
            with open(srv.access_log) as f:
                return [json.loads(line) for line in f if "/v1/events/stream" in line]
        wait_until(logged, what="the stream's access log line")
        line = logged()[-1]
        assert line["status"] == 200 and line["bytes"] > 200 and line["us"] > 1_400_000, line


def test_http10_stream_ends_with_the_connection_after_its_last_event(tmp_path):
    with own_server(workdir=str(tmp_path), args=("--stream-max-ms", "1000")) as srv:
        import_products(srv.base, 600, "h10")  # more than a batch: several writes queued
        s = Stream(srv, "/v1/events/stream?from=1", headers=ADMIN, http10=True)
        assert s.status == 200 and "transfer-encoding" not in s.headers
        assert [e["id"] for e in s.events(1000, timeout=10)] == list(range(1, 601))
        assert s.eof and s.comments[-1] == "end", s.comments
        s.close()


def test_sigterm_ends_open_streams_cleanly(tmp_path):
    with own_server(workdir=str(tmp_path)) as srv:
        streams = [Stream(srv, headers=ADMIN) for _ in range(3)]
        wait_until(lambda: metric(srv.base, "commerce_http_event_streams") == 3, what="streams open")
        t0 = time.time()
        srv.proc.send_signal(signal.SIGTERM)
        for s in streams:
            s.events(1, timeout=10)
            assert s.ended, "no last chunk at shutdown"
            s.close()
        code, err = srv.stop()
        assert code == 0 and "store closed cleanly" in err, err
        assert time.time() - t0 < 5


def test_refusals_before_the_stream_are_json(server, checker):
    def refused(target, headers, status, code):
        s = Stream(server, target, headers=headers)
        try:
            assert s.status == status, (target, headers, s.status, s.body)
            checker.check("GET", target.split("?")[0], s.status,
                          {"Content-Type": s.headers["content-type"]}, s.body)
            err = s.json()["error"]
            assert err["code"] == code, err
            return err["message"]
        finally:
            s.close()

    end = last_seq(server.base)
    for bad in ("abc", "-1", "", "1.5", "1e3", "99999999999999999999", " 7x"):
        msg = refused("/v1/events/stream", {**ADMIN, "Last-Event-ID": bad}, 400, "INVALID_ARGUMENT")
        assert "Last-Event-ID" in msg
    refused("/v1/events/stream", {**ADMIN, "Last-Event-ID": str(end + 5)}, 400, "INVALID_ARGUMENT")
    for q in ("from=0", "from=abc", "from=-3", f"from={end + 2}", "since=3"):
        refused("/v1/events/stream?" + q, ADMIN, 400, "INVALID_ARGUMENT")
    refused("/v1/events/stream", {}, 401, "UNAUTHENTICATED")
    refused("/v1/events/stream", {"Authorization": "Bearer not-a-key-at-all-000"}, 401, "UNAUTHENTICATED")
    msg = refused("/v1/events/stream", {"Authorization": "Bearer " + STORE_KEY}, 403, "PERMISSION_DENIED")
    assert "admin" in msg
    # A key in the URL is refused, with or without a good one in the header, and never logged.
    for q in (f"api_key={ADMIN_KEY}", f"access_token={ADMIN_KEY}", f"key={ADMIN_KEY}", f"Token={ADMIN_KEY}"):
        msg = refused("/v1/events/stream?" + q, {}, 400, "INVALID_ARGUMENT")
        assert "Authorization" in msg and ADMIN_KEY not in msg
        refused("/v1/events/stream?" + q, ADMIN, 400, "INVALID_ARGUMENT")
        refused("/v1/events?" + q, ADMIN, 400, "INVALID_ARGUMENT")
    time.sleep(1.2)  # the access log is flushed by the loop's sweep
    with open(server.access_log) as f:
        assert ADMIN_KEY not in f.read()


def test_a_position_below_the_retention_horizon_is_gone(tmp_path, checker):
    """Retention (docs/events.md, "Retention"): a stream asked to start below the horizon is
    a JSON 410 GONE; a stream whose client fell below it while the log was trimmed ends with an
    `event: error` block naming GONE, after every event it had, never skipping silently."""
    from conftest import Client
    from test_events_retention import trim_until_free
    args = ("--stream-buffer-bytes", "16384", "--stream-stall-ms", "60000")
    with own_server(workdir=str(tmp_path), args=args) as srv:
        admin = Client(srv, checker, ADMIN_KEY)
        slow = Stream(srv, "/v1/events/stream?from=1", headers=ADMIN, rcvbuf=4096)
        try:
            import_products(srv.base, 3000, "gone")
            report = trim_until_free(admin, {"max_count": 10})
            assert report["first_seq"] == 2991 and report["held_by"] == "", report
            for target, headers in (("/v1/events/stream?from=1", ADMIN),
                                    ("/v1/events/stream", {**ADMIN, "Last-Event-ID": "2989"})):
                s = Stream(srv, target, headers=headers)
                assert s.status == 410, s.body
                checker.check("GET", "/v1/events/stream", 410, {"Content-Type": s.headers["content-type"]}, s.body)
                assert s.json()["error"]["code"] == "GONE"
                s.close()
            s = Stream(srv, "/v1/events/stream", headers={**ADMIN, "Last-Event-ID": "2990"})
            assert [e["id"] for e in s.events(10)] == list(range(2991, 3001))
            s.close()
            # The slow client was blocked far below the horizon: what it had, then the error.
            got = slow.events(3000, timeout=30)
            ids = [e["id"] for e in got]
            assert 0 < len(ids) < 2990 and ids == list(range(1, len(ids) + 1)), ids[-5:]
            assert slow.ended, "the stream was cut instead of ended"
            assert len(slow.others) == 1 and slow.others[0]["event"] == "error", slow.others
            assert json.loads(slow.others[0]["data"])["error"]["code"] == "GONE"
        finally:
            slow.close()
