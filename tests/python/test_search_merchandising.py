"""Synonyms, merchandising rules and explanations from Python (bindings/python/search.cpp and
commerce/_api.py): the same objects as in C++ (tests/unit/search_rules_test.cpp,
search_synonyms_test.cpp), keyword and dict forms, versions and Conflict, and bad input raising
InvalidArgument (a ValueError) naming the field."""

import pytest

import commerce


@pytest.fixture
def shop(lmdb_engine):
    e = lmdb_engine
    e.catalog.upsert_category("audio", "Audio")
    for id, title, brand, colour in (("h1", "Wireless Headphones", "Sony", "black"),
                                     ("h2", "Wired Headphones", "Bose", "white"),
                                     ("h3", "Studio Headphones", "Acme", "black")):
        e.catalog.upsert(commerce.Product(id=id, title=title, brand=brand, categories=["audio"],
                                          attributes={"colour": colour},
                                          variants=[{"sku": id.upper(), "price": {"minor": 5000, "currency": "USD"}}]))
    e.catalog.upsert(commerce.Product(id="m1", title="Coffee Mug", brand="Acme",
                                      variants=[{"sku": "M1", "price": {"minor": 999, "currency": "USD"}}]))
    e.run_background_once()
    return e


def ids(result):
    return [h.product_id for h in result.hits]


def test_synonym_groups_one_way_and_versions(shop):
    s = shop.search
    exact = dict(prefix=False, typo_tolerance=False, relax=False, use_cache=False)
    assert ids(s.query("cans", **exact)) == []
    version = s.set_synonym_groups([{"root": "cans", "synonyms": ["headphones"]},
                                    commerce.SynonymGroup(synonyms=["mug", "cup"])])
    assert version == 1
    assert sorted(ids(s.query("cans", **exact))) == ["h1", "h2", "h3"]
    assert ids(s.query("cup", **exact)) == ["m1"]
    got = s.synonym_groups()
    assert got.version == 1 and got.groups[0] == commerce.SynonymGroup(root="cans", synonyms=["headphones"])
    assert s.query("cans").synonyms_version == 1
    with pytest.raises(commerce.Conflict):
        s.set_synonym_groups([], expected_version=7)
    with pytest.raises(commerce.InvalidArgument, match="group 1"):
        s.set_synonym_groups([{"root": "x"}])
    assert s.set_synonym_groups([], expected_version=1) == 2


def test_rules_pin_hide_boost_bury_and_explain(shop):
    s = shop.search
    assert s.rules().version == 0
    v = s.put_rule(id="audio-week", query="headphones", pins=[{"product_id": "m1", "position": 1}],
                   boost={"brands": ["acme"]}, bury={"attributes": {"colour": "white"}},
                   hide={"product_ids": ["h1"]})
    assert v == 1
    r = s.query("headphones", explain=True, use_cache=False)
    assert ids(r) == ["m1", "h3", "h2"]
    assert r.rules_applied == ["audio-week"] and r.rules_version == 1
    pinned, boosted, buried = (h.explanation for h in r.hits)
    assert (pinned.tier, pinned.pinned_position, pinned.rules) == ("pinned", 1, ["audio-week"])
    assert boosted.tier == "boosted" and boosted.weight == r.hits[1].score > 0
    assert boosted.terms and all(t.weight > 0 and t.wdf > 0 for t in boosted.terms)
    assert buried.tier == "buried" and buried.sort == "relevance"
    assert s.query("headphones", use_cache=False).hits[0].explanation is None
    # a category browse rule, as a MerchandisingRule value, replaced by id
    rule = commerce.MerchandisingRule(id="audio-browse", categories=["audio"],
                                      hide=commerce.ProductSelector(brands=["Bose"]))
    assert s.put_rule(rule, expected_version=1) == 2
    assert "h2" not in ids(s.query(categories=["audio"], use_cache=False))
    listed = s.rules()
    assert [x.id for x in listed.rules] == ["audio-browse", "audio-week"] and listed.rules[0].version == 2
    with pytest.raises(commerce.Conflict):
        s.delete_rule("audio-browse", expected_version=1)
    assert s.delete_rule("audio-browse") == 3
    with pytest.raises(commerce.NotFound):
        s.delete_rule("audio-browse")
    with pytest.raises(TypeError):
        s.put_rule(rule, id="x")


