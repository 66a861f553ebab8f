"""Engine lifecycle, the event log and search through Python, with the bad inputs of
tests/unit/engine_engine_test.cpp, events_events_test.cpp and search_search_test.cpp."""

import datetime
import threading
import time

import pytest

import commerce
from conftest import last_seq, make_product, open_engine


def test_engine_is_a_context_manager_and_calls_after_close_fail(tmp_path, driver):
    path = tmp_path / "store"
    with open_engine(path, driver) as e:
        assert e.driver == driver and repr(e) == "<commerce.Engine driver=%r>" % driver
        e.catalog.upsert(make_product("p1"))
        cat, events = e.catalog, e.events
    for call in (lambda: cat.get("p1"), lambda: cat.upsert(make_product("p2")), lambda: cat.list(),
                 lambda: cat.stats(), lambda: cat.upsert_category("c", "C"), lambda: events.last_seq(),
                 lambda: events.tail(1), lambda: events.cursor("c"), lambda: events.set_cursor("c", 0),
                 lambda: events.wait(0, datetime.timedelta(milliseconds=10))):
        with pytest.raises(commerce.FailedPrecondition):
            call()
    e.close()  # idempotent
    with open_engine(path, driver) as again:
        assert again.catalog.get("p1").title == "Product p1"
        assert again.events.last_seq() == 1


def test_engine_open_errors(tmp_path, driver):
    with pytest.raises(commerce.InvalidArgument, match="path"):
        commerce.Engine("", driver=driver)
    with pytest.raises(commerce.InvalidArgument, match="rocksdb"):
        commerce.Engine(tmp_path / "s", driver="rocksdb")
    f = tmp_path / "a-file"
    f.write_text("not a directory\n")
    with pytest.raises(commerce.Unavailable, match=str(f)):
        commerce.Engine(f, driver=driver)
    with pytest.raises(commerce.Unavailable):
        commerce.Engine(f / "store", driver=driver)
    with pytest.raises(TypeError, match="unknown option"):
        commerce.Engine(tmp_path / "s", colour="red")
    with pytest.raises(commerce.InvalidArgument, match="consumer_lease_ttl"):
        commerce.Engine(tmp_path / "lease", driver=driver, consumer_lease_ttl=0.1)
    assert not (tmp_path / "lease").exists()
    with open_engine(tmp_path / "busy", driver):
        with pytest.raises(commerce.Unavailable):
            open_engine(tmp_path / "busy", driver)


def test_engine_create_if_missing_false_opens_existing_stores_only(tmp_path, driver):
    typo = tmp_path / "typo"
    with pytest.raises(commerce.NotFound, match="no store at"):
        commerce.Engine(typo, driver=driver, create_if_missing=False)
    assert not typo.exists()  # nothing created
    typo.mkdir()
    with pytest.raises(commerce.NotFound):
        commerce.Engine(typo, driver=driver, create_if_missing=False)
    assert list(typo.iterdir()) == []
    with open_engine(typo, driver) as e:
        e.catalog.upsert(make_product("p1"))
    with commerce.Engine(typo, driver=driver, create_if_missing=False) as e:
        assert e.catalog.get("p1").title == "Product p1"


def test_engine_options_and_pricing(tmp_path):
    pricing = commerce.make_default_pricing(commerce.DefaultPricingOptions(
        default_tax_bp=1000, shipping_per_shipment_minor=500))
    opts = commerce.EngineOptions(path=str(tmp_path / "s"), run_background=False, pricing=pricing,
                                  search={"shards": 1, "run_indexer": False}, storage={"max_group_size": 64})
    with commerce.Engine(options=opts) as e:
        e.catalog.upsert(make_product("p", ["P"], 1000))
        e.inventory.upsert_warehouse(commerce.Warehouse(id="w", name="W", region="r"))
        e.inventory.receive("P", "w", 5)
        e.customers.create(commerce.Customer(id="c", email="c@example.com"))
        o = e.orders.place(idempotency_key="k", customer_id="c", lines=[{"sku": "P", "quantity": 2}],
                           shipping_address=dict(name="C", line1="1 St", city="X", region="r", country="US"))
        assert (o.subtotal.minor, o.tax.minor, o.shipping.minor, o.total.minor) == (2000, 200, 500, 2700)


