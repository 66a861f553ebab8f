"""The programs in examples/python run and print what they promise, leave nothing behind in
the temporary directory, and run again (issue 16, defect 9)."""

import os
import subprocess
from pathlib import Path

import pytest

from conftest import PYTHON

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "python"


def run(name, *args, tmp=None):
    env = dict(os.environ)
    if tmp is not None:
        env["TMPDIR"] = str(tmp)
    out = subprocess.run([PYTHON, str(EXAMPLES / name), *args], capture_output=True, text=True, timeout=120,
                         env=env)
    assert out.returncode == 0, out.stderr
    return out.stdout


@pytest.mark.parametrize("name", ["load_csv_and_search.py", "order_events.py", "sales_report.py", "webhooks.py",
                                  "pricing_policy.py", "merchandising.py", "promotions.py",
                                  "payments.py", "returns.py", "price_lists.py", "channels.py",
                                  "search_per_caller.py"])
def test_examples_clean_up_and_run_twice(name, tmp_path):
    if name == "sales_report.py":
        pytest.importorskip("pandas")
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    for _ in range(2):
        run(name, tmp=tmp)
        assert list(tmp.iterdir()) == []  # the store and the sample went with the run


def test_load_csv_and_search():
    out = run("load_csv_and_search.py")
    assert "imported 5 products (0 rejected)" in out
    assert "Wireless Headphones" in out and "did you mean 'coffee mug'" in out
    assert "top_queries: 'wireless' (2 searches, 1 used)" in out, out
    assert "suggestions for 'wire': 'wireless' (query)" in out, out
    assert "'coffee mug' (catalog, corrected)" in out, out


def test_price_lists():
    out = run("price_lists.py")
    assert "a guest, USD                 25.00 USD  the base price" in out, out
    assert "wholesale, EUR, 12 units     17.85 EUR  eur-wholesale" in out, out
    assert "anyone, EUR, on the weekend  19.90 EUR  eur-weekend" in out, out
    assert "a guest, GBP: sku 'TEE' has no price in GBP" in out, out
    assert "update at version 1 again: Conflict (it is at 2 now)" in out, out
    assert "acme's cart in channel app: 12 x 17.85 EUR" in out, out
    assert "order app line from eur-wholesale tax 40.70 EUR total 254.90 EUR" in out, out
    # 31.90 gross at 19%: 5.09 of VAT inside, none added
    assert "line from eur tax_inclusive True tax 0.00 EUR VAT inside 5.09 EUR total 31.90 EUR" in out, out


def test_channels():
    out = run("channels.py")
    assert "channel eu version 1 sells in EUR, GBP" in out, out
    assert "visible in eu: tee True pan False" in out, out
    assert "listed in eu: tee\n" in out, out
    assert "a cart in eu without a currency: EUR" in out, out
    assert "a USD cart in eu: currency: channel 'eu' sells in EUR, GBP, not 'USD'" in out, out
    assert "add the pan: sku: product 'pan' (sku 'PAN') is not sold in channel 'eu'" in out, out
    assert "order in eu ships from berlin" in out, out
    assert "5 more in eu: sku 'TEE': 1 available in total, 5 requested" in out, out
    assert "5 more without a channel ship from dallas" in out, out


def test_merchandising():
    out = run("merchandising.py")
    lines = out.splitlines()
    merch = lines[lines.index(next(l for l in lines if l.startswith("-- tv, merchandised"))) + 1:]
    assert merch[0].split()[0] == "tv-6" and "[pinned by tv-week" in merch[0], out
    assert merch[1].split()[0] == "tv-3" and "[boosted by tv-week" in merch[1], out
    assert "tv-5" not in "\n".join(merch[:6]) and "[buried by tv-week" in out, out
    assert "delete with a stale version:" in out and "television (a one-way synonym): 6 found" in out, out
    # the scheduled redirect: only within its window, the hits returned all the same
    sale = [l for l in lines if l.startswith("tv deals, ")]
    assert len(sale) == 3, out
    assert sale[0].endswith("redirect none") and sale[2].endswith("redirect none"), out
    assert sale[1].endswith("redirect https://shop.example/tv-sale"), out
    assert all(int(l.split(": ")[1].split()[0]) > 0 for l in sale), out


