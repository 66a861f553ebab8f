"""Carts and orders end to end through Python, with the bad inputs of
tests/unit/cart_carts_test.cpp and order_order_test.cpp; listings, iterators and the
DataFrame exports."""

import datetime
import decimal
import time

import pytest

import commerce
from conftest import address, last_seq

MAXQ = commerce.MAX_QUANTITY


def stock(shop, sku, wh, qty):
    shop.inventory.receive(sku, wh, qty)


def test_cart_flow_and_merge(shop):
    carts = shop.carts
    cart = carts.create(id="c1", customer_id="c1")
    assert (cart.id, cart.customer_id, cart.currency) == ("c1", "c1", "USD")
    cart = carts.add("c1", "TEE-S", 2)
    cart = carts.add("c1", "MUG")
    assert [l.sku for l in cart.lines] == ["MUG", "TEE-S"]
    assert cart.subtotal == commerce.Money(2 * 1999 + 999, "USD") and cart.item_count == 3
    assert carts.set_quantity("c1", "MUG", 4).item_count == 6
    assert carts.remove("c1", "MUG").item_count == 2
    # A copy edited on a device merges back without losing an add.
    state = carts.state("c1")
    commerce.cart_state_add(state, "device-1", "TEE-M", 1, commerce.Money(1999, "USD"), 1)
    assert commerce.cart_state_quantity(state, "TEE-M") == 1
    carts.add("c1", "TEE-S", 1)  # meanwhile, on the server
    merged = carts.merge("c1", state)
    assert {l.sku: l.quantity for l in merged.lines} == {"TEE-M": 1, "TEE-S": 3}
    a = carts.state("c1")
    assert commerce.merge_cart_states(a, a) == a
    assert carts.clear("c1").lines == []
    guest = carts.create()
    assert guest.id.startswith("cart-") and guest.customer_id == ""
    carts.add(guest.id, "MUG", 2)
    mine = carts.merge_guest_into_customer(guest.id, "c1")
    assert mine.id == "c1" and mine.item_count == 2
    carts.remove_cart("c1")
    with pytest.raises(commerce.NotFound):
        carts.get("c1")


def test_cart_create_bad_input(shop):
    carts = shop.carts
    carts.create(id="taken")
    seq = last_seq(shop)
    cases = [
        (dict(id="taken"), commerce.AlreadyExists, "id"),
        (dict(id="fresh", currency="XYZ"), commerce.InvalidArgument, "currency"),
        (dict(id="fresh", currency="usd"), commerce.InvalidArgument, "currency"),
        (dict(id="fresh", customer_id="nobody"), commerce.NotFound, "customer_id"),
        (dict(id="x" * 65), commerce.InvalidArgument, "id"),
        (dict(id=" padded"), commerce.InvalidArgument, "id"),
    ]
    for kwargs, cls, text in cases:
        with pytest.raises(cls, match=text):
            carts.create(commerce.NewCart(**kwargs))
    assert last_seq(shop) == seq
    with pytest.raises(commerce.NotFound):
        carts.get("fresh")


