"""Many clients race for the last units over HTTP: exactly the stock is sold, never more."""
from concurrent.futures import ThreadPoolExecutor

import requests

from conftest import ADDRESS, STORE_KEY, Client

UNITS = 25
CLIENTS = 80


def test_parallel_orders_never_oversell(admin, store, server, checker):
    admin.put("/v1/warehouses/wh-race", json={"name": "race", "region": "us-west"})
    r = admin.put("/v1/products/race-1", json={"title": "Limited Edition", "brand": "Acme",
                                               "variants": [{"sku": "RACE-1", "price": 9900}]})
    assert r.status_code == 200, r.text
    assert admin.post("/v1/stock/RACE-1/receive", json={"warehouse_id": "wh-race",
                                                         "quantity": UNITS}).status_code == 200
    customer = store.post("/v1/customers", json={"email": "race@example.com"}).json()["id"]

    def place(i):
        c = Client(server, checker, STORE_KEY)
        r = c.post("/v1/orders", json={"customer_id": customer, "lines": [{"sku": "RACE-1", "quantity": 1}],
                                       "shipping_address": ADDRESS},
                   headers={"Idempotency-Key": f"race-{i}"})
        return r.status_code, r.json()

    with ThreadPoolExecutor(max_workers=32) as pool:
        results = list(pool.map(place, range(CLIENTS)))
    placed = [body["id"] for code, body in results if code == 201]
    refused = [body for code, body in results if code == 409]
    assert len(placed) == UNITS, [c for c, _ in results]
    assert len(set(placed)) == UNITS
    assert len(refused) == CLIENTS - UNITS
    assert all(b["error"]["code"] == "OUT_OF_STOCK" for b in refused)
    stock = store.get("/v1/stock/RACE-1").json()
    assert stock["reserved"] == UNITS and stock["available"] == 0 and stock["on_hand"] == UNITS
    # retries of the winners return their orders, never new ones
    again = dict(place(i) for i in range(3))
    assert store.get("/v1/stock/RACE-1").json()["reserved"] == UNITS
