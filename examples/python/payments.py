#!/usr/bin/env python3
"""Payments: an engine with the built-in test provider; an order authorized by the payment
worker and captured when it ships, another declined with its stock released, a refund, and
the provider's ledger keyed by the engine's idempotency keys (docs/payments.md).

    PYTHONPATH=build/python /usr/bin/python3 examples/python/payments.py

The store and the provider's ledger are a temporary directory, removed at the end.
"""

import os
import tempfile
import time

import commerce


def wait(check, timeout=10.0):
    """The worker runs on its own thread: wait (a little) until check() holds."""
    deadline = time.time() + timeout
    while not check():
        if time.time() > deadline:
            raise SystemExit("timed out")
        time.sleep(0.02)


def main():
    with tempfile.TemporaryDirectory(prefix="commerce-payments-") as d:
        provider = commerce.TestPaymentProvider(os.path.join(d, "provider"))
        # Authorizations of exactly 66.60 are declined, as a real provider's test amounts are.
        provider.add_rule("authorize", "decline", amount_minor=6660, reason="insufficient_funds")
        payments = commerce.PaymentOptions(provider=provider)
        with commerce.Engine(os.path.join(d, "shop"), payments=payments,
                             search={"run_indexer": False}) as shop:
            shop.catalog.upsert(commerce.Product(id="tee", title="Tee", variants=[
                commerce.Variant(sku="TEE", price=commerce.Money(2220, "USD"))]))
            shop.inventory.upsert_warehouse(commerce.Warehouse(id="wh", name="Reno", region="us-west"))
            shop.inventory.receive("TEE", "wh", 100)
            shop.customers.create(commerce.Customer(id="ada", email="ada@example.com"))
            address = commerce.Address(name="Ada", line1="1 Main St", city="Reno", region="us-west", country="US")

            def place(key, quantity):
                return shop.orders.place(idempotency_key=key, customer_id="ada", shipping_address=address,
                                         lines=[{"sku": "TEE", "quantity": quantity}])

            order = place("checkout-1", 2)
            print("placed", order.id, order.status)
            wait(lambda: str(shop.orders.get(order.id).status) != "payment_pending")
            payment = shop.payments.get(order.id)
            print("  ->", shop.orders.get(order.id).status, "payment", payment.status, payment.authorized_minor)
            shop.orders.transition(order.id, "fulfilling")
            shop.orders.transition(order.id, "shipped")
            wait(lambda: str(shop.payments.get(order.id).status) == "captured")
            shop.payments.refund(order.id, "goodwill-1", 500)
            wait(lambda: shop.payments.get(order.id).refunded_minor == 500)
            print("  shipped: payment captured, 5.00 refunded")

            declined = place("checkout-2", 3)  # 3 x 22.20 = 66.60
            wait(lambda: str(shop.orders.get(declined.id).status) != "payment_pending")
            print("placed", declined.id, "->", shop.orders.get(declined.id).status,
                  "; TEE reserved now", shop.inventory.get("TEE", "wh").reserved)

            print("provider ledger:")
            for entry in provider.ledger():
                print(" ", entry.idempotency_key, entry.result, entry.amount_minor, *([entry.reason] if entry.reason else []))


if __name__ == "__main__":
    main()
