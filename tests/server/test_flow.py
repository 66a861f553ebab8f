"""The full flow over HTTP: import -> search -> cart -> order -> pay -> ship, with conditional
updates, idempotent placement, the event tail, and the operator endpoints."""
import json
import threading
import time

from conftest import ADDRESS, make_products, wait_indexed


def test_flow_import_search_cart_order_pay_ship(admin, store, server):
    # import (admin)
    r = admin.post("/v1/products/import", data=make_products(40),
                   headers={"Content-Type": "application/x-ndjson"})
    assert r.status_code == 200, r.text
    assert r.json()["imported"] == 40 and r.json()["rejected"] == 0
    assert r.json()["unchanged"] == 0
    # the same body again changes nothing: counted as unchanged, no event appended
    last = admin.get("/v1/events", params={"limit": 1}).json()["last_seq"]
    r = admin.post("/v1/products/import", data=make_products(40),
                   headers={"Content-Type": "application/x-ndjson"})
    assert r.status_code == 200, r.text
    assert (r.json()["imported"], r.json()["unchanged"]) == (40, 40)
    assert admin.get("/v1/events", params={"limit": 1}).json()["last_seq"] == last

    # stock in two warehouses
    for wh, region in (("wh-east", "us-east"), ("wh-west", "us-west")):
        r = admin.put(f"/v1/warehouses/{wh}", json={"name": wh, "region": region, "priority": 1})
        assert r.status_code == 200, r.text
    for sku in ("P0000-M", "P0002-M", "P0005-M"):
        r = admin.post(f"/v1/stock/{sku}/receive", json={"warehouse_id": "wh-west", "quantity": 10})
        assert r.status_code == 200 and r.json()["on_hand"] == 10, r.text
    wait_indexed(admin)

    # search: text, filters, facets, sort, pagination; GET and POST
    r = store.get("/v1/search", params={"q": "classic shirt", "facets": "brand,category,price",
                                        "limit": 5})
    assert r.status_code == 200, r.text
    res = r.json()
    assert res["total"] >= 1 and res["hits"]
    assert "Shirt" in res["hits"][0]["title"]
    assert [f["field"] for f in res["facets"]] == ["brand", "category", "price"]
    r = store.post("/v1/search", json={
        "text": "", "brands": ["Acme"], "categories": [], "price_min": 0, "price_max": 10**7,
        "in_stock": True, "attributes": {"colour": "black"}, "facets": ["brand"], "facet_size": 5,
        "sort": "price_asc", "offset": 0, "limit": 10, "prefix": True, "typo_tolerance": True,
        "relax": True, "minimum_should_match": 75, "min_index_seq": 0, "wait_timeout_ms": 1000, "use_cache": False})
    assert r.status_code == 200, r.text
    hits = r.json()["hits"]
    assert [h["product_id"] for h in hits] == ["p-0000"], hits  # Acme, black, in stock
    # multi-select facets, given price buckets and the category tree, GET and POST alike
    params = {"brand": "Acme", "facets": "brand,price,category_tree", "disjunctive_facets": "brand",
              "price_buckets": "1000,5000", "use_cache": "false"}
    got = store.get("/v1/search", params=params)
    assert got.status_code == 200, got.text
    posted = store.post("/v1/search", json={
        "brands": ["Acme"], "facets": ["brand", "price", "category_tree"], "disjunctive_facets": ["brand"],
        "price_buckets": [1000, 5000], "use_cache": False})
    assert posted.status_code == 200, posted.text
    assert got.json()["facets"] == posted.json()["facets"]
    brand, price, tree = got.json()["facets"]
    assert len(brand["values"]) > 1  # the other brands, counted without the brand filter
    assert all(h["brand"] == "Acme" for h in got.json()["hits"])
    assert {v["value"] for v in price["values"]} <= {"0..999", "1000..4999", "5000.."}
    assert sum(v["count"] for v in price["values"]) == got.json()["total"]  # with the brand filter
    assert tree["values"] and all(v["level"] == 0 and v["parent"] == "" for v in tree["values"])
    assert "level" not in brand["values"][0]
    r = store.get("/v1/search", params={"q": "shrit"})  # a typo
    assert r.status_code == 200 and r.json()["corrected_query"] == "shirt"
    r = store.get("/v1/search", params={"q": "classic shirt zzzzqqq ", "minimum_should_match": 60})
    assert r.status_code == 200 and r.json()["relaxed"] and r.json()["hits"], r.text

    # customer and cart (store)
    r = store.post("/v1/customers", json={"email": "ada@example.com", "name": "Ada",
                                          "addresses": [ADDRESS]})
    assert r.status_code == 201, r.text
    customer = r.json()
    r = store.get("/v1/customers", params={"email": "ADA@example.com"})
    assert r.status_code == 200 and r.json()["id"] == customer["id"]
    r = store.post("/v1/carts", json={"customer_id": customer["id"]})
    assert r.status_code == 201, r.text
    cart = r.json()["id"]
    assert store.post(f"/v1/carts/{cart}/lines", json={"sku": "P0000-M", "quantity": 2}).status_code == 200
    assert store.post(f"/v1/carts/{cart}/lines", json={"sku": "P0002-M", "quantity": 1}).status_code == 200
    r = store.put(f"/v1/carts/{cart}/lines/P0002-M", json={"quantity": 3})
    assert r.status_code == 200 and r.json()["item_count"] == 5, r.text
    assert r.json()["subtotal"] == {"minor": 2 * 1000 + 3 * 1500, "currency": "USD"}

    # order: the Idempotency-Key makes the retry safe
    body = {"customer_id": customer["id"], "cart_id": cart, "shipping_address": ADDRESS}
    r = store.post("/v1/orders", json=body, headers={"Idempotency-Key": "checkout-1"})
    assert r.status_code == 201, r.text
    order = r.json()
    assert order["status"] == "placed" and order["total"]["minor"] == 6500
    assert order["shipments"][0]["warehouse_id"] == "wh-west"
    assert r.headers["ETag"] == f'"{order["version"]}"'
    assert "Idempotent-Replayed" not in r.headers
    r = store.post("/v1/orders", json=body, headers={"Idempotency-Key": "checkout-1"})
    assert r.status_code == 201 and r.json() == order, r.text  # what the first attempt answered
    assert r.headers["Idempotent-Replayed"] == "true"
    r = store.post("/v1/orders", json={**body, "cart_id": "", "lines": [{"sku": "P0005-M", "quantity": 1}]},
                   headers={"Idempotency-Key": "checkout-1"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "CONFLICT", r.text
    r = store.post("/v1/orders", json=body)
    assert r.status_code == 400 and "Idempotency-Key" in r.json()["error"]["message"]

    # pay (admin, conditional on the version), fulfil, ship
    r = admin.post(f"/v1/orders/{order['id']}/transitions", json={"to": "paid"},
                   headers={"If-Match": '"999"'})
    assert r.status_code == 409 and r.json()["error"]["code"] == "CONFLICT", r.text
    r = admin.post(f"/v1/orders/{order['id']}/transitions", json={"to": "paid", "note": "card"},
                   headers={"If-Match": f'"{order["version"]}"'})
    assert r.status_code == 200 and r.json()["status"] == "paid", r.text
    r = admin.post(f"/v1/orders/{order['id']}/transitions", json={"to": "delivered"})
    assert r.status_code == 412 and r.json()["error"]["code"] == "FAILED_PRECONDITION"
    for to in ("fulfilling", "shipped"):
        r = admin.post(f"/v1/orders/{order['id']}/transitions", json={"to": to})
        assert r.status_code == 200 and r.json()["status"] == to, r.text
    r = store.get(f"/v1/orders/{order['id']}")
    assert [h["to"] for h in r.json()["history"]] == ["placed", "paid", "fulfilling", "shipped"]
    # A late retry still answers what the first attempt answered, not the order as it is now.
    r = store.post("/v1/orders", json=body, headers={"Idempotency-Key": "checkout-1"})
    assert r.status_code == 201 and r.json() == order and r.headers["Idempotent-Replayed"] == "true"
    assert r.headers["ETag"] == f'"{order["version"]}"'
    r = store.get("/v1/stock/P0002-M")
    assert r.json()["on_hand"] == 7 and r.json()["reserved"] == 0
    r = store.get(f"/v1/customers/{customer['id']}/orders")
    assert [o["id"] for o in r.json()["items"]] == [order["id"]]
    r = admin.get("/v1/orders", params={"status": "shipped"})
    assert order["id"] in [o["id"] for o in r.json()["items"]]
    assert store.get(f"/v1/carts/{cart}").json()["lines"] == []


def test_product_conditional_updates(admin, store):
    p = {"title": "Conditional Tee", "brand": "Acme",
         "variants": [{"sku": "COND-1", "price": 1500, "currency": "USD"}]}
    r = admin.put("/v1/products/cond-1", json=p, headers={"If-None-Match": "*"})
    assert r.status_code == 200 and r.json()["version"] == 1, r.text
    r = admin.put("/v1/products/cond-1", json=p, headers={"If-None-Match": "*"})
    assert r.status_code == 409, r.text
    etag = store.get("/v1/products/cond-1").headers["ETag"]
    assert etag == '"1"'
    r = admin.put("/v1/products/cond-1", json={**p, "title": "Conditional Tee 2"},
                  headers={"If-Match": etag})
    assert r.status_code == 200 and r.json()["version"] == 2
    r = admin.put("/v1/products/cond-1", json={**p, "title": "lost update"}, headers={"If-Match": etag})
    assert r.status_code == 409 and r.json()["error"]["code"] == "CONFLICT"
    assert store.get("/v1/products/cond-1").json()["title"] == "Conditional Tee 2"
    assert store.get("/v1/skus/COND-1").json()["id"] == "cond-1"
    r = admin.put("/v1/products/cond-1", json=p, headers={"If-Match": "nonsense"})
    assert r.status_code == 400
    r = admin.post("/v1/products/cond-1/archive", headers={"If-Match": '"2"'})
    assert r.status_code == 200 and r.json()["status"] == "archived"
    r = store.get("/v1/products", params={"limit": 2})
    assert r.status_code == 200 and len(r.json()["items"]) == 2 and r.json()["next_cursor"]
    # customers too
    c = store.post("/v1/customers", json={"email": "cond@example.com", "name": "C"}).json()
    r = store.put(f"/v1/customers/{c['id']}", json={"email": "cond@example.com", "name": "D"},
                  headers={"If-Match": '"7"'})
    assert r.status_code == 409
    r = store.put(f"/v1/customers/{c['id']}", json={"email": "cond@example.com", "name": "D"},
                  headers={"If-Match": f'"{c["version"]}"'})
    assert r.status_code == 200 and r.json()["name"] == "D"


def test_categories_and_catalog_stats(admin, store):
    r = admin.put("/v1/categories/garden", json={"name": "Garden"})
    assert r.status_code == 200, r.text
    r = admin.put("/v1/categories/garden%2Ftools", json={"name": "Tools"})
    assert r.status_code == 200 and r.json()["parent_id"] == "garden", r.text
    assert store.get("/v1/categories/garden%2Ftools").json()["name"] == "Tools"
    assert [c["id"] for c in store.get("/v1/categories", params={"parent": "garden"}).json()["items"]] == ["garden/tools"]
    assert store.get("/v1/catalog/stats").json()["categories"] >= 2


def test_events_long_poll(admin):
    last = admin.get("/v1/events", params={"from": 1, "limit": 1}).json()["last_seq"]
    r = admin.get("/v1/events", params={"from": last + 1, "wait_ms": 100})
    assert r.status_code == 200 and r.json()["events"] == [] and r.json()["next"] == last + 1

    def later():
        time.sleep(0.3)
        admin.put("/v1/warehouses/wh-poll", json={"name": "poll", "region": "eu"})
    t = threading.Thread(target=later)
    t.start()
    start = time.time()
    r = admin.get("/v1/events", params={"from": last + 1, "wait_ms": 10000})
    t.join()
    assert r.status_code == 200, r.text
    events = r.json()["events"]
    assert events and events[0]["seq"] == last + 1 and events[0]["type"] == "WarehouseUpserted"
    assert isinstance(events[0]["data"], dict)
    assert time.time() - start < 5


def test_operator_endpoints(anon, admin, store, server):
    assert anon.get("/healthz").json() == {"status": "ok"}
    assert anon.get("/readyz").json()["status"] == "ready"
    r = store.get("/v1/products/p-0001", headers={"X-Request-Id": "my-trace-42"})
    assert r.headers["X-Request-Id"] == "my-trace-42"
    admin.get("/v1/search", params={"q": "jacket"})
    admin.get("/v1/search", params={"q": "jacket"})
    r = admin.get("/metrics")
    assert r.status_code == 200
    text = r.text
    assert 'commerce_http_requests_total{route="GET /v1/products/{id}",status="200"}' in text
    assert 'commerce_http_request_duration_seconds_bucket{route="GET /v1/products/{id}",le="+Inf"}' in text
    for name in ("commerce_storage_group_size_avg", "commerce_storage_group_size_max",
                 "commerce_search_index_lag_events", "commerce_search_cache_hit_ratio",
                 "commerce_http_connections"):
        assert "\n" + name + " " in text, name
    assert store.get("/metrics").status_code == 403
    # the access log has a line for the request id above
    deadline = time.time() + 3
    while time.time() < deadline:
        with open(server.access_log) as f:
            lines = [json.loads(line) for line in f if line.strip()]
        mine = [l for l in lines if l["request_id"] == "my-trace-42"]
        if mine:
            break
        time.sleep(0.2)
    assert mine and mine[0]["status"] == 200 and mine[0]["key"] == "shop"
    assert mine[0]["route"] == "GET /v1/products/{id}"