def test_events_tail_iter_and_limits(engine):
    for i in range(1, 13):
        engine.catalog.upsert(make_product("p%d" % i))
    events = engine.events
    all_ = events.tail(1)
    assert [e.seq for e in all_] == list(range(1, 13))
    assert (all_[0].type, all_[0].subject) == ("ProductUpserted", "p1")
    assert isinstance(all_[0].json(), dict)
    assert events.tail(0) == all_
    assert events.tail(5, 3) == all_[4:7]
    assert events.tail(13) == [] and events.tail(1, 10000) == all_
    assert list(events.iter(page_size=5)) == all_
    assert [e.seq for e in events.iter(11)] == [11, 12]
    assert list(events.iter(types=["Nope"])) == []
    for limit in (0, 10001):
        with pytest.raises(commerce.InvalidArgument, match="limit"):
            events.tail(1, limit)
    df = events.to_dataframe(from_seq=3)
    assert list(df["seq"]) == list(range(3, 13)) and set(df["type"]) == {"ProductUpserted"}


def test_cursors_checked_and_durable(tmp_path, driver):
    path = tmp_path / "s"
    with open_engine(path, driver) as e:
        for i in range(5):
            e.catalog.upsert(make_product("p%d" % i))
        ev = e.events
        assert ev.cursor("search-indexer") == 0
        ev.set_cursor("search-indexer", 3)
        ev.set_cursor("webhooks_v2.eu", 5)
        ev.set_cursor("webhooks_v2.eu", 4)
        with pytest.raises(commerce.InvalidArgument):
            ev.set_cursor("search-indexer", 6)
        for bad in ["", "Upper", "has space", "a/b", "c" * 65, "café", "nul\0x"]:
            with pytest.raises(commerce.InvalidArgument):
                ev.cursor(bad)
            with pytest.raises(commerce.InvalidArgument):
                ev.set_cursor(bad, 1)
        ev.set_cursor("z" * 64, 2)
        assert last_seq(e) == 5
    with open_engine(path, driver) as e:
        assert (e.events.cursor("search-indexer"), e.events.cursor("webhooks_v2.eu"), e.events.cursor("z" * 64)) \
            == (3, 4, 2)


def test_wait_and_follow_see_writes_from_another_thread(lmdb_engine):
    e = lmdb_engine
    t0 = time.monotonic()
    assert e.events.wait(0, 0.2) == 0  # seconds as a float, or a timedelta
    assert time.monotonic() - t0 >= 0.15
    # ...or an int of seconds (pybind11 took a timedelta or a float only: TypeError)
    assert e.events.wait(0, 0) == 0
    r = commerce.EventRetention(max_age=5)
    assert r.max_age == datetime.timedelta(seconds=5)
    r.max_age = 2 * 86400
    assert r.max_age == datetime.timedelta(days=2)
    for bad in (True, 10**30):  # a bool is no duration; past what the type holds
        with pytest.raises(TypeError):
            r.max_age = bad
    stop = threading.Event()
    seen = []

    def follower():
        for ev in e.events.follow(from_seq=1, consumer="test-follower", poll=0.05, stop=stop):
            seen.append(ev.subject)
            if len(seen) == 3:
                stop.set()

    t = threading.Thread(target=follower)
    t.start()
    for i in range(3):
        e.catalog.upsert(make_product("f%d" % i))
        time.sleep(0.02)
    t.join(10)
    assert not t.is_alive() and seen == ["f0", "f1", "f2"]
    assert e.events.cursor("test-follower") >= 2  # the processed ones are remembered
    # A new follower under the same name resumes after the last processed event.
    e.catalog.upsert(make_product("f3"))
    resumed = e.events.follow(consumer="test-follower", poll=0.05)
    assert next(resumed).subject == "f3"


@pytest.fixture
def search_shop(lmdb_engine):
    e = lmdb_engine
    e.catalog.upsert_category("audio", "Audio")
    e.catalog.upsert(commerce.Product(id="h1", title="Wireless Headphones", brand="Sony", categories=["audio"],
                                      variants=[{"sku": "H1", "price": {"minor": 9999, "currency": "USD"}}]))
    e.catalog.upsert(commerce.Product(id="h2", title="Wired Headphones", brand="Bose", categories=["audio"],
                                      variants=[{"sku": "H2", "price": {"minor": 4999, "currency": "USD"}}]))
    e.catalog.upsert(commerce.Product(id="m1", title="Coffee Mug", brand="Acme",
                                      variants=[{"sku": "M1", "price": {"minor": 999, "currency": "USD"}}]))
    e.run_background_once()
    return e


