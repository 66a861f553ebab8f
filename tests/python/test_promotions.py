"""Promotions and coupons through Python (docs/promotions.md): records with keywords, dicts
and values; bad input raising the engine's classes; a cart priced and explained; an order
keeping its discounts; coupon limits under Python threads; a Python pricing policy told what
the promotions took."""

import threading

import pytest

import commerce
from conftest import address, open_engine


def ten_off(**fields):
    base = dict(id="ten", name="10% off", currency="USD", action="percent_off_lines", percent_bp=1000)
    base.update(fields)
    return base


def test_records_keywords_dicts_and_values(shop):
    promos = shop.promotions
    p = promos.create(**ten_off())
    assert (p.id, p.action, p.version) == ("ten", commerce.PromotionAction.PERCENT_OFF_LINES, 1)
    assert str(p.action) == "percent_off_lines"
    assert promos.get("ten") == p
    q = promos.create({"name": "Free shipping", "currency": "USD", "action": "free_shipping"})
    assert q.id.startswith("promo-")
    assert [x.id for x in promos.list()] == sorted([p.id, q.id])
    p.percent_bp = 1500
    changed = promos.update(p, if_version=1)
    assert changed.version == 2 and changed.percent_bp == 1500
    with pytest.raises(commerce.Conflict):
        promos.update(p, if_version=1)
    c = promos.create_coupon(code="spring-10", promotion_id="ten", usage_limit=3)
    assert (c.code, c.used) == ("SPRING-10", 0)
    assert promos.get_coupon("Spring-10").code == "SPRING-10"
    assert [x.code for x in promos.list_coupons("ten")] == ["SPRING-10"]
    c = promos.update_coupon(code="SPRING-10", promotion_id="ten", usage_limit=5, active=False)
    assert (c.usage_limit, c.active, c.version) == (5, False, 2)
    assert promos.coupon_uses("spring-10", "c1") == 0
    assert commerce.Promotion.from_dict(p.to_dict()) == p


@pytest.mark.parametrize("fields, error, word", [
    (dict(name=""), commerce.InvalidArgument, "name"),
    (dict(currency="usd"), commerce.InvalidArgument, "currency"),
    (dict(percent_bp=0), commerce.InvalidArgument, "percent_bp"),
    (dict(percent_bp=10001), commerce.InvalidArgument, "percent_bp"),
    (dict(action="fixed_off_order"), commerce.InvalidArgument, "percent_bp"),
    (dict(buy_quantity=2), commerce.InvalidArgument, "buy_quantity"),
    (dict(starts_at_ms=10, ends_at_ms=5), commerce.InvalidArgument, "ends_at_ms"),
    (dict(skus=[""]), commerce.InvalidArgument, "skus[0]"),
])
def test_bad_promotions(shop, fields, error, word):
    with pytest.raises(error) as e:
        shop.promotions.create(**ten_off(**fields))
    assert word in str(e.value)
    with pytest.raises(commerce.NotFound):
        shop.promotions.get("ten")


def test_bad_coupons_and_actions(shop):
    promos = shop.promotions
    promos.create(**ten_off())
    with pytest.raises(ValueError):  # commerce.InvalidArgument is also a ValueError
        promos.create(**ten_off(id="x", action="half_off"))
    for code in ["", "has space", "x" * 65, "ümlaut"]:
        with pytest.raises(commerce.InvalidArgument):
            promos.create_coupon(code=code, promotion_id="ten")
    with pytest.raises(commerce.NotFound):
        promos.create_coupon(code="OK", promotion_id="nope")
    with pytest.raises(commerce.InvalidArgument):
        promos.create_coupon(code="OK", promotion_id="ten", usage_limit=-1)
    promos.create_coupon(code="OK", promotion_id="ten")
    with pytest.raises(commerce.AlreadyExists):
        promos.create_coupon(code="ok", promotion_id="ten")
    with pytest.raises(KeyError):  # commerce.NotFound is also a KeyError
        promos.get_coupon("NOPE")
    with pytest.raises(TypeError):
        promos.create(commerce.Promotion(), name="both")