def test_cart_bad_input_writes_nothing(shop):
    carts = shop.carts
    carts.create(id="c1")
    carts.add("c1", "TEE-S", 2)
    carts.add("c1", "MUG", MAXQ - 1)
    before, seq = carts.state("c1"), last_seq(shop)
    cases = [
        (lambda: carts.add("c1", "NO-SUCH-SKU", 1), commerce.NotFound, "NO-SUCH-SKU"),
        (lambda: carts.add("c1", "TEE-S", 0), commerce.InvalidArgument, "quantity"),
        (lambda: carts.add("c1", "TEE-S", -1), commerce.InvalidArgument, "quantity"),
        (lambda: carts.add("c1", "TEE-S", MAXQ + 1), commerce.InvalidArgument, "quantity"),
        (lambda: carts.add("c1", "TEE-S", 2**63 - 1), commerce.InvalidArgument, "quantity"),
        (lambda: carts.add("c1", "MUG", 2), commerce.InvalidArgument, "quantity"),
        (lambda: carts.add("c1", "OLD", 1), commerce.InvalidArgument, "archived"),
        (lambda: carts.add("c1", "SOON", 1), commerce.InvalidArgument, "draft"),
        (lambda: carts.add("c1", "MUG-EUR", 1), commerce.InvalidArgument, "currency"),
        (lambda: carts.add("c1", "GOLD", 1001), commerce.InvalidArgument, "GOLD"),
        (lambda: carts.add("c1", "", 1), commerce.InvalidArgument, "sku"),
        (lambda: carts.add("no-cart", "TEE-S", 1), commerce.NotFound, "cart_id"),
        (lambda: carts.add("", "TEE-S", 1), commerce.InvalidArgument, "cart_id"),
        (lambda: carts.set_quantity("c1", "TEE-S", -5), commerce.InvalidArgument, "quantity"),
        (lambda: carts.set_quantity("c1", "TEE-S", MAXQ + 1), commerce.InvalidArgument, "quantity"),
        (lambda: carts.set_quantity("c1", "OLD", 1), commerce.InvalidArgument, "archived"),
        (lambda: carts.set_quantity("c1", "NO-SUCH-SKU", 1), commerce.NotFound, "sku"),
        (lambda: carts.set_quantity("no-cart", "TEE-S", 1), commerce.NotFound, "cart_id"),
        (lambda: carts.remove("no-cart", "TEE-S"), commerce.NotFound, "cart_id"),
        (lambda: carts.clear("no-cart"), commerce.NotFound, "cart_id"),
        (lambda: carts.get("no-cart"), commerce.NotFound, "cart_id"),
        (lambda: carts.state("no-cart"), commerce.NotFound, "cart_id"),
        (lambda: carts.remove_cart("no-cart"), commerce.NotFound, "cart_id"),
    ]
    for call, cls, text in cases:
        with pytest.raises(cls) as info:
            call()
        assert type(info.value) is cls and text in str(info.value), str(info.value)
    assert carts.state("c1") == before and last_seq(shop) == seq
    with pytest.raises(TypeError):
        carts.add("c1", "TEE-S", 2**64)  # not an int64: refused before the engine


def test_cart_merge_rejections(shop):
    carts = shop.carts
    carts.create(id="c1")
    carts.add("c1", "TEE-S", 1)
    good = carts.state("c1")

    def spoiled(**changes):
        s = commerce.CartState.from_dict(good.to_dict())
        for k, v in changes.items():
            setattr(s, k, v)
        return s

    def with_add(quantity, price):
        lines = dict(good.lines)
        lines["MUG"] = commerce.CartLineState(adds=[commerce.CartAdd(
            dot=commerce.CartDot(replica="dev", counter=1), quantity=quantity, unit_price=price, time_ms=1)])
        return spoiled(lines=lines)

    cases = [
        (spoiled(cart_id="c2"), commerce.InvalidArgument, "cart_id"),
        (spoiled(currency="EUR"), commerce.InvalidArgument, "currency"),
        (with_add(0, commerce.Money(100, "USD")), commerce.InvalidArgument, "quantity"),
        (with_add(1, commerce.Money(100, "EUR")), commerce.InvalidArgument, "currency"),
        (with_add(1, commerce.Money(-5, "USD")), commerce.InvalidArgument, "unit_price"),
        (spoiled(customer_id="ghost", customer_time_ms=2**63 - 1), commerce.NotFound, "customer_id"),
    ]
    lines = dict(good.lines)
    lines["MUG"] = commerce.CartLineState(
        removed=[commerce.CartDot(replica="dev", counter=i) for i in range(1, 2 * commerce.MAX_CART_DOTS + 1)])
    cases.append((spoiled(lines=lines), commerce.ResourceExhausted, "20000"))
    for state, cls, text in cases:
        with pytest.raises(cls) as info:
            carts.merge("c1", state)
        assert text in str(info.value)
    with pytest.raises(commerce.NotFound, match="cart_id"):
        carts.merge("missing", good)
    assert carts.state("c1") == good


