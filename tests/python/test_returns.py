"""Returns through Python (docs/returns.md): the whole path with its events, partial
quantities, restock and write-off, a refund through the payment's outbox, an exchange, and
bad input for each call."""

import pytest

import commerce
from conftest import address, make_product, open_engine


@pytest.fixture(params=[False, True], ids=["manual", "payment"])
def store(tmp_path, request):
    options = {}
    if request.param:
        options["payments"] = commerce.PaymentOptions(provider=commerce.TestPaymentProvider(tmp_path / "provider"))
    with open_engine(tmp_path / "store", "lmdb", **options) as e:
        e.catalog.upsert(make_product("tee", ["TEE"], 1000))
        e.catalog.upsert(make_product("mug", ["MUG"], 800))
        e.inventory.upsert_warehouse(commerce.Warehouse(id="wh", name="Main", region="us-east"))
        e.inventory.upsert_warehouse(commerce.Warehouse(id="back", name="Returns", region="us-east", priority=2))
        e.inventory.upsert_warehouse(commerce.Warehouse(id="shut", name="Shut", region="us-east", active=False))
        e.inventory.receive("TEE", "wh", 100)
        e.inventory.receive("MUG", "wh", 100)
        e.customers.create(commerce.Customer(id="c1", email="ada@example.com"))
        yield e, request.param


def delivered(e, paying, key="k1", quantity=3):
    o = e.orders.place(idempotency_key=key, customer_id="c1", lines=[{"sku": "TEE", "quantity": quantity}],
                       shipping_address=address())
    if paying:
        e.run_background_once()
    else:
        e.orders.transition(o.id, "paid")
    e.orders.transition(o.id, "fulfilling")
    e.orders.transition(o.id, "shipped")
    e.run_background_once()
    return e.orders.transition(o.id, "delivered")


def test_requested_approved_received_refunded(store):
    e, paying = store
    o = delivered(e, paying)
    r = e.returns.request(commerce.RequestReturn(order_id=o.id, lines=[{"sku": "TEE", "quantity": 2, "reason": "small"}]))
    assert r.status == commerce.ReturnStatus.REQUESTED and str(r.status) == "requested"
    assert r.id.startswith("ret-") and r.refund.minor > 0
    with pytest.raises(commerce.FailedPrecondition, match="has 1 of its 3 left"):
        e.returns.request(commerce.RequestReturn(order_id=o.id, lines=[{"sku": "TEE", "quantity": 2}]))
    r = e.returns.approve(r.id, note="ok")
    r = e.returns.receive(r.id, [commerce.ReceiveLine(sku="TEE", warehouse_id="back")])
    assert r.lines[0].disposition == commerce.ReturnDisposition.RESTOCKED
    assert e.inventory.get("TEE", "back").on_hand == 2
    due = r.refund.minor
    r = e.returns.refund(r.id)
    assert r.status == commerce.ReturnStatus.REFUNDED and r.refund.minor == due
    if paying:
        assert r.refund_method == commerce.RefundMethod.PAYMENT and r.refund_id == r.id
        e.run_background_once()
        assert e.payments.get(o.id).refunded_minor == due
    else:
        assert str(r.refund_method) == "manual"
    assert [h.to_status for h in r.history][-1] == commerce.ReturnStatus.REFUNDED
    assert e.returns.get(r.id) == r
    assert [x.id for x in e.returns.list_by_order(o.id)] == [r.id]
    types = [ev.type for ev in e.events.tail(1, 1000) if ev.type.startswith("Return")]
    assert types == ["ReturnRequested", "ReturnApproved", "ReturnReceived", "ReturnRefunded"]


def test_write_off_exchange_and_cancel(store):
    e, paying = store
    o = delivered(e, paying)
    x = e.returns.request(commerce.RequestReturn(order_id=o.id, lines=[{"sku": "TEE", "quantity": 1}],
                                                 exchange_lines=[{"sku": "MUG", "quantity": 1}], idempotency_key="rma-1"))
    assert e.returns.request(commerce.RequestReturn(order_id=o.id, lines=[{"sku": "TEE", "quantity": 1}],
                                                    exchange_lines=[{"sku": "MUG", "quantity": 1}],
                                                    idempotency_key="rma-1")).id == x.id
    # request_or_replay says which answer was a retry (HTTP: Idempotent-Replayed).
    again = e.returns.request_or_replay(commerce.RequestReturn(
        order_id=o.id, lines=[{"sku": "TEE", "quantity": 1}], exchange_lines=[{"sku": "MUG", "quantity": 1}],
        idempotency_key="rma-1"))
    assert again.replayed is True and again.ret == x
    fresh = e.returns.request_or_replay(commerce.RequestReturn(order_id=o.id, lines=[{"sku": "TEE", "quantity": 1}],
                                                               idempotency_key="rma-2"))
    assert fresh.replayed is False and fresh.ret.id != x.id
    assert e.returns.cancel(fresh.ret.id).status == commerce.ReturnStatus.CANCELLED
    x = e.returns.approve(x.id)
    exchange = e.orders.get(x.exchange_order_id)
    assert exchange.idempotency_key == "return:" + x.id + ":exchange"
    x = e.returns.receive(x.id, [commerce.ReceiveLine(sku="TEE", write_off=True)])
    assert x.lines[0].disposition == commerce.ReturnDisposition.WRITTEN_OFF
    c = e.returns.request(commerce.RequestReturn(order_id=o.id, lines=[{"sku": "TEE", "quantity": 2}]))
    assert e.returns.cancel(c.id).status == commerce.ReturnStatus.CANCELLED