def test_cart_priced_and_order_keeps_discounts(shop):
    shop.inventory.receive("TEE-S", "east-1", 50)
    shop.inventory.receive("MUG", "east-1", 50)
    promos = shop.promotions
    promos.create(**ten_off(skus=["TEE-S"]))
    promos.create(id="mugs", name="Mugs: buy 2 get 1", currency="USD", skus=["MUG"], action="buy_x_get_y",
                  buy_quantity=2, get_quantity=1, percent_bp=10000, requires_coupon=True)
    promos.create_coupon(code="MUGS", promotion_id="mugs", per_customer_limit=1)
    cart = shop.carts.create(customer_id="c1")
    shop.carts.add(cart.id, "TEE-S", 1)
    shop.carts.add(cart.id, "MUG", 3)
    priced = promos.price_cart(cart.id)
    assert [p.promotion_id for p in priced.promotions] == ["ten"]
    assert priced.discount == commerce.Money(200, "USD")
    priced = promos.price_cart(cart.id, coupon_codes=["mugs"])
    assert [(p.promotion_id, p.coupon_code) for p in priced.promotions] == [("mugs", "MUGS"), ("ten", "")]
    by_sku = {l.line.sku: l for l in priced.lines}
    assert by_sku["MUG"].discount == commerce.Money(999, "USD")
    assert by_sku["TEE-S"].total == commerce.Money(1799, "USD")
    assert priced.total == commerce.Money(1999 + 3 * 999 - 200 - 999, "USD")
    with pytest.raises(commerce.NotFound):
        promos.price_cart(cart.id, coupon_codes=["NOPE"])
    with pytest.raises(commerce.InvalidArgument):
        promos.price_cart(cart.id, coupon_codes=["A", "B", "C", "D", "E", "F"])

    order = shop.orders.place(idempotency_key="k1", customer_id="c1", cart_id=cart.id,
                              shipping_address=address(), coupon_codes=["Mugs"])
    assert order.discount == priced.discount
    assert order.promotions == priced.promotions
    assert [l.discounts for l in order.lines] == [l.discounts for l in priced.lines]
    assert order.total == commerce.Money(order.subtotal.minor - order.discount.minor, "USD")
    assert shop.orders.get(order.id) == order
    assert promos.coupon_uses("MUGS", "c1") == 1
    # Once per customer: refused with the reason, nothing written.
    with pytest.raises(commerce.FailedPrecondition, match="MUGS"):
        shop.orders.place(idempotency_key="k2", customer_id="c1", lines=[{"sku": "MUG", "quantity": 3}],
                          shipping_address=address(), coupon_codes=["MUGS"])
    # The same key with other coupons is another request.
    with pytest.raises(commerce.Conflict):
        shop.orders.place(idempotency_key="k1", customer_id="c1", cart_id=cart.id,
                          shipping_address=address(), coupon_codes=[])


