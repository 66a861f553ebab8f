"""Search analytics and suggestions from Python (bindings/python/search.cpp, commerce/_api.py):
the same objects as in C++ (tests/unit/search_analytics_test.cpp, search_suggester_test.cpp),
keyword and dict forms, counts exact from Python threads, and bad input raising InvalidArgument
(a ValueError) or NotFound naming the field."""
import threading

import pytest

import commerce
from conftest import open_engine


@pytest.fixture
def shop(tmp_path):
    with open_engine(tmp_path / "store") as e:
        for id, title in (("p1", "Sony Wireless Headphones"), ("p2", "Bose Wireless Headphones"),
                          ("p3", "Sony Headset for Gaming"), ("p4", "Wireless Mouse")):
            e.catalog.upsert(commerce.Product(id=id, title=title, variants=[
                {"sku": id.upper(), "price": {"minor": 5000, "currency": "USD"}}]))
        e.run_background_once()
        yield e


def test_searches_uses_and_the_report(shop):
    s = shop.search
    first = s.query("Wireless")
    second = s.query("wireless")  # the cache answers; another search, another id
    assert first.search_id and second.search_id and first.search_id != second.search_id
    assert s.query("qwertyuiop zxcvbnm").total == 0
    s.record_use(search_id=second.search_id, product_id="p1", kind="click")
    s.record_use({"search_id": second.search_id, "product_id": "p1", "kind": "order"})
    s.query("sony")
    report = s.analytics(limit=10)
    assert [q.query for q in report.top_queries] == ["wireless", "qwertyuiop zxcvbnm", "sony"]
    wireless = report.top_queries[0]
    assert (wireless.searches, wireless.used, wireless.clicks, wireless.orders) == (2, 1, 1, 1)
    assert [q.query for q in report.zero_result_queries] == ["qwertyuiop zxcvbnm"]
    assert [q.query for q in report.unused_queries] == ["sony"]
    assert report.searches == 4 and report.sample_rate == 1
    assert s.analytics(commerce.AnalyticsRequest(limit=1)).top_queries[0].query == "wireless"


def test_counts_are_exact_from_python_threads(shop):
    s = shop.search

    def run():
        for _ in range(200):
            r = s.query("headphones", use_cache=False)
            s.record_use(search_id=r.search_id, product_id=r.hits[0].product_id, kind="click")

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    q = s.analytics().top_queries[0]
    assert (q.query, q.searches, q.used, q.clicks) == ("headphones", 800, 800, 800)


def test_analytics_bad_input(shop):
    s = shop.search
    sid = s.query("sony").search_id
    with pytest.raises(commerce.InvalidArgument, match="kind"):
        s.record_use(search_id=sid, product_id="p1", kind="purchase")
    with pytest.raises(ValueError, match="product_id"):
        s.record_use(search_id=sid, product_id="", kind="click")
    with pytest.raises(commerce.InvalidArgument, match="search_id"):
        s.record_use(search_id="nope", product_id="p1", kind="click")
    with pytest.raises(commerce.NotFound):
        s.record_use(search_id="0123456789abcdef-1", product_id="p1", kind="click")
    # "sony" shows p1 and p3: a use of p2 (never shown) or of a product that exists nowhere is refused
    assert sorted(h.product_id for h in s.query("sony").hits) == ["p1", "p3"]
    with pytest.raises(commerce.InvalidArgument, match='product_id "p2" was not among the 2 hits'):
        s.record_use(search_id=sid, product_id="p2", kind="click")
    with pytest.raises(commerce.InvalidArgument, match="not among"):
        s.record_use(search_id=sid, product_id="nope", kind="order")
    s.record_use(search_id=sid, product_id="p3", kind="click")
    with pytest.raises(commerce.InvalidArgument, match="limit"):
        s.analytics(limit=0)
    with pytest.raises(TypeError):
        s.analytics(commerce.AnalyticsRequest(), limit=3)


def test_search_ids_outlive_the_engine_and_refuse_alteration(tmp_path):
    """A search id carries its search, signed with the store's key: an engine opened later on
    the same store (or another process sharing it) records its uses; an altered id is NotFound
    (a KeyError too) and counts nothing."""
    with open_engine(tmp_path / "store") as e:
        e.catalog.upsert(commerce.Product(id="p1", title="Sony Wireless Headphones", variants=[
            {"sku": "P1", "price": {"minor": 5000, "currency": "USD"}}]))
        e.run_background_once()
        sid = e.search.query("headphones").search_id
    with open_engine(tmp_path / "store") as e:
        e.run_background_once()
        e.search.record_use(search_id=sid, product_id="p1", kind="click")
        middle = len(sid) // 2
        altered = sid[:middle] + ("B" if sid[middle] == "A" else "A") + sid[middle + 1:]
        with pytest.raises(commerce.NotFound, match="not issued by an engine of this store"):
            e.search.record_use(search_id=altered, product_id="p1", kind="click")
        with pytest.raises(KeyError):
            e.search.record_use(search_id=altered, product_id="p1", kind="order")
        q = e.search.analytics().top_queries[0]
        assert (q.query, q.searches, q.used, q.clicks, q.orders) == ("headphones", 1, 1, 1, 0)


def test_analytics_off_and_bad_options(tmp_path):
    with open_engine(tmp_path / "off", search={"shards": 1, "analytics_sample_rate": 0}) as e:
        assert e.search.query("x").search_id == ""
        with pytest.raises(commerce.FailedPrecondition):
            e.search.record_use(search_id="0123456789abcdef-1", product_id="p1", kind="click")
    with pytest.raises(commerce.InvalidArgument, match="analytics_sample_rate"):
        open_engine(tmp_path / "bad", search={"analytics_sample_rate": 2.0})


def test_suggest(shop):
    s = shop.search
    # The words that follow "sony" in titles first, then those found with it anywhere in a
    # product ("Sony Wireless Headphones"), as in C++ (search_suggester_test.cpp).
    got = s.suggest("sony h")
    assert [x.text for x in got.suggestions] == ["sony headset", "sony headphones"]
    assert got.suggestions[0].source == "catalog" and got.suggestions[0].count == 1
    assert [(x.text, x.count) for x in s.suggest("sony hea").suggestions] == [("sony headset", 1),
                                                                              ("sony headphones", 1)]
    assert [x.text for x in s.suggest("sony ").suggestions] == ["sony headset", "sony wireless"]
    # "wireless" (3 products) goes on with "headphones" in 2 titles: a phrase completion.
    phrase = s.suggest("wir", popular_queries=False).suggestions
    assert [(x.text, x.source, x.count) for x in phrase] == [("wireless", "catalog", 3),
                                                             ("wireless headphones", "phrase", 2)]
    typo = s.suggest("wirles", limit=3)
    assert typo.suggestions[0].text == "wireless" and typo.suggestions[0].corrected
    for _ in range(2):
        s.query("sony wireless headphones")
    popular = s.suggest({"text": "sony"})
    assert popular.suggestions[0] == commerce.Suggestion(text="sony wireless headphones", source="query",
                                                         count=2, corrected=False)
    assert [x.source for x in s.suggest("sony", popular_queries=False).suggestions] == ["catalog"]
    with pytest.raises(commerce.InvalidArgument, match="text"):
        s.suggest("  ")
    with pytest.raises(commerce.InvalidArgument, match="limit"):
        s.suggest("so", limit=51)
