"""Value objects, Money, enums and the exception classes: no store needed."""

import copy
import decimal
import pickle
import re
from pathlib import Path

import pytest

import commerce
from commerce import _commerce

ROOT = Path(__file__).resolve().parents[2]


def test_value_objects_construct_by_keyword_and_compare_by_value():
    p = commerce.Product(id="p1", title="T", variants=[{"sku": "A", "price": {"minor": 5, "currency": "USD"}}])
    assert isinstance(p.variants[0], commerce.Variant)
    assert isinstance(p.variants[0].price, commerce.Money)
    q = commerce.Product(id="p1", title="T", variants=[commerce.Variant(sku="A", price=commerce.Money(5, "USD"))])
    assert p == q
    q.title = "other"
    assert p != q
    assert p != "p1"
    with pytest.raises(TypeError, match="no field 'colour'"):
        commerce.Product(colour="red")
    with pytest.raises(TypeError):
        hash(p)


def test_repr_shows_the_fields_that_are_set():
    p = commerce.Product(id="p1", title="x" * 500, popularity=3)
    r = repr(p)
    assert r.startswith("Product(id='p1', title='xxx")
    assert "popularity=3" in r and "..." in r and len(r) < 300
    assert "description" not in r  # left at its default
    assert repr(commerce.Money(4999, "USD")) == "Money(minor=4999, currency='USD')"
    assert str(commerce.Money(4999, "USD")) == "49.99 USD"
    assert "status=ProductStatus.DRAFT" in repr(commerce.Product(status="draft"))


def test_to_dict_from_dict_round_trip_nested_values_and_enums():
    o = commerce.Order(
        id="ord-1", status=commerce.OrderStatus.PAID,
        lines=[commerce.OrderLine(sku="A", quantity=2, unit_price=commerce.Money(5, "USD"))],
        history=[commerce.OrderTransition(from_="placed", to="paid", time_ms=7)],
        shipping_address=commerce.Address(region="us-east"))
    d = o.to_dict()
    assert d["status"] == "paid"
    assert d["lines"][0]["unit_price"] == {"minor": 5, "currency": "USD"}
    assert d["history"][0]["from"] == "placed"  # a keyword field is "from" in dicts
    assert d["shipping_address"]["region"] == "us-east"
    assert commerce.Order.from_dict(d) == o
    dd = o.to_dict(decimal=True)
    assert dd["lines"][0]["unit_price"] == {"amount": decimal.Decimal("0.05"), "currency": "USD"}
    assert commerce.Order.from_dict(dd) == o
    with pytest.raises(TypeError):
        commerce.Order.from_dict({"nope": 1})


def test_copy_and_pickle():
    p = commerce.Product(id="p1", title="T", variants=[{"sku": "A", "price": {"minor": 5, "currency": "USD"}}])
    for clone in (copy.copy(p), copy.deepcopy(p), pickle.loads(pickle.dumps(p))):
        assert clone == p and clone is not p
    assert type(pickle.loads(pickle.dumps(commerce.Money(1, "EUR")))) is commerce.Money