@pytest.mark.parametrize("fields, says", [
    (dict(id="bad id", query="x", hide={"brands": ["a"]}), "id"),
    (dict(id="r", query="x", match="regex", hide={"brands": ["a"]}), "match"),
    (dict(id="r", hide={"brands": ["a"]}), "categories"),
    (dict(id="r", query="x"), "changes nothing"),
    (dict(id="r", query="x", pins=[{"product_id": "p", "position": 0}]), "pins[0].position"),
    (dict(id="r", query="x", boost={"brands": [""]}), "boost.brands[0]"),
])
def test_bad_rules_raise_invalid_argument(shop, fields, says):
    with pytest.raises(commerce.InvalidArgument, match=says.replace("[", r"\[").replace("]", r"\]")):
        shop.search.put_rule(**fields)
    with pytest.raises(ValueError):
        shop.search.put_rule(**fields)
    assert shop.search.rules().version == 0


def test_rule_schedule_and_redirect(shop):
    s = shop.search
    start, end = 1_900_000_000_000, 1_900_000_060_000
    v = s.put_rule(id="audio-sale", query="headphones", redirect="https://shop.example/audio-sale",
                   hide={"product_ids": ["h2"]}, starts_at_ms=start, ends_at_ms=end)
    got = s.rules().rules[0]
    assert (got.redirect, got.starts_at_ms, got.ends_at_ms) == ("https://shop.example/audio-sale", start, end)
    assert got.to_dict()["starts_at_ms"] == start
    # Before the window (and now, by the system clock): nothing applies, no redirect.
    before = s.query("headphones", now_ms=start - 1)
    assert before.redirect == "" and before.rules_applied == [] and "h2" in ids(before)
    assert s.query("headphones").redirect == ""
    # Within it: the redirect comes with the hits; through the cache too.
    within = s.query("headphones", now_ms=start)
    assert not within.from_cache
    assert within.redirect == "https://shop.example/audio-sale" and within.rules_applied == ["audio-sale"]
    assert sorted(ids(within)) == ["h1", "h3"]
    assert s.query("headphones", now_ms=start + 1).from_cache
    assert s.query("headphones", now_ms=end).redirect == ""
    # Several with a redirect: the lowest rule id's.
    s.put_rule(commerce.MerchandisingRule(id="a-first", query="headphones", redirect="http://a.example/"))
    assert s.query("headphones", now_ms=start).redirect == "http://a.example/"
    assert s.query("headphones", now_ms=end).redirect == "http://a.example/"
    assert commerce.MAX_REDIRECT_BYTES == 2048
    assert v == 1


@pytest.mark.parametrize("fields, field", [
    (dict(redirect="/relative"), "redirect"),
    (dict(redirect="ftp://shop.example/x"), "redirect"),
    (dict(redirect="https://shop.example/a b"), "redirect"),
    (dict(redirect="https://shop.example/" + "a" * 2048), "redirect"),
    (dict(redirect="https://"), "redirect"),
    (dict(hide={"brands": ["x"]}, starts_at_ms=-1), "starts_at_ms"),
    (dict(hide={"brands": ["x"]}, starts_at_ms=10, ends_at_ms=10), "ends_at_ms"),
])
def test_bad_redirect_and_schedule_raise(shop, fields, field):
    with pytest.raises(commerce.InvalidArgument, match=field):
        shop.search.put_rule(id="bad", query="headphones", **fields)
    with pytest.raises(ValueError):
        shop.search.put_rule(id="bad", query="headphones", **fields)
    assert shop.search.rules().version == 0


def test_search_now_ms_is_checked(shop):
    with pytest.raises(commerce.InvalidArgument, match="now_ms"):
        shop.search.query("headphones", now_ms=-5)
