"""Search over remote shards through commerce-server: one instance indexes (--search-serve-remote),
commerce-shard-server serves its two shards, a second instance searches them
(--search-shard, --no-search-indexer). Facets come back over the wire; a shard server
SIGKILLed gives 503 or a result marked partial by the request's allow_partial, and the
instance answers whole again once the shard server is back."""
import os
import signal
import subprocess
import time

import pytest

from conftest import ADMIN_KEY, STORE_KEY, Client, make_products, own_server, wait_indexed


def find_shard_server(server_binary):
    p = os.environ.get("COMMERCE_SHARD_SERVER") or os.path.join(
        os.path.dirname(server_binary), "commerce-shard-server")
    if not os.path.exists(p):
        pytest.skip("commerce-shard-server not built (set COMMERCE_SHARD_SERVER)")
    return p


class ShardServer:
    """commerce-shard-server on a free port, in its own process group (SIGKILLed as a group)."""

    def __init__(self, binary, index, shard, port=0):
        self.args = [binary, "--host", "127.0.0.1", "--index", index, "--shard", str(shard)]
        self.start(port)

    def start(self, port):
        self.proc = subprocess.Popen(self.args + ["--port", str(port)], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, start_new_session=True)
        line = self.proc.stdout.readline()
        assert line.startswith("listening on "), line + self.proc.stderr.read()
        self.port = int(line.rsplit(":", 1)[1])

    def kill(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def restart(self):
        self.kill()
        self.start(self.port)


def test_search_over_remote_shards_facets_partial_and_recovery(checker):
    from conftest import find_server
    shard_binary = find_shard_server(find_server())
    with own_server(args=["--search-serve-remote"]) as indexer:
        admin = Client(indexer, checker, ADMIN_KEY)
        r = admin.post("/v1/products/import", data=make_products(40),
                       headers={"Content-Type": "application/x-ndjson"})
        assert r.status_code == 200, r.text
        last = wait_indexed(admin)
        index = os.path.join(indexer.workdir, "data", "search")
        shards = [ShardServer(shard_binary, index, n) for n in range(
            admin.get("/v1/search/stats").json()["shards"])]
        try:
            flags = []
            for s in shards:
                flags += ["--search-shard", f"127.0.0.1:{s.port}"]
            with own_server(args=flags + ["--no-search-indexer"]) as querier:
                store = Client(querier, checker, STORE_KEY)
                params = {"q": "classic", "facets": "brand,price", "limit": 100, "use_cache": "false"}
                local = Client(indexer, checker, STORE_KEY).get("/v1/search", params=params).json()
                r = store.get("/v1/search", params={**params, "min_index_seq": last})
                assert r.status_code == 200, r.text
                remote = r.json()
                assert remote["partial"] is False and remote["missing_shards"] == []
                assert [h["product_id"] for h in remote["hits"]] == [h["product_id"] for h in local["hits"]]
                assert remote["facets"] == local["facets"]
                assert remote["total"] == 40
                if len(shards) < 2:
                    return
                shards[1].kill()
                r = store.get("/v1/search", params=params)
                assert r.status_code == 503, r.text
                assert r.json()["error"]["code"] == "UNAVAILABLE"
                assert "shard 1" in r.json()["error"]["message"]
                r = store.post("/v1/search", json={"text": "classic", "allow_partial": True,
                                                   "use_cache": False, "limit": 100})
                assert r.status_code == 200, r.text
                assert r.json()["partial"] is True and r.json()["missing_shards"] == [1]
                assert 0 < r.json()["total"] < 40
                # Still ready for the balancer: carts and orders do not need the shard.
                assert store.get("/readyz").status_code == 200
                shards[1].restart()
                deadline = time.time() + 10
                while True:
                    r = store.get("/v1/search", params=params)
                    if r.status_code == 200 or time.time() > deadline:
                        break
                    time.sleep(0.1)
                assert r.status_code == 200, r.text
                assert r.json()["total"] == 40 and r.json()["partial"] is False
        finally:
            for s in shards:
                s.kill()
