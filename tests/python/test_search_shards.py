"""Search over remote shards from Python: an engine that indexes (serve_remote), its shards
served by commerce-shard-server, and a second engine searching them (SearchOptions.remote_shards):
facets over the wire, Unavailable or a partial result by SearchRequest.allow_partial, and the
bad endpoints refused at open (tests/unit/search_remote_shards_test.cpp has the rest)."""
import os
import signal
import subprocess

import pytest

import commerce
from conftest import make_product, open_engine


def shard_server_binary():
    p = os.environ.get("COMMERCE_SHARD_SERVER") or os.path.abspath(
        os.path.join(os.path.dirname(commerce.__file__), "..", "..", "bin", "commerce-shard-server"))
    if not os.path.exists(p):
        pytest.skip("commerce-shard-server not built (set COMMERCE_SHARD_SERVER)")
    return p


def start_shard_server(binary, index, shard):
    proc = subprocess.Popen([binary, "--host", "127.0.0.1", "--port", "0", "--index", str(index),
                             "--shard", str(shard)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    line = proc.stdout.readline()
    assert line.startswith("listening on "), line + proc.stderr.read()
    return proc, "127.0.0.1:" + line.strip().rsplit(":", 1)[1]


def kill_group(proc):
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def test_remote_shards_facets_and_partial(tmp_path):
    binary = shard_server_binary()
    with open_engine(tmp_path / "indexer", search={"shards": 2, "run_indexer": False,
                                                   "serve_remote": True}) as e:
        for i in range(20):
            e.catalog.upsert(make_product("p%02d" % i, brand=["Acme", "Zenith"][i % 2]))
        e.search.wait_for(e.events.last_seq())
        servers = [start_shard_server(binary, tmp_path / "indexer" / "search", n) for n in range(2)]
        try:
            remote = {"remote_shards": [[servers[0][1]], [servers[1][1]]], "run_indexer": False}
            with open_engine(tmp_path / "querier", search=remote) as q:
                request = commerce.SearchRequest(text="product", facets=["brand"], limit=100,
                                                 use_cache=False)
                local, far = e.search.query(request), q.search.query(request)
                assert [h.product_id for h in far.hits] == [h.product_id for h in local.hits]
                counts = lambda r: [(f.field, [(v.value, v.count) for v in f.values]) for f in r.facets]
                assert counts(far) == counts(local) and far.total == 20
                assert not far.partial and far.missing_shards == []
                kill_group(servers[1][0])
                with pytest.raises(commerce.Unavailable, match="shard 1"):
                    q.search.query(request)
                request.allow_partial = True
                part = q.search.query(request)
                assert part.partial and part.missing_shards == [1] and 0 < part.total < 20
        finally:
            for proc, _ in servers:
                kill_group(proc)


@pytest.mark.parametrize("shards", [[["localhost"]], [["127.0.0.1:0"]], [[]], [["[::1]7001"]]])
def test_remote_shards_bad_endpoints(tmp_path, shards):
    with pytest.raises(commerce.InvalidArgument, match="remote_shards"):
        open_engine(tmp_path / "q", search={"remote_shards": shards})
