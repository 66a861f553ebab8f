#!/usr/bin/env python3
"""Channels: an EU storefront that sells apparel in EUR and GBP from its Berlin warehouse,
beside the store's own (no channel) that sells everything from every warehouse. A product
outside the channel is refused, an order ships only from the channel's warehouse, and is out of
stock there while Dallas has plenty.

    PYTHONPATH=build/python /usr/bin/python3 examples/python/channels.py

Runs on a temporary store, removed at the end. See docs/channels.md.
"""

import tempfile

import commerce

ADDRESS = commerce.Address(name="Ines", line1="Calle 1", city="Madrid", region="es", country="ES")


def main():
    with tempfile.TemporaryDirectory() as tmp, commerce.Engine(tmp + "/shop") as engine:
        engine.catalog.upsert_category("apparel", "Apparel")
        engine.catalog.upsert(commerce.Product(id="tee", title="Tee", categories=["apparel"], variants=[
            {"sku": "TEE", "price": {"minor": 2500, "currency": "EUR"}}]))
        engine.catalog.upsert(commerce.Product(id="pan", title="Pan", variants=[
            {"sku": "PAN", "price": {"minor": 4000, "currency": "EUR"}}]))
        for wh, region, units in (("berlin", "de", 3), ("dallas", "us", 100)):
            engine.inventory.upsert_warehouse(commerce.Warehouse(id=wh, name=wh.title(), region=region))
            engine.inventory.receive("TEE", wh, units)
        engine.customers.create(commerce.Customer(id="ines", email="ines@example.com"))

        eu = engine.channels.create(id="eu", name="Europe", default_currency="EUR", currencies=["EUR", "GBP"],
                                    warehouse_ids=["berlin"], category_ids=["apparel"])
        print("channel", eu.id, "version", eu.version, "sells in", ", ".join(eu.currencies))
        print("visible in eu: tee", engine.channels.visible("eu", "tee"), "pan", engine.channels.visible("eu", "pan"))
        print("listed in eu:", " ".join(p.id for p in engine.catalog.iter_all(channel="eu")))
        try:
            engine.carts.create(currency="USD", channel="eu")
        except commerce.InvalidArgument as e:
            print("a USD cart in eu:", e)
        cart = engine.carts.create(customer_id="ines", channel="eu")  # no currency: the channel's
        print("a cart in eu without a currency:", cart.currency)
        engine.carts.add(cart.id, "TEE", 2)
        try:
            engine.carts.add(cart.id, "PAN", 1)
        except commerce.FailedPrecondition as e:
            print("add the pan:", e)
        order = engine.orders.place(idempotency_key="o1", customer_id="ines", cart_id=cart.id,
                                    shipping_address=ADDRESS)
        print("order in", order.channel, "ships from", order.shipments[0].warehouse_id)
        try:
            engine.orders.place(idempotency_key="o2", customer_id="ines", channel="eu",
                                lines=[{"sku": "TEE", "quantity": 5}], shipping_address=ADDRESS)
        except commerce.OutOfStock as e:
            print("5 more in eu:", e)
        anywhere = engine.orders.place(idempotency_key="o3", customer_id="ines",
                                       lines=[{"sku": "TEE", "quantity": 5}], shipping_address=ADDRESS)
        print("5 more without a channel ship from", anywhere.shipments[0].warehouse_id)


if __name__ == "__main__":
    main()