def test_order_life_and_idempotency(shop):
    stock(shop, "TEE-M", "east-1", 5)
    stock(shop, "MUG", "east-1", 3)
    shop.carts.create(id="cart-1", customer_id="c1")
    shop.carts.add("cart-1", "TEE-M", 2)
    req = dict(idempotency_key="k1", customer_id="c1", cart_id="cart-1", shipping_address=address())
    o = shop.orders.place(**req)
    assert o.id.startswith("ord-") and o.status == commerce.OrderStatus.PLACED
    assert o.total == commerce.Money(2 * 1999, "USD") and o.shipments[0].warehouse_id == "east-1"
    assert shop.carts.get("cart-1").lines == []  # the cart is cleared
    assert shop.orders.place(commerce.PlaceOrder(**req)) == o  # same key: the same order
    assert shop.inventory.get("TEE-M", "east-1").reserved == 2
    for to in ("paid", "fulfilling", commerce.OrderStatus.SHIPPED, "delivered"):
        o = shop.orders.transition(o.id, to, note="step")
    assert o.status == commerce.OrderStatus.DELIVERED and len(o.history) == 5
    assert shop.inventory.get("TEE-M", "east-1").on_hand == 3
    o = shop.orders.transition(o.id, "returned", restock=True)
    assert shop.inventory.get("TEE-M", "east-1").on_hand == 5
    o2 = shop.orders.place({"idempotency_key": "k2", "customer_id": "c1", "lines": [{"sku": "MUG", "quantity": 1}],
                            "shipping_address": address().to_dict()})
    cancelled = shop.orders.transition(o2.id, "cancelled")
    assert cancelled.status == commerce.OrderStatus.CANCELLED
    assert shop.inventory.get("MUG", "east-1").reserved == 0
    with pytest.raises(commerce.FailedPrecondition, match="cannot go from cancelled"):
        shop.orders.transition(o2.id, "paid")
    with pytest.raises(TypeError):
        shop.orders.place(commerce.PlaceOrder(), idempotency_key="x")


def test_place_or_replay_says_whether_the_key_placed_before(shop):
    stock(shop, "MUG", "east-1", 5)
    req = dict(idempotency_key="r1", customer_id="c1", lines=[{"sku": "MUG", "quantity": 1}],
               shipping_address=address())
    first = shop.orders.place_or_replay(**req)
    assert isinstance(first, commerce.PlacedOrder) and first.replayed is False
    again = shop.orders.place_or_replay(commerce.PlaceOrder(**req))
    assert again.replayed is True and again.order == first.order
    assert shop.inventory.get("MUG", "east-1").reserved == 1  # the replay wrote nothing
    assert shop.orders.place_or_replay(dict(req, idempotency_key="r2")).replayed is False
    with pytest.raises(commerce.Conflict, match="idempotency_key: 'r1'"):
        shop.orders.place_or_replay(dict(req, lines=[{"sku": "MUG", "quantity": 2}]))
    with pytest.raises(TypeError):
        shop.orders.place_or_replay(commerce.PlaceOrder(), idempotency_key="x")


def test_an_access_token_opens_its_own_order_only(shop):
    stock(shop, "MUG", "east-1", 5)
    base = dict(customer_id="c1", lines=[{"sku": "MUG", "quantity": 1}], shipping_address=address())
    a = shop.orders.place(idempotency_key="t1", **base)
    b = shop.orders.place(idempotency_key="t2", **base)
    assert a.access_token.startswith("ot_") and len(a.access_token) == 35
    assert a.access_token != b.access_token
    assert shop.orders.get_by_token(a.id, a.access_token) == a
    for token in (b.access_token, "", a.access_token[:-1]):
        with pytest.raises(commerce.NotFound, match="no order with id '%s'" % a.id):
            shop.orders.get_by_token(a.id, token)


def test_a_generated_cart_id_carries_128_random_bits(shop):
    cart = shop.carts.create(customer_id="c1")
    assert cart.id.startswith("cart-") and len(cart.id) == 5 + 32


