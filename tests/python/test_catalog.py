"""Catalog through Python: round trips, versions, listings and iterators, and every bad input
of tests/unit/catalog_catalog_test.cpp and catalog_product_validation_test.cpp, raised as the
right exception class with the engine's message, nothing written."""

import threading

import pytest

import commerce
from conftest import last_seq, make_product


def test_upsert_get_round_trip_every_field(engine):
    c = engine.catalog
    c.upsert_category("shoes", "Shoes")
    c.upsert_category(commerce.Category(id="shoes/running", name="Running"))
    p = commerce.Product(
        id="trail-runner-2", title="Trail Runner 2 — ünïcode ✓", description="Line one.\nLine two\twith a tab.",
        brand="Acme", categories=["shoes/running"], options=["size", "colour"],
        attributes={"material": "mesh"}, status="draft", popularity=77, version=41,
        variants=[
            commerce.Variant(sku="TR2-42-BLK", options={"size": "42", "colour": "black"},
                             price=commerce.Money(4999, "EUR"), barcode="0123456789012", attributes={"weight_g": "310"}),
            commerce.Variant(sku="TR2-43-RED", options={"size": "43", "colour": "red"}, price=commerce.Money(0, "EUR")),
        ])
    stored = c.upsert(p)
    assert stored.version == 1 and stored.created_at_ms > 0
    assert stored.title == p.title and stored.variants == p.variants and stored.status == commerce.ProductStatus.DRAFT
    assert c.get("trail-runner-2") == stored
    assert c.get_by_sku("TR2-43-RED") == stored
    s = c.stats()
    assert (s.products, s.skus, s.categories) == (1, 2, 2)
    assert c.get_category("shoes/running").parent_id == "shoes"
    assert [x.id for x in c.list_categories()] == ["shoes"]
    assert [x.id for x in c.list_categories("shoes")] == ["shoes/running"]
    assert commerce.Product.from_dict(stored.to_dict()) == stored


def test_versions_and_if_version(engine):
    c = engine.catalog
    v1 = c.upsert(make_product("p1"), if_version=0)
    assert v1.version == 1
    with pytest.raises(commerce.Conflict) as info:
        c.upsert(make_product("p1"), if_version=0)
    assert "p1" in str(info.value)
    with pytest.raises(commerce.Conflict):
        c.upsert(make_product("p2"), if_version=1)
    with pytest.raises(commerce.NotFound):
        c.get("p2")
    assert c.upsert(make_product("p1", price=2499), if_version=1).version == 2
    # the same product again changes nothing: no new version, no event
    seq = last_seq(engine)
    assert c.upsert(make_product("p1", price=2499), if_version=2).version == 2
    assert last_seq(engine) == seq
    archived = c.archive("p1")
    assert archived.status == commerce.ProductStatus.ARCHIVED
    with pytest.raises(commerce.Conflict):
        c.archive("p1", if_version=1)


def test_sku_owned_by_one_product(engine):
    c = engine.catalog
    c.upsert(make_product("a", ["S1"]))
    before = last_seq(engine)
    with pytest.raises(commerce.AlreadyExists, match="S1"):
        c.upsert(make_product("b", ["S1"]))
    assert last_seq(engine) == before


def test_listings_and_iterators_page_underneath(engine):
    c = engine.catalog
    c.upsert_category("a", "A")
    c.upsert_category("a/b", "B")
    for i in range(23):
        c.upsert(make_product("p%02d" % i, categories=["a/b"] if i % 2 else ["a"]))
    c.archive("p05")
    page = c.list(limit=10)
    assert len(page.items) == 10 and page.next_cursor
    ids = [p.id for p in c.iter_all(page_size=4)]
    assert ids == sorted("p%02d" % i for i in range(23) if i != 5)
    assert len([p.id for p in c.iter_all(page_size=4, include_archived=True)]) == 23
    under_a = [p.id for p in c.iter_by_category("a", page_size=3)]
    assert under_a == ids  # a product is listed under every ancestor
    under_b = [p.id for p in c.iter_by_category("a/b", page_size=5)]
    assert under_b == ["p%02d" % i for i in range(1, 23, 2) if i != 5]
    it = c.iter_by_category("a", page_size=2)
    assert next(it).id == "p00"  # lazy: a generator
    with pytest.raises(commerce.InvalidArgument, match="limit"):
        c.list(limit=0)
    with pytest.raises(commerce.InvalidArgument):
        c.list(limit=1001)


def test_categories_bad_input(engine):
    c = engine.catalog
    with pytest.raises(commerce.NotFound):
        c.upsert_category("x/y", "Y")  # parent missing
    with pytest.raises(commerce.NotFound):
        c.upsert(make_product("p", categories=["nowhere"]))
    with pytest.raises(commerce.InvalidArgument):
        c.upsert_category("Bad Id", "x")
    with pytest.raises(commerce.InvalidArgument):
        c.upsert_category("", "x")
    with pytest.raises(commerce.NotFound):
        c.get_category("none")
    assert last_seq(engine) == 0