def test_search_queries_filters_facets(search_shop):
    s = search_shop.search
    r = s.query("headphones")
    assert {h.product_id for h in r.hits} == {"h1", "h2"} and r.total == 2
    assert isinstance(r.hits[0].price, commerce.Money)
    assert [h.product_id for h in s.query("headphones", brands=["sony"]).hits] == ["h1"]
    assert [h.product_id for h in s.query(text="headphon", sort="price_asc").hits] == ["h2", "h1"]
    assert [h.product_id for h in s.query(commerce.SearchRequest(price_max=1000)).hits] == ["m1"]
    assert s.query({"text": "hedphones"}).used_correction
    # the fall-back needs minimum_should_match percent of the words: 3 of 4 by default (75),
    # 2 of 4 at 50 (h1 has two of them, m1 one)
    assert not s.query("wireless headphones coffee kettle ", use_cache=False).hits
    loose = s.query("wireless headphones coffee kettle ", minimum_should_match=50, use_cache=False)
    assert loose.relaxed and [h.product_id for h in loose.hits] == ["h1"]
    f = s.query("", facets=["brand", "category"])
    assert [fv.value for fv in f.facets[0].values] and f.facets[1].field == "category"
    s.set_synonyms([["mug", "cup"]])
    assert s.synonyms() == [["mug", "cup"]] or sorted(map(sorted, s.synonyms())) == [["cup", "mug"]]
    assert [h.product_id for h in s.query("cup", use_cache=False).hits] == ["m1"]
    seen = []
    s.rebuild(progress=seen.append)
    assert s.stats().documents == 3
    assert s.query("mug").hits[0].product_id == "m1"
    with pytest.raises(TypeError):
        s.query(commerce.SearchRequest(), text="x")


def test_bool_fields_of_requests_take_a_bool_only(search_shop):
    # None and numbers were read as bool() reads them: relax=None turned relaxation off.
    e = search_shop
    s = e.search
    fields = ("in_stock", "prefix", "typo_tolerance", "relax", "category_intent", "use_cache", "allow_partial",
              "explain")
    for field in fields:
        for bad in (None, 0, 1, 1.0):
            with pytest.raises(TypeError, match="SearchRequest." + field):
                s.query("headphones", **{field: bad})
            with pytest.raises(TypeError, match="SearchRequest." + field):
                s.query({"text": "headphones", field: bad})
    assert {h.product_id for h in s.query("headphones", relax=False, explain=True).hits} == {"h1", "h2"}
    for field in ("typo_tolerance", "popular_queries"):
        with pytest.raises(TypeError, match="SuggestRequest." + field):
            s.suggest("head", **{field: None})
    # A write request: refused before anything is stored.
    with pytest.raises(TypeError, match="Promotion.active"):
        e.promotions.create(id="ten", name="10% off", currency="USD", action="percent_off_lines",
                            percent_bp=1000, active=None)
    assert e.promotions.list() == []


