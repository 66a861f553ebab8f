"""Promotions and coupons over HTTP (docs/promotions.md): admin-only records, bad input as 400
naming the field, a cart priced with its promotions explained (public), an order placed with
a coupon keeping its discounts, and a coupon's limit holding under parallel requests (every
answer checked against docs/http-api.yaml by the Client)."""
import concurrent.futures
import os
import subprocess
import uuid

import requests

from conftest import SOURCE, own_server

ADDRESS = {"name": "Ada", "line1": "1 Main", "city": "Reno", "region": "us-west", "country": "US"}


def setup_shop(admin, store, tag):
    sku = f"PRM-{tag}"
    r = admin.put(f"/v1/products/prm-{tag}", json={"title": "Promo tee", "variants": [
        {"sku": sku, "price": 2000, "currency": "USD"}]})
    assert r.status_code in (200, 201), r.text
    assert admin.put(f"/v1/warehouses/wh-{tag}", json={"name": "W", "region": "us-west"}).status_code in (200, 201)
    r = admin.post(f"/v1/stock/{sku}/receive", json={"warehouse_id": f"wh-{tag}", "quantity": 1000})
    assert r.status_code == 200, r.text
    r = store.post("/v1/customers", json={"id": f"cus-{tag}", "email": f"{tag}@example.com", "name": "Ada"})
    assert r.status_code == 201, r.text
    return sku


def test_promotion_records_are_admin_and_checked(admin, store, public):
    tag = uuid.uuid4().hex[:8]
    # Behind a coupon: the session's server is shared, and an automatic promotion would apply
    # to the other tests' carts.
    body = {"id": f"p-{tag}", "name": "10% off", "currency": "USD", "action": "percent_off_lines",
            "percent_bp": 1000, "requires_coupon": True}
    assert store.post("/v1/promotions", json=body).status_code == 403
    assert public.get("/v1/promotions").status_code == 403
    r = admin.post("/v1/promotions", json=body)
    assert r.status_code == 201, r.text
    p = r.json()
    assert p["version"] == 1 and r.headers["ETag"]
    assert admin.post("/v1/promotions", json=body).json()["error"]["code"] == "ALREADY_EXISTS"
    assert any(x["id"] == p["id"] for x in admin.get("/v1/promotions").json()["items"])
    p["percent_bp"] = 1500
    assert admin.put(f"/v1/promotions/{p['id']}", json=p, headers={"If-Match": '"7"'}).status_code == 409
    r = admin.put(f"/v1/promotions/{p['id']}", json=p, headers={"If-Match": '"1"'})
    assert r.status_code == 200 and r.json()["percent_bp"] == 1500
    assert admin.get("/v1/promotions/nope").status_code == 404

    for bad, field in [({"percent_bp": 0}, "percent_bp"), ({"action": "half_off"}, "action"),
                       ({"currency": "usd"}, "currency"), ({"percent_bp": 2 ** 40}, "percent_bp"),
                       ({"colour": "red"}, "colour"), ({"name": 5}, "name"), ({"skus": "A"}, "skus")]:
        r = admin.post("/v1/promotions", json={**body, "id": f"bad-{tag}", **bad})
        assert r.status_code == 400, (bad, r.text)
        assert field in r.json()["error"]["message"], (bad, r.text)
    assert admin.get(f"/v1/promotions/bad-{tag}").status_code == 404

    code = f"c-{tag}"
    r = admin.post("/v1/coupons", json={"code": code, "promotion_id": p["id"], "usage_limit": 2})
    assert r.status_code == 201, r.text
    assert r.json()["code"] == code.upper() and r.json()["used"] == 0
    assert admin.post("/v1/coupons", json={"code": code.upper(), "promotion_id": p["id"]}).status_code == 409
    assert admin.post("/v1/coupons", json={"code": "has space", "promotion_id": p["id"]}).status_code == 400
    assert admin.post("/v1/coupons", json={"code": f"x-{tag}", "promotion_id": "nope"}).status_code == 404
    assert admin.get(f"/v1/coupons/{code}").json()["usage_limit"] == 2
    r = admin.put(f"/v1/coupons/{code}", json={"usage_limit": 3, "active": True})
    assert r.status_code == 200 and r.json()["version"] == 2, r.text
    assert [c["code"] for c in admin.get("/v1/coupons", params={"promotion_id": p["id"]}).json()["items"]] == [code.upper()]
    assert admin.get("/v1/coupons", params={"promotion_id": ""}).status_code == 400
    assert admin.get("/v1/coupons", params={"colour": "red"}).status_code == 400
    assert store.get(f"/v1/coupons/{code}").status_code == 403