def test_transition_bad_input(shop):
    stock(shop, "MUG", "east-1", 10)
    o = shop.orders.place(idempotency_key="k", customer_id="c1", lines=[{"sku": "MUG", "quantity": 1}],
                          shipping_address=address())
    seq = last_seq(shop)
    cases = [
        (lambda: shop.orders.transition("ord-ffffffffffffffff", "paid"), commerce.NotFound, "ord-ffffffffffffffff"),
        (lambda: shop.orders.transition("", "paid"), commerce.InvalidArgument, "order_id: "),
        (lambda: shop.orders.transition(o.id, "paid", if_version=7), commerce.Conflict, "is at version 1, not 7"),
        (lambda: shop.orders.transition(o.id, "cancelled", restock=True), commerce.InvalidArgument, "restock: "),
        (lambda: shop.orders.transition(o.id, "paid", note="n" * 501), commerce.InvalidArgument, "note: 501 bytes"),
        (lambda: shop.orders.transition(o.id, commerce.OrderStatus(42)), commerce.InvalidArgument, "to: 42"),
        (lambda: shop.orders.transition(o.id, "placed"), commerce.FailedPrecondition,
         "cannot go from placed to placed (from placed: paid, cancelled)"),
    ]
    for call, cls, text in cases:
        with pytest.raises(cls) as info:
            call()
        assert text in str(info.value), str(info.value)
    assert last_seq(shop) == seq
    with pytest.raises(TypeError):
        shop.orders.transition(o.id, "lost")  # not a status name: refused before the engine
    assert shop.orders.transition(o.id, "paid", note="n" * 500, if_version=1).version == 2


PLACE_BAD = [
    ({"idempotency_key": ""}, commerce.InvalidArgument, "idempotency_key: is empty"),
    ({"idempotency_key": "k" * 129}, commerce.InvalidArgument, "idempotency_key: is 129 bytes"),
    ({"idempotency_key": "a\nb"}, commerce.InvalidArgument, "idempotency_key: contains a control character"),
    ({"customer_id": ""}, commerce.InvalidArgument, "customer_id: "),
    ({"customer_id": "c9"}, commerce.NotFound, "customer_id: no customer with id 'c9'"),
    ({"lines": []}, commerce.InvalidArgument, "lines: 0 lines"),
    ({"lines": [{"sku": "S%d" % i, "quantity": 1} for i in range(501)]}, commerce.InvalidArgument, "lines: 501 lines"),
    ({"cart_id": "cart-1"}, commerce.InvalidArgument, "lines: given with cart_id"),
    ({"lines": [{"sku": "TEE-M", "quantity": 1}, {"sku": "NOPE", "quantity": 1}]}, commerce.NotFound,
     "lines[1].sku: no product has sku 'NOPE'"),
    ({"lines": [{"sku": "", "quantity": 1}, {"sku": "MUG", "quantity": 1}]}, commerce.InvalidArgument, "lines[0].sku: "),
    ({"lines": [{"sku": "TEE-M", "quantity": 0}, {"sku": "MUG", "quantity": 1}]}, commerce.InvalidArgument,
     "lines[0].quantity: 0; expected 1..1000000"),
    ({"lines": [{"sku": "TEE-M", "quantity": 1}, {"sku": "MUG", "quantity": -3}]}, commerce.InvalidArgument,
     "lines[1].quantity: -3"),
    ({"lines": [{"sku": "TEE-M", "quantity": MAXQ + 1}, {"sku": "MUG", "quantity": 1}]}, commerce.InvalidArgument,
     "lines[0].quantity: 1000001"),
    ({"lines": [{"sku": "TEE-M", "quantity": 1}, {"sku": "MUG", "quantity": 1}, {"sku": "TEE-M", "quantity": 1}]},
     commerce.InvalidArgument, "lines[2].sku: 'TEE-M' repeats lines[0]"),
    ({"lines": [{"sku": "TEE-M", "quantity": 1}, {"sku": "OLD", "quantity": 1}]}, commerce.InvalidArgument,
     "lines[1].sku: sku 'OLD' belongs to product 'old', which is archived"),
    ({"lines": [{"sku": "TEE-M", "quantity": 1}, {"sku": "SOON", "quantity": 1}]}, commerce.InvalidArgument,
     "lines[1].sku: sku 'SOON' belongs to product 'soon', which is draft"),
    ({"currency": "EUR"}, commerce.InvalidArgument, "lines[0].sku: sku 'TEE-M' is priced in USD; the order is in EUR"),
    ({"lines": [{"sku": "TEE-M", "quantity": 1}, {"sku": "MUG-EUR", "quantity": 1}]}, commerce.InvalidArgument,
     "lines[1].sku: sku 'MUG-EUR' is priced in EUR; the order is in USD"),
    ({"currency": "XYZ"}, commerce.InvalidArgument, "currency: 'XYZ'"),
    ({"shipping_address": address(region="")}, commerce.InvalidArgument, "shipping_address.region: "),
    ({"shipping_address": address(name="")}, commerce.InvalidArgument, "shipping_address.name: "),
    ({"shipping_address": address(line1="")}, commerce.InvalidArgument, "shipping_address.line1: "),
    ({"shipping_address": address(city="")}, commerce.InvalidArgument, "shipping_address.city: "),
    ({"shipping_address": address(country="us")}, commerce.InvalidArgument, "shipping_address.country: "),
    ({"lines": [{"sku": "TEE-M", "quantity": 6}, {"sku": "MUG", "quantity": 1}]}, commerce.OutOfStock,
     "sku 'TEE-M': 5 available in total, 6 requested"),
    ({"lines": [{"sku": "TEE-M", "quantity": 1}, {"sku": "GOLD", "quantity": 2}]}, commerce.InvalidArgument,
     "lines[1].sku: 2 x 1000000000000000 USD minor units is past the largest amount"),
    ({"lines": [{"sku": "TEE-M", "quantity": 1}, {"sku": "GOLD", "quantity": 1}]}, commerce.InvalidArgument,
     "subtotal: past the largest amount"),
    ({"idempotency_key": "existing"}, commerce.Conflict, "idempotency_key: 'existing' was used for a different request"),
]


