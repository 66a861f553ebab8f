"""A server whose store stopped writing: once a write to the store's files fails (here: the
file-size limit, EFBIG, standing in for a full disk), that write and every later one answer
503 UNAVAILABLE, reads go on, /readyz answers 503 so a load balancer sends traffic elsewhere,
/healthz stays 200 (the process is alive), and /metrics says commerce_storage_write_failed 1
(docs/server.md, "Operations"; docs/storage.md, "When the disk fails")."""

import resource
import signal

import pytest
import requests

from conftest import ADMIN_KEY, own_server

ADMIN = {"Authorization": "Bearer " + ADMIN_KEY}
LIMIT = 1 << 20  # bytes any one file of the server may reach


def limit_file_size():
    # SIGXFSZ ignored, so a write past the limit fails with EFBIG instead of killing the
    # server; an ignored disposition survives exec.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT, LIMIT))


def put_product(base, i):
    p = {"title": f"Disk Filler {i}", "description": "x" * 2000,
         "variants": [{"sku": f"DF-{i:05d}", "price": 1000 + i, "currency": "USD"}]}
    return requests.put(f"{base}/v1/products/df-{i:05d}", json=p, headers=ADMIN, timeout=30)


@pytest.mark.parametrize("driver", ["lmdb", "sqlite"])
def test_readyz_is_503_once_a_failed_write_stopped_the_store(tmp_path, driver):
    with own_server(workdir=str(tmp_path), args=("--driver", driver), preexec_fn=limit_file_size) as s:
        assert requests.get(s.base + "/readyz", timeout=10).status_code == 200
        failed = None
        for i in range(2 * LIMIT // 2000):  # more than the limit can hold
            r = put_product(s.base, i)
            if r.status_code not in (200, 201):
                failed = r
                break
        assert failed is not None, "no write failed past the file-size limit"
        assert i > 0, "the first write failed: the limit is too small for an empty store"
        assert failed.status_code == 503, failed.text
        assert failed.json()["error"]["code"] == "UNAVAILABLE", failed.text

        r = requests.get(s.base + "/readyz", timeout=10)
        assert r.status_code == 503, r.text
        message = r.json()["error"]["message"]
        assert "refuses writes" in message and "restart" in message, message
        assert str(tmp_path) not in message  # no file names for an anonymous caller
        assert requests.get(s.base + "/healthz", timeout=10).status_code == 200

        # Every later write answers the same error; reads go on.
        r = put_product(s.base, 0)
        assert r.status_code == 503 and r.json()["error"]["code"] == "UNAVAILABLE", r.text
        r = requests.get(f"{s.base}/v1/products/df-00000", headers=ADMIN, timeout=10)
        assert r.status_code == 200 and r.json()["title"] == "Disk Filler 0", r.text
        metrics = requests.get(s.base + "/metrics", headers=ADMIN, timeout=10).text
        assert "\ncommerce_storage_write_failed 1\n" in metrics
