"""Event log retention over HTTP and the CLI (docs/events.md, "Retention"): POST /v1/events/trim
and its report, first_seq in GET /v1/events, 410 GONE below the horizon, bad bodies refused with
nothing removed, the scope, `commerce events trim` and `commerce stats`, and the curl session of
examples/http/08-events-retention.sh."""
import os
import re
import subprocess
import time

import requests

from conftest import ADMIN_KEY, SOURCE, STORE_KEY, Client, find_cli, own_server


def trim_until_free(admin, body, timeout=20):
    """Trims until no consumer of the server (cart expiry, the indexer: they follow the log
    within a tick) holds the horizon back."""
    deadline = time.time() + timeout
    removed = 0
    while True:
        r = admin.post("/v1/events/trim", json=body)
        assert r.status_code == 200, r.text
        report = r.json()
        # A held call may already remove what its consumers passed: the total is every call's.
        removed += report["removed"]
        if report["held_by"] == "" or time.time() > deadline:
            return {**report, "removed": removed}
        time.sleep(0.2)


def test_trim_horizon_and_gone(checker):
    with own_server() as server:
        admin = Client(server, checker, ADMIN_KEY)
        for i in range(12):
            r = admin.put(f"/v1/warehouses/wh-{i}", json={"name": f"w{i}", "region": "eu"})
            assert r.status_code == 200, r.text
        first = admin.get("/v1/events", params={"limit": 1}).json()
        assert first["first_seq"] == 1 and first["last_seq"] == 12 and first["events"][0]["seq"] == 1

        # Bad bodies: 400, nothing removed.
        for body in ({}, {"max_count": 0}, {"max_age_ms": -1}, {"max_count": -2}, {"max_count": "5"},
                     {"max_count": 5, "colour": "red"}, [5]):
            r = admin.post("/v1/events/trim", json=body)
            assert r.status_code == 400 and r.json()["error"]["code"] == "INVALID_ARGUMENT", (body, r.text)
        assert admin.get("/v1/events", params={"limit": 1}).json()["first_seq"] == 1
        # Store keys may not trim.
        r = Client(server, checker, STORE_KEY).post("/v1/events/trim", json={"max_count": 1})
        assert r.status_code == 403

        report = trim_until_free(admin, {"max_count": 5})
        assert report == {"removed": 7, "first_seq": 8, "last_seq": 12, "held_by": ""}
        r = admin.get("/v1/events", params={"from": 3, "limit": 1})
        assert r.status_code == 410, r.text
        error = r.json()["error"]
        assert error["code"] == "GONE" and "oldest kept is 8" in error["message"], error
        page = admin.get("/v1/events", params={"limit": 100}).json()  # no from: the horizon
        assert page["first_seq"] == 8 and [e["seq"] for e in page["events"]] == [8, 9, 10, 11, 12]
        # An age limit nothing meets yet.
        assert admin.post("/v1/events/trim", json={"max_age_ms": 3600_000}).json()["removed"] == 0
        metrics = admin.get("/metrics").text
        assert "commerce_events_first_seq 8" in metrics, metrics
        assert admin.get("/v1/search/stats").json()["rebuilds_after_trim"] == 0
        code, err = server.stop()
        assert code == 0, err


def cli(*args):
    return subprocess.run([find_cli(), *args], capture_output=True, text=True, timeout=120)


def test_cli_events_trim(tmp_path):
    sample = tmp_path / "sample.jsonl"
    assert cli("generate", "--products", "30", "--out", str(sample)).returncode == 0
    store = str(tmp_path / "store")
    r = cli("import", "--data", store, str(sample))
    assert r.returncode == 0, r.stderr
    # Bad input: usage errors (exit 2), nothing removed.
    for args in ((), ("--older-than", "7 days"), ("--older-than", "7y"), ("--older-than", "d"),
                 ("--max-count", "-3")):
        r = cli("events", "trim", "--data", store, *args)
        assert r.returncode == 2, (args, r.stdout, r.stderr)
    r = cli("events", "trim", "--data", str(tmp_path / "typo"), "--max-count", "1")
    assert r.returncode == 1 and "NOT_FOUND" in r.stderr and not (tmp_path / "typo").exists()
    r = cli("events", "--data", store, "--limit", "1")
    assert r.stdout.startswith("1\t"), r.stdout

    last = int(re.search(r"^events +(\d+)$", cli("stats", "--data", store).stdout, re.M).group(1))
    first = last - 9
    r = cli("events", "trim", "--data", store, "--max-count", "10")
    assert r.returncode == 0, r.stderr
    assert f"removed {first - 1} events; the log now holds {first}..{last}" in r.stdout, r.stdout
    r = cli("events", "--data", store, "--limit", "1")  # from the horizon
    assert r.returncode == 0 and r.stdout.startswith(f"{first}\t"), r.stdout
    r = cli("events", "--data", store, "--from", "2")
    assert r.returncode == 1 and "GONE" in r.stderr and f"oldest kept is {first}" in r.stderr, r.stderr
    r = cli("stats", "--data", store)
    assert f"first event {first} (older ones trimmed)" in r.stdout, r.stdout
    r = cli("events", "trim", "--data", store, "--older-than", "30d")
    assert r.returncode == 0 and "removed 0 events" in r.stdout, r.stdout
    r = cli("verify", "--data", store)
    assert r.returncode == 0, r.stdout + r.stderr


def test_http_example_session():
    with open(os.path.join(SOURCE, "examples", "http", "keys.txt")) as f:
        keys = f.read()
    with own_server(keys=keys) as server:
        # A few events first (warehouses), with the example's admin key.
        admin = {"Authorization": "Bearer example-admin-key-change-me"}
        for i in range(10):
            requests.put(f"{server.base}/v1/warehouses/ex-{i}", json={"name": "x", "region": "eu"},
                         headers=admin, timeout=10).raise_for_status()
        time.sleep(2.5)  # cart expiry and the indexer pass the events (a tick or two)
        session = os.path.join(SOURCE, "examples", "http", "08-events-retention.sh")
        r = subprocess.run([session], capture_output=True, text=True, timeout=120,
                           env=dict(os.environ, BASE=server.base))
        assert r.returncode == 0, r.stdout + r.stderr
        out = r.stdout
        assert '"first_seq":1' in out, out
        assert '{"removed":5,"first_seq":6,"last_seq":10,"held_by":""}' in out, out
        assert '"code":"GONE"' in out and '"code":"INVALID_ARGUMENT"' in out, out
