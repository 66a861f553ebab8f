#!/usr/bin/env python3
"""Tax and shipping priced by a Python function.

    PYTHONPATH=build/python /usr/bin/python3 examples/python/pricing_policy.py

The policy: 8.25% tax in us-east, 6% in us-west, none elsewhere; shipping 4.99 per parcel,
free from 50.00. It must be deterministic for the same input (the engine memoises its
answers) and must not call the engine. A policy that raises refuses the order: nothing is
written. Then eight threads buy the last units of one mug at once: none oversold, and the
policy's stats show it ran once per distinct input, the rest answered from the memo without
the GIL. docs/python.md, "Pricing policies".
"""

import tempfile
import threading
from pathlib import Path

import commerce

TAX_BP = {"us-east": 825, "us-west": 600}


def pricing(i):
    if i.country != "US":
        raise ValueError("we ship to the US only, not to %r" % i.country)  # fails the placement
    tax = (i.subtotal_minor * TAX_BP.get(i.region, 0) + 5000) // 10000  # half up
    shipping = 0 if i.subtotal_minor >= 5000 else 499 * i.shipments
    return tax, shipping


def address(region, country="US"):
    return {"name": "Ada", "line1": "1 Main St", "city": "Boston", "region": region, "country": country}


def main():
    policy = commerce.PythonPricing(pricing)
    with tempfile.TemporaryDirectory(prefix="commerce-pricing-") as tmp, \
            commerce.Engine(Path(tmp) / "shop", pricing=policy, run_background=False) as engine:
        engine.catalog.upsert(commerce.Product(id="mug", title="Mug", variants=[
            {"sku": "MUG", "price": {"minor": 1250, "currency": "USD"}}]))
        engine.inventory.upsert_warehouse(commerce.Warehouse(id="bos", name="Boston", region="us-east"))
        engine.inventory.receive("MUG", "bos", 30)
        engine.customers.create(commerce.Customer(id="ada", email="ada@example.com"))

        for key, qty, region in [("k1", 1, "us-east"), ("k2", 2, "us-west"), ("k3", 4, "us-east")]:
            o = engine.orders.place(idempotency_key=key, customer_id="ada", lines=[{"sku": "MUG", "quantity": qty}],
                                    shipping_address=address(region))
            print("%d mug(s) to %s: subtotal %s, tax %s, shipping %s, total %s" % (
                qty, region, o.subtotal, o.tax, o.shipping, o.total))

        try:
            engine.orders.place(idempotency_key="k4", customer_id="ada", lines=[{"sku": "MUG", "quantity": 1}],
                                shipping_address=address("on", "CA"))
        except commerce.InvalidArgument as e:
            print("refused: %s" % e)
        print("reserved after the refusal: %d" % engine.inventory.get("MUG", "bos").reserved)

        left = 30 - engine.inventory.get("MUG", "bos").reserved
        sold = []

        def buyer(t):
            for n in range(6):
                try:
                    engine.orders.place(idempotency_key="rush-%d-%d" % (t, n), customer_id="ada",
                                        lines=[{"sku": "MUG", "quantity": 1}], shipping_address=address("us-east"))
                    sold.append(1)
                except commerce.OutOfStock:
                    pass

        threads = [threading.Thread(target=buyer, args=(t,)) for t in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        print("rush: %d of the last %d mugs sold, reserved %d of 30" % (
            len(sold), left, engine.inventory.get("MUG", "bos").reserved))
        s = policy.stats()
        print("policy: %d Python calls, %d memo hits (%d on the writer, without the GIL), %d GIL waits on the writer"
              % (s["calls"], s["memo_hits"], s["writer_memo_hits"], s["gil_waits"]))


if __name__ == "__main__":
    main()
