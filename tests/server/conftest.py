"""Fixtures of the server tests: a commerce-server on a free 127.0.0.1 port with a keys file,
and an HTTP client that checks every response against docs/http-api.yaml.

Run with Debian's interpreter (python3-requests, python3-yaml, python3-jsonschema):
    COMMERCE_SERVER=build/bin/commerce-server /usr/bin/python3 -m pytest tests/server
ctest runs them too (tools/server/CMakeLists.txt).
"""
import contextlib
import json
import os
import signal
import socket
import subprocess
import tempfile
import time

import pytest
import requests

from openapi_check import OpenApiChecker

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.environ.get("COMMERCE_SOURCE", os.path.abspath(os.path.join(HERE, "..", "..")))

ADMIN_KEY = "admin-secret-0123456789"
STORE_KEY = "store-secret-0123456789"
LIMITED_KEY = "limited-secret-0123456789"
PUBLIC_KEY = "public-secret-0123456789"
REQUEST_TIMEOUT_MS = 1500
MAX_BODY = 256 * 1024


def find_server():
    env = os.environ.get("COMMERCE_SERVER")
    if env:
        return env
    for build in ("build", "build-srv"):
        p = os.path.join(SOURCE, build, "bin", "commerce-server")
        if os.path.exists(p):
            return p
    pytest.skip("commerce-server not built (set COMMERCE_SERVER)")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def find_cli():
    env = os.environ.get("COMMERCE_CLI")
    if env:
        return env
    p = os.path.join(os.path.dirname(find_server()), "commerce")
    if os.path.exists(p):
        return p
    pytest.skip("commerce CLI not built (set COMMERCE_CLI)")


DEFAULT_KEYS = ("# name scope secret [rate burst]\n"
                f"admin admin {ADMIN_KEY}\n"
                f"shop store {STORE_KEY}\n"
                f"limited store {LIMITED_KEY} 1 2\n"
                f"web public {PUBLIC_KEY}\n")


class Server:
    """A commerce-server on a free port under `workdir`. keys: the keys file's text (None: no
    --keys flag); args: more flags. wait=False leaves waiting for it to the caller.
    preexec_fn runs in the child before the server starts (limits, signal dispositions)."""

    def __init__(self, binary, workdir, keys=DEFAULT_KEYS, args=(), listen_host="127.0.0.1",
                 wait=True, data=None, request_timeout_ms=REQUEST_TIMEOUT_MS, preexec_fn=None):
        self.workdir = workdir
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.keys = os.path.join(workdir, "keys.txt")
        cmd = [binary, "--data", data or os.path.join(workdir, "data"),
               "--listen", f"{listen_host}:{self.port}", "--threads", "2"]
        if keys is not None:
            with open(self.keys, "w") as f:
                f.write(keys)
            cmd += ["--keys", self.keys]
        self.access_log = os.path.join(workdir, "access.log")
        self.stderr_path = os.path.join(workdir, f"server-{self.port}.stderr")
        self.stderr = open(self.stderr_path, "w")
        cmd += ["--access-log", self.access_log,
                "--request-timeout-ms", str(request_timeout_ms), "--idle-timeout-ms", "10000",
                "--max-body-bytes", str(MAX_BODY), "--max-import-bytes", str(8 << 20), *args]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=self.stderr,
                                     preexec_fn=preexec_fn)
        if wait:
            self.wait_ready()

    def wait_ready(self, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                if requests.get(self.base + "/healthz", timeout=1).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.kill()
        raise RuntimeError("server did not start: " + self.stderr_text())

    def stderr_text(self):
        with open(self.stderr_path) as f:
            return f.read()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.stderr.close()

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=30)
        self.stderr.close()
        return code, self.stderr_text()


class Client:
    """requests, with every response checked against the OpenAPI description."""

    def __init__(self, server, checker, key):
        self.server = server
        self.checker = checker
        self.session = requests.Session()
        if key:
            self.session.headers["Authorization"] = "Bearer " + key

    def request(self, method, path, **kw):
        kw.setdefault("timeout", 30)
        r = self.session.request(method, self.server.base + path, **kw)
        self.checker.check(method, path, r.status_code, r.headers, r.content)
        assert r.headers.get("X-Request-Id"), f"{method} {path}: no X-Request-Id"
        return r

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def put(self, path, **kw):
        return self.request("PUT", path, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)


@pytest.fixture(scope="session")
def checker():
    return OpenApiChecker(os.path.join(SOURCE, "docs", "http-api.yaml"))