def test_cart_pricing_and_order_with_a_coupon(admin, store, public):
    tag = uuid.uuid4().hex[:8]
    sku = setup_shop(admin, store, tag)
    promo = {"id": f"b2g1-{tag}", "name": "Buy 2 get 1", "currency": "USD", "skus": [sku],
             "action": "buy_x_get_y", "buy_quantity": 2, "get_quantity": 1, "percent_bp": 10000,
             "requires_coupon": True}
    assert admin.post("/v1/promotions", json=promo).status_code == 201
    code = f"B2G1-{tag}".upper()
    assert admin.post("/v1/coupons", json={"code": code, "promotion_id": promo["id"],
                                           "per_customer_limit": 1}).status_code == 201
    cart = store.post("/v1/carts", json={"customer_id": f"cus-{tag}"}).json()
    assert public.post(f"/v1/carts/{cart['id']}/lines", json={"sku": sku, "quantity": 3}).status_code == 200

    r = public.get(f"/v1/carts/{cart['id']}/pricing", params={"coupon_code": code.lower()})
    assert r.status_code == 200, r.text
    priced = r.json()
    assert priced["discount"] == {"minor": 2000, "currency": "USD"}
    assert priced["total"]["minor"] == 4000
    assert priced["promotions"][0]["coupon_code"] == code
    assert priced["lines"][0]["discounts"] == [{"promotion_id": promo["id"], "amount": {"minor": 2000, "currency": "USD"}}]
    assert public.get(f"/v1/carts/{cart['id']}/pricing", params={"coupon_code": "NOPE"}).status_code == 404
    assert public.get(f"/v1/carts/{cart['id']}/pricing", params={"coupon_code": "bad code"}).status_code == 400
    assert public.get(f"/v1/carts/{cart['id']}/pricing", params={"customer_id": "x"}).status_code == 403
    assert public.get(f"/v1/carts/{cart['id']}/pricing", params={"colour": "red"}).status_code == 400
    assert public.get("/v1/carts/no-such-cart/pricing").status_code == 404
    assert store.get(f"/v1/carts/{cart['id']}/pricing",
                     params={"customer_id": "someone-else"}).status_code == 412

    r = public.post("/v1/orders", headers={"Idempotency-Key": f"k-{tag}"},
                    json={"customer_id": f"cus-{tag}", "cart_id": cart["id"], "shipping_address": ADDRESS,
                          "coupon_codes": [code]})
    assert r.status_code == 201, r.text
    order = r.json()
    assert order["discount"]["minor"] == 2000 and order["total"]["minor"] == 4000
    assert order["promotions"] == priced["promotions"]
    assert order["lines"][0]["discount"]["minor"] == 2000
    assert admin.get(f"/v1/orders/{order['id']}").json()["promotions"] == order["promotions"]
    # Once per customer.
    r = public.post("/v1/orders", headers={"Idempotency-Key": f"k2-{tag}"},
                    json={"customer_id": f"cus-{tag}", "lines": [{"sku": sku, "quantity": 3}],
                          "shipping_address": ADDRESS, "coupon_codes": [code]})
    assert r.status_code == 412 and r.json()["error"]["code"] == "FAILED_PRECONDITION", r.text
    for bad in (["a b"], "CODE", [1], ["A", "B", "C", "D", "E", "F"]):
        r = public.post("/v1/orders", headers={"Idempotency-Key": f"k3-{tag}"},
                        json={"customer_id": f"cus-{tag}", "lines": [{"sku": sku, "quantity": 1}],
                              "shipping_address": ADDRESS, "coupon_codes": bad})
        assert r.status_code == 400, (bad, r.text)


