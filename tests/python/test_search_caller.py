"""Search per caller through Python (docs/search.md, "Per caller"): channel, currency and
customer_group as keywords and on SearchRequest, the caller's price and its list on each hit,
bad callers raising the engine's classes with the field."""

import pytest

import commerce
from conftest import open_engine


def test_search_per_caller_keywords_and_errors(tmp_path, driver):
    with open_engine(tmp_path / "store", driver) as e:
        e.catalog.upsert_category("mugs", "Mugs")
        for pid, price, cats in (("mug", 1500, ["mugs"]), ("pan", 4500, []), ("eur", 900, ["mugs"])):
            currency = "EUR" if pid == "eur" else "USD"
            e.catalog.upsert(commerce.Product(id=pid, title=pid, categories=cats, variants=[
                {"sku": pid.upper(), "price": {"minor": price, "currency": currency}}]))
        e.price_lists.create(id="wholesale", name="Wholesale", currency="USD", customer_group="wholesale",
                             entries=[{"sku": "PAN", "price_minor": 100}])
        e.channels.create(id="web", name="Web", default_currency="USD", category_ids=["mugs"])
        e.search.wait_for(e.events.last_seq())

        res = e.search.query(sort="price_asc", currency="USD", customer_group="wholesale", use_cache=False)
        assert [(h.product_id, h.price.minor, h.price.currency, h.price_list_id) for h in res.hits] == [
            ("pan", 100, "USD", "wholesale"), ("mug", 1500, "USD", ""), ("eur", 0, "", "")]
        req = commerce.SearchRequest(sort="price_asc", channel="web", use_cache=False)
        assert (req.channel, req.currency, req.customer_group) == ("web", "", "")
        res = e.search.query(req)
        assert [h.product_id for h in res.hits] == ["mug", "eur"]  # eur has no USD price: last
        assert commerce.SearchHit.from_dict(res.hits[0].to_dict()) == res.hits[0]

        with pytest.raises(commerce.NotFound, match="search channel: no channel with id 'nope'"):
            e.search.query(channel="nope")
        with pytest.raises(commerce.InvalidArgument, match="is not sold in channel 'web'"):
            e.search.query(channel="web", currency="EUR")
        with pytest.raises(commerce.InvalidArgument, match="search customer_group"):
            e.search.query(currency="USD", customer_group="a b")
        with pytest.raises(commerce.InvalidArgument, match="search currency"):
            e.search.query(currency="usd")
