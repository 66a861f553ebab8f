"""Channels over HTTP (docs/channels.md, "Over HTTP"): admin-only records with If-Match versions
and paging, bad input as 400 naming the field with nothing written, and carts and orders held
to their channel's currencies, visible products and warehouses (every answer checked against
docs/http-api.yaml by the Client). A server of its own: its first channel makes every other
channel key of the store an error, which the shared server's other tests must not meet."""
from conftest import ADMIN_KEY, PUBLIC_KEY, STORE_KEY, Client, own_server

ADDRESS = {"name": "Ada", "line1": "1 Main", "city": "Reno", "region": "us-west", "country": "US"}


def setup_shop(admin):
    assert admin.put("/v1/categories/apparel", json={"name": "Apparel"}).status_code in (200, 201)
    for pid, sku, cats in (("tee", "TEE", ["apparel"]), ("mug", "MUG", [])):
        r = admin.put(f"/v1/products/{pid}", json={"title": pid, "categories": cats, "variants": [
            {"sku": sku, "price": 1000, "currency": "EUR"}]})
        assert r.status_code in (200, 201), r.text
    for wh in ("near", "far"):
        assert admin.put(f"/v1/warehouses/{wh}", json={"name": wh, "region": "us-west"}).status_code in (200, 201)
    for sku, wh, n in (("TEE", "near", 2), ("TEE", "far", 100), ("MUG", "far", 100)):
        r = admin.post(f"/v1/stock/{sku}/receive", json={"warehouse_id": wh, "quantity": n})
        assert r.status_code == 200, r.text