def test_groups_channels_tiers_and_events(admin, store, public):
    """The new fields round-trip as JSON; bad tiers, groups and channels are 400 naming the field
    and write nothing; a group's customer gets the tier a cart reaches, another's coupon is
    refused naming the group; each write is a PromotionUpserted or CouponUpserted event, and
    webhooks may subscribe to both."""
    tag = uuid.uuid4().hex[:8]
    sku = setup_shop(admin, store, tag)
    group = f"g-{tag}"
    r = store.post("/v1/customers", json={"id": f"vip-{tag}", "email": f"vip-{tag}@example.com", "group": group})
    assert r.status_code == 201, r.text
    last = admin.get("/v1/events", params={"limit": 1}).json()["last_seq"]
    # Behind a coupon and a group no other test uses: the session's server is shared.
    body = {"id": f"t-{tag}", "name": "Tiers", "currency": "USD", "skus": [sku], "requires_coupon": True,
            "customer_groups": [group], "action": "tiered", "tier_basis": "quantity",
            "tiers": [{"threshold": 2, "amount_minor": 300}, {"threshold": 4, "percent_bp": 2500}]}
    for bad, field in [({"tiers": []}, "tiers"),
                       ({"tiers": [{"threshold": 4, "percent_bp": 1}, {"threshold": 2, "percent_bp": 2}]}, "tiers[1].threshold"),
                       ({"tiers": [{"threshold": i + 1, "percent_bp": 1} for i in range(21)]}, "tiers: 21 tiers"),
                       ({"tiers": [{"threshold": -1, "percent_bp": 1}]}, "tiers[0].threshold"),
                       ({"tiers": [{"threshold": 2, "percent_bp": 10001}]}, "tiers[0].percent_bp"),
                       ({"tiers": [{"threshold": 2, "amount_minor": -5}]}, "tiers[0].amount_minor"),
                       ({"tiers": [{"threshold": 2}]}, "tiers[0]: give exactly one"),
                       ({"tiers": [{"percent_bp": 2}]}, "body.tiers[0].threshold"),
                       ({"tiers": [{"threshold": 2, "percent_bp": 2, "colour": "red"}]}, "colour"),
                       ({"tiers": [5]}, "body.tiers[0]"),
                       ({"tiers": {"threshold": 2}}, "tiers"),
                       ({"tier_basis": "units"}, "tier_basis"),
                       ({"customer_groups": ["a b"]}, "customer_groups[0]"),
                       ({"channels": ["web", "web"]}, "channels[1]"),
                       ({"currency": "XYZ"}, "currency")]:
        r = admin.post("/v1/promotions", json={**body, **bad})
        assert r.status_code == 400, (bad, r.text)
        assert field in r.json()["error"]["message"], (bad, r.text)
    assert admin.get(f"/v1/promotions/t-{tag}").status_code == 404
    assert admin.get("/v1/events", params={"limit": 1}).json()["last_seq"] == last

    r = admin.post("/v1/promotions", json=body)
    assert r.status_code == 201, r.text
    p = r.json()
    assert (p["customer_groups"], p["channels"], p["tier_basis"]) == ([group], [], "quantity")
    assert p["tiers"] == [{"threshold": 2, "percent_bp": 0, "amount_minor": 300},
                          {"threshold": 4, "percent_bp": 2500, "amount_minor": 0}]
    assert admin.put(f"/v1/promotions/t-{tag}", json=p).json()["version"] == 2  # echoed back as read
    code = f"T-{tag}".upper()
    assert admin.post("/v1/coupons", json={"code": code, "promotion_id": p["id"]}).status_code == 201

    def priced(customer, units):
        cart = store.post("/v1/carts", json={"customer_id": customer}).json()
        assert public.post(f"/v1/carts/{cart['id']}/lines", json={"sku": sku, "quantity": units}).status_code == 200
        return public.get(f"/v1/carts/{cart['id']}/pricing", params={"coupon_code": code})

    assert priced(f"vip-{tag}", 2).json()["discount"]["minor"] == 300
    assert priced(f"vip-{tag}", 3).json()["discount"]["minor"] == 300
    assert priced(f"vip-{tag}", 4).json()["discount"]["minor"] == 2000  # 25% of 80.00
    r = priced(f"vip-{tag}", 1)
    assert r.status_code == 412 and "its promotion's first tier needs 2" in r.json()["error"]["message"], r.text
    r = priced(f"cus-{tag}", 4)
    assert r.status_code == 412, r.text
    assert f"its promotion is for customer groups '{group}' only; customer 'cus-{tag}' is in none" in r.json()["error"]["message"]

    events = admin.get("/v1/events", params={"from": last + 1, "limit": 100}).json()["events"]
    mine = [(e["type"], e["subject"]) for e in events if e["type"] in ("PromotionUpserted", "CouponUpserted")]
    assert mine == [("PromotionUpserted", f"t-{tag}"), ("PromotionUpserted", f"t-{tag}"), ("CouponUpserted", code)]
    first = next(e for e in events if e["type"] == "PromotionUpserted")
    data = first["data"] if isinstance(first["data"], dict) else __import__("json").loads(first["data"])
    assert data["customer_groups"] == [group] and data["tier_basis"] == "quantity" and data["created"] is True
    assert data["tiers"][1] == {"threshold": 4, "percent_bp": 2500, "amount_minor": 0}

    hook = {"id": f"hook-{tag}", "url": "https://erp.example.com/hooks", "secret": "whsec_example_0123456789",
            "event_types": ["PromotionUpserted", "CouponUpserted"], "active": False}
    r = admin.post("/v1/webhooks", json=hook)
    assert r.status_code == 201, r.text
    assert r.json()["event_types"] == ["PromotionUpserted", "CouponUpserted"]
    assert admin.delete(f"/v1/webhooks/hook-{tag}").status_code == 200


