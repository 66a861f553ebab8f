"""Channels through Python (docs/channels.md): records with keywords, dicts and values; bad input
raising the engine's classes with the field; a cart and an order held to the channel's
currencies, visible products and warehouses; keys from before the store's first channel."""

import pytest

import commerce
from conftest import address


def eu(**fields):
    base = dict(id="eu", name="Europe", default_currency="USD", currencies=["USD", "EUR"],
                warehouse_ids=["east-2"], product_ids=["tee"])
    base.update(fields)
    return base


def test_records_keywords_dicts_and_values(shop):
    ch = shop.channels
    c = ch.create(**eu())
    assert (c.id, c.default_currency, c.version, c.warehouse_ids) == ("eu", "USD", 1, ["east-2"])
    assert ch.get("eu") == c
    us = ch.create({"id": "us", "name": "US", "default_currency": "USD"})
    assert [x.id for x in ch.list()] == ["eu", "us"]
    c.category_ids = []
    c.excluded_product_ids = ["mug"]
    changed = ch.update(c, if_version=1)
    assert (changed.version, changed.excluded_product_ids) == (2, ["mug"])
    with pytest.raises(commerce.Conflict):
        ch.update(c, if_version=1)
    with pytest.raises(commerce.Conflict):
        ch.remove("eu", if_version=1)
    ch.remove("us", if_version=1)
    with pytest.raises(commerce.NotFound):
        ch.get("us")
    assert commerce.Channel.from_dict(changed.to_dict()) == changed
    assert ch.visible("eu", "tee") and not ch.visible("eu", "mug")
    types = [e.type for e in shop.events.tail(1, 1000) if e.type.startswith("Channel")]
    assert types == ["ChannelUpserted", "ChannelUpserted", "ChannelUpserted", "ChannelRemoved"]


@pytest.mark.parametrize("fields, word", [
    (dict(id=""), "id"),
    (dict(id="e u"), "id"),
    (dict(name=""), "name"),
    (dict(default_currency="usd"), "default_currency"),
    (dict(currencies=["EUR"]), "currencies: must hold default_currency 'USD'"),
    (dict(currencies=["USD", "USD"]), "currencies[1]"),
    (dict(warehouse_ids=["nowhere"]), "warehouse_ids[0]: no warehouse with id 'nowhere'"),
    (dict(category_ids=["toys"]), "category_ids[0]: no category with id 'toys'"),
    (dict(excluded_product_ids=["mug", "mug"]), "excluded_product_ids[1]"),
])
def test_bad_channels(shop, fields, word):
    with pytest.raises(commerce.InvalidArgument) as e:
        shop.channels.create(**eu(**fields))
    assert word in str(e.value)
    assert shop.channels.list() == []


def test_carts_and_orders_are_held_to_their_channel(shop):
    inv = shop.inventory
    inv.receive("TEE-M", "east-1", 100)
    inv.receive("TEE-M", "east-2", 2)
    inv.receive("MUG", "east-2", 10)
    # Before the first channel a key is opaque, as it was.
    old = shop.carts.create(currency="USD", channel="web")
    shop.carts.add(old.id, "MUG", 1)
    shop.channels.create(**eu())
    with pytest.raises(commerce.NotFound):
        shop.carts.add(old.id, "MUG", 1)
    with pytest.raises(commerce.InvalidArgument) as e:
        shop.carts.create(currency="GBP", channel="eu")
    assert "currency: channel 'eu' sells in USD, EUR, not 'GBP'" in str(e.value)
    cart = shop.carts.create(currency="USD", channel="eu")
    shop.carts.add(cart.id, "TEE-M", 2)
    with pytest.raises(commerce.FailedPrecondition) as e:
        shop.carts.add(cart.id, "MUG", 1)
    assert "product 'mug' (sku 'MUG') is not sold in channel 'eu'" in str(e.value)
    o = shop.orders.place(idempotency_key="k1", customer_id="c1", cart_id=cart.id, shipping_address=address())
    assert (o.channel, [s.warehouse_id for s in o.shipments]) == ("eu", ["east-2"])
    # east-2 is empty now: out of stock in the channel, though east-1 has 100.
    with pytest.raises(commerce.OutOfStock):
        shop.orders.place(idempotency_key="k2", customer_id="c1", channel="eu",
                          lines=[dict(sku="TEE-M", quantity=1)], shipping_address=address())
    anywhere = shop.orders.place(idempotency_key="k3", customer_id="c1",
                                 lines=[dict(sku="TEE-M", quantity=1)], shipping_address=address())
    assert anywhere.shipments[0].warehouse_id == "east-1"
    assert shop.verify().problems == []


def test_a_channel_lists_the_products_it_shows(shop):
    shop.channels.create(**eu(product_ids=["tee", "gold", "old", "nothing-yet"],
                              excluded_product_ids=["gold"]))
    page = shop.catalog.list(channel="eu", limit=1)
    assert ([p.id for p in page.items], page.next_cursor) == (["tee"], "")
    assert [p.id for p in shop.catalog.iter_all(channel="eu", include_archived=True, page_size=1)] == ["old", "tee"]
    assert [p.id for p in shop.catalog.list(channel="eu").items] == ["tee"]
    with pytest.raises(commerce.NotFound) as e:
        shop.catalog.list(channel="us")
    assert "channel: no channel with id 'us'" in str(e.value)
    with pytest.raises(commerce.InvalidArgument) as e:
        shop.catalog.list(channel="e u")
    assert "channel" in str(e.value)


def test_a_cart_without_a_currency_takes_its_channels(shop):
    assert shop.carts.create().currency == "USD"
    shop.channels.create(**eu(id="de", default_currency="EUR", currencies=["EUR", "CHF"]))
    assert shop.carts.create(channel="de").currency == "EUR"
    assert shop.carts.create(channel="de", currency="CHF").currency == "CHF"
    assert shop.carts.create().currency == "USD"
    with pytest.raises(commerce.InvalidArgument) as e:
        shop.carts.create(channel="de", currency="USD")
    assert "currency: channel 'de' sells in EUR, CHF, not 'USD'" in str(e.value)
