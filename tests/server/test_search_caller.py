"""Search per caller over HTTP (docs/search.md, "Per caller"): GET and POST /v1/search with
channel, currency and customer_group; a public key searches at a guest's price now (403 for a
group, a channel, or now_ms with a currency); bad callers are 400/404 naming the field; a
price-list change is seen by the next search that waits for it (every answer checked against
docs/http-api.yaml by the Client). A server of its own: its channel makes every other channel
key of the store an error, which the shared server's other tests must not meet."""
from conftest import ADMIN_KEY, PUBLIC_KEY, STORE_KEY, Client, own_server, wait_indexed


def setup_shop(admin):
    assert admin.put("/v1/categories/mugs", json={"name": "Mugs"}).status_code in (200, 201)
    for pid, price, cats in (("mug", 1500, ["mugs"]), ("cup", 2500, ["mugs"]), ("pan", 4500, [])):
        r = admin.put(f"/v1/products/{pid}", json={"title": f"{pid} ware", "categories": cats, "variants": [
            {"sku": pid.upper(), "price": price, "currency": "USD"}]})
        assert r.status_code in (200, 201), r.text
    r = admin.post("/v1/price-lists", json={"id": "wholesale", "name": "Wholesale", "currency": "USD",
                                            "customer_group": "wholesale",
                                            "entries": [{"sku": "PAN", "price_minor": 900}]})
    assert r.status_code == 201, r.text
    r = admin.post("/v1/channels", json={"id": "web", "name": "Web", "default_currency": "USD",
                                         "category_ids": ["mugs"], "excluded_product_ids": ["cup"]})
    assert r.status_code == 201, r.text
    wait_indexed(admin)


def ids(r):
    assert r.status_code == 200, r.text
    return [(h["product_id"], h["price"]["minor"], h["price_list_id"]) for h in r.json()["hits"]]


def test_search_per_caller_over_http(checker):
    with own_server() as s:
        admin, store, public = (Client(s, checker, k) for k in (ADMIN_KEY, STORE_KEY, PUBLIC_KEY))
        setup_shop(admin)
        guest = {"sort": "price_asc", "use_cache": "false"}
        assert ids(public.get("/v1/search", params={**guest, "currency": "USD"})) == [
            ("mug", 1500, ""), ("cup", 2500, ""), ("pan", 4500, "")]
        # The backend asks for a group's prices and a channel's products.
        r = store.get("/v1/search", params={**guest, "currency": "USD", "customer_group": "wholesale",
                                            "facets": "price", "price_buckets": "1000,2000"})
        assert ids(r) == [("pan", 900, "wholesale"), ("mug", 1500, ""), ("cup", 2500, "")]
        assert [(v["value"], v["count"]) for v in r.json()["facets"][0]["values"]] == [
            ("0..999", 1), ("1000..1999", 1), ("2000..", 1)]
        assert ids(store.get("/v1/search", params={**guest, "channel": "web"})) == [("mug", 1500, "")]
        r = store.post("/v1/search", json={"sort": "price_asc", "currency": "USD", "customer_group": "wholesale",
                                           "price_max": 1000, "use_cache": False})
        assert ids(r) == [("pan", 900, "wholesale")]

        # A public key: a guest's price, now, without a channel.
        for extra, field in (({"customer_group": "wholesale"}, "customer_group"), ({"channel": "web"}, "channel"),
                             ({"now_ms": 1}, "now_ms")):
            r = public.get("/v1/search", params={**guest, "currency": "USD", **extra})
            assert r.status_code == 403 and field in r.json()["error"]["message"], r.text
        r = public.post("/v1/search", json={"channel": "web"})
        assert r.status_code == 403, r.text
        assert public.get("/v1/search", params={"now_ms": 1}).status_code == 200  # a rules preview, as before

        # Bad callers name the field.
        for params, status, word in (({"channel": "nope"}, 404, "search channel"),
                                     ({"channel": "web", "currency": "EUR"}, 400, "search currency"),
                                     ({"currency": "usd"}, 400, "search currency"),
                                     ({"currency": "USD", "customer_group": "g" * 65}, 400, "search customer_group"),
                                     ({"channel": ""}, 400, "channel: empty"),
                                     ({"currency": ""}, 400, "currency: empty")):
            r = store.get("/v1/search", params=params)
            assert r.status_code == status and word in r.json()["error"]["message"], (params, r.text)

        # A change to a list is seen by the next search that waits for it, cached or not.
        r = admin.put("/v1/price-lists/wholesale", json={"name": "Wholesale", "currency": "USD",
                                                         "customer_group": "wholesale",
                                                         "entries": [{"sku": "PAN", "price_minor": 9900}]})
        assert r.status_code == 200, r.text
        last = admin.get("/v1/events", params={"from": 1, "limit": 1}).json()["last_seq"]
        r = store.get("/v1/search", params={"sort": "price_asc", "currency": "USD", "customer_group": "wholesale",
                                            "min_index_seq": last})
        assert ids(r) == [("mug", 1500, ""), ("cup", 2500, ""), ("pan", 9900, "wholesale")]