# (what, how to spoil a good product, the field the message starts with) — the C++ tables.
def _v(i):
    return lambda p: p.variants[i]


BAD_PRODUCTS = [
    ("empty id", {"id": ""}, "id"),
    ("65-byte id", {"id": "x" * 65}, "id"),
    ("control character in id", {"id": "bad\x01id"}, "id"),
    ("slash in id", {"id": "bad/id"}, "id"),
    ("leading space in id", {"id": " p-1"}, "id"),
    ("trailing space in id", {"id": "bad "}, "id"),
    ("DEL in id", {"id": "p\x7f"}, "id"),
    ("truncated UTF-8 in id", {"id": b"p\xc3"}, "id"),
    ("empty title", {"title": ""}, "title"),
    ("title of 1001 bytes", {"title": "t" * 1001}, "title"),
    ("newline in title", {"title": "two\nlines"}, "title"),
    ("tab in title", {"title": "a\ttitle"}, "title"),
    ("blank title", {"title": "   "}, "title"),
    ("invalid UTF-8 in title", {"title": b"caf\xc3\x28"}, "title"),
    ("truncated UTF-8 in title", {"title": b"bad \xe2\x82"}, "title"),
    ("UTF-8 surrogate in title", {"title": b"surrogate \xed\xa0\x80"}, "title"),
    ("overlong UTF-8 in title", {"title": b"x\xc0\xaf"}, "title"),
    ("C1 control in title", {"title": "Acme\x99"}, "title"),
    ("description of 100,001 bytes", {"description": "d" * 100001}, "description"),
    ("bell in description", {"description": "bell\x07"}, "description"),
    ("invalid UTF-8 in description", {"description": b"bad \xff"}, "description"),
    ("brand of 201 bytes", {"brand": "b" * 201}, "brand"),
    ("newline in brand", {"brand": "Ac\nme"}, "brand"),
    ("no variants", {"variants": []}, "variants"),
    ("negative popularity", {"popularity": -1}, "popularity"),
    ("status out of range", {"status": commerce.ProductStatus(7)}, "status"),
    ("duplicate product option", {"options": ["size", "size"]}, "options[1]"),
    ("empty product option", {"options": ["size", ""]}, "options[1]"),
    ("empty attribute key", {"attributes": {"": "x"}}, "attributes[0]"),
    ("attribute key of 101 bytes", {"attributes": {"k" * 101: "x"}}, "attributes[0]"),
    ("attribute value of 10,001 bytes", {"attributes": {"care": "v" * 10001}}, "attributes.care"),
    ("invalid UTF-8 in attribute value", {"attributes": {"care": b"bad \xc3\x28"}}, "attributes.care"),
    ("empty category id", {"categories": [""]}, "categories[0]"),
    ("category id of 513 bytes", {"categories": ["c" * 513]}, "categories[0]"),
    ("duplicate category", {"categories": ["c", "c"]}, "categories[1]"),
    ("101 categories", {"categories": ["c%d" % i for i in range(101)]}, "categories"),
]
BAD_VARIANTS = [
    ("empty sku", {"sku": ""}, "variants[1].sku"),
    ("65-byte sku", {"sku": "S" * 65}, "variants[1].sku"),
    ("sku with a newline", {"sku": "S\nKU"}, "variants[1].sku"),
    ("tab in sku", {"sku": "A\tB"}, "variants[1].sku"),
    ("trailing space in sku", {"sku": "SKU "}, "variants[1].sku"),
    ("duplicate sku", {"sku": "A-1"}, "variants[1].sku"),
    ("negative price", {"price": commerce.Money(-1, "USD")}, "variants[1].price"),
    ("price past MAX_MONEY_MINOR", {"price": commerce.Money(commerce.MAX_MONEY_MINOR + 1, "USD")}, "variants[1].price"),
    ("unknown currency", {"price": commerce.Money(100, "XYZ")}, "variants[1].currency"),
    ("mixed currencies", {"price": commerce.Money(100, "EUR")}, "variants[1].currency"),
    ("option not in product options", {"options": {"width": "wide"}}, "variants[1].options.width"),
    ("empty option value", {"options": {"size": ""}}, "variants[1].options.size"),
    ("newline in option value", {"options": {"size": "4\n2"}}, "variants[1].options.size"),
    ("variant attribute value of 10,001 bytes", {"attributes": {"fit": "v" * 10001}}, "variants[1].attributes.fit"),
    ("barcode of 65 bytes", {"barcode": "1" * 65}, "variants[1].barcode"),
    ("newline in barcode", {"barcode": "12\n34"}, "variants[1].barcode"),
]


def _good():
    return commerce.Product(id="fresh", title="Good", options=["size"], variants=[
        commerce.Variant(sku="A-1", options={"size": "S"}, price=commerce.Money(100, "USD")),
        commerce.Variant(sku="A-2", options={"size": "M"}, price=commerce.Money(200, "USD"))])


