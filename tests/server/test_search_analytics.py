"""Search analytics and suggestions over HTTP (docs/search.md, docs/http-api.yaml): search ids
in GET and POST /v1/search, POST /v1/search/uses, GET /v1/search/analytics (admin) and GET
/v1/search/suggest (public), the scopes, and bad input answered 400 or 404 naming the field."""
import os
import uuid

import pytest

from conftest import ADMIN_KEY, PUBLIC_KEY, Client, Server, find_server, make_products, own_shop, wait_indexed


@pytest.fixture(scope="module")
def shop(checker):
    with own_shop(checker) as clients:
        yield clients


def test_search_ids_uses_and_the_report(shop):
    admin, public = shop
    a = public.get("/v1/search", params={"q": "jacket"})
    b = public.post("/v1/search", json={"text": "Jacket"})
    assert a.status_code == 200 and b.status_code == 200, (a.text, b.text)
    ids = {a.json()["search_id"], b.json()["search_id"]}
    assert len(ids) == 2 and "" not in ids
    z = public.get("/v1/search", params={"q": "qwertyuiop zxcvbnm"})
    assert z.json()["total"] == 0
    hit = b.json()["hits"][0]["product_id"]
    for kind in ("click", "add_to_cart"):
        r = public.post("/v1/search/uses", json={"search_id": b.json()["search_id"], "product_id": hit, "kind": kind})
        assert r.status_code == 200 and r.json() == {"recorded": True}, r.text
    public.get("/v1/search", params={"q": "backpack"})
    r = admin.get("/v1/search/analytics", params={"limit": 10})
    assert r.status_code == 200, r.text
    report = r.json()
    top = {q["query"]: q for q in report["top_queries"]}
    assert top["jacket"]["searches"] == 2 and top["jacket"]["used"] == 1
    assert top["jacket"]["clicks"] == 1 and top["jacket"]["add_to_carts"] == 1
    assert [q["query"] for q in report["zero_result_queries"]] == ["qwertyuiop zxcvbnm"]
    assert "backpack" in [q["query"] for q in report["unused_queries"]]
    assert "jacket" not in [q["query"] for q in report["unused_queries"]]
    assert report["sample_rate"] == 1 and report["searches"] >= 4
    assert report["until_ms"] > report["since_ms"]


def test_suggest(shop):
    admin, public = shop
    for _ in range(3):
        public.get("/v1/search", params={"q": "globex classic jacket"})
    r = public.get("/v1/search/suggest", params={"q": "glob"})
    assert r.status_code == 200, r.text
    s = r.json()["suggestions"]
    assert s[0] == {"text": "globex classic jacket", "source": "query", "count": 3, "corrected": False}
    assert {"text": "globex", "source": "catalog", "count": 3, "corrected": False} in s
    typo = public.get("/v1/search/suggest", params={"q": "backpak", "popular_queries": "false", "limit": 2})
    assert typo.status_code == 200, typo.text
    assert typo.json()["suggestions"][0]["text"] == "backpack"
    assert typo.json()["suggestions"][0]["corrected"] is True
    assert r.json()["index_seq"] > 0
    # A trailing space offers the words that follow in titles, counted, never one finding nothing.
    after = public.get("/v1/search/suggest", params={"q": "globex ", "popular_queries": "false"})
    assert after.status_code == 200, after.text
    nxt = after.json()["suggestions"]
    assert nxt and all(x["text"].startswith("globex ") and x["source"] in ("catalog", "phrase") for x in nxt), nxt
    for x in nxt:
        found = public.get("/v1/search", params={"q": x["text"], "limit": 1}).json()["total"]
        assert 0 < x["count"] <= found, (x, found)
    # A word that follows the one before in no title ("Globex Classic Jacket 1"): counted with
    # it anywhere in the product, as in C++ and Python (search_suggester_test.cpp).
    loose = public.get("/v1/search/suggest", params={"q": "globex jac", "popular_queries": "false"})
    assert loose.status_code == 200, loose.text
    assert loose.json()["suggestions"] == [{"text": "globex jacket", "source": "catalog", "count": 1,
                                            "corrected": False}]


@pytest.mark.parametrize("params,field", [
    ({}, "text"), ({"q": "   "}, "text"), ({"q": "so", "limit": "0"}, "limit"),
    ({"q": "so", "limit": "x"}, "limit"), ({"q": "so", "typo_tolerance": "maybe"}, "typo_tolerance"),
    ({"q": "so", "nope": "1"}, "nope"),
])
def test_bad_suggest_is_400_naming_the_field(shop, params, field):
    _, public = shop
    r = public.get("/v1/search/suggest", params=params)
    assert r.status_code == 400, r.text
    assert field in r.json()["error"]["message"], r.text


