"""Bad input over real sockets: the right status and a JSON error, the server keeps serving
everyone else, and nothing is half-written."""
import threading
import time

from conftest import ADDRESS, ADMIN_KEY, LIMITED_KEY, MAX_BODY, REQUEST_TIMEOUT_MS, STORE_KEY
from rawhttp import Sock, error_of

AUTH = f"Authorization: Bearer {STORE_KEY}\r\n".encode()


def still_serving(store):
    r = store.get("/healthz")
    assert r.status_code == 200


def test_malformed_http(server, store):
    for garbage in (b"GARBAGE\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n", b"GET /healthz HTTP/1.1\r\nBad Header\r\n\r\n",
                    b"POST /v1/carts HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nhello",
                    b"\x00\x01\x02\x03\r\n\r\n"):
        s = Sock(server)
        s.send(garbage)
        resp = s.response()
        assert resp is not None, garbage
        status, code, _ = error_of(resp)
        assert status == 400 and code == "INVALID_ARGUMENT", (garbage, status, code)
        assert resp[1].get("connection") == "close"
        assert s.closed_by_peer()
        s.close()
    still_serving(store)


def test_malformed_and_nested_json(store):
    for body in (b"{", b"[1,2]", b"{\"sku\": }", b"\xff\xfe{}", b"", b"null"):
        r = store.post("/v1/carts/c-x/lines", data=body, headers={"Content-Type": "application/json"})
        assert r.status_code == 400 and r.json()["error"]["code"] == "INVALID_ARGUMENT", (body, r.text)
    deep = b"[" * 100000 + b"]" * 100000
    r = store.post("/v1/search", data=deep, headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and "nested" in r.json()["error"]["message"]
    deep_obj = b'{"text": ' + b'{"a":' * 40 + b"1" + b"}" * 40 + b"}"
    r = store.post("/v1/search", data=deep_obj, headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    r = store.post("/v1/search", data=b"{}", headers={"Content-Type": "text/plain"})
    assert r.status_code == 415 and r.json()["error"]["code"] == "UNSUPPORTED_MEDIA_TYPE"
    still_serving(store)


def test_wrong_types_and_unknown_fields_write_nothing(admin, store):
    admin.put("/v1/warehouses/wh-bad", json={"name": "bad", "region": "us-west"})
    admin.put("/v1/products/bad-1", json={"title": "Bad", "variants": [{"sku": "BAD-1", "price": 100}]})
    admin.post("/v1/stock/BAD-1/receive", json={"warehouse_id": "wh-bad", "quantity": 2})
    cart = store.post("/v1/carts", json={}).json()["id"]
    cases = [
        ("post", f"/v1/carts/{cart}/lines", {"sku": "BAD-1", "quantity": "two"}, "body.quantity"),
        ("post", f"/v1/carts/{cart}/lines", {"sku": "BAD-1", "quantity": 1.5}, "body.quantity"),
        ("post", f"/v1/carts/{cart}/lines", {"sku": ["BAD-1"], "quantity": 1}, "body.sku"),
        ("post", f"/v1/carts/{cart}/lines", {"sku": "BAD-1", "quantity": 1, "qty": 1}, "body.qty"),
        ("post", f"/v1/carts/{cart}/lines", {"sku": "BAD-1", "quantity": -3}, None),
        ("post", f"/v1/carts/{cart}/lines", {"sku": "BAD-1"}, "body.quantity"),
        ("post", "/v1/search", {"text": "x", "limt": 3}, "body.limt"),
        ("post", "/v1/search", {"text": "x", "minimum_should_match": 0}, "minimum_should_match"),
        ("post", "/v1/search", {"text": "x", "minimum_should_match": 2**40}, "minimum_should_match"),
        ("post", "/v1/search", {"text": "x", "minimum_should_match": "most"}, "minimum_should_match"),
        ("post", "/v1/search", {"facets": ["brand"], "disjunctive_facets": ["price"]}, "disjunctive_facets"),
        ("post", "/v1/search", {"facets": ["brand"], "disjunctive_facets": "brand"}, "body.disjunctive_facets"),
        ("post", "/v1/search", {"facets": ["price"], "price_buckets": [500, 100]}, "price_buckets"),
        ("post", "/v1/search", {"facets": ["price"], "price_buckets": ["10"]}, "body.price_buckets[0]"),
        ("post", "/v1/search", {"facets": ["price"], "price_buckets": [1.5]}, "body.price_buckets[0]"),
        ("post", "/v1/customers", {"email": 7}, "body.email"),
    ]
    for method, path, body, field in cases:
        r = getattr(store, method)(path, json=body)
        assert r.status_code == 400, (path, body, r.text)
        err = r.json()["error"]
        assert err["code"] == "INVALID_ARGUMENT"
        if field:
            assert field in err["message"], err
    assert store.get(f"/v1/carts/{cart}").json()["lines"] == []
    # a product with a bad field is not created, not even partly
    r = admin.put("/v1/products/bad-2", json={"title": "Bad 2", "colour": "red",
                                              "variants": [{"sku": "BAD-2", "price": 100}]})
    assert r.status_code == 400 and "body.colour" in r.json()["error"]["message"]
    assert store.get("/v1/products/bad-2").status_code == 404
    r = admin.put("/v1/products/bad-3", json={"title": "Bad 3", "variants": [{"sku": "BAD-3", "price": "1"}]})
    assert r.status_code == 400 and "body.variants[0].price" in r.json()["error"]["message"]
    # the body is read by the catalog's import reader, not a second one: decimal prices and a
    # variant without a currency (USD) are read as an import reads them
    r = admin.put("/v1/products/dec-1", json={"title": "Dec", "variants": [{"sku": "DEC-1", "price_decimal": "12.50"}]})
    assert r.status_code == 200, r.text
    assert r.json()["variants"][0]["price"] == 1250 and r.json()["variants"][0]["currency"] == "USD"
    r = admin.put("/v1/products/dec-2", json=[1, 2])
    assert r.status_code == 400 and r.json()["error"]["message"].startswith("body: expected a JSON object")
    # unknown query parameters are caught too
    r = store.get("/v1/search", params={"q": "x", "lmit": "3"})
    assert r.status_code == 400 and "lmit" in r.json()["error"]["message"]
    r = store.get("/v1/search", params={"limit": "many"})
    assert r.status_code == 400
    # a parameter given twice is refused (it took the first, or the last, silently), unless it
    # is a list
    for path, params in [("/v1/search", [("q", "x"), ("limit", "5"), ("limit", "1000")]),
                         ("/v1/search", [("q", "a"), ("q", "b")]),
                         ("/v1/search", [("attr.color", "red"), ("attr.color", "blue")]),
                         ("/v1/products", [("cursor", "a"), ("cursor", "b")]),
                         ("/v1/categories", [("parent", "a"), ("parent", "b")])]:
        r = store.get(path, params=params)
        assert r.status_code == 400 and r.json()["error"]["code"] == "INVALID_ARGUMENT", (path, r.text)
        assert "given more than once" in r.json()["error"]["message"], r.text
    r = store.get("/v1/search", params=[("q", "x"), ("brand", "a"), ("brand", "b"), ("facets", "brand"),
                                        ("facets", "price")])
    assert r.status_code == 200, r.text
    r = admin.get("/v1/orders", params=[("status", "placed"), ("status", "paid")])
    assert r.status_code == 200, r.text
    for bad in ("0", "101", "half", "99999999999"):
        r = store.get("/v1/search", params={"q": "x", "minimum_should_match": bad})
        assert r.status_code == 400 and "minimum_should_match" in r.json()["error"]["message"], r.text
    for params, field in [({"facets": "price", "price_buckets": "10,x"}, "price_buckets"),
                          ({"facets": "price", "price_buckets": "0"}, "price_buckets"),
                          ({"facets": "brand", "disjunctive_facets": "tree"}, "disjunctive_facets")]:
        r = store.get("/v1/search", params=params)
        assert r.status_code == 400 and field in r.json()["error"]["message"], r.text
    # an order that cannot be met writes nothing: stock and events unchanged
    cus = store.post("/v1/customers", json={"email": "bad@example.com"}).json()["id"]
    last = admin.get("/v1/events", params={"limit": 1}).json()["last_seq"]
    r = store.post("/v1/orders", json={"customer_id": cus, "lines": [{"sku": "BAD-1", "quantity": 3}],
                                       "shipping_address": ADDRESS}, headers={"Idempotency-Key": "bad-1"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "OUT_OF_STOCK", r.text
    r = store.post("/v1/orders", json={"customer_id": cus, "lines": [{"sku": "BAD-1", "quantity": 1}],
                                       "shipping_address": {**ADDRESS, "planet": "Mars"}},
                   headers={"Idempotency-Key": "bad-2"})
    assert r.status_code == 400 and "planet" in r.json()["error"]["message"]
    stock = store.get("/v1/stock/BAD-1").json()
    assert stock["on_hand"] == 2 and stock["reserved"] == 0
    assert admin.get("/v1/events", params={"limit": 1}).json()["last_seq"] == last
    assert store.get(f"/v1/customers/{cus}/orders").json()["items"] == []


def test_huge_bodies_and_headers(server, store):
    # declared too large: refused before the body is sent
    s = Sock(server)
    s.send(b"POST /v1/search HTTP/1.1\r\nHost: x\r\n" + AUTH +
           b"Content-Type: application/json\r\nContent-Length: 104857600\r\n\r\n")
    status, code, _ = error_of(s.response())
    assert status == 413 and code == "PAYLOAD_TOO_LARGE"
    assert s.closed_by_peer()
    s.close()
    # chunked past the limit
    s = Sock(server)
    s.send(b"POST /v1/search HTTP/1.1\r\nHost: x\r\n" + AUTH +
           b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
    chunk = b"x" * 65536
    try:
        for _ in range(MAX_BODY // len(chunk) + 2):
            s.send(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass
    status, code, _ = error_of(s.response())
    assert status == 413 and code == "PAYLOAD_TOO_LARGE"
    s.close()
    # over requests: a body just past the limit
    r = store.post("/v1/search", data=b" " * (MAX_BODY + 1), headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    # headers past the limit
    s = Sock(server)
    s.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 40000 + b"\r\n\r\n")
    status, code, _ = error_of(s.response())
    assert status == 431 and code == "HEADERS_TOO_LARGE"
    s.close()
    still_serving(store)


def test_slowloris_is_cut_off(server, store):
    slow = [Sock(server) for _ in range(5)]
    for s in slow:
        s.send(b"GET /v1/products/p-0001 HTTP/1.1\r\nHost: x\r\n")
    start = time.time()
    for s in slow:
        try:
            s.send(b"X-Slow: 1\r\n")  # dribbling does not extend the deadline
        except OSError:
            pass
        time.sleep(0.05)
    for s in slow:
        resp = s.response(timeout=REQUEST_TIMEOUT_MS / 1000 + 5)
        status, code, _ = error_of(resp)
        assert status == 408 and code == "REQUEST_TIMEOUT"
        assert s.closed_by_peer()
        s.close()
    elapsed = time.time() - start
    assert REQUEST_TIMEOUT_MS / 1000 * 0.8 < elapsed < REQUEST_TIMEOUT_MS / 1000 + 3, elapsed
    still_serving(store)


def test_others_are_served_while_slowloris_clients_dribble(checker):
    # A server whose request deadline (20 s) is far from "served at once", so that a loaded
    # machine (a request taking a second) cannot be mistaken for a server that holds the others
    # until the slow clients are cut off; 40 slow clients, more than the loops and pool threads.
    from conftest import Client, own_server
    deadline_s = 20
    with own_server(request_timeout_ms=deadline_s * 1000, args=["--pool-threads", "4"]) as srv:
        store = Client(srv, checker, STORE_KEY)
        slow = [Sock(srv) for _ in range(40)]
        for s in slow:
            s.send(b"POST /v1/carts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + STORE_KEY.encode() +
                   b"\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
        start = time.time()
        for i in range(10):
            for s in slow[i::10]:
                s.send(b" ")  # each slow client keeps dribbling while the others are served
            t0 = time.time()
            still_serving(store)
            r = store.post("/v1/carts", json={})
            assert r.status_code == 201, r.text
            assert time.time() - t0 < deadline_s / 4, time.time() - t0
        # Served while every slow client was still held open, not after they were cut off.
        assert time.time() - start < deadline_s / 2
        for s in slow:
            assert not s.closed_by_peer(timeout=0.01)
            s.close()


def test_unknown_routes_and_methods(store, anon):
    r = store.get("/v1/nothing-here")
    assert r.status_code == 404 and r.json()["error"]["code"] == "NOT_FOUND"
    r = store.get("/")
    assert r.status_code == 404
    r = store.request("PATCH", "/v1/products/p-0001", json={})
    assert r.status_code == 405 and r.json()["error"]["code"] == "METHOD_NOT_ALLOWED"
    assert "GET" in r.headers["Allow"] and "PUT" in r.headers["Allow"]
    r = store.delete("/v1/orders")
    assert r.status_code == 405
    r = store.get("/v1/products/does-not-exist")
    assert r.status_code == 404 and r.json()["error"]["code"] == "NOT_FOUND"


def test_keys_and_scopes(server, checker, anon, store):
    from conftest import Client
    r = anon.get("/v1/products/p-0001")
    assert r.status_code == 401 and r.json()["error"]["code"] == "UNAUTHENTICATED"
    assert r.headers["WWW-Authenticate"] == "Bearer"
    wrong = Client(server, checker, STORE_KEY[:-1] + "X")
    assert wrong.get("/v1/products/p-0001").status_code == 401
    prefix = Client(server, checker, STORE_KEY[:-1])
    assert prefix.get("/v1/products/p-0001").status_code == 401
    longer = Client(server, checker, STORE_KEY + "0")
    assert longer.get("/v1/products/p-0001").status_code == 401
    r = anon.get("/v1/products/p-0001", headers={"X-Api-Key": STORE_KEY})
    assert r.status_code in (200, 404)
    # admin routes with a store key: 403, and nothing written
    r = store.put("/v1/products/scoped", json={"title": "x", "variants": [{"sku": "SCOPED", "price": 1}]})
    assert r.status_code == 403 and r.json()["error"]["code"] == "PERMISSION_DENIED"
    assert store.get("/v1/products/scoped").status_code == 404
    for method, path in (("post", "/v1/stock/P0000-M/receive"), ("post", "/v1/orders/o/transitions"),
                         ("get", "/v1/events"), ("post", "/v1/products/import"), ("get", "/metrics")):
        r = getattr(store, method)(path, json={})
        assert r.status_code == 403, (path, r.text)


def test_rate_limit(server, checker):
    from conftest import Client
    limited = Client(server, checker, LIMITED_KEY)  # 1 request/s, burst 2
    statuses = [limited.get("/v1/products/p-0001") for _ in range(4)]
    codes = [r.status_code for r in statuses]
    assert codes[:2] != [429, 429] and 429 in codes, codes
    limited_resp = next(r for r in statuses if r.status_code == 429)
    assert limited_resp.json()["error"]["code"] == "RESOURCE_EXHAUSTED"
    assert int(limited_resp.headers["Retry-After"]) >= 1
    time.sleep(1.1)
    assert limited.get("/v1/products/p-0001").status_code != 429


def test_pipelining_keeps_order(server):
    s = Sock(server)
    reqs = b""
    for path in (b"/healthz", b"/v1/products/p-0001", b"/nope", b"/readyz"):
        reqs += b"GET " + path + b" HTTP/1.1\r\nHost: x\r\n" + AUTH + b"\r\n"
    s.send(reqs)
    statuses = [s.response()[0] for _ in range(4)]
    assert statuses[0] == 200 and statuses[2] == 404 and statuses[3] == 200, statuses
    # a pipelined POST that waits for a commit and a GET behind it: still in order
    body = b'{"name": "pipe", "region": "us-west"}'
    s.send(b"PUT /v1/warehouses/wh-pipe HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + ADMIN_KEY.encode() +
           b"\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body +
           b"GET /v1/warehouses/wh-pipe HTTP/1.1\r\nHost: x\r\n" + AUTH + b"\r\n")
    a, b = s.response(), s.response()
    assert a[0] == 200 and b[0] == 200 and b"pipe" in b[2]
    s.close()


def test_client_disconnects_mid_request(server, store):
    threads = []
    for _ in range(20):
        s = Sock(server)
        s.send(b"POST /v1/search HTTP/1.1\r\nHost: x\r\n" + AUTH + b"Content-Length: 100\r\n\r\n{\"te")
        s.close()
    still_serving(store)


def test_out_of_range_postgres_settings_are_refused_at_start(tmp_path):
    """--pg-max-attempts and --consumer-lease-ttl-ms (docs/scaling.md) outside their ranges:
    the server does not start, names the setting, and creates no store."""
    import subprocess
    from conftest import find_server, free_port
    data = tmp_path / "data"
    for args in (["--pg-max-attempts", "0"], ["--pg-max-attempts", "1001"],
                 ["--consumer-lease-ttl-ms", "199"], ["--consumer-lease-ttl-ms", "3600001"]):
        proc = subprocess.run([find_server(), "--data", str(data), "--listen", f"127.0.0.1:{free_port()}", *args],
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode != 0, args
        assert args[0] in proc.stderr, (args, proc.stderr)
    # A config file is not range-checked by the flag parser: the engine refuses the value.
    config = tmp_path / "server.conf"
    config.write_text("consumer-lease-ttl-ms = 50\n")
    proc = subprocess.run([find_server(), "--config", str(config), "--data", str(data),
                           "--listen", f"127.0.0.1:{free_port()}"], capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    assert "consumer_lease_ttl" in proc.stderr or "consumer-lease-ttl-ms" in proc.stderr, proc.stderr
    assert not data.exists()
