#!/usr/bin/env bash
# What errors look like, keys and scopes, the event tail, health and metrics.
set -u
. "$(dirname "$0")/env.sh"

say "no key: 401"
curl -sS "$BASE/v1/products/tee"
say "a store key on an admin route: 403"
curl -sS -H "$STORE" -H "$JSON" "$BASE/v1/stock/TEE-M/receive" -d '{"warehouse_id": "reno", "quantity": 1}'
say "an unknown field: 400 naming it"
curl -sS -H "$STORE" -H "$JSON" "$BASE/v1/carts" -d '{"currency": "USD", "colour": "red"}'
say "out of stock: 409 OUT_OF_STOCK (nothing is reserved, no order is made)"
CUSTOMER=$(curl -sS -H "$STORE" "$BASE/v1/customers?email=ada@example.com" | sed 's/.*"id":"\([^"]*\)".*/\1/')
curl -sS -H "$STORE" -H "$JSON" -H 'Idempotency-Key: too-many' "$BASE/v1/orders" -d "{
  \"customer_id\": \"$CUSTOMER\", \"lines\": [{\"sku\": \"TEE-S\", \"quantity\": 5}],
  \"shipping_address\": {\"name\": \"A\", \"line1\": \"1 St\", \"city\": \"Reno\", \"region\": \"us-west\", \"country\": \"US\"}}"
say "a route that does not exist: 404; a method that does not: 405"
curl -sS -H "$STORE" "$BASE/v1/nope"; echo
curl -sS -H "$STORE" -X PATCH "$BASE/v1/products/tee"
say "the event log: the first three events, then a long-poll for the next"
curl -sS -H "$ADMIN" "$BASE/v1/events?from=1&limit=3" | cut -c1-300; echo
NEXT=$(curl -sS -H "$ADMIN" "$BASE/v1/events?limit=1" | sed 's/.*"last_seq":\([0-9]*\).*/\1/')
curl -sS -H "$ADMIN" "$BASE/v1/events?from=$((NEXT + 1))&wait_ms=1000"
say "webhooks: subscribe (inactive here: nothing is sent), change it in place, unsubscribe"
curl -sS -H "$ADMIN" -H "$JSON" "$BASE/v1/webhooks" -d '{"id": "example-erp", "url": "https://erp.example.com/hooks",
  "event_types": ["OrderPlaced"], "secret": "whsec_example_0123456789", "active": false}'; echo
# PATCH: only what changes; the queue, cursor and failures are kept (docs/webhooks.md)
curl -sS -H "$ADMIN" -H "$JSON" -X PATCH "$BASE/v1/webhooks/example-erp" \
  -d '{"event_types": ["OrderPlaced", "OrderStatusChanged"], "secret": "whsec_example_rotated_9876543210"}'; echo
# {"id":"example-erp",...,"event_types":["OrderPlaced","OrderStatusChanged"],"active":false,...}
curl -sS -H "$ADMIN" -X DELETE "$BASE/v1/webhooks/example-erp"; echo
say "health, readiness, metrics"
curl -sS "$BASE/healthz"; echo
curl -sS "$BASE/readyz"; echo
curl -sS -H "$ADMIN" "$BASE/metrics" | grep -E '^commerce_(http_requests_total|storage_group_size|search_cache_hit)' | head