def test_money_is_exact_and_never_a_float():
    m = commerce.Money.from_decimal(decimal.Decimal("49.99"), "USD")
    assert (m.minor, m.currency) == (4999, "USD")
    assert m.to_decimal() == decimal.Decimal("49.99")
    assert commerce.Money.from_decimal("500", "JPY").minor == 500
    assert commerce.Money(500, "JPY").format() == "500"
    assert commerce.Money.from_decimal("1.234", "BHD").minor == 1234
    with pytest.raises(TypeError, match="float"):
        commerce.Money(49.99, "USD")
    with pytest.raises(TypeError, match="float"):
        commerce.Money.from_decimal(49.99, "USD")
    with pytest.raises(TypeError):
        commerce.Money(decimal.Decimal("49.99"), "USD")  # would truncate: refused
    with pytest.raises(TypeError):
        commerce.Money(True, "USD")
    # The C++ ParseMoney's rejections (tests/unit/common_money_test.cpp), with its messages.
    assert commerce.Money.parse("10000000000000.00", "USD").minor == commerce.MAX_MONEY_MINOR
    assert commerce.Money.parse("-10000000000000.00", "USD", allow_negative=True).minor == -commerce.MAX_MONEY_MINOR
    rejected = [("10000000000000.01", "USD", "too large"), ("1000000000000001", "JPY", "too large"),
                ("99999999999999999999999999999", "USD", "too large"), (".5", "USD", "before the decimal point"),
                ("5.", "USD", "after the decimal point"), ("1e3", "USD", "unexpected 'e'"),
                ("1,299", "USD", "unexpected ','"), ("1,299.00", "USD", "unexpected ','"), ("+5", "USD", "leading '+'"),
                ("", "USD", "empty"), (" 5", "USD", "not a number"), ("5 ", "USD", "unexpected ' '"),
                ("$5", "USD", "not a number"), ("12.345", "USD", "'12.345' for USD"),
                ("12.345", "USD", "up to 2 decimals"), ("1.5", "JPY", "JPY has no minor units"),
                ("1.0001", "BHD", "too many decimals"), ("-1", "USD", "negative"), ("0x10", "USD", "unexpected 'x'"),
                ("NaN", "USD", "not a number"), ("1.00", "XYZ", "XYZ")]
    for text, currency, message in rejected:
        with pytest.raises(commerce.InvalidArgument) as info:
            commerce.Money.parse(text, currency)
        assert message in str(info.value), (text, str(info.value))
    with pytest.raises(commerce.InvalidArgument, match="not a number"):
        commerce.Money.parse("--1", "USD", allow_negative=True)
    with pytest.raises(commerce.InvalidArgument):
        commerce.Money.from_decimal(decimal.Decimal("0.001"), "USD")
    assert commerce.Money.parse("-0.5", "USD", allow_negative=True).minor == -50
    assert commerce.Money.parse("9999999999999.99", "USD").minor == commerce.MAX_MONEY_MINOR - 1
    assert commerce.is_known_currency("EUR") and not commerce.is_known_currency("usd")
    assert commerce.currency_exponent("JPY") == 0 and commerce.currency_exponent("XYZ") == -1


def test_enums_accept_their_engine_names():
    assert commerce.OrderStatus("paid") == commerce.OrderStatus.PAID
    assert str(commerce.OrderStatus.PAID) == "paid"
    assert str(commerce.ProductStatus.ARCHIVED) == "archived"
    with pytest.raises(commerce.InvalidArgument, match="status"):
        commerce.OrderStatus("lost")
    p = commerce.Product(status="draft")
    assert p.status == commerce.ProductStatus.DRAFT


def _def_rows():
    text = (ROOT / "include/commerce/status_codes.def").read_text()
    return re.findall(r"^COMMERCE_STATUS_CODE\((\w+),\s*(\w+),\s*(\d+),\s*(\w+)\)", text, re.M)


def test_one_exception_class_per_row_of_status_codes_def():
    rows = _def_rows()
    assert rows, "status_codes.def has rows"
    assert [r[1] for r in _commerce.status_codes()] == [r[0] for r in rows]
    for value, (name, wire, http, kind) in enumerate(rows, 1):
        cls = getattr(commerce, name)
        assert issubclass(cls, commerce.Error)
        assert (cls.code, cls.wire_name, cls.http_status, cls.kind) == (value, wire, int(http), kind)
        assert cls.retryable == (kind == "world")
        assert commerce.error_for_code(value) is cls and commerce.error_for_code(wire) is cls
        # Every code raised by the engine comes back as its class, with the message as given.
        with pytest.raises(cls) as info:
            _commerce._raise_status(value, "what went wrong: 'x'")
        assert str(info.value) == "what went wrong: 'x'"
        assert info.value.message == "what went wrong: 'x'"
        assert type(info.value) is cls
    assert issubclass(commerce.NotFound, KeyError)
    assert issubclass(commerce.InvalidArgument, ValueError)
    assert not issubclass(commerce.Conflict, (KeyError, ValueError))


def test_messages_with_invalid_utf8_are_replaced_not_a_second_error():
    with pytest.raises(commerce.InvalidArgument) as info:
        commerce.Money.parse(b"4\xff9", "USD")
    assert "\ufffd" in str(info.value) or "4" in str(info.value)


