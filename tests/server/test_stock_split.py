"""Hot SKUs over HTTP (docs/orders.md, "A hot SKU"): POST /v1/stock/{sku}/split and /merge,
many clients buying the split SKU to zero (exactly the stock, never more), reads showing the
sums and the slots, and bad input refused with nothing written."""
from concurrent.futures import ThreadPoolExecutor

from conftest import ADDRESS, STORE_KEY, Client

UNITS = 30
CLIENTS = 60


def test_split_sell_out_and_merge(admin, store, server, checker):
    admin.put("/v1/warehouses/wh-hot", json={"name": "hot", "region": "us-west"})
    r = admin.put("/v1/products/hot-1", json={"title": "Flash Sale", "brand": "Acme",
                                              "variants": [{"sku": "HOT-1", "price": 4900}]})
    assert r.status_code == 200, r.text
    assert admin.post("/v1/stock/HOT-1/receive", json={"warehouse_id": "wh-hot", "quantity": UNITS}).status_code == 200
    assert store.get("/v1/stock/HOT-1/warehouses/wh-hot").json()["slots"] == 0
    r = admin.post("/v1/stock/HOT-1/split", json={"warehouse_id": "wh-hot", "slots": 8})
    assert r.status_code == 200, r.text
    assert (r.json()["on_hand"], r.json()["reserved"], r.json()["slots"]) == (UNITS, 0, 8)
    customer = store.post("/v1/customers", json={"email": "hot@example.com"}).json()["id"]

    def place(i):
        c = Client(server, checker, STORE_KEY)
        r = c.post("/v1/orders", json={"customer_id": customer, "lines": [{"sku": "HOT-1", "quantity": 1}],
                                       "shipping_address": ADDRESS},
                   headers={"Idempotency-Key": f"hot-{i}"})
        return r.status_code, r.json()

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(place, range(CLIENTS)))
    placed = [body["id"] for code, body in results if code == 201]
    refused = [body for code, body in results if code == 409]
    assert len(placed) == UNITS, [c for c, _ in results]
    assert len(refused) == CLIENTS - UNITS
    assert all(b["error"]["code"] == "OUT_OF_STOCK" for b in refused)
    stock = store.get("/v1/stock/HOT-1").json()
    assert (stock["on_hand"], stock["reserved"], stock["available"]) == (UNITS, UNITS, 0)
    assert stock["levels"][0]["slots"] == 8
    r = admin.post("/v1/stock/HOT-1/merge", json={"warehouse_id": "wh-hot"})
    assert r.status_code == 200, r.text
    assert (r.json()["on_hand"], r.json()["reserved"], r.json()["slots"]) == (UNITS, UNITS, 0)


def test_split_bad_input_writes_nothing(admin, store):
    admin.put("/v1/warehouses/wh-hot2", json={"name": "hot2", "region": "us-west"})
    admin.put("/v1/products/hot-2", json={"title": "Flash Sale 2", "variants": [{"sku": "HOT-2", "price": 100}]})
    admin.post("/v1/stock/HOT-2/receive", json={"warehouse_id": "wh-hot2", "quantity": 5})
    cases = [
        ({"warehouse_id": "wh-hot2", "slots": 0}, 400, "INVALID_ARGUMENT", "body.slots"),
        ({"warehouse_id": "wh-hot2", "slots": 65}, 400, "INVALID_ARGUMENT", "body.slots"),
        ({"warehouse_id": "wh-hot2", "slots": 2 ** 40}, 400, "INVALID_ARGUMENT", "body.slots"),
        ({"warehouse_id": "wh-hot2", "slots": "four"}, 400, "INVALID_ARGUMENT", "body.slots"),
        ({"warehouse_id": "wh-hot2"}, 400, "INVALID_ARGUMENT", "body.slots"),
        ({"warehouse_id": "wh-hot2", "slots": 4, "quantity": 1}, 400, "INVALID_ARGUMENT", "body.quantity"),
        ({"warehouse_id": "nowhere", "slots": 4}, 404, "NOT_FOUND", "warehouse_id"),
    ]
    for body, status, code, field in cases:
        r = admin.post("/v1/stock/HOT-2/split", json=body)
        assert r.status_code == status, (body, r.text)
        assert r.json()["error"]["code"] == code and field in r.json()["error"]["message"], (body, r.text)
    r = admin.post("/v1/stock/NOPE-2/split", json={"warehouse_id": "wh-hot2", "slots": 4})
    assert r.status_code == 404, r.text
    r = admin.post("/v1/stock/HOT-2/merge", json={"warehouse_id": "wh-hot2"})
    assert r.status_code == 412 and r.json()["error"]["code"] == "FAILED_PRECONDITION", r.text
    assert store.get("/v1/stock/HOT-2/warehouses/wh-hot2").json()["slots"] == 0
    assert admin.post("/v1/stock/HOT-2/split", json={"warehouse_id": "wh-hot2", "slots": 2}).status_code == 200
    r = admin.post("/v1/stock/HOT-2/split", json={"warehouse_id": "wh-hot2", "slots": 3})
    assert r.status_code == 412 and "already split" in r.json()["error"]["message"], r.text
    # The store key may read stock but not split it.
    assert store.post("/v1/stock/HOT-2/merge", json={"warehouse_id": "wh-hot2"}).status_code == 403
    assert store.get("/v1/stock/HOT-2/warehouses/wh-hot2").json()["slots"] == 2
