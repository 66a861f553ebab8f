#!/usr/bin/env python3
"""An event subscriber that prints order events as they happen.

    PYTHONPATH=build/python /usr/bin/python3 examples/python/order_events.py [store] [--demo]

Follows the event log with a durable cursor ("order-printer"): stopped and started again,
it resumes after the last event it printed. With --demo (or no store), a second thread
places and advances a few orders so that there is something to see, then stops.
"""

import sys
import tempfile
import threading
import time
from pathlib import Path

import commerce

ORDER_EVENTS = ["OrderPlaced", "OrderStatusChanged"]


def demo_writer(engine, stop):
    engine.catalog.upsert(commerce.Product(id="tee", title="Tee", variants=[
        {"sku": "TEE", "price": {"minor": 1999, "currency": "USD"}}]))
    engine.inventory.upsert_warehouse(commerce.Warehouse(id="wh", name="Reno", region="us-west"))
    engine.inventory.receive("TEE", "wh", 100)
    engine.customers.create(commerce.Customer(id="ada", email="ada@example.com"))
    for n in range(3):
        o = engine.orders.place(idempotency_key="demo-%d-%d" % (n, time.time_ns()), customer_id="ada",
                                lines=[{"sku": "TEE", "quantity": n + 1}],
                                shipping_address={"name": "Ada", "line1": "1 Main", "city": "Reno",
                                                  "region": "us-west", "country": "US"})
        for to in ("paid", "fulfilling", "shipped"):
            time.sleep(0.1)
            engine.orders.transition(o.id, to)
    time.sleep(0.5)
    stop.set()


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    demo = "--demo" in sys.argv or not args
    # Without a store directory: a temporary one, removed at the end.
    tmp = tempfile.TemporaryDirectory(prefix="commerce-events-")
    store = args[0] if args else Path(tmp.name) / "shop"
    with tmp, commerce.Engine(store) as engine:
        stop = threading.Event()
        if demo:
            threading.Thread(target=demo_writer, args=(engine, stop), daemon=True).start()
        try:
            for event in engine.events.follow(consumer="order-printer", types=ORDER_EVENTS, poll=0.2, stop=stop):
                data = event.json()
                when = time.strftime("%H:%M:%S", time.localtime(event.time_ms / 1000))
                if event.type == "OrderPlaced":
                    print("%s #%d %s placed by %s: %s %s" % (when, event.seq, event.subject, data.get("customer_id"),
                                                             data.get("total"), data.get("currency")), flush=True)
                else:
                    print("%s #%d %s %s -> %s" % (when, event.seq, event.subject, data.get("from"), data.get("to")),
                          flush=True)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
