#!/usr/bin/env python3
"""Returns (docs/returns.md): a delivered order of three tees; two come back (approved,
restocked to a returns desk, refunded by the payment through the built-in test provider's
outbox), the last one is exchanged for a mug (a linked order placed on approval) and written
off; a fourth unit asked for is refused: nothing of the order is left to return.

    PYTHONPATH=build/python /usr/bin/python3 examples/python/returns.py

The store and the provider's ledger are a temporary directory, removed at the end.
"""

import os
import tempfile

import commerce


def main():
    with tempfile.TemporaryDirectory(prefix="commerce-returns-") as d:
        payments = commerce.PaymentOptions(provider=commerce.TestPaymentProvider(os.path.join(d, "provider")))
        # run_background=False: this program runs the payment worker's rounds itself.
        with commerce.Engine(os.path.join(d, "shop"), payments=payments, run_background=False,
                             search={"run_indexer": False}) as shop:
            for pid, sku, price in (("tee", "TEE", 2000), ("mug", "MUG", 1200)):
                shop.catalog.upsert(commerce.Product(id=pid, title=pid.title(), variants=[
                    commerce.Variant(sku=sku, price=commerce.Money(price, "USD"))]))
            shop.inventory.upsert_warehouse(commerce.Warehouse(id="wh", name="Reno", region="us-west"))
            shop.inventory.upsert_warehouse(commerce.Warehouse(id="desk", name="Returns desk", region="us-west",
                                                               priority=2))
            shop.inventory.receive("TEE", "wh", 10)
            shop.inventory.receive("MUG", "wh", 10)
            shop.customers.create(commerce.Customer(id="ada", email="ada@example.com"))
            address = commerce.Address(name="Ada", line1="1 Main St", city="Reno", region="us-west", country="US")
            order = shop.orders.place(idempotency_key="checkout-1", customer_id="ada", shipping_address=address,
                                      lines=[{"sku": "TEE", "quantity": 3}])
            shop.run_background_once()  # the payment authorized: paid
            for to in ("fulfilling", "shipped"):
                shop.orders.transition(order.id, to)
            shop.run_background_once()  # captured at shipment
            shop.orders.transition(order.id, "delivered")

            r = shop.returns.request(commerce.RequestReturn(
                order_id=order.id, lines=[{"sku": "TEE", "quantity": 2, "reason": "too small"}]))
            print("return", r.status, "of", r.lines[0].quantity, "refund due", r.refund.minor)
            shop.returns.approve(r.id)
            r = shop.returns.receive(r.id, [commerce.ReceiveLine(sku="TEE", warehouse_id="desk")])
            print("  ->", r.status, r.lines[0].disposition, "to", r.lines[0].warehouse_id,
                  "; on hand at the desk", shop.inventory.get("TEE", "desk").on_hand)
            r = shop.returns.refund(r.id)
            shop.run_background_once()  # the payment worker asks the provider
            print("  ->", r.status, "by", r.refund_method, "; payment refunded",
                  shop.payments.get(order.id).refunded_minor)

            x = shop.returns.request(commerce.RequestReturn(
                order_id=order.id, lines=[{"sku": "TEE", "quantity": 1, "reason": "wanted a mug"}],
                exchange_lines=[{"sku": "MUG", "quantity": 1}]))
            x = shop.returns.approve(x.id)
            exchange = shop.orders.get(x.exchange_order_id)
            print("exchange order", exchange.lines[0].sku, exchange.status)
            x = shop.returns.receive(x.id, [commerce.ReceiveLine(sku="TEE", write_off=True)])
            print("  ->", x.status, x.lines[0].disposition)
            try:
                shop.returns.request(commerce.RequestReturn(order_id=order.id, lines=[{"sku": "TEE", "quantity": 1}]))
            except commerce.FailedPrecondition as e:
                print("refused:", e)
            print("returns of the order:", [str(y.status) for y in shop.returns.list_by_order(order.id)])


if __name__ == "__main__":
    main()
