"""Inventory and customers through Python, with the bad inputs of
tests/unit/inventory_inventory_test.cpp and customer_customer_test.cpp."""

import threading

import pytest

import commerce
from conftest import address, last_seq, make_product

MAXQ = commerce.MAX_QUANTITY


@pytest.fixture
def stocked(lmdb_engine):
    e = lmdb_engine
    e.catalog.upsert(make_product("a", ["A"]))
    for wid, active in (("w1", True), ("w2", True), ("w3", False)):
        e.inventory.upsert_warehouse(commerce.Warehouse(id=wid, name=wid.upper(), region="us-east", active=active))
    e.inventory.receive("A", "w1", 10)
    e.inventory.reserve("A", "w1", 4, "hold")
    return e


def test_stock_operations_and_levels(stocked):
    inv = stocked.inventory
    lvl = inv.get("A", "w1")
    assert (lvl.on_hand, lvl.reserved, lvl.available) == (10, 4, 6)
    inv.release("A", "w1", 1, "hold")
    inv.ship("A", "w1", 2, "hold")
    inv.adjust("A", "w1", -3, "damaged")
    lvl = inv.get("A", "w1")
    assert (lvl.on_hand, lvl.reserved) == (5, 1)
    total = inv.get("A")
    assert isinstance(total, commerce.SkuStock) and total.available == 4
    assert [l.warehouse_id for l in total.levels] == ["w1"]
    assert inv.get("A", "w2").on_hand == 0  # no record reads as zero
    assert [w.id for w in inv.list_warehouses()] == ["w1", "w2", "w3"]
    assert inv.get_warehouse("w3").active is False


WAREHOUSE_BAD = [
    ({"id": ""}, "id"), ({"id": "w" * 65}, "id"), ({"id": "w\x01"}, "id"), ({"name": ""}, "name"),
    ({"name": "n" * 201}, "name"), ({"region": ""}, "region"), ({"region": "r" * 65}, "region"),
    ({"region": "us-east "}, "region"),
]


@pytest.mark.parametrize("spoil,field", WAREHOUSE_BAD)
def test_bad_warehouse(engine, spoil, field):
    w = commerce.Warehouse(id="w1", name="W", region="us-east")
    for k, v in spoil.items():
        setattr(w, k, v)
    with pytest.raises(commerce.InvalidArgument) as info:
        engine.inventory.upsert_warehouse(w)
    assert str(info.value).startswith(field + ": ")
    assert engine.inventory.list_warehouses() == [] and last_seq(engine) == 0
    with pytest.raises(commerce.NotFound):
        engine.inventory.get_warehouse("w1")


STOCK_BAD = [
    (lambda i: i.receive("A", "w1", 0), commerce.InvalidArgument, "qty: 0"),
    (lambda i: i.receive("A", "w1", -1), commerce.InvalidArgument, "qty: -1"),
    (lambda i: i.receive("A", "w1", MAXQ + 1), commerce.InvalidArgument, "qty: 1000001"),
    (lambda i: i.receive("NOPE", "w1", 1), commerce.NotFound, "'NOPE'"),
    (lambda i: i.receive("A", "w9", 1), commerce.NotFound, "'w9'"),
    (lambda i: i.receive("A", "w3", 1), commerce.FailedPrecondition, "inactive"),
    (lambda i: i.receive("", "w1", 1), commerce.InvalidArgument, "sku: "),
    (lambda i: i.receive("A", "", 1), commerce.InvalidArgument, "warehouse_id: "),
    (lambda i: i.adjust("A", "w1", 0, "x"), commerce.InvalidArgument, "delta: 0"),
    (lambda i: i.adjust("A", "w1", MAXQ + 1, "x"), commerce.InvalidArgument, "delta: "),
    (lambda i: i.adjust("A", "w1", -MAXQ - 1, "x"), commerce.InvalidArgument, "delta: "),
    (lambda i: i.adjust("A", "w1", 1, ""), commerce.InvalidArgument, "reason: "),
    (lambda i: i.adjust("A", "w1", 1, "r" * 201), commerce.InvalidArgument, "reason: "),
    (lambda i: i.adjust("A", "w1", -7, "damaged"), commerce.FailedPrecondition, "below the 4 reserved"),
    (lambda i: i.adjust("A", "w2", -1, "damaged"), commerce.FailedPrecondition, "below zero"),
    (lambda i: i.adjust("NOPE", "w1", 1, "x"), commerce.NotFound, "'NOPE'"),
    (lambda i: i.reserve("A", "w1", 7, "r"), commerce.OutOfStock, "sku 'A': 6 available in warehouse 'w1', 7 requested"),
    (lambda i: i.reserve("A", "w1", 0, "r"), commerce.InvalidArgument, "qty: 0"),
    (lambda i: i.reserve("A", "w1", 1, ""), commerce.InvalidArgument, "ref: "),
    (lambda i: i.reserve("A", "w1", 1, "r" * 129), commerce.InvalidArgument, "ref: "),
    (lambda i: i.reserve("A", "w9", 1, "r"), commerce.NotFound, "'w9'"),
    (lambda i: i.release("A", "w1", 5, "r"), commerce.FailedPrecondition, "4 reserved, cannot release 5"),
    (lambda i: i.release("A", "w1", -3, "r"), commerce.InvalidArgument, "qty: -3"),
    (lambda i: i.ship("A", "w1", 5, "r"), commerce.FailedPrecondition, "4 reserved, cannot ship 5"),
    (lambda i: i.ship("A", "w1", MAXQ + 1, "r"), commerce.InvalidArgument, "qty: "),
    (lambda i: i.ship("NOPE", "w1", 1, "r"), commerce.NotFound, "'NOPE'"),
]


