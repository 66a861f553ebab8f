"""Scopes of API keys (issue 15, "a public scope"): the route x scope matrix over every route the
server has, and what a `public` key — a publishable key, in a browser, so in anyone's hands — can
and cannot do. docs/security.md ("Scopes") says why each rule is there."""
import os
import re

import pytest

from conftest import ADDRESS, SOURCE

RANK = {"none": 0, "public": 1, "store": 2, "admin": 3}
FILL = {"id": "matrix-x", "sku": "MATRIX-SKU", "op": "receive", "code": "MATRIX-CODE", "file": "app.js", "provider": "test",
        "product_id": "matrix-product"}


def route_table(admin):
    """(method, template) of every route: the server's route table as its source registers it
    (tools/server/api_*.cpp), checked against the routes the running server has answered on
    (its metrics label them), so that a route registered some other way is caught."""
    routes = set()
    for name in os.listdir(os.path.join(SOURCE, "tools", "server")):
        if name.startswith("api_") and name.endswith(".cpp"):
            text = open(os.path.join(SOURCE, "tools", "server", name)).read()
            for m in re.finditer(r'push_back\(\{\s*"([A-Z]+)",\s*"(/[^"]*)",\s*Scope::k(\w+)', text):
                routes.add((m.group(1), m.group(2), m.group(3).lower()))
    table = {(m, t) for m, t, _ in routes}
    answered = set(re.findall(r'route="([A-Z]+) ([^"]+)"', admin.get("/metrics").text))
    assert answered <= table, answered - table
    assert len(table) > 40, table
    return sorted(table), {(m, t): s for m, t, s in routes}


def declared_scope(checker, method, template):
    op = checker.spec["paths"][template][method.lower()]
    assert "x-scope" in op, f"{method} {template}: no x-scope in docs/http-api.yaml"
    return op["x-scope"]


def test_the_route_scope_matrix_holds_on_every_route(checker, admin, store, public, anon):
    """Each route, with no key and with a key of each scope: below the route's scope (x-scope in
    the OpenAPI file) it is 401 without a key and 403 naming the scope needed with one; at or
    above it, the request gets past the gateway."""
    clients = {"none": anon, "public": public, "store": store, "admin": admin}
    table, in_code = route_table(admin)
    checked = 0
    for method, template in table:
        need = declared_scope(checker, method, template)
        assert need in RANK, (method, template, need)
        assert in_code[(method, template)] == need, f"{method} {template}: x-scope {need}, code {in_code[(method, template)]}"
        path = re.sub(r"\{(\w+)\}", lambda m: FILL[m.group(1)], template)
        for scope, client in clients.items():
            kw = {"headers": {"Order-Token": "ot_matrix", "Idempotency-Key": "matrix"}}
            if method in ("POST", "PUT"):
                kw["json"] = {}
            if template == "/v1/events/stream":
                # Past the gateway it would be a stream (test_event_stream.py): a bad `from`
                # makes it a 400 once the key and scope passed.
                kw["params"] = {"from": "0"}
            r = client.request(method, path, **kw)
            where = f"{method} {template} with a {scope} key: {r.status_code} {r.text[:200]}"
            if RANK[scope] >= RANK[need]:
                assert r.status_code not in (401, 403), where
            elif scope == "none":
                assert r.status_code == 401 and r.json()["error"]["code"] == "UNAUTHENTICATED", where
            else:
                assert r.status_code == 403, where
                assert r.json()["error"]["message"].endswith("needs " + need), where
            checked += 1
    assert checked == 4 * len(table)


