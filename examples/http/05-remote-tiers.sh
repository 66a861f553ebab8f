#!/usr/bin/env bash
# The remote tiers of a server started with them (docs/scaling.md): the shared cache on Redis
# (product reads and search result pages), load shedding, and each remote endpoint's breaker
# and latency in /metrics. Start it so:
#   redis-server --port 6390 --save '' &
#   build/bin/commerce-server --data /tmp/shop --keys examples/http/keys.txt \
#     --redis redis://127.0.0.1:6390 --max-queued 256 &
set -u
. "$(dirname "$0")/env.sh"

say "a product: the first read fills Redis, the next are hits"
curl -sS -H "$ADMIN" -H "$JSON" -X PUT "$BASE/v1/products/mug" -d '{"title": "Coffee mug",
  "variants": [{"sku": "MUG-1", "price": 1200, "currency": "USD"}]}' | cut -c1-120; echo
for i in 1 2 3; do curl -sS -H "$STORE" "$BASE/v1/products/mug" | cut -c1-80; echo; done
say "an update is read back at once (the write invalidates before it answers)"
curl -sS -H "$ADMIN" -H "$JSON" -X PUT "$BASE/v1/products/mug" -d '{"title": "Coffee mug, large",
  "variants": [{"sku": "MUG-1", "price": 1400, "currency": "USD"}]}' >/dev/null
curl -sS -H "$STORE" "$BASE/v1/products/mug" | cut -c1-80; echo
say "a search: its page is stored in Redis under the index's sequence (another instance of the"
say "store asking the same at that sequence is answered from Redis; after a catalog change, never)"
curl -sS -H "$STORE" "$BASE/v1/search?q=mug&min_index_seq=$(curl -sS -H "$ADMIN" "$BASE/v1/search/stats" |
  sed -n 's/.*"log_seq": *\([0-9]*\).*/\1/p')" | cut -c1-120; echo
say "the cache's counters, the breakers and latencies of the remote endpoints, the pool's queue"
curl -sS -H "$ADMIN" "$BASE/metrics" |
  grep -E '^commerce_(shared_cache_(hits|misses|fills|search_[a-z_]+)_total|remote_breaker_state|remote_latency_p99_seconds|http_pool_queued|http_shed_total)'
say "kill Redis now (kill %1 in the shell that started it) and read again: still 200, from the store"
curl -sS -H "$STORE" "$BASE/v1/products/mug" | cut -c1-80; echo
