"""Payments through Python (docs/payments.md): the test provider, an order authorized and
captured, a declined one releasing its stock, refunds and their bad input, provider webhooks
and their bad input. The worker is driven with run_background_once()."""

import time

import pytest

import commerce
from conftest import address, make_product, open_engine

SECRET = "whsec_0123456789abcdef"


@pytest.fixture
def paying(tmp_path):
    provider = commerce.TestPaymentProvider(tmp_path / "provider")
    payments = commerce.PaymentOptions(provider=provider, retry_initial=0.01, retry_max=0.02,
                                       webhook_secret=SECRET)
    with open_engine(tmp_path / "store", "lmdb", payments=payments) as e:
        e.catalog.upsert(make_product("tee", ["TEE"], 1000))
        e.inventory.upsert_warehouse(commerce.Warehouse(id="wh", name="Main", region="us-east"))
        e.inventory.receive("TEE", "wh", 100)
        e.customers.create(commerce.Customer(id="c1", email="ada@example.com"))
        yield e, provider


def place(e, key, quantity=2):
    return e.orders.place(idempotency_key=key, customer_id="c1", lines=[{"sku": "TEE", "quantity": quantity}],
                          shipping_address=address())


def reserved(e):
    return e.inventory.get("TEE", "wh").reserved


def test_without_a_provider_orders_are_as_before(shop):
    assert not shop.payments.enabled
    shop.inventory.receive("MUG", "east-1", 5)
    o = shop.orders.place(idempotency_key="k", customer_id="c1", lines=[{"sku": "MUG", "quantity": 1}], shipping_address=address())
    assert o.status == commerce.OrderStatus.PLACED
    with pytest.raises(commerce.NotFound):
        shop.payments.get(o.id)
    with pytest.raises(commerce.FailedPrecondition):
        shop.payments.refund(o.id, "r1", 100)


def test_authorized_captured_refunded(paying):
    e, provider = paying
    assert e.payments.enabled
    o = place(e, "k1")
    assert o.status == commerce.OrderStatus.PAYMENT_PENDING and str(o.status) == "payment_pending"
    p = e.payments.get(o.id)
    assert p.status == commerce.PaymentStatus.PENDING and p.amount == o.total
    assert p.id == "pay-" + o.id[4:]
    with pytest.raises(commerce.FailedPrecondition):
        e.orders.transition(o.id, "paid")  # only the worker
    e.run_background_once()
    assert e.orders.get(o.id).status == commerce.OrderStatus.PAID
    assert str(e.payments.get(o.id).status) == "authorized"
    e.orders.transition(o.id, "fulfilling")
    e.orders.transition(o.id, "shipped")
    e.run_background_once()
    p = e.payments.get(o.id)
    assert p.status == commerce.PaymentStatus.CAPTURED and p.captured_minor == o.total.minor
    p = e.payments.refund(o.id, "r1", 500)
    assert p.refund_pending_minor == 500 and p.refunds[0].id == "r1"
    assert e.payments.refund(o.id, "r1", 500).version == p.version  # the same refund: nothing more
    e.run_background_once()
    p = e.payments.get(o.id)
    assert p.refunded_minor == 500 and p.refunds[0].status == commerce.RefundStatus.SUCCEEDED
    ledger = provider.ledger()
    assert [(x.operation, x.result) for x in ledger] == [
        (commerce.PaymentOperation.AUTHORIZE, commerce.PaymentResult.SUCCEEDED),
        (commerce.PaymentOperation.CAPTURE, commerce.PaymentResult.SUCCEEDED),
        (commerce.PaymentOperation.REFUND, commerce.PaymentResult.SUCCEEDED)]
    assert ledger[0].idempotency_key == p.id + ":authorize"
    types = [ev.type for ev in e.events.tail(1, 1000) if ev.type.startswith("Payment")]
    assert types == ["PaymentAuthorized", "PaymentCaptured", "PaymentRefunded"]