def test_channels_over_http(checker):
    with own_server() as s:
        admin, store, public = (Client(s, checker, k) for k in (ADMIN_KEY, STORE_KEY, PUBLIC_KEY))
        setup_shop(admin)
        # Before the first channel, a key is opaque, as it was.
        r = store.post("/v1/carts", json={"currency": "EUR", "channel": "web"})
        assert r.status_code == 201, r.text
        old_cart = r.json()

        body = {"id": "eu", "name": "Europe", "default_currency": "EUR", "currencies": ["EUR", "GBP"],
                "warehouse_ids": ["near"], "category_ids": ["apparel"]}
        assert store.post("/v1/channels", json=body).status_code == 403
        assert public.get("/v1/channels").status_code == 403
        for bad, word in (({"currencies": ["GBP"]}, "currencies"), ({"warehouse_ids": ["nowhere"]}, "warehouse_ids[0]"),
                          ({"category_ids": ["toys"]}, "category_ids[0]"), ({"id": "e u"}, "id"),
                          ({"default_currency": 5}, "body.default_currency"), ({"currencies": "EUR"}, "body.currencies"),
                          ({"name": ""}, "name"), ({"color": "red"}, "color")):
            r = admin.post("/v1/channels", json={**body, **bad})
            assert r.status_code == 400 and word in r.json()["error"]["message"], (bad, r.text)
        assert admin.get("/v1/channels").json() == {"items": [], "next_cursor": ""}

        r = admin.post("/v1/channels", json=body)
        assert r.status_code == 201, r.text
        ch = r.json()
        assert (ch["version"], r.headers["ETag"], ch["product_ids"]) == (1, '"1"', [])
        assert admin.post("/v1/channels", json=body).status_code == 409
        assert admin.post("/v1/channels", json={**body, "id": "us", "default_currency": "USD",
                                                "currencies": [], "warehouse_ids": [], "category_ids": []}).status_code == 201
        page = admin.get("/v1/channels?limit=1").json()
        assert [c["id"] for c in page["items"]] == ["eu"] and page["next_cursor"] == "eu"
        page = admin.get("/v1/channels?limit=1&cursor=eu").json()
        assert [c["id"] for c in page["items"]] == ["us"] and page["next_cursor"] == ""
        assert admin.get("/v1/channels?limit=0").status_code == 400
        assert admin.get("/v1/channels/eu/products/tee").json()["visible"] is True
        assert admin.get("/v1/channels/eu/products/mug").json()["visible"] is False
        assert admin.get("/v1/channels/eu/products/nope").status_code == 404
        # A channel's listing: what it shows, paged by product id.
        page = public.get("/v1/products?channel=eu&limit=1").json()
        assert ([p["id"] for p in page["items"]], page["next_cursor"]) == (["tee"], "")
        assert [p["id"] for p in public.get("/v1/products?channel=us").json()["items"]] == ["mug", "tee"]
        assert [p["id"] for p in admin.get("/v1/products?channel=eu&category=apparel").json()["items"]] == ["tee"]
        for bad, status, word in (("channel=nope", 404, "channel: no channel with id 'nope'"),
                                  ("channel=", 400, "channel: empty"), ("channel=e%20u", 400, "channel")):
            r = public.get("/v1/products?" + bad)
            assert r.status_code == status and word in r.json()["error"]["message"], (bad, r.text)
        assert admin.get("/v1/channels/nope").status_code == 404
        r = admin.put("/v1/channels/eu", json={**ch, "name": "EU"}, headers={"If-Match": '"1"'})
        assert r.status_code == 200 and r.json()["version"] == 2, r.text
        assert admin.put("/v1/channels/eu", json={**ch, "name": "EU"}, headers={"If-Match": '"1"'}).status_code == 409
        assert admin.put("/v1/channels/eu", json={**ch, "id": "other"}).status_code == 400
        assert admin.delete("/v1/channels/us", headers={"If-Match": '"9"'}).status_code == 409
        assert admin.delete("/v1/channels/us").json() == {"deleted": True}
        assert admin.get("/v1/channels/us").status_code == 404

        # Carts and orders are held to the channel.
        assert store.post(f"/v1/carts/{old_cart['id']}/lines", json={"sku": "TEE", "quantity": 1}).status_code == 404
        r = store.post("/v1/carts", json={"currency": "USD", "channel": "eu"})
        assert r.status_code == 400 and "sells in EUR, GBP" in r.json()["error"]["message"], r.text
        cart = store.post("/v1/carts", json={"channel": "eu"}).json()
        assert cart["currency"] == "EUR", cart  # the channel's default currency
        assert store.post("/v1/carts", json={}).json()["currency"] == "USD"
        r = public.post(f"/v1/carts/{cart['id']}/lines", json={"sku": "MUG", "quantity": 1})
        assert r.status_code == 412 and "not sold in channel 'eu'" in r.json()["error"]["message"], r.text
        assert public.post(f"/v1/carts/{cart['id']}/lines", json={"sku": "TEE", "quantity": 2}).status_code == 200
        assert store.post("/v1/customers", json={"id": "ada", "email": "ada@example.com"}).status_code == 201
        r = public.post("/v1/orders", headers={"Idempotency-Key": "k1"},
                        json={"customer_id": "ada", "cart_id": cart["id"], "shipping_address": ADDRESS})
        assert r.status_code == 201, r.text
        assert [s["warehouse_id"] for s in r.json()["shipments"]] == ["near"]
        # near is empty now: out of stock in the channel, though far holds 100.
        body = {"customer_id": "ada", "lines": [{"sku": "TEE", "quantity": 1}], "shipping_address": ADDRESS}
        r = store.post("/v1/orders", headers={"Idempotency-Key": "k2"}, json={**body, "channel": "eu"})
        assert r.status_code == 409 and r.json()["error"]["code"] == "OUT_OF_STOCK", r.text
        r = store.post("/v1/orders", headers={"Idempotency-Key": "k3"}, json=body)
        assert r.status_code == 201 and r.json()["shipments"][0]["warehouse_id"] == "far", r.text
        r = store.post("/v1/orders", headers={"Idempotency-Key": "k4"}, json={**body, "channel": "gone"})
        assert r.status_code == 404 and "channel" in r.json()["error"]["message"], r.text
