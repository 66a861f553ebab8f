#!/usr/bin/env python3
"""Event log retention: trim the events every consumer has passed, see the horizon move, get
commerce.Gone when reading below it, and watch the search index rebuild itself from the catalog
when the events it lacked were trimmed (docs/events.md, "Retention").

    PYTHONPATH=build/python /usr/bin/python3 examples/python/events_retention.py

The store is a temporary directory, removed at the end.
"""

import datetime
import tempfile

import commerce


def product(i):
    return commerce.Product(id=f"lamp-{i}", title=f"Desk lamp {i}",
                            variants=[commerce.Variant(sku=f"LAMP-{i}", price=commerce.Money(1999, "USD"))])


with tempfile.TemporaryDirectory(prefix="commerce-retention-") as d:
    # No background thread: this example runs the consumers itself (run_background_once).
    with commerce.Engine(d, run_background=False) as engine:
        for i in range(20):
            engine.catalog.upsert(product(i))
        engine.run_background_once()  # cart expiry and the search index pass every event
        events = engine.events
        print(f"log {events.first_seq()}..{events.last_seq()}")

        # A consumer of our own that has read up to event 8 holds the log there.
        events.set_cursor("my-report", 8)
        r = events.trim(max_count=5)
        print(f"trimmed {r.removed}; log {r.first_seq}..{r.last_seq}; held by {r.held_by}")

        # Below the horizon: an error, not the events after the gap.
        try:
            events.tail(1)
        except commerce.Gone as e:
            print("tail(1):", e)

        # The consumer moves on; now the count limit keeps the newest 5.
        events.set_cursor("my-report", events.last_seq())
        r = events.trim(max_count=5)
        print(f"trimmed {r.removed}; log {r.first_seq}..{r.last_seq}; held by {r.held_by or 'the limits'}")
        print("iter() starts at the horizon:", [e.seq for e in events.iter()])

        # An age limit: nothing here is a day old.
        r = events.trim(max_age=datetime.timedelta(days=1))
        print(f"older than a day: trimmed {r.removed}")

        # The index falls behind (nothing runs it), its events are trimmed, it rebuilds.
        for i in range(20, 25):
            engine.catalog.upsert(product(i))
        events.set_cursor("my-report", events.last_seq())
        events.set_cursor("cart-expiry", events.last_seq())
        events.trim(max_count=1)
        engine.run_background_once()
        stats = engine.search.stats()
        print(f"index rebuilt from the catalog {stats.rebuilds_after_trim} time(s): "
              f"{stats.documents} documents, lamp 24 found: {engine.search.query('lamp 24').total >= 1}")
