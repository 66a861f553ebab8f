"""API keys: `commerce keys create`, the keys file's syntax, SIGHUP reloads, and the key-less
mode that only a loopback address may use (issue 15, defect 7)."""
import os
import signal
import stat
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from conftest import Server, find_cli, find_server, free_port, own_server


def keys_create(keys, *args):
    return subprocess.run([find_cli(), "keys", "create", "--keys", keys, *args],
                          capture_output=True, text=True, timeout=30)


def get(server, path, key=None):
    headers = {"Authorization": "Bearer " + key} if key else {}
    return requests.get(server.base + path, headers=headers, timeout=10)


def test_keys_create_appends_a_random_secret_and_prints_it():
    with tempfile.TemporaryDirectory(prefix="commerce-keys-") as d:
        keys = os.path.join(d, "keys.txt")
        r = keys_create(keys, "--scope", "store", "--name", "web-shop")
        assert r.returncode == 0, r.stderr
        secret = r.stdout.strip()
        assert secret.startswith("ck_store_") and len(secret) == len("ck_store_") + 64, secret
        assert stat.S_IMODE(os.stat(keys).st_mode) == 0o600
        r2 = keys_create(keys, "--scope", "admin", "--name", "ops", "--rate", "5", "--burst", "10")
        assert r2.returncode == 0, r2.stderr
        assert r2.stdout.strip() != secret
        lines = [l for l in open(keys).read().splitlines() if l and not l.startswith("#")]
        assert lines == [f"web-shop store {secret}", f"ops admin {r2.stdout.strip()} 5 10"], lines
        before = open(keys).read()
        # bad input: a clear error, a non-zero exit, and the file untouched
        for args, code, text in ((["--scope", "store", "--name", "web-shop"], 1, "exists already"),
                                 (["--scope", "root", "--name", "x"], 2, "root"),
                                 (["--scope", "store", "--name", "a b"], 2, "only A-Z"),
                                 (["--scope", "store", "--name", "x" * 65], 2, "1..64"),
                                 (["--scope", "store"], None, "--name"),
                                 (["--scope", "store", "--name", "n", "--rate", "-1"], 2, "rate")):
            r = keys_create(keys, *args)
            assert r.returncode == code if code else r.returncode != 0, (args, r.returncode, r.stderr)
            assert text in r.stderr, (args, r.stderr)
            assert r.stdout == ""
        assert open(keys).read() == before
        # a keys file that does not parse is not appended to
        with open(keys, "a") as f:
            f.write("broken line\n")
        broken = open(keys).read()
        r = keys_create(keys, "--scope", "store", "--name", "other")
        assert r.returncode == 2 and "line" in r.stderr, r.stderr
        assert open(keys).read() == broken


def test_concurrent_keys_create_never_loses_or_reuses_a_line():
    with tempfile.TemporaryDirectory(prefix="commerce-keys-") as d:
        keys = os.path.join(d, "keys.txt")
        names = [f"k{i}" for i in range(12)] + ["same"] * 4
        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(lambda n: keys_create(keys, "--scope", "store", "--name", n), names))
        assert sum(r.returncode == 0 for r in results) == 13, [r.stderr for r in results]
        lines = [l.split() for l in open(keys).read().splitlines() if l and not l.startswith("#")]
        assert sorted(l[0] for l in lines) == sorted([f"k{i}" for i in range(12)] + ["same"])
        assert len({l[2] for l in lines}) == 13


def test_a_hash_inside_a_secret_is_part_of_it():
    secret = "abcdefghijklmnop#rest-of-the-secret"
    keys = "# a comment line\n   # an indented comment\n" + f"web store {secret}\n"
    with own_server(keys=keys) as s:
        assert get(s, "/v1/catalog/stats", secret).status_code == 200
        assert get(s, "/v1/catalog/stats", "abcdefghijklmnop").status_code == 401


def test_bad_keys_files_stop_the_server_with_the_line():
    for text, expect in (("web store short\n", "line 1"),
                         ("web store abcdefghijklmnopqrst\nweb admin zyxwvutsrqponmlkjih\n", "twice"),
                         ("a store abcdefghijklmnopqrst\nb admin abcdefghijklmnopqrst\n", "same as"),
                         ("web owner abcdefghijklmnopqrst\n", "scope"),
                         ("web store abcdefghijklmnopqrst fast\n", "rate"),
                         ("# only a comment\n", "no keys")):
        with own_server(keys=text, wait=False) as s:
            assert s.proc.wait(timeout=30) == 2, text
            err = s.stderr_text()
            assert expect in err, (text, err)
            assert "abcdefghijklmnopqrst" not in err  # never echo a secret


def test_sighup_reloads_keys_and_keeps_them_when_the_file_is_bad():
    with own_server(keys="old store abcdefghijklmnopqrst\n") as s:
        assert get(s, "/v1/catalog/stats", "abcdefghijklmnopqrst").status_code == 200
        r = keys_create(s.keys, "--scope", "store", "--name", "new")
        assert r.returncode == 0, r.stderr
        new = r.stdout.strip()
        assert get(s, "/v1/catalog/stats", new).status_code == 401
        s.proc.send_signal(signal.SIGHUP)
        deadline = time.time() + 10
        while get(s, "/v1/catalog/stats", new).status_code != 200:
            assert time.time() < deadline, s.stderr_text()
            time.sleep(0.05)
        with open(s.keys, "a") as f:
            f.write("garbage\n")
        s.proc.send_signal(signal.SIGHUP)
        deadline = time.time() + 10
        while "keys unchanged" not in s.stderr_text():
            assert time.time() < deadline, s.stderr_text()
            time.sleep(0.05)
        assert get(s, "/v1/catalog/stats", new).status_code == 200
        assert get(s, "/v1/catalog/stats", "abcdefghijklmnopqrst").status_code == 200


def test_without_keys_only_loopback_is_allowed():
    with own_server(keys=None, listen_host="0.0.0.0", wait=False) as s:
        assert s.proc.wait(timeout=30) == 2
        err = s.stderr_text()
        assert "not a loopback address" in err and "commerce keys create" in err, err
    with own_server(keys=None, listen_host="127.0.0.1") as s:
        assert "WARNING" in s.stderr_text() and "loopback" in s.stderr_text()
        assert get(s, "/v1/catalog/stats").status_code == 200
