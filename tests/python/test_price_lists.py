"""Price lists through Python (docs/prices.md): records with keywords, dicts and values; bad
input raising the engine's classes with the field; the price that applies and why; a cart
priced for its customer's group and channel; an order naming its list, with the tax inside
tax-inclusive prices; a Python pricing policy told the tax-inclusive part."""

import pytest

import commerce
from conftest import address, open_engine


def eur_list(**fields):
    base = dict(id="eu", name="Euro prices", currency="EUR",
                entries=[dict(sku="TEE-M", price_minor=1800), dict(sku="TEE-M", price_minor=1500, min_quantity=10)])
    base.update(fields)
    return base


def test_records_keywords_dicts_and_values(shop):
    lists = shop.price_lists
    l = lists.create(**eur_list())
    assert (l.id, l.currency, l.version, len(l.entries)) == ("eu", "EUR", 1, 2)
    assert l.entries[1] == commerce.PriceEntry(sku="TEE-M", price_minor=1500, min_quantity=10)
    assert lists.get("eu") == l
    g = lists.create({"name": "Generated", "currency": "USD"})
    assert g.id.startswith("pl-")
    assert [x.id for x in lists.list().items] == sorted(["eu", g.id])
    first = lists.list(limit=1)
    assert ([x.id for x in first.items], first.next_cursor) == (["eu"], "eu")
    assert [x.id for x in lists.list(cursor=first.next_cursor).items] == [g.id]
    assert [x.id for x in lists.iter_all(page_size=1)] == sorted(["eu", g.id])
    for bad, word in ((dict(limit=0), "limit"), (dict(limit=commerce.MAX_PRICE_LIST_PAGE + 1), "limit"),
                      (dict(cursor="x" * 65), "cursor")):
        with pytest.raises(commerce.InvalidArgument) as e:
            lists.list(**bad)
        assert word in str(e.value)
    l.priority = 5
    changed = lists.update(l, if_version=1)
    assert (changed.version, changed.priority) == (2, 5)
    with pytest.raises(commerce.Conflict):
        lists.update(l, if_version=1)
    with pytest.raises(commerce.Conflict):
        lists.remove("eu", if_version=1)
    lists.remove("eu", if_version=2)
    with pytest.raises(commerce.NotFound):
        lists.get("eu")
    assert commerce.PriceList.from_dict(g.to_dict()) == g
    # Each write is one event naming the SKUs it re-priced (docs/events.md); refused ones none.
    events = [e for e in shop.events.tail(1, 1000) if e.type.startswith("PriceList")]
    assert [(e.type, e.subject) for e in events] == [
        ("PriceListUpserted", "eu"), ("PriceListUpserted", g.id), ("PriceListUpserted", "eu"),
        ("PriceListRemoved", "eu")]
    assert '"skus":["TEE-M"]' in events[0].data and '"skus":[]' in events[1].data


@pytest.mark.parametrize("fields, word", [
    (dict(name=""), "name"),
    (dict(currency="eur"), "currency"),
    (dict(customer_group="a b"), "customer_group"),
    (dict(channel="x" * 65), "channel"),
    (dict(starts_at_ms=10, ends_at_ms=5), "ends_at_ms"),
    (dict(entries=[dict(sku="TEE-M", price_minor=-1)]), "entries[0].price_minor"),
    (dict(entries=[dict(sku="TEE-M", price_minor=1, min_quantity=0)]), "entries[0].min_quantity"),
    (dict(entries=[dict(sku="NOPE", price_minor=1)]), "entries[0].sku: no product has sku 'NOPE'"),
    (dict(entries=[dict(sku="TEE-M", price_minor=1)] * 2), "entries[1]: sku 'TEE-M' at min_quantity 1 is given twice"),
])
def test_bad_lists(shop, fields, word):
    with pytest.raises(commerce.InvalidArgument) as e:
        shop.price_lists.create(**eur_list(**fields))
    assert word in str(e.value)
    with pytest.raises(commerce.NotFound):
        shop.price_lists.get("eu")


