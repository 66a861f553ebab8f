"""The postgres driver from Python: the same engine API on a shared PostgreSQL store, two
engines (two local directories, as two processes would have) seeing each other's writes,
and its bad inputs raising the engine's errors without showing the password."""

import uuid

import pytest

import commerce
from conftest import address, make_product, open_engine
from pg_cluster import SKIP_MESSAGE, pg_test_url

URL = pg_test_url()
pytestmark = pytest.mark.skipif(URL is None, reason=SKIP_MESSAGE)


def pg_engine(path, schema):
    return open_engine(path, "postgres", storage={"postgres_url": URL, "postgres_schema": schema})


@pytest.fixture
def schema():
    return "py_" + uuid.uuid4().hex[:16]


def test_two_engines_share_one_store(tmp_path, schema):
    with pg_engine(tmp_path / "a", schema) as a, pg_engine(tmp_path / "b", schema) as b:
        assert a.driver == "postgres"
        a.catalog.upsert(make_product("mug", ["MUG"], 999))
        a.inventory.upsert_warehouse(commerce.Warehouse(id="wh", name="WH", region="us-east"))
        a.inventory.receive("MUG", "wh", 3)
        a.customers.create(commerce.Customer(id="c1", email="c1@example.com"))
        # b sees a's acknowledged writes at once, and its orders draw on the same stock.
        assert b.catalog.get_by_sku("MUG").id == "mug"
        o = b.orders.place(commerce.PlaceOrder(idempotency_key="k1", customer_id="c1",
                                               lines=[commerce.OrderLineRequest(sku="MUG", quantity=3)],
                                               shipping_address=address()))
        assert a.orders.place(commerce.PlaceOrder(idempotency_key="k1", customer_id="c1",
                                                  lines=[commerce.OrderLineRequest(sku="MUG", quantity=3)],
                                                  shipping_address=address())).id == o.id
        with pytest.raises(commerce.OutOfStock):
            a.orders.place(commerce.PlaceOrder(idempotency_key="k2", customer_id="c1",
                                               lines=[commerce.OrderLineRequest(sku="MUG", quantity=1)],
                                               shipping_address=address()))
        assert a.inventory.get("MUG").available == 0
        assert a.events.last_seq() == b.events.last_seq()


def test_bad_settings_raise_without_the_password(tmp_path, schema):
    password = "s3cret-" + uuid.uuid4().hex[:8]
    with pytest.raises(commerce.InvalidArgument) as bad:
        open_engine(tmp_path / "x", "postgres",
                    storage={"postgres_url": "postgresql://u:%s@127.0.0.1:1/db?bogus=1" % password,
                             "postgres_schema": schema})
    assert password not in str(bad.value)
    with pytest.raises(commerce.Unavailable) as down:
        open_engine(tmp_path / "y", "postgres",
                    storage={"postgres_url": "postgresql://u:%s@127.0.0.1:1/db" % password,
                             "postgres_schema": schema})
    assert password not in str(down.value)
    with pytest.raises(commerce.InvalidArgument):
        pg_engine(tmp_path / "z", "Bad-Schema")


def test_wait_sees_another_engines_commit(tmp_path, schema):
    import threading
    import time
    with pg_engine(tmp_path / "a", schema) as a, pg_engine(tmp_path / "b", schema) as b:
        last = a.events.last_seq()
        writer = threading.Timer(0.3, lambda: b.customers.create(
            commerce.Customer(email="late@example.com")))
        writer.start()
        start = time.monotonic()
        seen = a.events.wait(last, 20.0)
        writer.join()
        assert seen > last
        assert time.monotonic() - start < 5  # the shared log is polled, not only this process



def test_shared_store_example(tmp_path):
    """examples/python/shared_store.py runs on the suite's server and prints what it promises."""
    import os
    import subprocess
    from pathlib import Path
    from conftest import PYTHON
    example = Path(__file__).resolve().parents[2] / "examples" / "python" / "shared_store.py"
    out = subprocess.run([PYTHON, str(example)], capture_output=True, text=True, timeout=120,
                         env=dict(os.environ, COMMERCE_PG_URL=URL))
    assert out.returncode == 0, out.stderr
    assert "a's wait woke on it: True" in out.stdout, out.stdout
    assert "a sees 8 available; one event log: True" in out.stdout, out.stdout


def test_writers_setting(tmp_path, schema):
    # postgres_writers: groups one process has in flight at once. Out of 1..64 it is refused
    # before anything is created, naming the field.
    for bad in (0, 65):
        with pytest.raises(commerce.InvalidArgument, match="postgres_writers"):
            open_engine(tmp_path / ("bad%d" % bad), "postgres",
                        storage={"postgres_url": URL, "postgres_schema": schema, "postgres_writers": bad})
        assert not (tmp_path / ("bad%d" % bad)).exists()
    # Eight writers: orders from several threads all land, each once, the stock never oversold.
    import threading
    with open_engine(tmp_path / "w", "postgres",
                     storage={"postgres_url": URL, "postgres_schema": schema, "postgres_writers": 8}) as e:
        e.catalog.upsert(make_product("mug", ["MUG"], 999))
        e.inventory.upsert_warehouse(commerce.Warehouse(id="wh", name="WH", region="us-east"))
        e.inventory.receive("MUG", "wh", 10)
        e.customers.create(commerce.Customer(id="c1", email="c1@example.com"))
        placed, refused = [], []

        def buy(i):
            try:
                placed.append(e.orders.place(commerce.PlaceOrder(
                    idempotency_key="k%d" % i, customer_id="c1",
                    lines=[commerce.OrderLineRequest(sku="MUG", quantity=1)], shipping_address=address())).id)
            except commerce.OutOfStock:
                refused.append(i)

        threads = [threading.Thread(target=buy, args=(i,)) for i in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(placed) == 10 and len(set(placed)) == 10
        assert len(refused) == 6
        assert e.inventory.get("MUG").available == 0