def test_coupon_limit_under_threads(tmp_path, driver):
    with open_engine(tmp_path / "s", driver) as e:
        e.catalog.upsert(commerce.Product(id="p", title="P", variants=[{"sku": "P", "price": {"minor": 1000, "currency": "USD"}}]))
        e.inventory.upsert_warehouse(commerce.Warehouse(id="w", name="W", region="us-east"))
        e.inventory.receive("P", "w", 1000)
        e.customers.create(commerce.Customer(id="c1", email="c1@example.com"))
        e.promotions.create(**ten_off(requires_coupon=True))
        e.promotions.create_coupon(code="LAST3", promotion_id="ten", usage_limit=3)
        results = []

        def buy(i):
            try:
                e.orders.place(idempotency_key="t%d" % i, customer_id="c1", lines=[{"sku": "P", "quantity": 1}],
                               shipping_address=address(), coupon_codes=["LAST3"])
                results.append("ok")
            except commerce.FailedPrecondition:
                results.append("used up")

        threads = [threading.Thread(target=buy, args=(i,)) for i in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(results) == ["ok"] * 3 + ["used up"] * 9
        assert e.promotions.get_coupon("LAST3").used == 3


def test_pricing_policy_runs_after_promotions(tmp_path):
    seen = []

    def policy(inp):
        seen.append((inp.subtotal_minor, inp.discount_minor, inp.free_shipping))
        return (0, 700)

    with open_engine(tmp_path / "s", pricing=commerce.PythonPricing(policy)) as e:
        e.catalog.upsert(commerce.Product(id="p", title="P", variants=[{"sku": "P", "price": {"minor": 1000, "currency": "USD"}}]))
        e.inventory.upsert_warehouse(commerce.Warehouse(id="w", name="W", region="us-east"))
        e.inventory.receive("P", "w", 10)
        e.customers.create(commerce.Customer(id="c1", email="c1@example.com"))
        e.promotions.create(**ten_off())
        e.promotions.create(id="ship", name="Ships free", currency="USD", action="free_shipping")
        o = e.orders.place(idempotency_key="k", customer_id="c1", lines=[{"sku": "P", "quantity": 2}],
                           shipping_address=address())
        assert seen[-1] == (1800, 200, True)
        assert o.shipping == commerce.Money(0, "USD")
        assert o.total == commerce.Money(1800, "USD")
        assert [p.free_shipping for p in o.promotions] == [True, False]


def test_groups_channels_and_tiers(shop):
    """Conditions on the customer's group and the channel, and a tiered action, by keywords and
    dicts; the coupon's answer names the condition; the events of each write."""
    shop.inventory.receive("TEE-S", "east-1", 100)
    shop.channels.create(id="web", name="Web", default_currency="USD")
    shop.customers.create(commerce.Customer(id="c2", email="vip@example.com", name="Vi", group="vip"))
    promos = shop.promotions
    vip = promos.create(id="vip", name="VIP 10%", currency="USD", action="percent_off_lines", percent_bp=1000,
                        customer_groups=["vip"], channels=["web"], requires_coupon=True)
    assert (vip.customer_groups, vip.channels) == (["vip"], ["web"])
    promos.create_coupon(code="VIP", promotion_id="vip")
    tiers = promos.create(id="tees", name="Tees by the dozen", currency="USD", skus=["TEE-S"], action="tiered",
                          tier_basis="quantity",
                          tiers=[{"threshold": 3, "percent_bp": 500}, commerce.PromotionTier(threshold=6, amount_minor=1000)])
    assert tiers.action == commerce.PromotionAction.TIERED
    assert tiers.tier_basis == commerce.PromotionTierBasis.QUANTITY
    assert [(t.threshold, t.percent_bp, t.amount_minor) for t in tiers.tiers] == [(3, 500, 0), (6, 0, 1000)]
    assert commerce.Promotion.from_dict(tiers.to_dict()) == tiers
    assert commerce.MAX_PROMOTION_TIERS == 20

    def priced(customer, channel, units, codes=()):
        cart = shop.carts.create(customer_id=customer, channel=channel)
        shop.carts.add(cart.id, "TEE-S", units)
        return promos.price_cart(cart.id, coupon_codes=list(codes))

    assert priced("c1", "", 2).discount.minor == 0
    assert priced("c1", "", 3).discount.minor == 300           # 5% of 59.97, half up
    assert priced("c1", "", 6).discount.minor == 1000          # exactly the second tier
    assert priced("c2", "web", 1, ["vip"]).discount.minor == 200
    with pytest.raises(commerce.FailedPrecondition, match="customer 'c1' is in none"):
        priced("c1", "web", 1, ["vip"])
    with pytest.raises(commerce.FailedPrecondition, match="the cart is in no channel"):
        priced("c2", "", 1, ["vip"])
    order = shop.orders.place(idempotency_key="g1", customer_id="c2", channel="web",
                              lines=[{"sku": "TEE-S", "quantity": 6}], shipping_address=address(), coupon_codes=["VIP"])
    # By id at equal priority: 10.00 off 119.94 (the second tier), then VIP 10% of the 109.94 left.
    assert [(p.promotion_id, p.amount.minor) for p in order.promotions] == [("tees", 1000), ("vip", 1099)]

    events = [(e.type, e.subject) for e in shop.events.tail(1, 1000) if e.type in ("PromotionUpserted", "CouponUpserted")]
    assert events == [("PromotionUpserted", "vip"), ("CouponUpserted", "VIP"), ("PromotionUpserted", "tees")]


@pytest.mark.parametrize("fields, word", [
    (dict(tiers=[]), "tiers: a tiered promotion needs at least one tier"),
    (dict(tiers=[{"threshold": 200, "percent_bp": 100}, {"threshold": 100, "percent_bp": 200}]), "tiers[1].threshold"),
    (dict(tiers=[{"threshold": i + 1, "percent_bp": 100} for i in range(21)]), "tiers: 21 tiers; at most 20"),
    (dict(tiers=[{"threshold": 100, "percent_bp": 10001}]), "tiers[0].percent_bp"),
    (dict(tiers=[{"threshold": 100, "amount_minor": -1}]), "tiers[0].amount_minor"),
    (dict(tiers=[{"threshold": 100, "percent_bp": 1, "amount_minor": 1}]), "tiers[0]: give exactly one"),
    (dict(tier_basis="units"), "tier_basis"),
    (dict(customer_groups=["a b"]), "customer_groups[0]"),
    (dict(channels=["web", "web"]), "channels[1]"),
    (dict(currency="XYZ"), "currency"),
])
def test_bad_tiers_groups_and_channels(shop, fields, word):
    base = dict(id="t", name="Tiers", currency="USD", action="tiered", tiers=[{"threshold": 100, "percent_bp": 100}])
    base.update(fields)
    with pytest.raises((commerce.InvalidArgument, ValueError)) as e:
        shop.promotions.create(**base)
    assert word in str(e.value)
    with pytest.raises(commerce.NotFound):
        shop.promotions.get("t")
    assert not [e for e in shop.events.tail(1, 1000) if e.type == "PromotionUpserted"]
