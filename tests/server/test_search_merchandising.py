"""Synonyms, merchandising rules and explanations over HTTP (docs/search.md, docs/http-api.yaml):
the routes' reads and conditional writes (ETag / If-Match, 409 on a stale version), a synonym
and a rule changing what /v1/search returns on the next query, explain on GET and POST, a rule's
schedule and redirect, the scopes, and bad input answered 400 naming the field."""
import pytest

from conftest import own_shop


@pytest.fixture(scope="module")
def shop(checker):
    with own_shop(checker) as clients:
        yield clients


def ids(r):
    assert r.status_code == 200, r.text
    return [h["product_id"] for h in r.json()["hits"]]


def test_synonyms_change_results_without_a_reindex(shop):
    admin, public = shop
    r = admin.get("/v1/search/synonyms")
    assert r.status_code == 200 and r.json() == {"version": 0, "groups": []}
    q = {"q": "hoodie", "typo_tolerance": "false", "relax": "false"}
    assert ids(public.get("/v1/search", params=q)) == []
    # one-way: hoodie -> jacket (a search for jacket does not bring up hoodies)
    r = admin.put("/v1/search/synonyms", json={"groups": [{"root": "hoodie", "synonyms": ["jacket"]},
                                                          ["trainers", "sneakers"]]})
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 1 and r.headers["ETag"] == '"1"'
    assert r.json()["groups"][1] == {"root": "", "synonyms": ["trainers", "sneakers"]}
    got = public.get("/v1/search", params=q)
    assert ids(got) and all("Jacket" in h["title"] for h in got.json()["hits"])
    assert got.json()["synonyms_version"] == 1
    assert ids(public.get("/v1/search", params={"q": "trainers", "relax": "false"}))
    # a stale version is a conflict and changes nothing
    r = admin.put("/v1/search/synonyms", json={"groups": []}, headers={"If-Match": '"7"'})
    assert r.status_code == 409, r.text
    r = admin.put("/v1/search/synonyms", json={"groups": []}, headers={"If-Match": '"1"'})
    assert r.status_code == 200 and r.json() == {"version": 2, "groups": []}
    assert ids(public.get("/v1/search", params=q)) == []


def test_rules_pin_hide_boost_bury_and_explain(shop):
    admin, public = shop
    base = ids(public.get("/v1/search", params={"q": "classic shirt", "limit": 100}))
    assert base == ["p-0005", "p-0000"] or set(base) == {"p-0000", "p-0005"}
    rule = {"query": "classic shirt", "match": "exact", "pins": [{"product_id": "p-0003", "position": 1}],
            "hide": {"product_ids": ["p-0005"]}, "description": "shirt week"}
    r = admin.put("/v1/search/rules/shirts", json=rule)
    assert r.status_code == 200, r.text
    put = r.json()
    assert put["id"] == "shirts" and put["version"] >= 1 and put["pins"][0]["position"] == 1
    got = public.get("/v1/search", params={"q": "classic shirt", "explain": "true"})
    assert ids(got) == ["p-0003", "p-0000"]
    body = got.json()
    assert body["rules_applied"] == ["shirts"] and body["rules_version"] == put["version"]
    pinned, ranked = body["hits"]
    assert pinned["explanation"]["tier"] == "pinned" and pinned["explanation"]["rules"] == ["shirts"]
    assert ranked["explanation"]["weight"] == ranked["score"] > 0
    assert ranked["explanation"]["terms"] and ranked["explanation"]["sort"] == "relevance"
    # POST takes explain too; without it, no explanation
    posted = public.post("/v1/search", json={"text": "classic shirt", "explain": True})
    assert posted.json()["hits"][1]["explanation"] == ranked["explanation"]
    assert "explanation" not in public.get("/v1/search", params={"q": "classic shirt"}).json()["hits"][0]
    # boost and bury by attribute, for a category browse
    r = admin.put("/v1/search/rules/apparel-browse", json={
        "categories": ["apparel"], "bury": {"attributes": {"colour": "black"}}})
    assert r.status_code == 200, r.text
    browse = public.get("/v1/search", params={"category": "apparel", "limit": 100, "sort": "price_asc"})
    hits = browse.json()["hits"]
    colours = ["white" if int(h["product_id"][2:]) % 2 else "black" for h in hits]
    assert colours == sorted(colours, key=lambda c: c == "black"), colours  # the black ones last
    # listing, one rule, conditional delete
    listed = admin.get("/v1/search/rules").json()
    assert [x["id"] for x in listed["rules"]] == ["apparel-browse", "shirts"]
    assert admin.get("/v1/search/rules/shirts").json()["description"] == "shirt week"
    r = admin.delete("/v1/search/rules/shirts", headers={"If-Match": '"1"'})
    assert r.status_code == 409, r.text
    r = admin.delete("/v1/search/rules/shirts", headers={"If-Match": f'"{listed["version"]}"'})
    assert r.status_code == 200 and r.json()["version"] == listed["version"] + 1
    assert admin.get("/v1/search/rules/shirts").status_code == 404
    assert admin.delete("/v1/search/rules/shirts").status_code == 404
    assert set(ids(public.get("/v1/search", params={"q": "classic shirt"}))) == {"p-0000", "p-0005"}
    admin.delete("/v1/search/rules/apparel-browse")