def test_the_price_that_applies_and_why(shop):
    lists = shop.price_lists
    lists.create(**eur_list())
    lists.create(id="ws", name="Wholesale", currency="EUR", customer_group="wholesale",
                 entries=[dict(sku="TEE-M", price_minor=1200)])
    base = lists.price("TEE-M", currency="USD")
    assert (base.price, base.price_list_id) == (commerce.Money(1999, "USD"), "")
    p = lists.price("TEE-M", currency="EUR")
    assert (p.price, p.price_list_id, p.price_list_version, p.min_quantity) == (commerce.Money(1800, "EUR"), "eu", 1, 1)
    assert lists.price("TEE-M", currency="EUR", quantity=12).min_quantity == 10
    assert lists.price("TEE-M", currency="EUR", customer_group="wholesale").price_list_id == "ws"
    with pytest.raises(commerce.FailedPrecondition) as e:
        lists.price("TEE-M", currency="GBP")
    assert "no price in GBP" in str(e.value)
    with pytest.raises(commerce.NotFound):
        lists.price("NOPE", currency="EUR")
    with pytest.raises(commerce.InvalidArgument):
        lists.price("TEE-M", currency="EUR", quantity=0)
    with pytest.raises(commerce.InvalidArgument):
        lists.price("TEE-M", currency="EUR", channel="not a key")


def test_carts_and_orders_use_the_group_and_channel(shop):
    shop.price_lists.create(**eur_list())
    shop.price_lists.create(id="app", name="App", currency="EUR", channel="app",
                            entries=[dict(sku="TEE-M", price_minor=1700)])
    gross = shop.price_lists.create(id="gross", name="Gross", currency="EUR", tax_inclusive=True,
                                    customer_group="consumer", entries=[dict(sku="TEE-M", price_minor=11900)])
    assert gross.tax_inclusive
    shop.customers.create(commerce.Customer(id="c2", email="grete@example.com", name="Grete", group="consumer"))
    assert shop.customers.get("c2").group == "consumer"
    with pytest.raises(commerce.InvalidArgument) as e:
        shop.customers.create(commerce.Customer(id="c3", email="x@example.com", group="bad group"))
    assert "group" in str(e.value)
    shop.inventory.receive("TEE-M", "east-1", 50)

    cart = shop.carts.create(currency="EUR", channel="app")
    assert cart.channel == "app"
    assert shop.carts.add(cart.id, "TEE-M", 1).lines[0].unit_price == commerce.Money(1700, "EUR")
    with pytest.raises(commerce.InvalidArgument):
        shop.carts.create(currency="EUR", channel="a b")
    o = shop.orders.place(idempotency_key="k1", customer_id="c1", cart_id=cart.id, shipping_address=address())
    assert (o.channel, o.lines[0].price_list_id, o.lines[0].tax_inclusive) == ("app", "app", False)

    g = shop.orders.place(idempotency_key="k2", customer_id="c2", lines=[dict(sku="TEE-M", quantity=1)],
                          currency="EUR", shipping_address=address())
    assert (g.lines[0].price_list_id, g.lines[0].tax_inclusive) == ("gross", True)
    assert g.tax_included == commerce.Money(0, "EUR")  # the default policy: no rate in us-east
    assert g.total == commerce.Money(11900, "EUR")


def test_a_python_policy_is_told_the_tax_inclusive_part(tmp_path):
    seen = []

    def policy(i):
        seen.append(i.tax_inclusive_minor)
        included = i.tax_inclusive_minor - i.tax_inclusive_minor * 100 // 119
        return commerce.PricingResult(tax_minor=(i.subtotal_minor - i.tax_inclusive_minor) // 10,
                                      shipping_minor=0, tax_included_minor=included)

    with open_engine(tmp_path / "store", pricing=policy) as e:
        e.catalog.upsert(commerce.Product(id="tee", title="Tee", variants=[
            commerce.Variant(sku="TEE", price=commerce.Money(1000, "EUR"))]))
        e.inventory.upsert_warehouse(commerce.Warehouse(id="w", name="W", region="us-east"))
        e.inventory.receive("TEE", "w", 10)
        e.customers.create(commerce.Customer(id="c", email="c@example.com"))
        e.price_lists.create(id="gross", name="Gross", currency="EUR", tax_inclusive=True,
                             entries=[dict(sku="TEE", price_minor=11900)])
        o = e.orders.place(idempotency_key="k", customer_id="c", lines=[dict(sku="TEE", quantity=2)],
                           shipping_address=address())
        assert seen == [23800]
        assert (o.tax, o.tax_included, o.total) == (
            commerce.Money(0, "EUR"), commerce.Money(3800, "EUR"), commerce.Money(23800, "EUR"))


def test_the_default_policy_says_it_leaves_tax_inclusive_prices_untaxed():
    # Its docstring said tax = subtotal x rate, which a tax-inclusive line would pay twice.
    doc = commerce.make_default_pricing.__doc__
    assert "(subtotal - tax_inclusive) * rate" in doc and "tax_included" in doc, doc
