"""--pg-key-locks / --no-pg-key-locks (docs/server.md, docs/scaling.md "Groups of change sets
side by side"), against a private PostgreSQL (the postgres stage runs this file through
tools/pg-cluster). Another session holds the store's write-lock table in ROW SHARE mode: that
conflicts with the EXCLUSIVE mode every group takes without key locks, and not with the ROW
EXCLUSIVE mode a group of change sets takes beside other processes' groups. So an order goes
through while the lock is held with key locks, and waits for it without them. (A stock receipt
would not do: it is a callback mutation, whose group takes the exclusive lock either way.)"""

import os
import subprocess
import threading
import uuid

import pytest
import requests

from conftest import ADDRESS, ADMIN_KEY, Server, find_server, sellable

pytestmark = pytest.mark.skipif(not os.environ.get("COMMERCE_PG_URL"),
                                reason="needs COMMERCE_PG_URL: tools/pg-cluster run -- python3 -m pytest ...")

ADMIN = {"Authorization": "Bearer " + ADMIN_KEY}


class RowShareLock:
    """psql holding `LOCK TABLE <schema>.__write_lock IN ROW SHARE MODE` until release()."""

    def __init__(self, schema):
        self.proc = subprocess.Popen(["psql", os.environ["COMMERCE_PG_URL"], "-X", "-q", "-A", "-t",
                                      "-v", "ON_ERROR_STOP=1"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.proc.stdin.write(f'BEGIN;\nLOCK TABLE "{schema}"."__write_lock" IN ROW SHARE MODE;\nSELECT \'held\';\n')
        self.proc.stdin.flush()
        assert self.proc.stdout.readline().strip() == "held"

    def release(self):
        if self.proc.poll() is None:
            self.proc.stdin.write("COMMIT;\n")
            self.proc.stdin.close()
            self.proc.wait(timeout=30)


def place(base, customer, key):
    return requests.post(f"{base}/v1/orders", json={"customer_id": customer, "lines": [{"sku": "KL-1", "quantity": 1}],
                                                    "shipping_address": ADDRESS},
                         headers={**ADMIN, "Idempotency-Key": key}, timeout=60)


@pytest.mark.parametrize("key_locks", [True, False], ids=["pg-key-locks", "no-pg-key-locks"])
def test_key_locks_flag_decides_whether_an_order_waits_for_the_store_lock(tmp_path, key_locks):
    schema = "kl_" + uuid.uuid4().hex[:12]
    # A lease of an hour: no lease renewal (a group of its own) runs during the test.
    args = ["--driver", "postgres", "--pg-schema", schema, "--consumer-lease-ttl-ms", "3600000"]
    if not key_locks:
        args.append("--no-pg-key-locks")
    s = Server(find_server(), str(tmp_path), args=args, request_timeout_ms=30000)
    lock = None
    try:
        customer = sellable(s.base, "KL-1", 10, "kl")
        assert place(s.base, customer, "kl-first").status_code == 201
        lock = RowShareLock(schema)
        answer = {}
        t = threading.Thread(target=lambda: answer.update(r=place(s.base, customer, "kl-second")))
        t.start()
        t.join(3)
        if key_locks:
            assert not t.is_alive(), "with key locks an order waited for a ROW SHARE lock of the store's lock table"
        else:
            assert t.is_alive(), "with --no-pg-key-locks an order committed past a ROW SHARE lock: no exclusive lock taken"
        lock.release()
        t.join(30)
        assert not t.is_alive()
        assert answer["r"].status_code == 201, answer["r"].text
        stock = requests.get(f"{s.base}/v1/stock/KL-1", headers=ADMIN, timeout=10).json()
        assert stock["reserved"] == 2, stock
    finally:
        if lock:
            lock.release()
        s.kill()


def test_pg_key_locks_setting_takes_true_or_false_only(tmp_path):
    config = tmp_path / "server.conf"
    config.write_text("pg-key-locks = maybe\n")
    proc = subprocess.run([find_server(), "--config", str(config), "--data", str(tmp_path / "data")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    assert "pg-key-locks" in proc.stderr and "true or false" in proc.stderr, proc.stderr
    assert not (tmp_path / "data").exists()


def test_pg_writers_out_of_range_is_refused(tmp_path):
    # --pg-writers: write groups an instance has in flight at once (docs/scaling.md, "More than
    # one group in flight per process"), 1..64, on the command line and in a config file.
    proc = subprocess.run([find_server(), "--driver", "postgres", "--pg-writers", "0", "--data", str(tmp_path / "a")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    assert "--pg-writers" in proc.stderr, proc.stderr
    config = tmp_path / "server.conf"
    config.write_text("pg-writers = 65\n")
    proc = subprocess.run([find_server(), "--config", str(config), "--driver", "postgres",
                           "--pg-schema", "kl_" + uuid.uuid4().hex[:12], "--data", str(tmp_path / "b")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    assert "postgres_writers must be 1..64" in proc.stderr, proc.stderr


def test_pg_writers_serves_orders_from_many_clients(tmp_path):
    # Eight writers: orders from sixteen clients at once all land once, none oversold.
    schema = "kl_" + uuid.uuid4().hex[:12]
    s = Server(find_server(), str(tmp_path), args=["--driver", "postgres", "--pg-schema", schema, "--pg-writers", "8"],
               request_timeout_ms=30000)
    try:
        customer = sellable(s.base, "KL-1", 10, "w")
        codes = []
        threads = [threading.Thread(target=lambda i=i: codes.append(place(s.base, customer, f"w-{i}").status_code))
                   for i in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert sorted(codes).count(201) == 10, codes
        assert len(codes) == 16 and all(c in (201, 409) for c in codes), codes
        stock = requests.get(f"{s.base}/v1/stock/KL-1", headers=ADMIN, timeout=10).json()
        assert stock["reserved"] == 10, stock
    finally:
        s.kill()