def test_what_a_public_key_may_reach(checker, admin):
    """The public scope's routes, spelled out: what a browser may do, and nothing that reads
    customers or lists orders."""
    public_routes = {(m, t) for m, t in route_table(admin)[0] if declared_scope(checker, m, t) == "public"}
    assert public_routes == {
        ("GET", "/v1/products"), ("GET", "/v1/products/{id}"), ("GET", "/v1/skus/{sku}"),
        ("GET", "/v1/categories"), ("GET", "/v1/categories/{id}"),
        ("GET", "/v1/search"), ("POST", "/v1/search"),
        ("GET", "/v1/search/suggest"), ("POST", "/v1/search/uses"),  # a shop's front end reports clicks
        ("POST", "/v1/carts"), ("GET", "/v1/carts/{id}"), ("DELETE", "/v1/carts/{id}"),
        ("POST", "/v1/carts/{id}/lines"), ("DELETE", "/v1/carts/{id}/lines"),
        ("PUT", "/v1/carts/{id}/lines/{sku}"), ("DELETE", "/v1/carts/{id}/lines/{sku}"),
        ("GET", "/v1/carts/{id}/pricing"),
        ("GET", "/v1/prices/{sku}"),  # a guest's price now (a group's or a channel's: 403)
        ("POST", "/v1/orders"), ("GET", "/v1/orders/{id}"),
        ("GET", "/v1/key"),  # what the key itself may do (the console asks)
    }


def test_a_key_reads_its_own_name_and_scope_never_its_secret(admin, store, public, anon):
    for client, name, scope in ((admin, "admin", "admin"), (store, "shop", "store"), (public, "web", "public")):
        r = client.get("/v1/key")
        assert r.status_code == 200, r.text
        assert r.json() == {"name": name, "scope": scope}
        assert "secret" not in r.text
    assert anon.get("/v1/key").status_code == 401


@pytest.fixture(scope="module")
def shop(admin, store):
    """An active product with stock, a draft, and a customer (made by the store's backend)."""
    for pid, status in (("pub-tee", "active"), ("pub-draft", "draft")):
        r = admin.put(f"/v1/products/{pid}", json={
            "title": "Public " + pid, "status": status,
            "variants": [{"sku": pid.upper(), "price": 1500, "currency": "USD"}]})
        assert r.status_code == 200, r.text
    assert admin.put("/v1/warehouses/pub-wh", json={"name": "pub", "region": "us-west"}).status_code == 200
    r = admin.post("/v1/stock/PUB-TEE/receive", json={"warehouse_id": "pub-wh", "quantity": 50})
    assert r.status_code == 200, r.text
    r = store.post("/v1/customers", json={"email": "browser@example.com", "name": "B"})
    assert r.status_code == 201, r.text
    return {"customer": r.json()["id"]}


