"""Category intent over HTTP (docs/search.md, "Ranking"): a text query whose BM25 top mixes
categories gets the category its first matches lead with first, on GET and POST, with the
explanation's intent_* fields; category_intent=false gives BM25 order back; bad values are 400
naming the field and change nothing (every answer checked against docs/http-api.yaml by the
Client). A server of its own, so that its catalog is only these products."""
from conftest import ADMIN_KEY, STORE_KEY, Client, own_server, wait_indexed


def setup_shop(admin):
    for cid, name in (("auto", "Dept A"), ("auto/batteries", "Dept B"), ("mobile", "Dept M"),
                      ("mobile/power", "Dept P")):
        assert admin.put(f"/v1/categories/{cid.replace('/', '%2F')}", json={"name": name}).status_code in (200, 201)
    # Two car chargers say "charger" twice (the BM25 top); five phone chargers say it once.
    products = [("c1", "Charger booster charger", "auto/batteries"), ("c2", "Charger trickle charger", "auto/batteries")]
    products += [(f"m{i}", f"Phone charger m{i}", "mobile/power") for i in range(1, 6)]
    for pid, title, cat in products:
        r = admin.put(f"/v1/products/{pid}", json={"title": title, "category_ids": [cat], "variants": [
            {"sku": pid.upper(), "price": 1000, "currency": "USD"}]})
        assert r.status_code in (200, 201), r.text
    wait_indexed(admin)


def ids(r):
    assert r.status_code == 200, r.text
    return [h["product_id"] for h in r.json()["hits"]]


def test_category_intent_over_http(checker):
    with own_server() as s:
        admin, store = Client(s, checker, ADMIN_KEY), Client(s, checker, STORE_KEY)
        setup_shop(admin)
        off = ids(store.get("/v1/search", params={"q": "charger", "category_intent": "false"}))
        assert sorted(off[:2]) == ["c1", "c2"]
        got = store.get("/v1/search", params={"q": "charger", "explain": "true"})
        on = ids(got)
        # the phone chargers lead the query's matches: first, then the car chargers
        assert on == [i for i in off if i[0] == "m"] + [i for i in off if i[0] == "c"]
        hits = got.json()["hits"]
        phone, car = hits[0]["explanation"], hits[-1]["explanation"]
        assert phone["intent_category"] == "mobile/power" and car["intent_category"] == "auto/batteries"
        assert abs(phone["intent_share"] + car["intent_share"] - 1) < 1e-9 and phone["intent_share"] > 0.5
        assert abs(phone["intent_added"] - phone["intent_share"] * hits[-1]["score"]) < 1e-6
        # POST alike, and off
        assert ids(store.post("/v1/search", json={"text": "charger"})) == on
        assert ids(store.post("/v1/search", json={"text": "charger", "category_intent": False})) == off
        # a browse or another sort: the option changes nothing
        for params in ({"sort": "price_asc"}, {"q": "charger", "sort": "popularity"}):
            assert ids(store.get("/v1/search", params=params)) == ids(
                store.get("/v1/search", params={**params, "category_intent": "false"}))
        # bad values: 400 naming the field
        for bad in ("maybe", "2", "no"):
            r = store.get("/v1/search", params={"q": "charger", "category_intent": bad})
            assert r.status_code == 400 and "category_intent" in r.json()["error"]["message"], r.text
        for bad in ("false", 0, [True]):
            r = store.post("/v1/search", json={"text": "charger", "category_intent": bad})
            assert r.status_code == 400 and "category_intent" in r.json()["error"]["message"], r.text
        # nothing was written or cached by the refusals: the same answer as before
        assert ids(store.get("/v1/search", params={"q": "charger"})) == on
