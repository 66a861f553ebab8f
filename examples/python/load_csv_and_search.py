#!/usr/bin/env python3
"""Load a CSV catalog and search it.

    PYTHONPATH=build/python /usr/bin/python3 examples/python/load_csv_and_search.py [catalog.csv] [store]

Without a CSV file, makes a small catalog in memory (the CSV import schema of
docs/catalog.md: one row per variant, prices in major units, categories as 'A > B' paths) and
streams it into the importer from there: no file at all (Catalog.import_data).
"""

import csv
import io
import sys
import tempfile
from pathlib import Path

import commerce

ROWS = [
    ("tee", "TEE-S", "Classic Cotton Tee", "Acme", "Clothing > Tops", "19.99", "size=S"),
    ("tee", "TEE-M", "Classic Cotton Tee", "Acme", "Clothing > Tops", "19.99", "size=M"),
    ("hoodie", "HOOD-M", "Zip Hoodie", "Acme", "Clothing > Tops", "49.00", "size=M"),
    ("phones", "HP-1", "Wireless Headphones", "Sonic", "Electronics > Audio", "129.00", ""),
    ("buds", "EB-2", "Wireless Earbuds", "Sonic", "Electronics > Audio", "79.50", ""),
    ("mug", "MUG-1", "Stoneware Coffee Mug", "Kiln", "Home > Kitchen", "12.00", ""),
]


def sample_csv():
    text = io.StringIO(newline="")
    w = csv.writer(text)
    w.writerow(["product_id", "sku", "title", "brand", "categories", "price", "options"])
    w.writerows(ROWS)
    return text.getvalue()


def main():
    # The store goes in a temporary directory, removed at the end (unless a store directory is
    # given), so the example can run any number of times.
    with tempfile.TemporaryDirectory(prefix="commerce-example-") as tmp:
        run(Path(tmp))


def run(work):
    store = sys.argv[2] if len(sys.argv) > 2 else work / "shop"
    with commerce.Engine(store) as engine:
        if len(sys.argv) > 1:
            report = engine.catalog.import_products(Path(sys.argv[1]), progress=True)
        else:
            report = engine.catalog.import_data(sample_csv(), format="csv", progress=True)
        print("\nimported %d products (%d rejected) in %.2f s" % (report.imported, report.rejected, report.seconds))
        for r in report.rejections[:5]:
            print("  line %d: %s: %s" % (r.line, r.field, r.reason))
        # Read-your-writes: wait until the index has every event of the import.
        engine.search.wait_for(engine.events.last_seq())
        for text in ("wireless", "tee", "cofee mug"):
            result = engine.search.query(text, facets=["brand", "price"])
            note = " (did you mean %r?)" % result.corrected_query if result.used_correction else ""
            print("\n%r: %d hits%s" % (text, result.total, note))
            for hit in result.hits:
                print("  %-8s %-24s %8s" % (hit.product_id, hit.title, hit.price))
            for facet in result.facets:
                print("  %s: %s" % (facet.field, ", ".join("%s (%d)" % (v.label or v.value, v.count)
                                                           for v in facet.values)))
        # No product has every word: at least half of them, more matched words ranking first.
        some = engine.search.query("stoneware coffee mug for dragons ", minimum_should_match=50)
        print("\nsome of the words (relaxed=%s):" % some.relaxed, [h.product_id for h in some.hits])
        cheap = engine.search.query(categories=["clothing"], sort="price_asc", price_max=5000)
        print("\nclothing under $50, cheapest first:", [h.product_id for h in cheap.hits])
        # Multi-select: one brand ticked, every brand still counted (each count ignores the
        # brand filter); the price facet in buckets of our own; the category tree by level.
        brand = cheap.hits[0].brand if cheap.hits else ""
        ticked = engine.search.query(brands=[brand] if brand else [], facets=["brand", "price", "category_tree"],
                                     disjunctive_facets=["brand"], price_buckets=[2000, 5000])
        for facet in ticked.facets:
            print("  %s: %s" % (facet.field, ", ".join("%s%s (%d)" % ("  " * v.level, v.label or v.value, v.count)
                                                       for v in facet.values)))
        # Search analytics: every search above was recorded (in memory, added to the store every 5 s and at close). The
        # shopper clicks the first hit of one more search; then what was searched, what found
        # nothing, and what found things nobody used. The search id works on any engine sharing the
        # store (another server of a fleet, this one after a restart).
        clicked = engine.search.query("wireless")
        engine.search.record_use(search_id=clicked.search_id, product_id=clicked.hits[0].product_id, kind="click")
        report = engine.search.analytics(limit=3)
        print("\nsearch analytics: %d searches recorded" % report.searches)
        for name in ("top_queries", "zero_result_queries", "unused_queries"):
            print("  %s: %s" % (name, ", ".join("%r (%d searches, %d used)" % (q.query, q.searches, q.used)
                                                 for q in getattr(report, name))))
        # Search-as-you-type: popular queries first, then the products' words and title phrases
        # (a trailing space offers the words that follow in titles); typos tolerated.
        for typed in ("wire", "cofee m", "wireless "):
            got = engine.search.suggest(typed, limit=4)
            print("suggestions for %r: %s" % (typed, ", ".join("%r (%s%s)" % (x.text, x.source, ", corrected" if x.corrected else "")
                                                               for x in got.suggestions)))


if __name__ == "__main__":
    main()
