"""Price lists over HTTP (docs/prices.md, "Over HTTP"): admin-only records with If-Match
versions and paging, bad input as 400 naming the field with nothing written, the price that
applies and why (GET /v1/prices/{sku}) with a public key limited to a guest's price now, and
carts, customers and orders showing their channel, group and the list each line came from
(every answer checked against docs/http-api.yaml by the Client)."""
import concurrent.futures
import uuid

ADDRESS = {"name": "Ada", "line1": "1 Main", "city": "Reno", "region": "us-west", "country": "US"}


def setup_shop(admin, tag, status="active"):
    """A product TEE-{tag} at 25.00 USD (base price), stocked."""
    sku = f"TEE-{tag}"
    r = admin.put(f"/v1/products/tee-{tag}", json={"title": "Price tee", "status": status, "variants": [
        {"sku": sku, "price": 2500, "currency": "USD"}]})
    assert r.status_code in (200, 201), r.text
    assert admin.put(f"/v1/warehouses/wh-{tag}", json={"name": "W", "region": "us-west"}).status_code in (200, 201)
    r = admin.post(f"/v1/stock/{sku}/receive", json={"warehouse_id": f"wh-{tag}", "quantity": 1000})
    assert r.status_code == 200, r.text
    return sku


def eur_list(tag, sku, **fields):
    body = {"id": f"eur-{tag}", "name": "Euro prices", "currency": "EUR", "tax_inclusive": True,
            "entries": [{"sku": sku, "price_minor": 2990}]}
    body.update(fields)
    return body