def test_place_bad_input_raises_with_the_engines_message(shop):
    for sku, qty in (("TEE-M", 5), ("MUG", 3), ("OLD", 5), ("GOLD", 5), ("MUG-EUR", 5), ("SOON", 5)):
        shop.inventory.receive(sku, "east-1" if sku != "MUG" else "east-2", qty)
    shop.orders.place(idempotency_key="existing", customer_id="c1", lines=[{"sku": "MUG", "quantity": 1}],
                      shipping_address=address())
    seq = last_seq(shop)
    for spoil, cls, prefix in PLACE_BAD:
        req = dict(idempotency_key="fresh-key", customer_id="c1", shipping_address=address(),
                   lines=[{"sku": "TEE-M", "quantity": 1}, {"sku": "MUG", "quantity": 1}])
        req.update(spoil)
        with pytest.raises(cls) as info:
            shop.orders.place(**req)
        assert type(info.value) is cls
        assert str(info.value).startswith(prefix), (prefix, str(info.value))
        assert last_seq(shop) == seq
    assert shop.orders.place(idempotency_key="fresh-key", customer_id="c1", shipping_address=address(),
                             lines=[{"sku": "TEE-M", "quantity": 1}, {"sku": "MUG", "quantity": 1}])


def test_listings_iterators_and_dataframes(shop):
    pd = pytest.importorskip("pandas")
    stock(shop, "MUG", "east-1", 100)
    stock(shop, "TEE-S", "east-1", 100)
    shop.customers.create(commerce.Customer(id="c2", email="bob@example.com"))
    ids = []
    for i in range(7):
        o = shop.orders.place(idempotency_key="k%d" % i, customer_id="c1" if i % 2 == 0 else "c2",
                              lines=[{"sku": "MUG", "quantity": 1 + i}, {"sku": "TEE-S", "quantity": 1}],
                              shipping_address=address())
        ids.append(o.id)
    shop.orders.transition(ids[0], "paid")
    page = shop.orders.list_by_customer("c1", limit=2)
    assert len(page.items) == 2 and page.next_cursor
    mine = [o.id for o in shop.orders.iter_by_customer("c1", page_size=1)]
    assert mine == [ids[6], ids[4], ids[2], ids[0]]  # newest first
    placed = [o.id for o in shop.orders.iter_by_status("placed", page_size=2)]
    assert placed == ids[1:]  # oldest first
    assert sorted(o.id for o in shop.orders.iter_all()) == sorted(ids)
    with pytest.raises(commerce.InvalidArgument):
        shop.orders.list_by_status("placed", limit=0)

    df = shop.orders.to_dataframe()
    assert len(df) == 7 and set(df["status"]) == {"placed", "paid"}
    assert df["total"].dtype == "int64"
    assert str(df["created_at"].dtype).startswith("datetime64")
    row = df.set_index("order_id").loc[ids[3]]
    assert row["total"] == 4 * 999 + 1999 and row["items"] == 5 and row["customer_id"] == "c2"
    lines = shop.orders.to_dataframe(lines=True)
    assert len(lines) == 14 and list(lines.columns) == commerce._bulk.ORDER_LINE_COLUMNS
    assert lines.groupby("sku")["quantity"].sum().to_dict() == {"MUG": sum(range(1, 8)), "TEE-S": 7}
    dec = shop.orders.to_dataframe(status="paid", lines=True, money="decimal")
    assert len(dec) == 2 and dec["line_total"].iloc[0] in (decimal.Decimal("9.99"), decimal.Decimal("19.99"))
    assert len(shop.orders.to_dataframe(customer_id="c2")) == 3
    with pytest.raises(ValueError):
        shop.orders.to_dataframe(money="float")
    empty = commerce.orders_to_dataframe([])
    assert list(empty.columns) == commerce._bulk.ORDER_COLUMNS and len(empty) == 0