def test_a_public_key_sees_active_products_only(public, store, shop):
    assert public.get("/v1/products/pub-tee").status_code == 200
    assert public.get("/v1/skus/PUB-TEE").status_code == 200
    assert store.get("/v1/products/pub-draft").status_code == 200
    # a draft answers as a product that does not exist
    for path, missing in (("/v1/products/pub-draft", "/v1/products/pub-nothing"),
                          ("/v1/skus/PUB-DRAFT", "/v1/skus/PUB-NOTHING")):
        r, none = public.get(path), public.get(missing)
        assert r.status_code == 404 and none.status_code == 404, r.text
        assert r.json()["error"]["message"] == none.json()["error"]["message"].replace(
            missing.rsplit("/", 1)[1], path.rsplit("/", 1)[1])
    ids, cursor = [], ""
    while True:
        page = public.get("/v1/products", params={"cursor": cursor, "limit": 1000}).json()
        ids += [p["id"] for p in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert "pub-tee" in ids and "pub-draft" not in ids
    r = public.get("/v1/products", params={"include_archived": "true"})
    assert r.status_code == 403 and "include_archived" in r.json()["error"]["message"]


def test_a_public_key_makes_guest_carts_with_ids_it_cannot_choose(public, store, shop):
    r = public.post("/v1/carts", json={})
    assert r.status_code == 201, r.text
    cart = r.json()
    assert re.fullmatch(r"cart-[0-9a-f]{32}", cart["id"]), cart["id"]  # 128 random bits
    assert cart["customer_id"] == ""
    for body, field in (({"id": "my-cart"}, "body.id"), ({"customer_id": shop["customer"]}, "body.customer_id")):
        r = public.post("/v1/carts", json=body)
        assert r.status_code == 403 and r.json()["error"]["message"].startswith(field), r.text
    assert store.get("/v1/carts/my-cart").status_code == 404  # nothing was made
    r = public.post(f"/v1/carts/{cart['id']}/login", json={"customer_id": shop["customer"]})
    assert r.status_code == 403, r.text  # login is the store's: it knows who the shopper is


def test_a_public_key_places_an_order_and_reads_it_only_with_its_token(public, store, shop):
    cart = public.post("/v1/carts", json={}).json()["id"]
    r = public.post(f"/v1/carts/{cart}/lines", json={"sku": "PUB-TEE", "quantity": 2})
    assert r.status_code == 200, r.text
    body = {"customer_id": shop["customer"], "cart_id": cart, "shipping_address": ADDRESS}
    r = public.post("/v1/orders", json=body, headers={"Idempotency-Key": "browser-1"})
    assert r.status_code == 201, r.text
    order = r.json()
    assert order["total"]["minor"] > 0 and public.get(f"/v1/carts/{cart}").json()["lines"] == []
    token = order["access_token"]
    assert re.fullmatch(r"ot_[0-9a-f]{32}", token), token
    # the retry answers the same, token included (a browser that lost the answer needs it)
    r = public.post("/v1/orders", json=body, headers={"Idempotency-Key": "browser-1"})
    assert r.status_code == 201 and r.json() == order and r.headers["Idempotent-Replayed"] == "true"
    other = public.post("/v1/orders", headers={"Idempotency-Key": "browser-2"}, json={
        "customer_id": shop["customer"], "lines": [{"sku": "PUB-TEE", "quantity": 1}],
        "shipping_address": ADDRESS}).json()
    assert other["access_token"] != token

    path = f"/v1/orders/{order['id']}"
    r = public.get(path, headers={"Order-Token": token})
    assert r.status_code == 200 and r.json()["id"] == order["id"], r.text
    r = public.get(path)
    assert r.status_code == 400 and r.json()["error"]["message"].startswith("Order-Token:"), r.text
    none = public.get("/v1/orders/ord-0000000000000000", headers={"Order-Token": token})
    assert none.status_code == 404
    for wrong in (other["access_token"], token[:-1] + ("0" if token[-1] != "0" else "1"), token + "0", "x"):
        r = public.get(path, headers={"Order-Token": wrong})
        assert r.status_code == 404, (wrong, r.text)
        # worded as for no such order: nothing says the id exists
        assert r.json()["error"]["message"] == none.json()["error"]["message"].replace(
            "ord-0000000000000000", order["id"])
    # the token in a query string is not a way in
    assert public.get(path, params={"order_token": token}).status_code == 400
    # a store key reads any order, token shown
    r = store.get(path)
    assert r.status_code == 200 and r.json()["access_token"] == token
    # what a public key never reaches: customers, a customer's orders, order listings, moves
    for method, p in (("get", f"/v1/customers/{shop['customer']}"),
                      ("get", "/v1/customers?email=browser%40example.com"),
                      ("get", f"/v1/customers/{shop['customer']}/orders"),
                      ("get", "/v1/orders?status=placed"),
                      ("post", f"/v1/orders/{order['id']}/transitions")):
        r = getattr(public, method)(p, **({"json": {"to": "cancelled"}} if method == "post" else {}))
        assert r.status_code == 403, (p, r.text)
    assert store.get(path).json()["status"] == "placed"


def test_keys_create_makes_a_public_key(tmp_path):
    from conftest import find_cli, own_server
    import subprocess
    keys = str(tmp_path / "keys.txt")
    r = subprocess.run([find_cli(), "keys", "create", "--keys", keys, "--scope", "public", "--name", "browser"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    secret = r.stdout.strip()
    assert re.fullmatch(r"ck_public_[0-9a-f]{64}", secret), secret
    assert open(keys).read().splitlines()[-1] == f"browser public {secret}"
    text = open(keys).read()
    with own_server(keys=text) as s:
        import requests
        h = {"Authorization": "Bearer " + secret}
        assert requests.get(s.base + "/v1/products", headers=h, timeout=10).status_code == 200
        r = requests.get(s.base + "/v1/customers/x", headers=h, timeout=10)
        assert r.status_code == 403 and r.json()["error"]["message"].endswith("needs store")
