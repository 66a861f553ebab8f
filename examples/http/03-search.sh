#!/usr/bin/env bash
# Search: free text with facets, a typo, search-as-you-type, suggestions, search analytics, a
# browse by category, multi-select facets, and the JSON form with every field.
set -eu
. "$(dirname "$0")/env.sh"

say "free text, brand and price facets"
curl -sS -H "$STORE" "$BASE/v1/search?q=wireless+headphones&facets=brand,price&limit=3"

say "a typo: the corrected query's results, with corrected_query set"
curl -sS -H "$STORE" "$BASE/v1/search?q=hedphones&limit=1"

say "no product has every word: relaxed to at least half of them (relaxed: true)"
curl -sS -H "$STORE" "$BASE/v1/search?q=classic+shirt+for+dragons+&minimum_should_match=50&limit=3"

say "category intent (on by default): the category the first matches lead with goes first; off, BM25 order"
curl -sS -H "$STORE" "$BASE/v1/search?q=shirt&limit=3&explain=true"
echo
curl -sS -H "$STORE" "$BASE/v1/search?q=shirt&limit=3&category_intent=false"

say "a SKU typed without its dash: the product of variant S00000042-1 first, though its words do not hold the text (explain lists the code's K term)"
curl -sS -H "$STORE" "$BASE/v1/search?q=s000000421&limit=1&explain=true"

say "search as you type: the last word is a prefix"
curl -sS -H "$STORE" "$BASE/v1/search?q=head&limit=3"

say "suggestions while typing: popular queries first, then the products' words; 'cuting bo' is typo-tolerant"
curl -sS -H "$STORE" "$BASE/v1/search/suggest?q=hea&limit=4"
echo
curl -sS -H "$STORE" "$BASE/v1/search/suggest?q=cuting+bo&limit=3"

say "search analytics: a search's search_id, a click on its first hit, then (admin) the top, zero-result and unused queries"
# (the product must be one of that search's hits: another is a 400; the id works on every
# server sharing the store, after a restart too: report the click to whichever the load
# balancer picks)
page=$(curl -sS -H "$STORE" "$BASE/v1/search?q=jacket&limit=1")
sid=$(echo "$page" | sed -E 's/.*"search_id":"([^"]*)".*/\1/')
pid=$(echo "$page" | sed -E 's/.*"hits":\[\{"product_id":"([^"]*)".*/\1/')
curl -sS -H "$STORE" -H "$JSON" "$BASE/v1/search/uses" -d "{\"search_id\": \"$sid\", \"product_id\": \"$pid\", \"kind\": \"click\"}"
echo
curl -sS -H "$STORE" "$BASE/v1/search?q=qwertyuiop&limit=1" >/dev/null
curl -sS -H "$ADMIN" "$BASE/v1/search/analytics?limit=3"

say "in stock, cheapest first, between 10 and 100 dollars"
curl -sS -H "$STORE" "$BASE/v1/search?in_stock=true&sort=price_asc&price_min=1000&price_max=10000&limit=3"

say "multi-select: Acme ticked, the brand facet still counts every brand; own price buckets; the category tree"
curl -sS -H "$STORE" "$BASE/v1/search?brand=Acme&facets=brand,price,category_tree&disjunctive_facets=brand&price_buckets=2000,5000&limit=2"

say "the same as JSON"
curl -sS -H "$STORE" -H "$JSON" "$BASE/v1/search" -d '{"text": "shirt", "brands": ["Acme"],
  "facets": ["category"], "facet_size": 5, "sort": "relevance", "limit": 5}'

say "merchandising (admin): a one-way synonym, then a rule for searches containing 'shirt' that boosts Acme and buries Globex"
curl -sS -H "$ADMIN" -H "$JSON" -X PUT "$BASE/v1/search/synonyms" -d '{"groups": [{"root": "tee", "synonyms": ["shirt"]}]}'
echo
curl -sS -H "$ADMIN" -H "$JSON" -X PUT "$BASE/v1/search/rules/shirt-week" -d '{"query": "shirt", "match": "contains",
  "boost": {"brands": ["Acme"]}, "bury": {"brands": ["Globex"]}, "description": "example"}'

say "the next searches apply them, no reindex: 'tee' also finds shirts; explain=true says why each hit is where it is"
curl -sS -H "$STORE" "$BASE/v1/search?q=tee&limit=1"
echo
curl -sS -H "$STORE" "$BASE/v1/search?q=shirt&explain=true&limit=2"

say "a sale put ahead of time: 'shirt sale' redirects to the sale's page from Friday 27 November 2026 (UTC) for three days; now_ms previews the Thursday before and the Saturday (the hits come all the same)"
curl -sS -H "$ADMIN" -H "$JSON" -X PUT "$BASE/v1/search/rules/shirt-sale" -d '{"query": "shirt sale",
  "redirect": "https://shop.example/shirt-sale", "starts_at_ms": 1795737600000, "ends_at_ms": 1795996800000}'
echo
for at in 1795651200000 1795824000000; do
  curl -sS -H "$STORE" "$BASE/v1/search?q=shirt+sale&limit=1&now_ms=$at" | sed -E 's/.*"total":([0-9]+).*("redirect":"[^"]*").*/total \1 \2/'
  echo
done
curl -sS -H "$ADMIN" -X DELETE "$BASE/v1/search/rules/shirt-sale"

say "the rules and their version (the ETag); a delete conditional on it, and the synonyms cleared"
version=$(curl -sS -H "$ADMIN" "$BASE/v1/search/rules" | sed -E 's/^\{"version":([0-9]+).*/\1/')
curl -sS -H "$ADMIN" -H "If-Match: \"$version\"" -X DELETE "$BASE/v1/search/rules/shirt-week"
echo
curl -sS -H "$ADMIN" -H "$JSON" -X PUT "$BASE/v1/search/synonyms" -d '{"groups": []}'