def test_price_list_records_are_admin_versioned_and_paged(admin, store, public):
    tag = uuid.uuid4().hex[:8]
    sku = setup_shop(admin, tag)
    body = eur_list(tag, sku)
    assert store.post("/v1/price-lists", json=body).status_code == 403
    assert public.get("/v1/price-lists").status_code == 403
    r = admin.post("/v1/price-lists", json=body)
    assert r.status_code == 201, r.text
    pl = r.json()
    assert (pl["version"], r.headers["ETag"]) == (1, '"1"')
    assert pl["entries"] == [{"sku": sku, "price_minor": 2990, "min_quantity": 1}]
    assert (pl["customer_group"], pl["channel"], pl["priority"], pl["tax_inclusive"]) == ("", "", 0, True)
    assert admin.post("/v1/price-lists", json=body).json()["error"]["code"] == "ALREADY_EXISTS"
    assert admin.get(f"/v1/price-lists/{pl['id']}").json() == pl
    assert store.get(f"/v1/price-lists/{pl['id']}").status_code == 403
    generated = admin.post("/v1/price-lists", json={"name": "No id", "currency": "USD"}).json()
    assert generated["id"].startswith("pl-") and generated["entries"] == []

    # If-Match: a stale version is 409 and changes nothing; the current one writes.
    pl["priority"] = 5
    r = admin.put(f"/v1/price-lists/{pl['id']}", json=pl, headers={"If-Match": '"7"'})
    assert r.status_code == 409 and r.json()["error"]["code"] == "CONFLICT", r.text
    assert admin.get(f"/v1/price-lists/{pl['id']}").json()["priority"] == 0
    r = admin.put(f"/v1/price-lists/{pl['id']}", json=pl, headers={"If-Match": '"1"'})
    assert r.status_code == 200 and r.json()["priority"] == 5 and r.headers["ETag"] == '"2"', r.text
    assert admin.put(f"/v1/price-lists/{pl['id']}", json=pl, headers={"If-Match": "two"}).status_code == 400
    r = admin.put(f"/v1/price-lists/{pl['id']}", json={**pl, "id": "other"})
    assert r.status_code == 400 and "body.id" in r.json()["error"]["message"]
    assert admin.put("/v1/price-lists/nope", json={**pl, "id": "nope"}).status_code == 404

    # Paging by id: every list once, in id order, whatever the page size.
    ids = [f"page-{tag}-{i}" for i in range(5)]
    for i in ids:
        assert admin.post("/v1/price-lists", json={"id": i, "name": i, "currency": "USD"}).status_code == 201
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = admin.get("/v1/price-lists", params=params).json()
        assert len(page["items"]) <= 2
        seen += [x["id"] for x in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == sorted(seen) and len(seen) == len(set(seen))
    assert [i for i in seen if i.startswith(f"page-{tag}")] == ids
    assert {pl["id"], generated["id"]} <= set(seen)
    page = admin.get("/v1/price-lists", params={"cursor": ids[1], "limit": 2}).json()
    assert [x["id"] for x in page["items"]] == ids[2:4] and page["next_cursor"] == ids[3]
    for bad in ({"limit": 0}, {"limit": 101}, {"limit": "x"}, {"cursor": ""}, {"cursor": "x" * 65}, {"colour": "red"}):
        r = admin.get("/v1/price-lists", params=bad)
        assert r.status_code == 400 and list(bad)[0] in r.json()["error"]["message"], (bad, r.text)

    # DELETE with If-Match too.
    r = admin.delete(f"/v1/price-lists/{ids[0]}", headers={"If-Match": '"2"'})
    assert r.status_code == 409, r.text
    assert admin.delete(f"/v1/price-lists/{ids[0]}", headers={"If-Match": '"1"'}).json() == {"deleted": True}
    assert admin.get(f"/v1/price-lists/{ids[0]}").status_code == 404
    assert admin.delete(f"/v1/price-lists/{ids[0]}").status_code == 404
    for i in ids[1:] + [generated["id"]]:
        assert admin.delete(f"/v1/price-lists/{i}").status_code == 200


def test_bad_price_lists_name_the_field_and_write_nothing(admin):
    tag = uuid.uuid4().hex[:8]
    sku = setup_shop(admin, tag)
    entry = {"sku": sku, "price_minor": 100}
    cases = [
        ({"name": None}, "body.name: required"),
        ({"name": ""}, "name"),
        ({"name": 5}, "body.name"),
        ({"currency": "eur"}, "currency"),
        ({"customer_group": "a b"}, "customer_group"),
        ({"channel": "x" * 65}, "channel"),
        ({"starts_at_ms": 10, "ends_at_ms": 5}, "ends_at_ms"),
        ({"priority": 2 ** 40}, "body.priority"),
        ({"priority": 2_000_000}, "priority"),
        ({"tax_inclusive": "yes"}, "body.tax_inclusive"),
        ({"colour": "red"}, "colour"),
        ({"entries": {"sku": sku}}, "body.entries"),
        ({"entries": [5]}, "body.entries[0]: expected an object"),
        ({"entries": [entry, {"sku": sku}]}, "body.entries[1].price_minor: required"),
        ({"entries": [{**entry, "price_minor": "1"}]}, "body.entries[0].price_minor"),
        ({"entries": [{**entry, "price_minor": -1}]}, "entries[0].price_minor"),
        ({"entries": [{**entry, "min_quantity": 0}]}, "entries[0].min_quantity"),
        ({"entries": [{**entry, "colour": "red"}]}, "body.entries[0].colour"),
        ({"entries": [{"sku": "NOPE", "price_minor": 1}]}, "entries[0].sku: no product has sku 'NOPE'"),
        ({"entries": [entry, entry]}, "entries[1]"),
    ]
    for bad, field in cases:
        body = {k: v for k, v in {**eur_list(tag, sku), **bad}.items() if v is not None}
        r = admin.post("/v1/price-lists", json=body)
        assert r.status_code == 400, (bad, r.text)
        err = r.json()["error"]
        assert err["code"] == "INVALID_ARGUMENT" and field in err["message"], (bad, err)
        assert admin.get(f"/v1/price-lists/eur-{tag}").status_code == 404, bad
    # The same checks on a replacement, which leaves the list as it was.
    assert admin.post("/v1/price-lists", json=eur_list(tag, sku)).status_code == 201
    r = admin.put(f"/v1/price-lists/eur-{tag}", json=eur_list(tag, sku, currency="euro"))
    assert r.status_code == 400 and "currency" in r.json()["error"]["message"]
    r = admin.post("/v1/price-lists", data="{\"name\": ", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "INVALID_ARGUMENT"
    assert admin.post("/v1/price-lists", data="x", headers={"Content-Type": "text/plain"}).status_code == 415
    assert admin.get(f"/v1/price-lists/eur-{tag}").json()["version"] == 1


def test_the_price_that_applies_and_why(admin, store, public):
    tag = uuid.uuid4().hex[:8]
    sku = setup_shop(admin, tag)
    assert admin.post("/v1/price-lists", json=eur_list(tag, sku)).status_code == 201
    wholesale = {"id": f"eur-wholesale-{tag}", "name": "Wholesale", "currency": "EUR", "customer_group": f"wholesale-{tag}",
                 "entries": [{"sku": sku, "price_minor": 2100}, {"sku": sku, "price_minor": 1785, "min_quantity": 10}]}
    assert admin.post("/v1/price-lists", json=wholesale).status_code == 201
    weekend = {"id": f"eur-weekend-{tag}", "name": "Weekend", "currency": "EUR", "priority": 10,
               "starts_at_ms": 2_000_000_000_000, "ends_at_ms": 2_000_172_800_000,
               "entries": [{"sku": sku, "price_minor": 1990}]}
    assert admin.post("/v1/price-lists", json=weekend).status_code == 201
    app = {"id": f"eur-app-{tag}", "name": "App", "currency": "EUR", "channel": f"app-{tag}",
           "entries": [{"sku": sku, "price_minor": 2500}]}
    assert admin.post("/v1/price-lists", json=app).status_code == 201

    def price(client=store, **params):
        return client.get(f"/v1/prices/{sku}", params=params)

    def why(r):
        assert r.status_code == 200, r.text
        j = r.json()
        return j["price"]["minor"], j["price"]["currency"], j["source"], j["price_list_id"], j["min_quantity"], j["tax_inclusive"]

    assert why(price(currency="USD")) == (2500, "USD", "base_price", "", 1, False)
    assert why(price(currency="EUR")) == (2990, "EUR", "price_list", f"eur-{tag}", 1, True)
    assert price(currency="EUR").json()["price_list_version"] == 1
    assert why(price(currency="EUR", customer_group=f"wholesale-{tag}")) == (2100, "EUR", "price_list", f"eur-wholesale-{tag}", 1, False)
    assert why(price(currency="EUR", customer_group=f"wholesale-{tag}", quantity=12)) == (1785, "EUR", "price_list", f"eur-wholesale-{tag}", 10, False)
    assert why(price(currency="EUR", at_ms=2_000_000_000_001))[:4] == (1990, "EUR", "price_list", f"eur-weekend-{tag}")
    assert why(price(currency="EUR", at_ms=2_000_172_800_000))[3] == f"eur-{tag}"  # the end is exclusive
    # A list for a channel is more specific than one for anyone, at equal priority.
    assert why(price(currency="EUR", channel=f"app-{tag}"))[3] == f"eur-app-{tag}"
    r = price(currency="GBP")
    assert r.status_code == 412 and r.json()["error"]["code"] == "FAILED_PRECONDITION", r.text
    assert store.get("/v1/prices/NOPE", params={"currency": "USD"}).status_code == 404

    # A public key asks for a guest's price, now, in no channel.
    assert why(price(public, currency="EUR"))[3] == f"eur-{tag}"
    for extra in ({"customer_group": f"wholesale-{tag}"}, {"channel": f"app-{tag}"}, {"at_ms": 2_000_000_000_001}):
        r = price(public, currency="EUR", **extra)
        assert r.status_code == 403 and list(extra)[0] in r.json()["error"]["message"], (extra, r.text)
    draft = setup_shop(admin, f"d{tag}", status="draft")
    assert public.get(f"/v1/prices/{draft}", params={"currency": "USD"}).status_code == 404
    assert store.get(f"/v1/prices/{draft}", params={"currency": "USD"}).json()["price"]["minor"] == 2500

    for bad, field in [({}, "currency"), ({"currency": ""}, "currency"), ({"currency": "eur"}, "currency"),
                       ({"currency": "EUR", "quantity": 0}, "quantity"), ({"currency": "EUR", "quantity": "2x"}, "quantity"),
                       ({"currency": "EUR", "quantity": 1_000_001}, "quantity"),
                       ({"currency": "EUR", "customer_group": ""}, "customer_group"),
                       ({"currency": "EUR", "customer_group": "a b"}, "customer_group"),
                       ({"currency": "EUR", "channel": ""}, "channel"), ({"currency": "EUR", "at_ms": 0}, "at_ms"),
                       ({"currency": "EUR", "colour": "red"}, "colour")]:
        r = price(**bad)
        assert r.status_code == 400 and field in r.json()["error"]["message"], (bad, r.text)
    r = store.get(f"/v1/prices/{sku}?currency=EUR&currency=USD")
    assert r.status_code == 400 and "currency" in r.json()["error"]["message"]


def test_carts_customers_and_orders_show_channel_group_and_list(admin, store, public):
    tag = uuid.uuid4().hex[:8]
    sku = setup_shop(admin, tag)
    group, channel = f"wholesale-{tag}", f"app-{tag}"
    assert admin.post("/v1/price-lists", json=eur_list(tag, sku)).status_code == 201
    assert admin.post("/v1/price-lists", json={
        "id": f"w-{tag}", "name": "Wholesale app", "currency": "EUR", "customer_group": group, "channel": channel,
        "entries": [{"sku": sku, "price_minor": 2000}, {"sku": sku, "price_minor": 1500, "min_quantity": 10}]}).status_code == 201

    r = store.post("/v1/customers", json={"id": f"cus-{tag}", "email": f"{tag}@example.com", "group": group})
    assert r.status_code == 201 and r.json()["group"] == group, r.text
    customer = r.json()
    r = store.put(f"/v1/customers/{customer['id']}", json={**customer, "name": "Ada"}, headers={"If-Match": '"1"'})
    assert r.status_code == 200 and r.json()["group"] == group, r.text
    r = store.post("/v1/customers", json={"email": f"x{tag}@example.com", "group": "a b"})
    assert r.status_code == 400 and "group" in r.json()["error"]["message"], r.text
    r = store.post("/v1/customers", json={"email": f"y{tag}@example.com", "group": 5})
    assert r.status_code == 400 and "body.group" in r.json()["error"]["message"], r.text

    # The backend makes the channel's cart; a browser may not choose a channel.
    r = public.post("/v1/carts", json={"currency": "EUR", "channel": channel})
    assert r.status_code == 403 and "channel" in r.json()["error"]["message"], r.text
    for bad in ({"channel": "a b"}, {"channel": 7}):
        r = store.post("/v1/carts", json={"currency": "EUR", **bad})
        assert r.status_code == 400 and "channel" in r.json()["error"]["message"], (bad, r.text)
    r = store.post("/v1/carts", json={"customer_id": customer["id"], "currency": "EUR", "channel": channel})
    assert r.status_code == 201, r.text
    cart = r.json()
    assert (cart["channel"], cart["currency"]) == (channel, "EUR")
    r = public.post(f"/v1/carts/{cart['id']}/lines", json={"sku": sku, "quantity": 12})
    assert r.status_code == 200, r.text
    assert r.json()["lines"][0]["unit_price"] == {"minor": 1500, "currency": "EUR"}
    guest = public.post("/v1/carts", json={"currency": "EUR"}).json()
    assert guest["channel"] == ""
    r = public.post(f"/v1/carts/{guest['id']}/lines", json={"sku": sku, "quantity": 1})
    assert r.json()["lines"][0]["unit_price"] == {"minor": 2990, "currency": "EUR"}
    r = public.post("/v1/carts", json={"currency": "GBP"})
    gbp = r.json()
    r = public.post(f"/v1/carts/{gbp['id']}/lines", json={"sku": sku, "quantity": 1})
    assert r.status_code == 400 and "GBP" in r.json()["error"]["message"], r.text

    # The cart's order: its channel, each line's list, nothing added as tax to a price that holds it.
    r = public.post("/v1/orders", headers={"Idempotency-Key": f"k-{tag}"},
                    json={"customer_id": customer["id"], "cart_id": cart["id"], "shipping_address": ADDRESS})
    assert r.status_code == 201, r.text
    order = r.json()
    assert (order["channel"], order["currency"]) == (channel, "EUR")
    assert [(l["price_list_id"], l["tax_inclusive"], l["unit_price"]["minor"]) for l in order["lines"]] == [(f"w-{tag}", False, 1500)]
    assert order["tax_included"] == {"minor": 0, "currency": "EUR"}
    assert admin.get(f"/v1/orders/{order['id']}").json()["channel"] == channel

    # Explicit lines: the channel from the backend; a public key may not name one.
    body = {"customer_id": customer["id"], "currency": "EUR", "lines": [{"sku": sku, "quantity": 1}],
            "shipping_address": ADDRESS}
    r = public.post("/v1/orders", headers={"Idempotency-Key": f"p-{tag}"}, json={**body, "channel": channel})
    assert r.status_code == 403 and "channel" in r.json()["error"]["message"], r.text
    r = store.post("/v1/orders", headers={"Idempotency-Key": f"s-{tag}"}, json={**body, "channel": channel})
    assert r.status_code == 201, r.text
    assert (r.json()["channel"], r.json()["lines"][0]["price_list_id"]) == (channel, f"w-{tag}")
    r = public.post("/v1/orders", headers={"Idempotency-Key": f"g-{tag}"}, json=body)
    assert r.status_code == 201, r.text
    # No channel: the group's list is for the app only, so the list for anyone applies.
    line = r.json()["lines"][0]
    assert (r.json()["channel"], line["price_list_id"], line["tax_inclusive"]) == ("", f"eur-{tag}", True)
    r = store.post("/v1/orders", headers={"Idempotency-Key": f"b-{tag}"}, json={**body, "channel": "a b"})
    assert r.status_code == 400 and "channel" in r.json()["error"]["message"], r.text


def test_concurrent_replacements_with_one_if_match_version(admin):
    """16 PUTs at version 1 at once: exactly one writes, the others are 409, and the list is
    that one's."""
    tag = uuid.uuid4().hex[:8]
    sku = setup_shop(admin, tag)
    assert admin.post("/v1/price-lists", json=eur_list(tag, sku)).status_code == 201

    def put(i):
        r = admin.put(f"/v1/price-lists/eur-{tag}", json=eur_list(tag, sku, entries=[{"sku": sku, "price_minor": 1000 + i}]),
                      headers={"If-Match": '"1"'})
        return r.status_code, i

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        results = list(pool.map(put, range(16)))
    assert sorted(c for c, _ in results) == [200] + [409] * 15
    winner = next(i for c, i in results if c == 200)
    final = admin.get(f"/v1/price-lists/eur-{tag}").json()
    assert final["version"] == 2 and final["entries"][0]["price_minor"] == 1000 + winner
