"""GET /v1/orders: every order, or those of some statuses, a customer and a created_at range, in
placement order with cursors (Orders::list), and its bad input (400/404, nothing listed)."""
import time

from conftest import ADDRESS


def place(store, customer, key, sku):
    r = store.post("/v1/orders", json={"customer_id": customer, "lines": [{"sku": sku, "quantity": 1}],
                                       "shipping_address": ADDRESS}, headers={"Idempotency-Key": key})
    assert r.status_code == 201, r.text
    return r.json()


def listed(admin, **params):
    """The ids of every page of GET /v1/orders, following next_cursor (pages of 2)."""
    ids, cursor = [], None
    for _ in range(100):
        query = [(k, v) for k, vs in params.items() for v in (vs if isinstance(vs, list) else [vs])]
        query += [("limit", 2)] + ([("cursor", cursor)] if cursor else [])
        r = admin.get("/v1/orders", params=query)
        assert r.status_code == 200, r.text
        ids += [o["id"] for o in r.json()["items"]]
        cursor = r.json()["next_cursor"]
        if not cursor:
            return ids
    raise AssertionError("no end to the pages")


def test_list_orders_by_statuses_customer_and_time(admin, store, public, anon):
    r = admin.put("/v1/products/list-mug", json={"title": "Listing Mug", "variants": [
        {"sku": "LIST-MUG", "price": 900, "currency": "USD"}]})
    assert r.status_code == 200, r.text
    assert admin.put("/v1/warehouses/wh-list", json={"name": "List", "region": "us-west",
                                                     "priority": 1}).status_code == 200
    r = admin.post("/v1/stock/LIST-MUG/receive", json={"warehouse_id": "wh-list", "quantity": 50})
    assert r.status_code == 200, r.text
    ada = store.post("/v1/customers", json={"email": "list-ada@example.com"}).json()["id"]
    bob = store.post("/v1/customers", json={"email": "list-bob@example.com"}).json()["id"]
    orders = []
    for i in range(5):
        while orders and time.time() * 1000 <= orders[-1]["created_at_ms"] + 1:
            time.sleep(0.001)  # distinct creation times
        orders.append(place(store, bob if i in (1, 3) else ada, f"list-{i}", "LIST-MUG"))
    ids = [o["id"] for o in orders]
    t = [o["created_at_ms"] for o in orders]
    mine = {"created_from_ms": t[0]}  # this test's orders, not those of the tests before it
    assert admin.post(f"/v1/orders/{ids[0]}/transitions", json={"to": "paid"}).status_code == 200
    assert admin.post(f"/v1/orders/{ids[3]}/transitions", json={"to": "cancelled"}).status_code == 200

    assert listed(admin, **mine) == ids  # placement order
    assert listed(admin, status="placed", **mine) == [ids[1], ids[2], ids[4]]
    assert listed(admin, status=["paid", "cancelled"], **mine) == [ids[0], ids[3]]
    assert listed(admin, customer_id=bob) == [ids[1], ids[3]]  # oldest first
    assert listed(admin, customer_id=ada, status="placed") == [ids[2], ids[4]]
    assert listed(admin, created_from_ms=t[1], created_before_ms=t[4]) == ids[1:4]
    everyone = listed(admin)  # no filter: every order of the store, this test's last
    assert everyone[-5:] == ids and len(everyone) == len(set(everyone))
    # The status filter alone (what GET /v1/orders took before) answers as it did.
    assert ids[0] in listed(admin, status="paid")

    # Bad input: 400 naming the parameter, 404 for a customer that does not exist.
    for params, code, word in [({"status": "lost"}, 400, "status"),
                               ({"status": ["paid", "lost"]}, 400, "status"),
                               ({"customer_id": ""}, 400, "customer_id"),
                               ({"customer_id": [ada, bob]}, 400, "customer_id"),
                               ({"customer_id": "nobody"}, 404, "customer_id"),
                               ({"created_from_ms": "-1"}, 400, "created_from_ms"),
                               ({"created_from_ms": "yesterday"}, 400, "created_from_ms"),
                               ({"created_from_ms": t[2], "created_before_ms": t[2]}, 400, "created_before_ms"),
                               ({"cursor": "x"}, 400, "cursor"),
                               ({"limit": "0"}, 400, "limit"),
                               ({"colour": "red"}, 400, "colour")]:
        query = [(k, v) for k, vs in params.items() for v in (vs if isinstance(vs, list) else [vs])]
        r = admin.get("/v1/orders", params=query)
        assert r.status_code == code, (params, r.text)
        assert word in r.json()["error"]["message"], (params, r.text)

    # Listing is admin scope: a store key may not list, nor may a publishable (public) key,
    # which is in every browser's hands, filtered or not; no key at all is 401.
    for client, code in [(store, 403), (public, 403), (anon, 401)]:
        for query in [{}, {"customer_id": ada}, {"status": "placed", "limit": 1}]:
            r = client.get("/v1/orders", params=query)
            assert r.status_code == code, (query, r.text)
            assert "ord-" not in r.text
