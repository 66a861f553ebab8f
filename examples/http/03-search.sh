#!/usr/bin/env bash
# Search: free text with facets, a typo, search-as-you-type, a browse by category,
# multi-select facets, and the JSON form with every field.
set -eu
. "$(dirname "$0")/env.sh"

say "free text, brand and price facets"
curl -sS -H "$STORE" "$BASE/v1/search?q=wireless+headphones&facets=brand,price&limit=3"

say "a typo: the corrected query's results, with corrected_query set"
curl -sS -H "$STORE" "$BASE/v1/search?q=hedphones&limit=1"

say "no product has every word: relaxed to at least half of them (relaxed: true)"
curl -sS -H "$STORE" "$BASE/v1/search?q=classic+shirt+for+dragons+&minimum_should_match=50&limit=3"

say "search as you type: the last word is a prefix"
curl -sS -H "$STORE" "$BASE/v1/search?q=head&limit=3"

say "in stock, cheapest first, between 10 and 100 dollars"
curl -sS -H "$STORE" "$BASE/v1/search?in_stock=true&sort=price_asc&price_min=1000&price_max=10000&limit=3"

say "multi-select: Acme ticked, the brand facet still counts every brand; own price buckets; the category tree"
curl -sS -H "$STORE" "$BASE/v1/search?brand=Acme&facets=brand,price,category_tree&disjunctive_facets=brand&price_buckets=2000,5000&limit=2"

say "the same as JSON"
curl -sS -H "$STORE" -H "$JSON" "$BASE/v1/search" -d '{"text": "shirt", "brands": ["Acme"],
  "facets": ["category"], "facet_size": 5, "sort": "relevance", "limit": 5}'
