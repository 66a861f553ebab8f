"""`commerce backup` against a running server: the copy of a store the server has open and
writes to, taken from another process, passes `commerce verify`, opens and holds every product
the server acknowledged before the backup began; bad destinations are clear errors that write nothing
(docs/storage.md, "Backup and restore")."""

import json
import os
import subprocess
import threading

import pytest

from conftest import ADMIN_KEY, find_cli, own_server

import requests


def put_product(base, i):
    p = {"title": f"Backup Tee {i}", "variants": [
        {"sku": f"BK-{i:05d}", "price": 1000 + i, "currency": "USD"}]}
    r = requests.put(f"{base}/v1/products/bk-{i:05d}", json=p,
                     headers={"Authorization": "Bearer " + ADMIN_KEY}, timeout=30)
    assert r.status_code in (200, 201), r.text


def cli(*args):
    return subprocess.run([find_cli(), *args], capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("driver", ["lmdb", "sqlite"])
def test_backup_of_a_store_a_running_server_writes_to(tmp_path, driver):
    data = str(tmp_path / "data")
    with own_server(workdir=str(tmp_path), data=data, args=("--driver", driver)) as server:
        for i in range(50):
            put_product(server.base, i)
        acknowledged = 50
        stop = threading.Event()
        written = []

        def writer():
            i = 1000
            while not stop.is_set():
                put_product(server.base, i)
                written.append(i)
                i += 1

        t = threading.Thread(target=writer)
        t.start()
        try:
            copy = str(tmp_path / "copy")
            r = cli("backup", "--data", data, "--driver", driver, "--to", copy)
            assert r.returncode == 0, r.stderr
            assert "backup done" in r.stderr
            assert copy in r.stdout
        finally:
            stop.set()
            t.join()
        # The server is still up and writing.
        put_product(server.base, 99999)

        # Bad destinations: a clear error, exit status 1, nothing written.
        (tmp_path / "full").mkdir()
        (tmp_path / "full" / "mine.txt").write_text("keep")
        r = cli("backup", "--data", data, "--driver", driver, "--to", str(tmp_path / "full"))
        assert r.returncode == 1 and "ALREADY_EXISTS" in r.stderr, r.stderr
        assert os.listdir(tmp_path / "full") == ["mine.txt"]
        r = cli("backup", "--data", data, "--driver", driver, "--to", os.path.join(data, "inside"))
        assert r.returncode == 1 and "INVALID_ARGUMENT" in r.stderr, r.stderr
        assert not os.path.exists(os.path.join(data, "inside"))
        r = cli("backup", "--data", str(tmp_path / "nothing"), "--driver", driver, "--to", str(tmp_path / "c2"))
        assert r.returncode == 1 and "NOT_FOUND" in r.stderr, r.stderr
        assert not os.path.exists(tmp_path / "c2")
        r = cli("backup", "--data", data, "--driver", driver)
        assert r.returncode != 0 and "--to is required" in r.stderr

    # The copy is sound (every page, checksum and invariant), then restore = open the copy:
    # every product acknowledged before the backup is there.
    r = cli("verify", "--data", copy, "--driver", driver)
    assert r.returncode == 0, r.stdout + r.stderr
    for i in range(acknowledged):
        r = cli("get", "--data", copy, "--driver", driver, "--sku", f"BK-{i:05d}")
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)["id"] == f"bk-{i:05d}"
    r = cli("stats", "--data", copy, "--driver", driver)
    assert r.returncode == 0, r.stderr
    products = int(next(line.split()[1] for line in r.stdout.splitlines() if line.startswith("products")))
    assert acknowledged <= products <= acknowledged + len(written)