def test_category_id_from_path():
    assert commerce.category_id_from_path(["Cell Phones", "Prepaid Phones"]) == "cell-phones/prepaid-phones"


def test_sample_catalog_is_deterministic(tmp_path):
    a = commerce.SampleCatalog(products=20, seed=7)
    b = commerce.SampleCatalog(products=20, seed=7)
    assert len(a) == 20 and a.product(3) == b.product(3)
    assert a.product(3).id == commerce.SampleCatalog.product_id(3) == "p00000003"
    a.write_jsonl(tmp_path / "s.jsonl")
    assert len((tmp_path / "s.jsonl").read_text().splitlines()) == 20


def _bool_fields():
    """(class, field) for every bool field of every value class (a default of True or False)."""
    out = []
    for name in dir(commerce):
        cls = getattr(commerce, name)
        if not isinstance(cls, type) or not hasattr(cls, "_fields"):
            continue
        try:
            obj = cls()
        except TypeError:
            continue
        out += [(cls, f) for f in cls._fields if isinstance(getattr(obj, f), bool)]
    return out


def test_bool_fields_take_a_bool_only():
    # pybind11 converted as bool() does: None became False and numbers a truth value, so
    # query(..., relax=None) turned relaxation off without a word.
    fields = _bool_fields()
    names = {(cls.__name__, f) for cls, f in fields}
    for expected in [("SearchRequest", f) for f in ("in_stock", "prefix", "typo_tolerance", "relax",
                                                     "category_intent", "use_cache", "allow_partial", "explain")] + \
                    [("SuggestRequest", "typo_tolerance"), ("SuggestRequest", "popular_queries"),
                     ("Promotion", "active"), ("Warehouse", "active")]:
        assert expected in names
    for cls, f in fields:
        for good in (True, False):
            assert getattr(cls(**{f: good}), f) is good
        obj = cls()
        before = getattr(obj, f)
        for bad in (None, 0, 1, 2.5, "true", [True]):
            with pytest.raises(TypeError, match=re.escape(cls.__name__ + "." + f)):
                cls(**{f: bad})
            with pytest.raises(TypeError, match=re.escape(cls.__name__ + "." + f)):
                setattr(obj, f, bad)
            with pytest.raises(TypeError, match=re.escape(cls.__name__ + "." + f)):
                cls.from_dict({f: bad})
        assert getattr(obj, f) is before  # a refused value changes nothing


def test_bool_arguments_of_calls_take_a_bool_only(lmdb_engine, tmp_path):
    # The calls' own yes-or-no arguments converted as bool() does too: restock=None was no
    # restock, include_archived=1 a listing with the archived. Refused before the call runs.
    e = lmdb_engine
    e.catalog.upsert(commerce.Product(id="p1", title="T", variants=[{"sku": "A", "price": {"minor": 5, "currency": "USD"}}]))
    calls = {
        "with_engine_fields": lambda v: e.catalog.get("p1").to_json(with_engine_fields=v),
        "include_archived": lambda v: e.catalog.list(include_archived=v),
        "include_archived ": lambda v: e.catalog.list_by_category("c", include_archived=v),
        "sync": lambda v: e.events.set_cursor("c1", 1, sync=v),
        "allow_negative": lambda v: commerce.Money.parse("-1.00", "USD", allow_negative=v),
        "allow_negative ": lambda v: _commerce.parse_money("-1.00", "USD", allow_negative=v),
        "restock": lambda v: e.orders.transition("ord-none", "returned", restock=v),
        "search": lambda v: commerce.verify(tmp_path / "none", search=v),
        "active": lambda v: e.webhooks.update("wh-none", active=v),
    }
    for name, call in calls.items():
        for bad in (0, 1, "yes", 2.5) + (() if name == "active" else (None,)):
            with pytest.raises(TypeError, match=name.strip()):
                call(bad)
    assert e.events.cursor("c1") == 0  # nothing was written
    assert e.catalog.get("p1").to_json(with_engine_fields=False)
    assert [p.id for p in e.catalog.list(include_archived=True).items] == ["p1"]
    assert commerce.Money.parse("-1.00", "USD", allow_negative=True).minor == -100
