"""`commerce verify --data DIR`: the exit status (0 sound, 1 problems, 3 cannot check), the
text and --json reports, and a damaged record named by table and key (issue 11)."""
import json
import os
import subprocess
import tempfile

from conftest import find_cli


def cli(*args):
    return subprocess.run([find_cli(), *args], capture_output=True, text=True, timeout=120)


def make_store(d, products=20):
    """A closed LMDB store of `products` generated products; returns (store, first product)."""
    sample = os.path.join(d, "sample.jsonl")
    r = cli("generate", "--products", str(products), "--out", sample)
    assert r.returncode == 0, r.stderr
    store = os.path.join(d, "store")
    r = cli("import", "--data", store, sample)
    assert r.returncode == 0, r.stderr
    with open(sample) as f:
        first = json.loads(f.readline())
    return store, first


def test_a_sound_store_exits_0_with_text_and_json_reports():
    with tempfile.TemporaryDirectory(prefix="commerce-verify-") as d:
        store, _ = make_store(d)
        r = cli("verify", "--data", store)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "OK, no problems" in r.stdout
        r = cli("verify", "--data", store, "--json", "--no-search")
        assert r.returncode == 0, r.stdout + r.stderr
        report = json.loads(r.stdout)
        assert report["ok"] is True and report["problems"] == []
        assert report["driver"] == "lmdb" and report["records"]["products"] == 20


def test_a_damaged_record_exits_1_naming_table_and_key():
    with tempfile.TemporaryDirectory(prefix="commerce-verify-") as d:
        store, first = make_store(d)
        # One bit of the first product's title, in every copy data.mdb holds (copy-on-write
        # leaves stale ones in free pages).
        title = first["title"].encode()
        path = os.path.join(store, "data.mdb")
        data = bytearray(open(path, "rb").read())
        at = data.find(title)
        assert at >= 0
        while at >= 0:
            data[at] ^= 0x20
            at = data.find(title, at + 1)
        open(path, "wb").write(data)
        r = cli("verify", "--data", store, "--json", "--no-search")
        assert r.returncode == 1, r.stdout + r.stderr
        report = json.loads(r.stdout)
        assert report["ok"] is False
        # (The title may be in other records too, such as the product's event: each is named.)
        damaged = [p for p in report["problems"] if p["where"] == 'products ("' + first["id"] + '")']
        assert damaged, report["problems"]
        assert "checksum mismatch" in damaged[0]["what"], damaged[0]
        r = cli("verify", "--data", store, "--no-search")
        assert r.returncode == 1 and first["id"] in r.stdout


def test_no_store_exits_3_and_bad_usage_fails_writing_nothing():
    with tempfile.TemporaryDirectory(prefix="commerce-verify-") as d:
        absent = os.path.join(d, "absent")
        r = cli("verify", "--data", absent)
        assert r.returncode == 3 and r.stderr.startswith("error: "), (r.returncode, r.stderr)
        assert not os.path.exists(absent)
        empty = os.path.join(d, "empty")
        os.mkdir(empty)
        r = cli("verify", "--data", empty)
        assert r.returncode == 3 and "not a commerce store" in r.stderr, (r.returncode, r.stderr)
        assert os.listdir(empty) == []
        r = cli("verify", "--data", empty, "--driver", "rocksdb")
        assert r.returncode != 0 and r.returncode != 1
        r = cli("verify")
        assert r.returncode != 0 and r.returncode != 1