def test_bad_stock_changes_raise_their_class_and_write_nothing(stocked):
    inv = stocked.inventory
    before = inv.get("A", "w1")
    for call, cls, text in STOCK_BAD:
        seq = last_seq(stocked)
        with pytest.raises(cls) as info:
            call(inv)
        assert type(info.value) is cls
        assert text in str(info.value), str(info.value)
        assert last_seq(stocked) == seq
        assert inv.get("A", "w1") == before
        assert inv.get("A", "w2").on_hand == 0
    inv.receive("A", "w1", MAXQ)
    inv.adjust("A", "w1", -MAXQ, "r" * 200)
    inv.reserve("A", "w1", 6, "r" * 128)
    assert inv.get("A", "w1").available == 0


def test_threads_reserving_never_oversell(stocked):
    inv = stocked.inventory
    got = []

    def take():
        for _ in range(5):
            try:
                inv.reserve("A", "w1", 1, "t")
                got.append(1)
            except commerce.OutOfStock:
                pass

    threads = [threading.Thread(target=take) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 6 and inv.get("A", "w1").available == 0


def test_customers_flow(engine):
    cs = engine.customers
    ada = cs.create(commerce.Customer(email="Ada@Example.com", name="Ada", addresses=[address()]))
    assert ada.id.startswith("cus-") and ada.version == 1
    assert cs.get_by_email("ada@example.COM") == ada
    assert cs.get(ada.id).addresses[0].region == "us-east"
    with pytest.raises(commerce.AlreadyExists):
        cs.create(commerce.Customer(email="ADA@example.com"))
    ada.name = "Ada L."
    v2 = cs.update(ada, if_version=1)
    assert v2.version == 2 and v2.name == "Ada L."
    with pytest.raises(commerce.Conflict):
        cs.update(ada, if_version=1)
    with pytest.raises(commerce.NotFound):
        cs.get("cus-nobody")
    with pytest.raises(commerce.NotFound):
        cs.get_by_email("nobody@example.com")


CUSTOMER_BAD = [
    ("email", {"email": e}) for e in [
        "", "no-at-sign.example.com", "two@@example.com", "a@b@example.com", "@example.com", "ada@",
        "ada@localhost", "ada@example..com", "ada@.example.com", "ada lovelace@example.com",
        "ada\n@example.com", "a" * 250 + "@example.com", "a" * 65 + "@example.com"]
] + [
    ("id", {"id": "x" * 65}), ("id", {"id": "tab\there"}), ("name", {"name": "n" * 201}),
    ("addresses", {"addresses": [address()] * 21}),
    ("addresses[0].region", {"addresses": [address(region="")]}),
    ("addresses[0].region", {"addresses": [address(region="r" * 65)]}),
    ("addresses[0].country", {"addresses": [address(country="gb")]}),
    ("addresses[0].country", {"addresses": [address(country="GBR")]}),
    ("addresses[0].country", {"addresses": [address(country="")]}),
    ("addresses[0].line1", {"addresses": [address(line1="")]}),
    ("addresses[0].city", {"addresses": [address(city="")]}),
    ("addresses[0].city", {"addresses": [address(city="c" * 101)]}),
    ("addresses[0].name", {"addresses": [address(name="")]}),
    ("addresses[1].postal_code", {"addresses": [address(), address(postal_code="9" * 21)]}),
    ("addresses[0].line2", {"addresses": [address(line2="l" * 201)]}),
]


def test_bad_customers_are_invalid_argument_naming_the_field(lmdb_engine):
    cs = lmdb_engine.customers
    existing = cs.create(commerce.Customer(email="keep@example.com", name="Keep", addresses=[address()]))
    seq = last_seq(lmdb_engine)
    for field, spoil in CUSTOMER_BAD:
        c = commerce.Customer(email="fresh@example.com", name="Fresh", addresses=[address()])
        for k, v in spoil.items():
            setattr(c, k, v)
        with pytest.raises(commerce.InvalidArgument) as info:
            cs.create(c)
        assert str(info.value).startswith(field + ":"), (field, str(info.value))
        if field != "id":
            u = cs.get(existing.id)
            for k, v in spoil.items():
                setattr(u, k, v)
            with pytest.raises(commerce.InvalidArgument):
                cs.update(u)
    assert last_seq(lmdb_engine) == seq
    assert cs.get(existing.id) == existing


def test_split_stock_for_a_flash_sale(engine):
    """Hot SKUs (docs/orders.md): split into slots, orders and stock calls on the sums,
    threads buying to zero without overselling, merged back atomically."""
    e = engine
    e.catalog.upsert(make_product("hot", ["HOT"]))
    e.inventory.upsert_warehouse(commerce.Warehouse(id="w1", name="W1", region="us-east"))
    e.customers.create(commerce.Customer(id="c1", email="c1@example.com"))
    e.inventory.receive("HOT", "w1", 40)
    lvl = e.inventory.split_stock("HOT", "w1", 4)
    assert (lvl.on_hand, lvl.reserved, lvl.slots) == (40, 0, 4)
    assert e.inventory.get("HOT", "w1").slots == 4
    assert e.inventory.get("HOT").levels[0].slots == 4
    # A reservation bigger than any one slot (10 each) is served from several.
    assert e.inventory.reserve("HOT", "w1", 25, "pos").reserved == 25
    assert e.inventory.release("HOT", "w1", 25, "pos").reserved == 0
    sold, refused, errors = [], [], []

    def buy(t):
        for i in range(100):
            try:
                e.orders.place(commerce.PlaceOrder(idempotency_key=f"k{t}-{i}", customer_id="c1",
                                                   lines=[commerce.OrderLineRequest(sku="HOT", quantity=1)],
                                                   shipping_address=address()))
                sold.append(1)
            except commerce.OutOfStock:
                refused.append(e.inventory.get("HOT", "w1").available)
                return
            except commerce.Error as err:  # anything else fails the test below
                errors.append(err)
                return

    threads = [threading.Thread(target=buy, args=(t,)) for t in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    assert len(sold) == 40
    assert set(refused) == {0}  # never refused while a unit remained
    merged = e.inventory.merge_stock("HOT", "w1")
    assert (merged.on_hand, merged.reserved, merged.slots) == (40, 40, 0)
    assert e.verify().ok(), e.verify().to_text()


@pytest.mark.parametrize("slots", [0, 1, commerce.MAX_STOCK_SLOTS + 1])
def test_split_stock_bad_slots(stocked, slots):
    with pytest.raises(commerce.InvalidArgument) as info:
        stocked.inventory.split_stock("A", "w1", slots)
    assert str(info.value).startswith("slots: ")
    assert stocked.inventory.get("A", "w1").slots == 0


def test_split_stock_bad_targets_and_states(stocked):
    inv = stocked.inventory
    with pytest.raises(commerce.NotFound):
        inv.split_stock("NOPE", "w1", 4)
    with pytest.raises(commerce.NotFound):
        inv.split_stock("A", "nowhere", 4)
    with pytest.raises(commerce.FailedPrecondition):
        inv.merge_stock("A", "w1")  # not split
    inv.split_stock("A", "w1", 2)
    with pytest.raises(commerce.FailedPrecondition):
        inv.split_stock("A", "w1", 3)  # split already
    assert inv.get("A", "w1").slots == 2