def test_search_multi_select_price_buckets_and_category_tree(search_shop):
    s = search_shop.search
    # Sony ticked: the hits are Sony's; a disjunctive brand facet still counts the others.
    r = s.query("", brands=["Sony"], facets=["brand"], disjunctive_facets=["brand"], use_cache=False)
    assert [h.product_id for h in r.hits] == ["h1"]
    assert {(v.value, v.count) for v in r.facets[0].values} == {("Sony", 1), ("Bose", 1), ("Acme", 1)}
    plain = s.query("", brands=["Sony"], facets=["brand"], use_cache=False)
    assert [(v.value, v.count) for v in plain.facets[0].values] == [("Sony", 1)]
    # Given price buckets, and the price range left out of a disjunctive price facet.
    p = s.query(commerce.SearchRequest(price_max=5000, facets=["price"], disjunctive_facets=["price"],
                                       price_buckets=[1000, 5000]))
    assert [h.product_id for h in sorted(p.hits, key=lambda h: h.product_id)] == ["h2", "m1"]
    assert [(v.value, v.count) for v in p.facets[0].values] == [("0..999", 1), ("1000..4999", 1), ("5000..", 1)]
    # The category tree: levels, parents, names.
    t = s.query("", categories=["audio"], facets=["category_tree"])
    assert [(v.level, v.parent, v.value, v.label, v.count) for v in t.facets[0].values] == [
        (0, "", "audio", "Audio", 2)]
    for bad, field in [(dict(facets=["brand"], disjunctive_facets=["price"]), "disjunctive_facets"),
                       (dict(facets=["price"], price_buckets=[500, 100]), "price_buckets"),
                       (dict(facets=["price"], price_buckets=[0]), "price_buckets")]:
        with pytest.raises(commerce.InvalidArgument, match=field):
            s.query(**bad)


SEARCH_BAD = [
    dict(text="a" * 10000), dict(text="a" * 600), dict(text="w " * 40), dict(text=b"bad \xff utf8"),
    dict(facets=["colour"]), dict(sort="cheapest"), dict(price_min=-1), dict(price_min=500, price_max=100),
    dict(offset=9990, limit=20), dict(limit=0), dict(limit=101), dict(facets=["brand"], facet_size=0),
    dict(minimum_should_match=0), dict(minimum_should_match=101),
    dict(facets=["brand"], disjunctive_facets=["colour"]), dict(facets=["price"], price_buckets=[-1]),
]


def test_search_rejects_bad_requests_naming_the_field(search_shop):
    s = search_shop.search
    for bad in SEARCH_BAD:
        with pytest.raises(commerce.InvalidArgument):
            s.query(**bad)
    with pytest.raises(commerce.InvalidArgument, match="sort"):
        s.query(sort="cheapest")
    with pytest.raises(commerce.InvalidArgument, match="minimum_should_match"):
        s.query("mug", minimum_should_match=-5)
    for q in ['"unbalanced', "sony AND", "(((", "NOT", "-", '""', "sony OR OR bose", "a*b*c", "~~~", "title:"]:
        s.query(q)
    with pytest.raises(commerce.InvalidArgument):
        s.wait_for(1, datetime.timedelta(milliseconds=-1))
    with pytest.raises(commerce.DeadlineExceeded):
        s.query("mug", min_index_seq=10**6, wait_timeout=datetime.timedelta(milliseconds=50))


def test_search_category_intent_on_off_and_bad_values(lmdb_engine):
    # docs/search.md, "Ranking": two car chargers say "charger" twice (the BM25 top), five
    # phone chargers once; the phone chargers lead the query's matches and go first.
    e = lmdb_engine
    for cid in ("auto", "auto/batteries", "mobile", "mobile/power"):
        e.catalog.upsert_category(cid, "Dept " + str(len(cid)))
    items = [("c1", "Charger booster charger", "auto/batteries"), ("c2", "Charger trickle charger", "auto/batteries")]
    items += [(f"m{i}", f"Phone charger m{i}", "mobile/power") for i in range(1, 6)]
    for pid, title, cat in items:
        e.catalog.upsert(commerce.Product(id=pid, title=title, categories=[cat],
                                          variants=[{"sku": pid.upper(), "price": {"minor": 1000, "currency": "USD"}}]))
    e.run_background_once()
    s = e.search
    off = [h.product_id for h in s.query("charger", category_intent=False, use_cache=False).hits]
    assert sorted(off[:2]) == ["c1", "c2"]
    r = s.query(commerce.SearchRequest(text="charger", explain=True, use_cache=False))
    assert [h.product_id for h in r.hits] == [i for i in off if i[0] == "m"] + [i for i in off if i[0] == "c"]
    x = r.hits[0].explanation
    assert x.intent_category == "mobile/power" and 0.5 < x.intent_share < 1 and x.intent_added > 0
    assert commerce.SearchRequest().category_intent is True
    # A bool only: None and numbers are refused (they converted as bool() does, None to False).
    for bad in ("yes", [True], {"on": True}, None, 0, 1):
        with pytest.raises(TypeError, match="category_intent"):
            s.query("charger", category_intent=bad)