def test_bad_input(store):
    e, paying = store
    o = delivered(e, paying)
    with pytest.raises(commerce.InvalidArgument):
        e.returns.request(commerce.RequestReturn(order_id=o.id, lines=[]))
    with pytest.raises(commerce.InvalidArgument):
        e.returns.request(commerce.RequestReturn(order_id=o.id, lines=[{"sku": "TEE", "quantity": 0}]))
    with pytest.raises(commerce.InvalidArgument, match="not in order"):
        e.returns.request(commerce.RequestReturn(order_id=o.id, lines=[{"sku": "MUG", "quantity": 1}]))
    with pytest.raises(commerce.NotFound):
        e.returns.request(commerce.RequestReturn(order_id="ord-ffffffffffffffff", lines=[{"sku": "TEE", "quantity": 1}]))
    with pytest.raises(commerce.NotFound):
        e.returns.get("ret-ffffffffffffffff")
    r = e.returns.request(commerce.RequestReturn(order_id=o.id, lines=[{"sku": "TEE", "quantity": 1}]))
    with pytest.raises(commerce.FailedPrecondition, match="cannot go from requested to refunded"):
        e.returns.refund(r.id)
    with pytest.raises(commerce.Conflict):
        e.returns.approve(r.id, if_version=r.version + 1)
    e.returns.approve(r.id)
    with pytest.raises(commerce.FailedPrecondition):
        e.returns.receive(r.id, [commerce.ReceiveLine(sku="TEE", warehouse_id="shut")])
    with pytest.raises(commerce.InvalidArgument):
        e.returns.receive(r.id, [])
    e.returns.receive(r.id, [commerce.ReceiveLine(sku="TEE", warehouse_id="wh")])
    with pytest.raises(commerce.InvalidArgument):
        e.returns.refund(r.id, -1)
    with pytest.raises(commerce.FailedPrecondition, match="past what is left"):
        e.returns.refund(r.id, o.total.minor + 1)


def test_list_returns_by_status_and_customer(store):
    e, paying = store
    e.customers.create(commerce.Customer(id="c2", email="bob@example.com"))
    ids = {}
    for key in ("a", "b", "c"):
        o = delivered(e, paying, key=key)
        ids[key] = e.returns.request(commerce.RequestReturn(order_id=o.id, lines=[{"sku": "TEE", "quantity": 1}])).id
    e.returns.approve(ids["a"])
    page = commerce.list_returns(e, statuses=["requested"])
    assert {r.id for r in page.items} == {ids["b"], ids["c"]} and page.next_cursor == ""
    assert [r.id for r in commerce.list_returns(e, statuses=[commerce.ReturnStatus.APPROVED]).items] == [ids["a"]]
    seen, cursor = [], ""
    while True:
        page = commerce.list_returns(e, customer_id="c1", limit=1, cursor=cursor)
        seen += [r.id for r in page.items]
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert sorted(seen) == seen and set(seen) == set(ids.values())
    assert commerce.list_returns(e, customer_id="c2").items == []
    with pytest.raises(commerce.NotFound):
        commerce.list_returns(e, customer_id="nobody")
    with pytest.raises(commerce.InvalidArgument):
        commerce.list_returns(e, limit=0)
    with pytest.raises(TypeError):  # not a ReturnStatus name: pybind11 finds no conversion
        commerce.list_returns(e, statuses=["lost"])


def test_cancelling_an_approved_exchange_cancels_its_order(store):
    e, paying = store
    o = delivered(e, paying)
    r = e.returns.request(commerce.RequestReturn(order_id=o.id, lines=[{"sku": "TEE", "quantity": 1}],
                                                 exchange_lines=[{"sku": "MUG", "quantity": 1}]))
    r = e.returns.approve(r.id)
    assert str(e.orders.get(r.exchange_order_id).status) != "cancelled"
    r = e.returns.cancel(r.id)
    assert str(e.orders.get(r.exchange_order_id).status) == "cancelled"
