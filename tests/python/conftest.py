"""Fixtures of the Python test suite: a fresh store per test, on each local driver where a
test is parametrized by `driver`.

The package is imported from PYTHONPATH (build/python, set by ctest); run by hand with
    PYTHONPATH=build/python /usr/bin/python3 -m pytest tests/python
"""

import os
import sqlite3
import struct
import sys

import pytest

import commerce

# The interpreter the tests run under; subprocess tests use the same one.
PYTHON = os.environ.get("COMMERCE_PYTHON", sys.executable)


def open_engine(path, driver="lmdb", **options):
    """An engine with background consumers off (tests drive them), as the C++ tests do."""
    options.setdefault("run_background", False)
    options.setdefault("search", {"shards": 1, "run_indexer": False})
    return commerce.Engine(str(path), driver=driver, **options)


@pytest.fixture(params=["lmdb", "sqlite"])
def driver(request):
    return request.param


@pytest.fixture
def engine(tmp_path, driver):
    with open_engine(tmp_path / "store", driver) as e:
        yield e


@pytest.fixture
def lmdb_engine(tmp_path):
    with open_engine(tmp_path / "store", "lmdb") as e:
        yield e


def make_product(id, skus=None, price=1999, currency="USD", **fields):
    """A valid product with one variant per SKU (by default one: '<id>-SKU')."""
    skus = skus or [id + "-SKU"]
    return commerce.Product(
        id=id,
        title="Product " + id,
        variants=[commerce.Variant(sku=s, price=commerce.Money(price, currency)) for s in skus],
        **fields,
    )


def address(region="us-east", **fields):
    a = dict(name="Ada", line1="1 Main St", city="Boston", region=region, country="US")
    a.update(fields)
    return commerce.Address(**a)


def last_seq(engine):
    return engine.events.last_seq()


@pytest.fixture
def shop(lmdb_engine):
    """A small shop: products TEE-S/TEE-M, MUG, OLD (archived), SOON (draft), MUG-EUR,
    GOLD (the largest price); warehouses east-1, east-2, west (inactive: closed); a customer."""
    e = lmdb_engine
    c = e.catalog
    c.upsert(commerce.Product(id="tee", title="Classic Tee", brand="Acme", options=["size"], variants=[
        commerce.Variant(sku="TEE-S", options={"size": "S"}, price=commerce.Money(1999, "USD")),
        commerce.Variant(sku="TEE-M", options={"size": "M"}, price=commerce.Money(1999, "USD"))]))
    c.upsert(make_product("mug", ["MUG"], 999))
    c.upsert(make_product("old", ["OLD"], 500))
    c.archive("old")
    c.upsert(make_product("soon", ["SOON"], 500, status="draft"))
    c.upsert(make_product("mug-eur", ["MUG-EUR"], 899, "EUR"))
    c.upsert(make_product("gold", ["GOLD"], commerce.MAX_MONEY_MINOR))
    inv = e.inventory
    inv.upsert_warehouse(commerce.Warehouse(id="east-1", name="Boston", region="us-east", priority=2))
    inv.upsert_warehouse(commerce.Warehouse(id="east-2", name="NYC", region="us-east", priority=1))
    inv.upsert_warehouse(commerce.Warehouse(id="closed", name="Old", region="us-east", active=False))
    e.customers.create(commerce.Customer(id="c1", email="ada@example.com", name="Ada"))
    return e


def old_version_warehouse(path):
    """A SQLite store holding a warehouse written the way codec version 1 did — a bare archive,
    no checksum — whose name is not UTF-8, as versions before the check let in."""
    def s(x):
        return struct.pack("<Q", len(x)) + x
    record = struct.pack("<I", 1) + s(b"w-old") + s(b"Old \xff\xfe") + s(b"us-east") + struct.pack("<i", 0) + b"\x01"
    with sqlite3.connect(str(path / "commerce.sqlite")) as db:
        db.execute('INSERT INTO "t_warehouses" (k, v) VALUES (?, ?)', (b"w-old\x00\x01", record))