@pytest.mark.parametrize("what,spoil,field", BAD_PRODUCTS + [
    ("variant: " + w, {"_variant": s}, f) for w, s, f in BAD_VARIANTS] + [
    ("1,001 variants", {"variants": [commerce.Variant(sku="S%d" % i, price=commerce.Money(1, "USD"))
                                     for i in range(1001)]}, "variants"),
    ("lower-case currency", {"_variant0": {"price": commerce.Money(100, "usd")}}, "variants[0].currency"),
], ids=lambda x: x if isinstance(x, str) else None)
def test_bad_product_is_invalid_argument_naming_the_field(lmdb_engine, what, spoil, field):
    e = lmdb_engine
    seed = e.catalog.upsert(make_product("seed", ["SEED-1"]))
    before = (e.catalog.stats().to_dict(), last_seq(e))
    for pid in ("fresh", "seed"):
        p = _good()
        p.id = pid
        for k, v in spoil.items():
            if k in ("_variant", "_variant0"):
                i = 1 if k == "_variant" else 0
                variants = p.variants
                for vk, vv in v.items():
                    setattr(variants[i], vk, vv)
                p.variants = variants
            else:
                setattr(p, k, v)
        with pytest.raises(commerce.InvalidArgument) as info:
            e.catalog.upsert(p)
        assert isinstance(info.value, ValueError)
        assert str(info.value).startswith(field + ": "), str(info.value)
        assert (e.catalog.stats().to_dict(), last_seq(e)) == before
        assert e.catalog.get("seed") == seed
    with pytest.raises(commerce.NotFound):
        e.catalog.get("fresh")


def test_limits_are_inclusive(engine):
    edge = make_product("i" * 64, ["s" * 64], commerce.MAX_MONEY_MINOR)
    assert engine.catalog.upsert(edge).id == "i" * 64


def test_bad_reads(engine):
    c = engine.catalog
    c.upsert(make_product("p1", ["A"]))
    with pytest.raises(commerce.InvalidArgument):
        c.get("")
    with pytest.raises(commerce.InvalidArgument):
        c.get_by_sku("")
    with pytest.raises(commerce.NotFound, match="p2") as info:
        c.get("p2")
    assert isinstance(info.value, KeyError) and "'p2'" in str(info.value)
    with pytest.raises(KeyError, match="B"):
        c.get_by_sku("B")
    for bad in ("p", "P1"):
        with pytest.raises(commerce.NotFound):
            c.get(bad)
    for n in (65, 300, 479, 512, 513, 5000):
        with pytest.raises((commerce.NotFound, commerce.InvalidArgument)):
            c.get("p" * n)
        with pytest.raises((commerce.NotFound, commerce.InvalidArgument)):
            c.get_by_sku("S" * n)


def test_eight_threads_racing_for_one_sku_exactly_one_wins(lmdb_engine):
    wins, losses = [], []
    barrier = threading.Barrier(8)

    def race(i):
        barrier.wait()
        try:
            lmdb_engine.catalog.upsert(make_product("p%d" % i, ["CONTESTED"]))
            wins.append(i)
        except commerce.AlreadyExists:
            losses.append(i)

    threads = [threading.Thread(target=race, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(wins) == 1 and len(losses) == 7
    assert lmdb_engine.catalog.get_by_sku("CONTESTED").id == "p%d" % wins[0]


def test_wrong_python_types_are_type_errors(engine):
    with pytest.raises(TypeError):
        engine.catalog.upsert({"id": "p1"})  # a dict is not a Product: Product.from_dict(d)
    with pytest.raises(TypeError):
        engine.catalog.get(42)
    with pytest.raises(TypeError):
        commerce.Product(popularity="high")


def test_product_from_json_is_the_import_reader(engine):
    """Product.from_json reads the import schema with the importer's own reader: decimal
    prices, category paths, a default currency, and the engine fields to_json writes."""
    engine.catalog.upsert_category("shoes", "Shoes")
    engine.catalog.upsert_category(commerce.Category(id="shoes/running", name="Running"))
    p = commerce.Product.from_json(
        '{"id": "tr-1", "title": "Trail", "categories": ["Shoes > Running"],'
        ' "variants": [{"sku": "TR-1", "price_decimal": "49.99"}]}', default_currency="EUR")
    assert p.categories == ["shoes/running"]
    assert p.variants[0].price == commerce.Money(4999, "EUR")
    stored = engine.catalog.upsert(p)
    again = commerce.Product.from_json(stored.to_json())
    assert again.version == 0 and again.title == stored.title and again.variants == stored.variants
    with pytest.raises(commerce.InvalidArgument, match=r"^variants\[0\].price: "):
        commerce.Product.from_json('{"id": "x", "title": "X", "variants": [{"sku": "X", "price": "1"}]}')
    with pytest.raises(commerce.InvalidArgument, match="invalid JSON"):
        commerce.Product.from_json('{"id": ')
