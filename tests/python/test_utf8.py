"""Strings that are not UTF-8, through Python:

- bad bytes (a bytes object, or a str with a lone surrogate) into any field or argument are
  commerce.InvalidArgument naming the field, with nothing written;
- a string stored by an older version that is not UTF-8 comes back as commerce.Corruption
  naming the field — never a bare UnicodeDecodeError — on attribute access, repr and to_dict.
"""

import pytest

import commerce
from conftest import address, make_product, old_version_warehouse, open_engine


def dump(engine):
    """Every event and every product: enough to see that nothing was written."""
    return (engine.events.last_seq(), [p.to_dict() for p in engine.catalog.iter_all(include_archived=True)])


@pytest.fixture
def filled(engine):
    engine.catalog.upsert(make_product("p1", ["S1"]))
    engine.inventory.upsert_warehouse(commerce.Warehouse(id="w1", name="W1", region="us-east"))
    engine.inventory.receive("S1", "w1", 10)
    engine.customers.create(commerce.Customer(id="c1", email="c1@example.com", name="C", addresses=[address()]))
    return engine


BAD = b"bad \xff bytes"


def titled(product, title):
    product.title = title
    return product


def test_bad_bytes_in_fields_and_arguments_are_invalid_argument(filled):
    e = filled
    before = dump(e)
    calls = {
        "title": lambda: e.catalog.upsert(titled(make_product("p2", ["S2"]), BAD)),
        "sku": lambda: e.catalog.get_by_sku(BAD),
        "warehouse_id": lambda: e.inventory.receive("S1", BAD, 1),
        "ref": lambda: e.inventory.reserve("S1", "w1", 1, BAD),
        "name": lambda: e.inventory.upsert_warehouse(commerce.Warehouse(id="w2", name=BAD, region="r")),
        "idempotency_key": lambda: e.orders.place(commerce.PlaceOrder(
            idempotency_key=BAD, customer_id="c1", lines=[commerce.OrderLineRequest(sku="S1", quantity=1)],
            shipping_address=address())),
        "shipping_address.city": lambda: e.orders.place(commerce.PlaceOrder(
            idempotency_key="k1", customer_id="c1", lines=[commerce.OrderLineRequest(sku="S1", quantity=1)],
            shipping_address=address(city=BAD))),
        "email": lambda: e.customers.get_by_email(BAD),
        "cart_id": lambda: e.carts.get(BAD),
        "secret": lambda: e.webhooks.subscribe(commerce.WebhookSubscription(
            url="http://hooks.example:9/x", secret=BAD + b"0123456789abcdef")),
    }
    for field, call in calls.items():
        with pytest.raises(commerce.InvalidArgument) as err:
            call()
        assert field in str(err.value), (field, str(err.value))
    assert dump(e) == before


def test_a_str_that_cannot_be_utf8_is_invalid_argument(filled):
    p = make_product("p3", ["S3"])
    with pytest.raises(commerce.InvalidArgument, match="Product.title"):
        p.title = "lone \udcff surrogate"
    with pytest.raises(TypeError):
        p.title = 42  # a wrong type is still a TypeError


def test_a_stored_string_that_is_not_utf8_is_corruption_not_unicode_decode_error(tmp_path):
    store = tmp_path / "store"
    with open_engine(store, "sqlite") as e:
        e.inventory.upsert_warehouse(commerce.Warehouse(id="w1", name="Fine", region="us-east"))
    old_version_warehouse(store)
    with open_engine(store, "sqlite") as e:
        w = e.inventory.get_warehouse("w-old")
        assert w.id == "w-old" and w.region == "us-east"
        for read in (lambda: w.name, lambda: repr(w), lambda: w.to_dict(),
                     lambda: [x.name for x in e.inventory.list_warehouses()]):
            with pytest.raises(commerce.Corruption, match="Warehouse.name") as err:
                read()
            assert not isinstance(err.value, UnicodeDecodeError)
        assert e.inventory.get_warehouse("w1").name == "Fine"