def test_bad_uses_and_analytics_and_scopes(shop):
    admin, public = shop
    shirt = public.get("/v1/search", params={"q": "shirt", "limit": "1"}).json()
    sid = shirt["search_id"]
    shown = shirt["hits"][0]["product_id"]
    not_shown = "p-0005" if shown == "p-0000" else "p-0000"  # the other shirt: matched, past the page
    for body, field, code in (
            ({"search_id": sid, "product_id": not_shown, "kind": "click"}, "was not among the 1 hits", 400),
            ({"search_id": sid, "product_id": "no-such-product", "kind": "order"}, "no-such-product", 400),
            ({"search_id": sid, "product_id": "p-0001", "kind": "purchase"}, "kind", 400),
            ({"search_id": sid, "product_id": "", "kind": "click"}, "product_id", 400),
            ({"search_id": sid, "kind": "click"}, "product_id", 400),
            ({"search_id": "nope", "product_id": "p-0001", "kind": "click"}, "search_id", 400),
            ({"search_id": sid, "product_id": "p-0001", "kind": "click", "x": 1}, "x", 400),
            ({"search_id": "0123456789abcdef-1", "product_id": "p-0001", "kind": "click"}, "0123456789abcdef-1", 404)):
        r = public.post("/v1/search/uses", json=body)
        assert r.status_code == code, (body, r.text)
        assert field in r.json()["error"]["message"], (body, r.text)
    for params, field in (({"limit": "0"}, "limit"), ({"since_ms": "-1"}, "since_ms"),
                          ({"since_ms": "20", "until_ms": "10"}, "since_ms"), ({"q": "x"}, "q")):
        r = admin.get("/v1/search/analytics", params=params)
        assert r.status_code == 400, (params, r.text)
        assert field in r.json()["error"]["message"], (params, r.text)
    # the product the search showed is accepted
    r = public.post("/v1/search/uses", json={"search_id": sid, "product_id": shown, "kind": "click"})
    assert r.status_code == 200, r.text
    # what shoppers searched for is the admin's: a public key cannot read it
    assert public.get("/v1/search/analytics").status_code == 403


def _stats(admin, query):
    rows = admin.get("/v1/search/analytics").json()["top_queries"]
    return next(q for q in rows if q["query"] == query)


def _use(public, sid, product, kind="click"):
    return public.post("/v1/search/uses", json={"search_id": sid, "product_id": product, "kind": kind})


def test_a_search_id_outlives_a_restart_and_refuses_alteration(tmp_path, checker):
    """Issue 18: a search id was kept in the memory of the server that made it, so a click
    reported after a restart (or to another server) was 404 and lost."""
    s = Server(find_server(), str(tmp_path))
    try:
        admin = Client(s, checker, ADMIN_KEY)
        admin.post("/v1/products/import", data=make_products(10), headers={"Content-Type": "application/x-ndjson"})
        wait_indexed(admin)
        r = Client(s, checker, PUBLIC_KEY).get("/v1/search", params={"q": "jacket"}).json()
        sid, shown = r["search_id"], r["hits"][0]["product_id"]
        assert s.stop()[0] == 0
        s = Server(find_server(), str(tmp_path))
        admin, public = Client(s, checker, ADMIN_KEY), Client(s, checker, PUBLIC_KEY)
        assert _use(public, sid, shown).status_code == 200
        middle = len(sid) // 2
        altered = sid[:middle] + ("B" if sid[middle] == "A" else "A") + sid[middle + 1:]
        r = _use(public, altered, shown)
        assert r.status_code == 404 and "not issued by an engine of this store" in r.json()["error"]["message"], r.text
        assert _use(public, sid[:12], shown).status_code == 400
        q = _stats(admin, "jacket")
        assert (q["searches"], q["used"], q["clicks"]) == (1, 1, 1)
    finally:
        s.kill()


@pytest.mark.skipif(not os.environ.get("COMMERCE_PG_URL"),
                    reason="needs COMMERCE_PG_URL: tools/pg-cluster run -- python3 -m pytest ...")
def test_a_use_reported_to_another_server_of_the_fleet(tmp_path, checker):
    """Two servers on one PostgreSQL store (a fleet behind a load balancer): the search on one,
    its uses on the other, counted once with the search."""
    schema = "sid_" + uuid.uuid4().hex[:12]
    args = ("--driver", "postgres", "--pg-schema", schema)
    servers = []
    try:
        for name in ("a", "b"):
            os.makedirs(tmp_path / name)
            servers.append(Server(find_server(), str(tmp_path / name), args=args))
        a_admin, b_admin = (Client(s, checker, ADMIN_KEY) for s in servers)
        a_admin.post("/v1/products/import", data=make_products(10), headers={"Content-Type": "application/x-ndjson"})
        wait_indexed(a_admin)
        wait_indexed(b_admin)
        a_public, b_public = (Client(s, checker, PUBLIC_KEY) for s in servers)
        r = a_public.get("/v1/search", params={"q": "jacket", "limit": "2"}).json()
        sid, hits = r["search_id"], [h["product_id"] for h in r["hits"]]
        assert len(hits) == 2
        assert _use(b_public, sid, hits[0]).status_code == 200
        assert _use(b_public, sid, hits[1], "add_to_cart").status_code == 200
        not_shown = _use(b_public, sid, "p-0000" if "p-0000" not in hits else "p-0001")
        assert not_shown.status_code == 400 and "was not among the 2 hits" in not_shown.text
        for s in servers:  # a clean stop adds each server's counts to the store
            assert s.stop()[0] == 0
        c = Server(find_server(), str(tmp_path / "a"), args=args)
        servers.append(c)
        q = _stats(Client(c, checker, ADMIN_KEY), "jacket")
        assert (q["searches"], q["used"], q["clicks"], q["add_to_carts"]) == (1, 1, 1, 1)
    finally:
        for s in servers:
            s.kill()