def test_list_filters_every_order_by_statuses_customer_and_time(shop):
    pd = pytest.importorskip("pandas")
    stock(shop, "MUG", "east-1", 100)
    shop.customers.create(commerce.Customer(id="c2", email="bob@example.com"))
    orders = []
    for i in range(6):
        while orders and time.time() * 1000 <= orders[-1].created_at_ms + 1:
            time.sleep(0.001)  # distinct creation times, so that a range can fall between two
        orders.append(shop.orders.place(idempotency_key="k%d" % i, customer_id="c2" if i in (1, 4) else "c1",
                                        lines=[{"sku": "MUG", "quantity": 1}], shipping_address=address()))
    ids = [o.id for o in orders]
    shop.orders.transition(ids[0], "paid")
    shop.orders.transition(ids[4], "paid")
    shop.orders.transition(ids[2], "cancelled")

    def listed(**filters):
        return [o.id for o in shop.orders.iter(page_size=2, **filters)]

    assert listed() == ids  # every order, in placement order
    assert [o.id for o in shop.orders.iter_all(page_size=1)] == ids
    assert listed(status="paid") == [ids[0], ids[4]]
    assert listed(status=["paid", commerce.OrderStatus.CANCELLED]) == [ids[0], ids[2], ids[4]]
    assert listed(customer_id="c2") == [ids[1], ids[4]]  # oldest first
    assert listed(customer_id="c2", status="placed") == [ids[1]]
    t = [o.created_at_ms for o in orders]
    assert listed(created_from=t[2], created_before=t[5]) == ids[2:5]
    utc = datetime.timezone.utc
    assert listed(created_from=datetime.datetime.fromtimestamp(t[3] / 1000, utc)) == ids[3:]
    assert listed(created_before=pd.Timestamp(t[1], unit="ms", tz="UTC")) == ids[:1]
    page = shop.orders.list(status="placed", limit=1)
    assert [o.id for o in page.items] == [ids[1]] and page.next_cursor

    df = shop.orders.to_dataframe(status=["paid", "cancelled"], customer_id="c1")
    assert list(df["order_id"]) == [ids[0], ids[2]]
    assert len(shop.orders.to_dataframe(created_from=t[4], lines=True)) == 2

    # Bad filters: the engine's InvalidArgument / NotFound, or TypeError for what is not a time.
    for bad, error in [(dict(status="lost"), commerce.InvalidArgument),
                       (dict(status=["paid", "lost"]), commerce.InvalidArgument),
                       (dict(customer_id="nobody"), commerce.NotFound),
                       (dict(created_from=-1), commerce.InvalidArgument),
                       (dict(created_from=t[3], created_before=t[3]), commerce.InvalidArgument),
                       (dict(created_from=datetime.datetime(2026, 1, 1)), TypeError),  # no time zone
                       (dict(created_before="yesterday"), TypeError),
                       (dict(limit=0), commerce.InvalidArgument),
                       (dict(cursor="x"), commerce.InvalidArgument)]:
        with pytest.raises(error):
            shop.orders.list(**bad)
