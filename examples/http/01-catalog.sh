#!/usr/bin/env bash
# Import a catalog, read a product, update it conditionally.
set -eu
. "$(dirname "$0")/env.sh"
FILE=${1:?give the catalog to import: build/bin/commerce generate --products 1000 --out FILE}

say "bulk import (admin): JSON Lines in the catalog's native schema"
curl -sS -H "$ADMIN" -H 'Content-Type: application/x-ndjson' --data-binary @"$FILE" \
  "$BASE/v1/products/import"
# {"records":1000,"imported":1000,"rejected":0,"categories_created":...,"rejections":[]}

say "the same import as a job (admin): answered at once (202), then watched until it ends"
JOB=$(curl -sS -H "$ADMIN" -H 'Content-Type: application/x-ndjson' --data-binary @"$FILE" \
  "$BASE/v1/import-jobs" | sed -n 's/^{"id":"\([^"]*\)".*/\1/p')
echo "job $JOB"
for _ in $(seq 600); do
  STATE=$(curl -sS -H "$ADMIN" "$BASE/v1/import-jobs/$JOB" | sed 's/.*"state":"\([a-z]*\)".*/\1/')
  [ "$STATE" = running ] || break
  sleep 0.1
done
curl -sS -H "$ADMIN" "$BASE/v1/import-jobs/$JOB" | grep -o '"state":"[a-z]*"\|"report":{"records":[0-9]*,"imported":[0-9]*,"unchanged":[0-9]*'
# "state":"succeeded" and "report":{"records":1000,"imported":1000,"unchanged":1000 (the same
# file again: nothing written); POST /v1/import-jobs/$JOB/cancel stops a running one

say "a product (store key); the ETag is its version"
curl -sS -i -H "$STORE" "$BASE/v1/products/p00000001" | sed -n '1,6p'

say "create a product only if absent (If-None-Match: *)"
curl -sS -H "$ADMIN" -H "$JSON" -H 'If-None-Match: *' -X PUT "$BASE/v1/products/tee" -d '{
  "title": "Classic Cotton T-Shirt", "brand": "Acme", "options": ["size"],
  "variants": [{"sku": "TEE-S", "price": 1999, "currency": "USD", "options": {"size": "S"}},
               {"sku": "TEE-M", "price": 1999, "currency": "USD", "options": {"size": "M"}}]}'

say "update it at version 1 (If-Match); a second update at version 1 is 409 CONFLICT"
for i in 1 2; do
  curl -sS -H "$ADMIN" -H "$JSON" -H 'If-Match: "1"' -X PUT "$BASE/v1/products/tee" -d '{
    "title": "Classic Cotton T-Shirt (organic)", "brand": "Acme", "options": ["size"],
    "variants": [{"sku": "TEE-S", "price": 2199, "options": {"size": "S"}},
                 {"sku": "TEE-M", "price": 2199, "options": {"size": "M"}}]}'
  echo
done

say "by SKU"
curl -sS -H "$STORE" "$BASE/v1/skus/TEE-M"