@contextlib.contextmanager
def own_server(workdir=None, **kw):
    """A private server for one test, killed afterwards even when the test fails."""
    with tempfile.TemporaryDirectory(prefix="commerce-server-test-") as d:
        s = Server(find_server(), workdir or d, **kw)
        try:
            yield s
        finally:
            s.kill()


@contextlib.contextmanager
def own_shop(checker, products=10, **kw):
    """own_server with make_products(products) imported and indexed: (admin, public) clients."""
    with own_server(**kw) as s:
        admin = Client(s, checker, ADMIN_KEY)
        r = admin.post("/v1/products/import", data=make_products(products),
                       headers={"Content-Type": "application/x-ndjson"})
        assert r.status_code == 200, r.text
        wait_indexed(admin)
        yield admin, Client(s, checker, PUBLIC_KEY)


@pytest.fixture(scope="session")
def server():
    binary = find_server()
    with tempfile.TemporaryDirectory(prefix="commerce-server-test-") as d:
        s = Server(binary, d)
        yield s
        code, err = s.stop()
        assert code == 0, err
        assert "store closed cleanly" in err, err


@pytest.fixture(scope="session")
def admin(server, checker):
    return Client(server, checker, ADMIN_KEY)


@pytest.fixture(scope="session")
def store(server, checker):
    return Client(server, checker, STORE_KEY)


@pytest.fixture(scope="session")
def public(server, checker):
    return Client(server, checker, PUBLIC_KEY)


@pytest.fixture(scope="session")
def anon(server, checker):
    return Client(server, checker, None)


def make_products(n, prefix="p"):
    """n products of 1-2 variants each, JSON Lines in the catalog's native schema."""
    brands = ["Acme", "Globex", "Initech", "Umbrella"]
    kinds = ["Shirt", "Jacket", "Sneakers", "Backpack", "Headphones"]
    lines = []
    for i in range(n):
        kind = kinds[i % len(kinds)]
        variants = [{"sku": f"{prefix.upper()}{i:04d}-M", "price": 1000 + 250 * i, "currency": "USD",
                     "options": {"size": "M"}}]
        if i % 2 == 0:
            variants.append({"sku": f"{prefix.upper()}{i:04d}-L", "price": 1100 + 250 * i,
                             "currency": "USD", "options": {"size": "L"}})
        lines.append(json.dumps({
            "id": f"{prefix}-{i:04d}", "title": f"{brands[i % 4]} Classic {kind} {i}",
            "description": f"A {kind.lower()} for every day.", "brand": brands[i % 4],
            "categories": [["Apparel", kind]], "options": ["size"], "variants": variants,
            "attributes": {"colour": ["black", "white"][i % 2]}, "popularity": i}))
    return "\n".join(lines) + "\n"


def sellable(base, sku, quantity, tag):
    """Warehouse wh-<tag>, a product of one variant `sku` (5.00 USD) with `quantity` units in
    stock there, and a customer <tag>@example.com, through the admin API of the server at
    `base`; returns the customer's id, ready for POST /v1/orders."""
    admin = {"Authorization": "Bearer " + ADMIN_KEY}
    r = requests.put(f"{base}/v1/warehouses/wh-{tag}", json={"name": tag, "region": "us"}, headers=admin, timeout=30)
    assert r.status_code in (200, 201), r.text
    r = requests.put(f"{base}/v1/products/{tag}-1", json={"title": f"Sellable {tag}", "variants": [
        {"sku": sku, "price": 500, "currency": "USD"}]}, headers=admin, timeout=30)
    assert r.status_code in (200, 201), r.text
    r = requests.post(f"{base}/v1/stock/{sku}/receive", json={"warehouse_id": f"wh-{tag}", "quantity": quantity},
                      headers=admin, timeout=30)
    assert r.status_code == 200, r.text
    r = requests.post(f"{base}/v1/customers", json={"email": f"{tag}@example.com"}, headers=admin, timeout=30)
    assert r.status_code in (200, 201), r.text
    return r.json()["id"]


def wait_indexed(admin):
    """Blocks until search reflects every event so far."""
    last = admin.get("/v1/events", params={"from": 1, "limit": 1}).json()["last_seq"]
    r = admin.get("/v1/search", params={"q": "", "min_index_seq": last, "wait_timeout_ms": 20000,
                                        "use_cache": "false", "limit": 1})
    assert r.status_code == 200, r.text
    return last


ADDRESS = {"name": "Ada", "line1": "1 Main St", "city": "Reno", "region": "us-west", "country": "US"}
