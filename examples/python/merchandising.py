#!/usr/bin/env python3
"""Merchandising search without a reindex: a one-way synonym, a rule that pins, boosts, buries
and hides for "tv" searches, explained results, and a scheduled rule with a redirect
(docs/search.md).

    PYTHONPATH=build/python /usr/bin/python3 examples/python/merchandising.py [store]

Without a store directory, works in a temporary one removed at the end.
"""

import sys
import tempfile
from pathlib import Path

import commerce

TVS = [  # id, title, brand, refurbished, price in cents
    ("tv-1", "55 inch OLED TV", "LG", "no", 129900),
    ("tv-2", "65 inch LED TV", "Samsung", "no", 89900),
    ("tv-3", "55 inch Bravia TV", "Sony", "no", 99900),
    ("tv-4", "50 inch LED TV", "Samsung", "yes", 39900),
    ("tv-5", "43 inch TV (recalled)", "Acme", "no", 19900),
    ("tv-6", "TV wall mount", "Acme", "no", 4900),
]


def show(what, result):
    print("-- %s: %d found (rules v%d, synonyms v%d)" % (what, result.total, result.rules_version,
                                                         result.synonyms_version))
    for hit in result.hits:
        line = "   %-5s %-24s" % (hit.product_id, hit.title)
        e = hit.explanation
        if e is not None:
            line += "  [%s%s, weight %.2f]" % (e.tier or "ranked", "".join(" by " + r for r in e.rules), e.weight)
        print(line)


def run(store):
    with commerce.Engine(store) as engine:
        engine.catalog.upsert_category("tv", "Televisions")
        for id, title, brand, refurb, cents in TVS:
            engine.catalog.upsert(commerce.Product(
                id=id, title=title, brand=brand, categories=["tv"], attributes={"refurbished": refurb},
                variants=[{"sku": id + "-sku", "price": {"minor": cents, "currency": "USD"}}]))
        search = engine.search
        search.wait_for(engine.events.last_seq())
        show("tv, as ranked", search.query("tv"))

        # One-way: "television" also finds "tv"; "tv" does not bring up every "television".
        search.set_synonym_groups([{"root": "television", "synonyms": ["tv"]}])
        show("television (a one-way synonym)", search.query("television"))

        version = search.put_rule(id="tv-week", query="tv", match="contains",
                                  pins=[{"product_id": "tv-6", "position": 1}],
                                  boost={"brands": ["Sony"]},
                                  bury={"attributes": {"refurbished": "yes"}},
                                  hide={"product_ids": ["tv-5"]})
        print("rule set version", version)
        show("tv, merchandised and explained", search.query("tv", explain=True))

        try:  # a conditional change with a stale version changes nothing
            search.delete_rule("tv-week", expected_version=version + 1)
        except commerce.Conflict as e:
            print("delete with a stale version:", e)
        search.delete_rule("tv-week", expected_version=version)
        search.set_synonym_groups([])
        show("tv, the rule deleted", search.query("tv"))

        # A weekend sale put ahead of time: "tv deals" sends shoppers to the sale's page from
        # Friday 27 November 2026 (UTC) for three days. The hits come all the same; now_ms
        # previews a search at another time.
        friday = 1_795_737_600_000
        search.put_rule(id="tv-sale", query="tv deals", redirect="https://shop.example/tv-sale",
                        starts_at_ms=friday, ends_at_ms=friday + 3 * 86_400_000)
        for when, at in (("the Thursday before", friday - 86_400_000), ("the Saturday", friday + 86_400_000),
                         ("the Monday after", friday + 3 * 86_400_000)):
            r = search.query("tv deals", now_ms=at)
            print("tv deals, %s: %d found, redirect %s" % (when, r.total, r.redirect or "none"))
        search.delete_rule("tv-sale")


def main():
    if len(sys.argv) > 1:
        run(sys.argv[1])
        return
    with tempfile.TemporaryDirectory(prefix="commerce-example-") as tmp:
        run(str(Path(tmp) / "shop"))


if __name__ == "__main__":
    main()
