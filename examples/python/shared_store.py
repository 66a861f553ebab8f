"""Two engines on one PostgreSQL store, as two instances of a fleet run them (docs/scaling.md).

Each engine has a directory of its own (its lock and search index); the store is the database
COMMERCE_PG_URL names. A listener on engine `a` hears an order placed through engine `b` at
once (LISTEN/NOTIFY), and both see one event log. Run it against a private server:

    tools/pg-cluster run -- /usr/bin/python3 examples/python/shared_store.py
"""

import os
import sys
import tempfile
import threading
import time
import uuid

import commerce


def main():
    if not os.environ.get("COMMERCE_PG_URL"):
        sys.exit("set COMMERCE_PG_URL (e.g. tools/pg-cluster run -- python3 examples/python/shared_store.py)")
    schema = "example_" + uuid.uuid4().hex[:12]  # a store of this run's own
    options = dict(driver="postgres",
                   storage={"postgres_schema": schema,
                            # A write group meeting serialization failures is retried this often.
                            "postgres_max_attempts": 10},
                   # Cart expiry and webhook delivery run in one engine at a time; another takes
                   # them over this long after their holder dies.
                   consumer_lease_ttl=5.0)
    with tempfile.TemporaryDirectory() as tmp, \
            commerce.Engine(os.path.join(tmp, "a"), **options) as a, \
            commerce.Engine(os.path.join(tmp, "b"), **options) as b:
        a.catalog.upsert(commerce.Product(id="mug", title="Coffee Mug",
                                          variants=[commerce.Variant(sku="MUG-1", price=commerce.Money(1200, "USD"))]))
        a.inventory.upsert_warehouse(commerce.Warehouse(id="wh", name="Main", region="us-east"))
        a.inventory.receive("MUG-1", "wh", 10)
        a.customers.create(commerce.Customer(id="ada", email="ada@example.com"))

        # a waits on the log while b places an order: a wakes when b's commit is announced.
        last = a.events.last_seq()
        seen = []
        waiter = threading.Thread(target=lambda: seen.append(a.events.wait(last, 5.0)))
        waiter.start()
        time.sleep(0.2)
        start = time.monotonic()
        order = b.orders.place(commerce.PlaceOrder(
            idempotency_key="order-1", customer_id="ada",
            lines=[commerce.OrderLineRequest(sku="MUG-1", quantity=2)],
            shipping_address=commerce.Address(name="Ada", line1="1 Main St", city="Springfield",
                                              region="us-east", country="US")))
        waiter.join()
        print("b placed %s; a's wait woke on it: %s (%.0f ms after b began)"
              % (order.id, seen[0] > last, (time.monotonic() - start) * 1000))
        print("a sees %d available; one event log: %s" % (a.inventory.get("MUG-1").available,
                                                          a.events.last_seq() == b.events.last_seq()))


if __name__ == "__main__":
    main()
