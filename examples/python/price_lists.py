#!/usr/bin/env python3
"""Price lists: euro prices that include VAT, a wholesale group's prices with a tier, a sale
with a window; the price that applies to each caller and why; a wholesale customer's cart in
a channel, and orders naming the list each line came from, with the VAT inside gross prices.

    PYTHONPATH=build/python /usr/bin/python3 examples/python/price_lists.py

Runs on a temporary store, removed at the end. See docs/prices.md.
"""

import tempfile

import commerce

SALE_START, SALE_END = 2_000_000_000_000, 2_000_172_800_000  # a weekend in 2033, end exclusive


def money(m):
    return "%d.%02d %s" % (m.minor // 100, m.minor % 100, m.currency)


def main():
    # VAT at 19% in the "eu" region: the default policy extracts it from gross prices.
    pricing = commerce.make_default_pricing(commerce.DefaultPricingOptions(tax_bp_by_region={"eu": 1900}))
    with tempfile.TemporaryDirectory() as tmp, commerce.Engine(tmp + "/shop", pricing=pricing) as engine:
        engine.catalog.upsert(commerce.Product(id="tee", title="Tee", variants=[
            {"sku": "TEE", "price": {"minor": 2500, "currency": "USD"}}]))
        engine.inventory.upsert_warehouse(commerce.Warehouse(id="wh", name="Berlin", region="eu"))
        engine.inventory.receive("TEE", "wh", 100)
        engine.customers.create(commerce.Customer(id="ada", email="ada@example.com"))
        engine.customers.create(commerce.Customer(id="acme", email="buyer@acme.example", group="wholesale"))

        lists = engine.price_lists
        lists.create(id="eur", name="Euro prices", currency="EUR", tax_inclusive=True,
                     entries=[{"sku": "TEE", "price_minor": 2990}])
        lists.create(id="eur-wholesale", name="Wholesale", currency="EUR", customer_group="wholesale",
                     entries=[{"sku": "TEE", "price_minor": 2100},
                              {"sku": "TEE", "price_minor": 1785, "min_quantity": 10}])
        lists.create(id="eur-weekend", name="Weekend sale", currency="EUR", priority=10,
                     starts_at_ms=SALE_START, ends_at_ms=SALE_END, entries=[{"sku": "TEE", "price_minor": 1990}])
        lists.create(id="eur-app", name="In the app", currency="EUR", channel="app",
                     entries=[{"sku": "TEE", "price_minor": 2790}])

        for who, ctx in [("a guest, USD", dict(currency="USD")),
                         ("a guest, EUR", dict(currency="EUR")),
                         ("wholesale, EUR, 1 unit", dict(currency="EUR", customer_group="wholesale")),
                         ("wholesale, EUR, 12 units", dict(currency="EUR", customer_group="wholesale", quantity=12)),
                         ("anyone, EUR, on the weekend", dict(currency="EUR", now_ms=SALE_START + 1)),
                         ("the app, EUR", dict(currency="EUR", channel="app"))]:
            p = lists.price("TEE", **ctx)
            print("%-28s %-10s %s" % (who, money(p.price), p.price_list_id or "the base price"))
        try:
            lists.price("TEE", currency="GBP")
        except commerce.FailedPrecondition as e:
            print("a guest, GBP:", e)

        # A stale version is refused, as HTTP's If-Match is.
        eur = lists.get("eur")
        eur.entries = [commerce.PriceEntry(sku="TEE", price_minor=3190)]
        lists.update(eur, if_version=eur.version)
        try:
            lists.update(eur, if_version=eur.version)
        except commerce.Conflict:
            print("update at version", eur.version, "again: Conflict (it is at", lists.get("eur").version, "now)")

        address = {"name": "Acme", "line1": "1 Hauptstr.", "city": "Berlin", "region": "eu", "country": "DE"}
        cart = engine.carts.create(customer_id="acme", currency="EUR", channel="app")
        cart = engine.carts.add(cart.id, "TEE", 12)
        print("acme's cart in channel %s:" % cart.channel, cart.lines[0].quantity, "x", money(cart.lines[0].unit_price))
        order = engine.orders.place(idempotency_key="k-1", customer_id="acme", cart_id=cart.id,
                                    shipping_address=address)
        line = order.lines[0]
        print("order", order.channel, "line from", line.price_list_id, "tax", money(order.tax), "total", money(order.total))

        gross = engine.orders.place(idempotency_key="k-2", customer_id="ada", currency="EUR",
                                    lines=[{"sku": "TEE", "quantity": 1}], shipping_address=address)
        line = gross.lines[0]
        print("ada's order: line from", line.price_list_id, "tax_inclusive", line.tax_inclusive,
              "tax", money(gross.tax), "VAT inside", money(gross.tax_included), "total", money(gross.total))


if __name__ == "__main__":
    main()