def test_declined_releases_stock_and_timeouts_are_retried_with_the_same_key(paying):
    e, provider = paying
    provider.add_rule("authorize", "decline", amount_minor=3000, reason="insufficient_funds")
    provider.add_rule("authorize", commerce.TestPaymentAnswer.TIMEOUT, times=1)
    declined = place(e, "k1", 3)
    assert reserved(e) == 3
    e.run_background_once()
    assert e.orders.get(declined.id).status == commerce.OrderStatus.PAYMENT_DECLINED
    assert e.payments.get(declined.id).reason == "insufficient_funds"
    assert reserved(e) == 0
    o = place(e, "k2", 1)
    e.run_background_once()
    assert str(e.orders.get(o.id).status) == "payment_pending"
    assert e.payments.get(o.id).last_error != ""
    for _ in range(100):
        time.sleep(0.02)
        e.run_background_once()
        if str(e.orders.get(o.id).status) != "payment_pending":
            break
    assert str(e.orders.get(o.id).status) == "paid"
    keys = [x.idempotency_key for x in provider.ledger()]
    assert keys.count(e.payments.get(o.id).id + ":authorize") == 1  # asked twice, recorded once
    assert provider.calls() == 3


def test_refund_bad_input(paying):
    e, _ = paying
    o = place(e, "k1")
    with pytest.raises(commerce.FailedPrecondition):
        e.payments.refund(o.id, "r1", 100)  # not captured
    e.run_background_once()
    e.orders.transition(o.id, "fulfilling")
    e.orders.transition(o.id, "shipped")
    e.run_background_once()
    for args, error in [((o.id, "", 1), commerce.InvalidArgument), ((o.id, "r 1", 1), commerce.InvalidArgument),
                        ((o.id, "order-refunded", 1), commerce.InvalidArgument),
                        ((o.id, "r1", 0), commerce.InvalidArgument), ((o.id, "r1", -1), commerce.InvalidArgument),
                        (("ord-0000000000000000", "r1", 1), commerce.NotFound),
                        ((o.id, "r1", o.total.minor + 1), commerce.FailedPrecondition)]:
        with pytest.raises(error):
            e.payments.refund(*args)
    e.payments.refund(o.id, "r1", 10)
    with pytest.raises(commerce.Conflict):
        e.payments.refund(o.id, "r1", 11)


def test_provider_webhooks(paying):
    e, provider = paying
    provider.set_webhook_secret(SECRET)
    provider.add_rule("authorize", "answer_twice", times=1)
    o = place(e, "k1")
    e.run_background_once()
    version = e.payments.get(o.id).version
    (sig1, body1), (sig2, body2) = provider.take_webhooks()
    assert e.payments.handle_webhook("test", sig1, body1) is False
    assert e.payments.handle_webhook("test", sig2, body2.encode()) is True  # the same event again
    assert e.payments.get(o.id).version == version
    now = int(time.time())
    for provider_name, sig, body, error in [
            ("test", "t=1,v1=00", body1, commerce.InvalidArgument),
            ("test", commerce.webhook_signature(SECRET, now - 3600, body1), body1, commerce.InvalidArgument),
            ("test", commerce.webhook_signature("another_secret_0123", now, body1), body1, commerce.InvalidArgument),
            ("stripe", commerce.webhook_signature(SECRET, now, body1), body1, commerce.NotFound),
            ("test", commerce.webhook_signature(SECRET, now, "{}"), "{}", commerce.InvalidArgument)]:
        with pytest.raises(error):
            e.payments.handle_webhook(provider_name, sig, body)


def test_bad_options(tmp_path):
    provider = commerce.TestPaymentProvider(tmp_path / "p")
    assert provider.name == "test"
    with pytest.raises(commerce.InvalidArgument):
        open_engine(tmp_path / "s", "lmdb", payments=commerce.PaymentOptions(provider=provider, webhook_secret="short"))
    with pytest.raises(commerce.InvalidArgument):
        commerce.TestPaymentProvider("")
    with pytest.raises(TypeError):  # not an operation's name
        provider.add_rule("authorise", "decline")