def test_coupon_limit_under_parallel_requests(admin, store, public):
    tag = uuid.uuid4().hex[:8]
    sku = setup_shop(admin, store, tag)
    assert admin.post("/v1/promotions", json={"id": f"f-{tag}", "name": "Flash", "currency": "USD",
                                              "action": "fixed_off_order", "amount_minor": 500,
                                              "requires_coupon": True}).status_code == 201
    code = f"FLASH-{tag}".upper()
    assert admin.post("/v1/coupons", json={"code": code, "promotion_id": f"f-{tag}",
                                           "usage_limit": 4}).status_code == 201

    def place(i):
        return public.post("/v1/orders", headers={"Idempotency-Key": f"p{i}-{tag}"},
                           json={"customer_id": f"cus-{tag}", "lines": [{"sku": sku, "quantity": 1}],
                                 "shipping_address": ADDRESS, "coupon_codes": [code]}).status_code

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        codes = sorted(pool.map(place, range(16)))
    assert codes == [201] * 4 + [412] * 12
    assert admin.get(f"/v1/coupons/{code}").json()["used"] == 4


def test_http_example_session():
    with open(os.path.join(SOURCE, "examples", "http", "keys.txt")) as f:
        keys = f.read()
    with own_server(keys=keys) as server:
        admin = {"Authorization": "Bearer example-admin-key-change-me"}
        requests.put(f"{server.base}/v1/products/tee", headers=admin, timeout=10, json={
            "title": "Tee", "variants": [{"sku": "TEE-M", "price": 2000, "currency": "USD"}]}).raise_for_status()
        session = os.path.join(SOURCE, "examples", "http", "09-promotions.sh")
        for run in (1, 2):
            r = subprocess.run([session], capture_output=True, text=True, timeout=120,
                               env=dict(os.environ, BASE=server.base))
            assert r.returncode == 0, r.stdout + r.stderr
            out = r.stdout
            for promotion in ("tee-10", "tee-tiers", "five-off"):
                assert ("promotion %s: HTTP %d" % (promotion, 201 if run == 1 else 409)) in out, out
            # 40.00 - 10% (first: priority 10) - 5.00 (the coupon's, by id) - 2.00 (the tier of 2 tees)
            assert '\ntotal {"minor":2900,"currency":"USD"}' in out, out
            assert 'guest promotions []\nguest total {"minor":4000,"currency":"USD"}' in out, out
            assert '"code":"NOT_FOUND"' in out, out
            assert 'order total {"minor":2900,"currency":"USD"} discount {"minor":1100,"currency":"USD"}' in out, out
            assert "WELCOME5 used %d time(s)" % run in out, out
