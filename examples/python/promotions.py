#!/usr/bin/env python3
"""Promotions and coupons: an automatic promotion, a coupon with limits, a cart priced and
explained, an order that keeps its discounts, and a coupon used up; then a tiered promotion for
one customer group in one channel, and the events the writes added.

    PYTHONPATH=build/python /usr/bin/python3 examples/python/promotions.py

Runs on a temporary store, removed at the end. See docs/promotions.md.
"""

import tempfile

import commerce


def money(m):
    return "%d.%02d %s" % (m.minor // 100, m.minor % 100, m.currency)


def main():
    with tempfile.TemporaryDirectory() as tmp, commerce.Engine(tmp + "/shop") as engine:
        engine.catalog.upsert_category("shoes", "Shoes")
        engine.catalog.upsert(commerce.Product(id="runner", title="Runner", categories=["shoes"], variants=[
            {"sku": "RUN-42", "price": {"minor": 8000, "currency": "USD"}}]))
        engine.catalog.upsert(commerce.Product(id="sock", title="Sock", variants=[
            {"sku": "SOCK", "price": {"minor": 500, "currency": "USD"}}]))
        engine.inventory.upsert_warehouse(commerce.Warehouse(id="wh", name="Reno", region="us-west"))
        engine.inventory.receive("RUN-42", "wh", 100)
        engine.inventory.receive("SOCK", "wh", 100)
        engine.customers.create(commerce.Customer(id="ada", email="ada@example.com"))

        # Automatic: 10% off shoes. With a code: buy 2 socks, get 1 free, once per customer.
        engine.promotions.create(id="shoes-10", name="10% off shoes", currency="USD",
                                 categories=["shoes"], action="percent_off_lines", percent_bp=1000)
        engine.promotions.create(id="socks", name="Socks: buy 2 get 1", currency="USD", skus=["SOCK"],
                                 action="buy_x_get_y", buy_quantity=2, get_quantity=1, percent_bp=10000,
                                 requires_coupon=True)
        engine.promotions.create_coupon(code="SOCKS3", promotion_id="socks", usage_limit=100,
                                        per_customer_limit=1)

        cart = engine.carts.create(customer_id="ada")
        engine.carts.add(cart.id, "RUN-42", 1)
        engine.carts.add(cart.id, "SOCK", 3)
        priced = engine.promotions.price_cart(cart.id, coupon_codes=["socks3"])
        for line in priced.lines:
            print("%-7s %d x  -%s" % (line.line.sku, line.line.quantity, money(line.discount)))
        for p in priced.promotions:
            print("applied: %s (%s) -%s" % (p.name, p.coupon_code or "automatic", money(p.amount)))
        print("cart total", money(priced.total))

        address = {"name": "Ada", "line1": "1 Main", "city": "Reno", "region": "us-west", "country": "US"}
        order = engine.orders.place(idempotency_key="k-1", customer_id="ada", cart_id=cart.id,
                                    shipping_address=address, coupon_codes=["SOCKS3"])
        print("order", order.id, "discount", money(order.discount), "total", money(order.total))
        print("coupon used", engine.promotions.get_coupon("socks3").used, "time(s)")

        # Once per customer: a second order with the code is refused, naming why.
        try:
            engine.orders.place(idempotency_key="k-2", customer_id="ada", shipping_address=address,
                                lines=[{"sku": "SOCK", "quantity": 3}], coupon_codes=["SOCKS3"])
        except commerce.FailedPrecondition as e:
            print("refused:", e)

        # Wholesale buyers on the B2B channel: 5% off socks from 20, 10% from 50 (by units).
        engine.channels.create(id="b2b", name="B2B portal", default_currency="USD")
        engine.customers.create(commerce.Customer(id="bo", email="bo@example.com", group="wholesale"))
        engine.promotions.create(id="bulk-socks", name="Bulk socks", currency="USD", skus=["SOCK"],
                                 customer_groups=["wholesale"], channels=["b2b"], action="tiered",
                                 tier_basis="quantity", tiers=[{"threshold": 20, "percent_bp": 500},
                                                               {"threshold": 50, "percent_bp": 1000}])
        for who, channel, socks in [("bo", "b2b", 19), ("bo", "b2b", 20), ("bo", "b2b", 50),
                                    ("bo", "", 50), ("ada", "b2b", 50)]:
            bulk = engine.carts.create(customer_id=who, channel=channel)
            engine.carts.add(bulk.id, "SOCK", socks)
            off = engine.promotions.price_cart(bulk.id).discount
            print("%s, %d socks, channel %s: -%s" % (who, socks, channel or "none", money(off)))
        print("events:", ", ".join("%s %s" % (e.type, e.subject) for e in engine.events.tail(1, 1000)
                                   if e.type in ("PromotionUpserted", "CouponUpserted")))


if __name__ == "__main__":
    main()