def test_sales_report():
    pytest.importorskip("pandas")
    out = run("sales_report.py")
    assert "category" in out and "revenue" in out and "electronics" in out


def test_promotions():
    out = run("promotions.py")
    assert "applied: 10% off shoes (automatic) -8.00 USD" in out, out
    assert "applied: Socks: buy 2 get 1 (SOCKS3) -5.00 USD" in out, out
    assert "cart total 82.00 USD" in out, out
    assert "discount 13.00 USD" in out and "coupon used 1 time(s)" in out, out
    assert "refused: coupon_codes[0]: coupon 'SOCKS3' has been used 1 times by customer 'ada'" in out, out
    # The tiers exactly at each threshold; another channel, another group: nothing.
    assert "bo, 19 socks, channel b2b: -0.00 USD" in out, out
    assert "bo, 20 socks, channel b2b: -5.00 USD" in out, out
    assert "bo, 50 socks, channel b2b: -25.00 USD" in out, out
    assert "bo, 50 socks, channel none: -0.00 USD" in out, out
    assert "ada, 50 socks, channel b2b: -0.00 USD" in out, out
    assert ("events: PromotionUpserted shoes-10, PromotionUpserted socks, CouponUpserted SOCKS3, "
            "PromotionUpserted bulk-socks") in out, out


def test_order_events():
    out = run("order_events.py")
    assert out.count("placed by ada") == 3 and "fulfilling -> shipped" in out


def test_webhooks():
    out = run("webhooks.py")
    assert "failed at /old: HTTP 500, 1 attempt(s)" in out, out
    assert "updated erp -> http://127.0.0.1:" in out, out
    assert "delivered to /new, signed with the rotated secret; failures left: 0" in out, out


def test_payments():
    out = run("payments.py")
    assert "payment_pending" in out and "-> paid payment authorized 4440" in out, out
    assert "shipped: payment captured, 5.00 refunded" in out, out
    assert "-> payment_declined ; TEE reserved now 0" in out, out
    assert ":authorize declined 6660 insufficient_funds" in out and ":capture succeeded 4440" in out, out


def test_returns():
    out = run("returns.py")
    assert "return requested of 2 refund due 4000" in out, out
    assert "-> received restocked to desk ; on hand at the desk 2" in out, out
    assert "-> refunded by payment ; payment refunded 4000" in out, out
    assert "exchange order MUG" in out and "-> received written_off" in out, out
    assert "has 0 of its 3 left to return" in out, out
    assert "returns of the order: ['refunded', 'received']" in out, out


def test_shared_cache():
    out = run("shared_cache.py")
    assert "second read (hit)" in out and "hits=1" in out
    assert "search again (Redis)       total=1 index_seq=1 from_cache=True search_hits=1" in out, out
    assert "Redis killed: still read 'Coffee mug' from the store" in out
    assert "breaker open" in out


def test_nats_events():
    out = run("nats_events.py")
    assert "published 3 events to stream SHOP" in out
    assert "NATS killed: the store took 2 more writes; published up to 3 of 5" in out
    assert "NATS back: caught up=True, published 5 in all, each once" in out


def test_pricing_policy():
    out = run("pricing_policy.py")
    assert "1 mug(s) to us-east: subtotal 12.50 USD, tax 1.03 USD, shipping 4.99 USD, total 18.52 USD" in out, out
    assert "4 mug(s) to us-east: subtotal 50.00 USD, tax 4.13 USD, shipping 0.00 USD" in out, out
    assert "refused: pricing: pricing policy <function pricing" in out and "US only" in out, out
    assert "reserved after the refusal: 7" in out, out
    assert "rush: 23 of the last 23 mugs sold, reserved 30 of 30" in out, out


def test_search_per_caller():
    out = run("search_per_caller.py")
    assert "a guest in USD\n  mug    15.00 USD    the base price\n  pan    19.00 USD    sale\n" in out, out
    assert "  cup    9.00 USD     wholesale\n" in out, out
    assert "the eu storefront (EUR, mugs only)\n  mug    14.00 EUR    eur\n  cup    no price\n" in out, out
    assert "USD in eu: search currency: 'USD' is not sold in channel 'eu' (it sells EUR)" in out, out