@pytest.mark.parametrize("body, field", [
    ({"query": "x", "match": "regex", "hide": {"brands": ["A"]}}, "match"),
    ({"hide": {"brands": ["A"]}}, "categories"),
    ({"query": "x"}, "changes nothing"),
    ({"query": "x", "pins": [{"product_id": "p", "position": 0}]}, "body.pins[0].position"),
    ({"query": "x", "pins": [{"product_id": "p"}]}, "body.pins[0].position"),
    ({"query": "x", "pins": [{"product_id": "p", "position": 1, "extra": 1}]}, "extra"),
    ({"query": "x", "hide": {"brands": "A"}}, "body.hide.brands"),
    ({"query": "x", "hide": {"colour": ["A"]}}, "colour"),
    ({"query": "x", "boost": {"product_ids": [""]}}, "boost.product_ids[0]"),
    ({"id": "other", "query": "x", "hide": {"brands": ["A"]}}, "body.id"),
    ({"query": "x", "hide": {"brands": ["A"]}, "unknown": 1}, "unknown"),
    ({"query": "x", "redirect": "/relative"}, "redirect"),
    ({"query": "x", "redirect": "ftp://shop.example/"}, "redirect"),
    ({"query": "x", "redirect": "https://shop.example/" + "a" * 2048}, "redirect"),
    ({"query": "x", "redirect": 7}, "body.redirect"),
    ({"query": "x", "hide": {"brands": ["A"]}, "starts_at_ms": -1}, "starts_at_ms"),
    ({"query": "x", "hide": {"brands": ["A"]}, "starts_at_ms": 20, "ends_at_ms": 10}, "ends_at_ms"),
    ({"query": "x", "hide": {"brands": ["A"]}, "ends_at_ms": "tomorrow"}, "body.ends_at_ms"),
])
def test_bad_rules_are_400_naming_the_field(shop, body, field):
    admin, _ = shop
    r = admin.put("/v1/search/rules/r1", json=body)
    assert r.status_code == 400, r.text
    assert field in r.json()["error"]["message"], r.text
    assert admin.get("/v1/search/rules/r1").status_code == 404


def test_bad_synonyms_and_ids_and_scopes(shop):
    admin, public = shop
    for body, field in (({"groups": [["alone"]]}, "group 1"), ({"groups": [{"root": "a"}]}, "group 1"),
                        ({"groups": [7]}, "body.groups[0]"), ({}, "groups"),
                        ({"groups": [{"root": "a", "synonyms": ["b"], "x": 1}]}, "x")):
        r = admin.put("/v1/search/synonyms", json=body)
        assert r.status_code == 400, r.text
        assert field in r.json()["error"]["message"], (body, r.text)
    assert admin.put("/v1/search/rules/bad%20id", json={"query": "x", "hide": {"brands": ["A"]}}).status_code == 400
    assert admin.get("/v1/search", params={"q": "x", "explain": "maybe"}).status_code == 400
    # merchandising is the admin's: a public key can neither read nor change it
    assert public.get("/v1/search/rules").status_code == 403
    assert public.put("/v1/search/synonyms", json={"groups": []}).status_code == 403


def test_rule_schedule_and_redirect(shop):
    admin, public = shop
    start = 1_900_000_000_000
    rule = {"query": "classic shirt", "hide": {"product_ids": ["p-0005"]},
            "redirect": "https://shop.example/shirt-week", "starts_at_ms": start, "ends_at_ms": start + 60_000}
    r = admin.put("/v1/search/rules/shirt-sale", json=rule)
    assert r.status_code == 200, r.text
    put = r.json()
    assert (put["redirect"], put["starts_at_ms"], put["ends_at_ms"]) == (rule["redirect"], start, start + 60_000)
    try:
        # now (before the start) and a preview before it: nothing applies, no redirect
        for params in ({"q": "classic shirt"}, {"q": "classic shirt", "now_ms": start - 1}):
            body = public.get("/v1/search", params=params).json()
            assert body["redirect"] == "" and body["rules_applied"] == [], body
            assert "p-0005" in [h["product_id"] for h in body["hits"]]
        # within the window, GET and POST: the redirect with the hits (p-0005 hidden)
        within = public.get("/v1/search", params={"q": "classic shirt", "now_ms": start}).json()
        assert within["redirect"] == rule["redirect"] and within["rules_applied"] == ["shirt-sale"]
        assert [h["product_id"] for h in within["hits"]] == ["p-0000"]
        posted = public.post("/v1/search", json={"text": "classic shirt", "now_ms": start + 1}).json()
        assert posted["redirect"] == rule["redirect"]
        after = public.get("/v1/search", params={"q": "classic shirt", "now_ms": start + 60_000}).json()
        assert after["redirect"] == "" and after["rules_applied"] == []
        assert public.get("/v1/search", params={"q": "x", "now_ms": "-1"}).status_code == 400
        assert public.post("/v1/search", json={"text": "x", "now_ms": "soon"}).status_code == 400
    finally:
        admin.delete("/v1/search/rules/shirt-sale")
