#!/usr/bin/env python3
"""A sales report by day and category, in pandas.

    PYTHONPATH=build/python /usr/bin/python3 examples/python/sales_report.py [store]

Without a store, makes a demo one: a sample catalog, stock, customers and a few hundred
orders. The last 30 days' order lines, but for cancelled and refunded orders, come out with
Orders.to_dataframe(lines=True, status=..., created_from=...) (money in integer minor units);
the category of each line comes from the catalog.
"""

import datetime
import random
import sys
import tempfile
from pathlib import Path

import pandas as pd

import commerce


def demo_store(engine, orders=300):
    sample = commerce.SampleCatalog(products=500, seed=3)
    for c in sample.categories():
        engine.catalog.upsert_category(c)
    engine.catalog.import_products(sample.product(i) for i in range(len(sample)))
    engine.inventory.upsert_warehouse(commerce.Warehouse(id="wh-1", name="Reno", region="us-west"))
    for i in range(len(sample)):
        for v in sample.product(i).variants:
            engine.inventory.receive(v.sku, "wh-1", 1000)
    rng = random.Random(7)
    for c in range(20):
        engine.customers.create(commerce.Customer(id="c%d" % c, email="c%d@example.com" % c))
    for n in range(orders):
        picks = {sample.product(sample.popular_index(rng.random())).variants[0].sku for _ in range(rng.randint(1, 3))}
        engine.orders.place(idempotency_key="demo-%d" % n, customer_id="c%d" % rng.randrange(20),
                            lines=[{"sku": s, "quantity": rng.randint(1, 3)} for s in picks],
                            shipping_address={"name": "A", "line1": "1 St", "city": "Reno", "region": "us-west",
                                              "country": "US"})


def main():
    # Without a store directory: a temporary one, removed at the end.
    tmp = tempfile.TemporaryDirectory(prefix="commerce-sales-")
    store = sys.argv[1] if len(sys.argv) > 1 else Path(tmp.name) / "shop"
    with tmp, commerce.Engine(store) as engine:
        if engine.events.last_seq() == 0:
            demo_store(engine)
        # The last 30 days' orders that count as sales: filtered by the engine (Orders.list
        # underneath), not loaded whole and filtered in pandas.
        sales = [s for s in commerce.OrderStatus.__members__.values()
                 if s not in (commerce.OrderStatus.CANCELLED, commerce.OrderStatus.REFUNDED)]
        since = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=30)
        lines = engine.orders.to_dataframe(lines=True, status=sales, created_from=since)
        # Each product's first category, from the catalog (one lookup per product).
        top = {}
        for pid in lines["product_id"].unique():
            cats = engine.catalog.get(pid).categories
            top[pid] = cats[0].split("/")[0] if cats else "(none)"
        lines["category"] = lines["product_id"].map(top)
        lines["day"] = lines["created_at"].dt.date
        report = (lines.groupby(["day", "category"])
                  .agg(orders=("order_id", "nunique"), units=("quantity", "sum"), revenue_minor=("line_total", "sum"))
                  .reset_index()
                  .sort_values(["day", "revenue_minor"], ascending=[True, False]))
        # Exact money: integer cents, shown as decimals only at the end.
        report["revenue"] = report["revenue_minor"].map(lambda m: commerce.Money(int(m), "USD").to_decimal())
        with pd.option_context("display.width", 120, "display.max_rows", 50):
            print(report.drop(columns="revenue_minor").to_string(index=False))


if __name__ == "__main__":
    main()
