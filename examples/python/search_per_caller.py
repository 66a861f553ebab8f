#!/usr/bin/env python3
"""Search per caller: one catalog, three shoppers. A guest in USD sees base prices and a sale;
a wholesale customer sees the group's price list; the EU storefront (a channel) shows only its
categories, in its default currency, where a product priced only in USD has no price and sorts
last. Each hit names the price list its price came from.

    PYTHONPATH=build/python /usr/bin/python3 examples/python/search_per_caller.py

Runs on a temporary store, removed at the end. See docs/search.md, "Per caller".
"""

import tempfile
import time

import commerce


def show(engine, who, **caller):
    res = engine.search.query(sort="price_asc", facets=["price"], price_buckets=[2000, 4000], **caller)
    print(who)
    for hit in res.hits:
        if not hit.price.currency:  # nothing prices it in the currency
            print(f"  {hit.product_id:<6} no price")
            continue
        price = f"{hit.price.minor / 100:.2f} {hit.price.currency}"
        print(f"  {hit.product_id:<6} {price:<12} {hit.price_list_id or 'the base price'}")
    buckets = ", ".join(f"{v.value}: {v.count}" for v in res.facets[0].values)
    print(f"  price buckets: {buckets}")


def main():
    with tempfile.TemporaryDirectory() as tmp, commerce.Engine(tmp + "/shop") as engine:
        engine.catalog.upsert_category("mugs", "Mugs")
        engine.catalog.upsert_category("pans", "Pans")
        for pid, cat, usd in (("mug", "mugs", 1500), ("cup", "mugs", 2500), ("pan", "pans", 4500)):
            variants = [{"sku": pid.upper(), "price": {"minor": usd, "currency": "USD"}}]
            engine.catalog.upsert(commerce.Product(id=pid, title=pid.title(), categories=[cat], variants=variants))
        now = int(time.time() * 1000)
        engine.price_lists.create(id="sale", name="Pan sale", currency="USD", starts_at_ms=now - 60_000,
                                  ends_at_ms=now + 3_600_000, entries=[{"sku": "PAN", "price_minor": 1900}])
        engine.price_lists.create(id="wholesale", name="Wholesale", currency="USD", customer_group="wholesale",
                                  entries=[{"sku": "CUP", "price_minor": 900}])
        engine.price_lists.create(id="eur", name="Euro prices", currency="EUR",
                                  entries=[{"sku": "MUG", "price_minor": 1400}])
        engine.channels.create(id="eu", name="Europe", default_currency="EUR", category_ids=["mugs"])
        engine.search.wait_for(engine.events.last_seq())

        show(engine, "a guest in USD", currency="USD")
        show(engine, "a wholesale customer in USD", currency="USD", customer_group="wholesale")
        show(engine, "the eu storefront (EUR, mugs only)", channel="eu")
        try:
            engine.search.query(channel="eu", currency="USD")
        except commerce.InvalidArgument as e:
            print("USD in eu:", e)


if __name__ == "__main__":
    main()
