#!/usr/bin/env bash
# Price lists (docs/prices.md): EUR prices that include tax, a wholesale group's USD prices
# with a tier from 10 units, and a channel's; the price that applies to each caller and why;
# a wholesale customer's cart in a channel and its order naming the list each line came from;
# a replacement with a stale If-Match refused (409). Needs 01-catalog.sh's products (TEE-M at
# 21.99 USD). Runs again on the same server: the lists are created once (409 after), each run
# makes its own cart and order.
set -eu
. "$(dirname "$0")/env.sh"
first_id() { sed -n 's/^{"id":"\([^"]*\)".*/\1/p'; }  # the "id" a JSON object starts with
RUN=$(date +%s%N)

say "three price lists (admin; 409 when they exist from a run before)"
curl -sS -o /dev/null -w 'tees-eur: HTTP %{http_code}\n' -H "$ADMIN" -H "$JSON" "$BASE/v1/price-lists" -d '{
  "id": "tees-eur", "name": "Tees in euros", "currency": "EUR", "tax_inclusive": true,
  "entries": [{"sku": "TEE-S", "price_minor": 2490}, {"sku": "TEE-M", "price_minor": 2490}]}'
curl -sS -o /dev/null -w 'tees-wholesale: HTTP %{http_code}\n' -H "$ADMIN" -H "$JSON" "$BASE/v1/price-lists" -d '{
  "id": "tees-wholesale", "name": "Wholesale tees", "currency": "USD", "customer_group": "wholesale",
  "entries": [{"sku": "TEE-M", "price_minor": 1800}, {"sku": "TEE-M", "price_minor": 1500, "min_quantity": 10}]}'
curl -sS -o /dev/null -w 'tees-app: HTTP %{http_code}\n' -H "$ADMIN" -H "$JSON" "$BASE/v1/price-lists" -d '{
  "id": "tees-app", "name": "Tees in the app", "currency": "USD", "channel": "app",
  "entries": [{"sku": "TEE-M", "price_minor": 1899}]}'
curl -sS -H "$ADMIN" "$BASE/v1/price-lists?limit=2" | sed 's/"entries":\[[^]]*\]/"entries":[...]/g'
echo

say "the price of TEE-M for each caller, and why"
for q in "currency=USD" "currency=EUR"; do   # a guest: the public key may ask
  curl -sS -H "$PUBLIC" "$BASE/v1/prices/TEE-M?$q"; echo
done
for q in "currency=USD&customer_group=wholesale" "currency=USD&customer_group=wholesale&quantity=12" \
         "currency=USD&channel=app" "currency=GBP"; do
  curl -sS -H "$STORE" "$BASE/v1/prices/TEE-M?$q"; echo
done

say "a group's price is the backend's to ask for: the public key is refused (403)"
curl -sS -H "$PUBLIC" "$BASE/v1/prices/TEE-M?currency=USD&customer_group=wholesale"
echo

say "a wholesale customer's cart in the app channel (store): 12 units at the tier's price"
curl -sS -H "$ADMIN" -H "$JSON" -X PUT "$BASE/v1/warehouses/reno" \
  -d '{"name": "Reno", "region": "us-west", "priority": 1}' > /dev/null
curl -sS -H "$ADMIN" -H "$JSON" "$BASE/v1/stock/TEE-M/receive" -d '{"warehouse_id": "reno", "quantity": 12}' > /dev/null
CUSTOMER=$(curl -sS -H "$STORE" "$BASE/v1/customers?email=wholesale-buyer@example.com" | first_id)
if [ -z "$CUSTOMER" ]; then
  CUSTOMER=$(curl -sS -H "$STORE" -H "$JSON" "$BASE/v1/customers" \
    -d '{"email": "wholesale-buyer@example.com", "name": "Hopper Supply", "group": "wholesale"}' | first_id)
fi
CART=$(curl -sS -H "$STORE" -H "$JSON" "$BASE/v1/carts" \
  -d "{\"customer_id\": \"$CUSTOMER\", \"currency\": \"USD\", \"channel\": \"app\"}" | first_id)
curl -sS -H "$PUBLIC" -H "$JSON" "$BASE/v1/carts/$CART/lines" -d '{"sku": "TEE-M", "quantity": 12}' \
  | sed 's/.*"channel":"\([^"]*\)".*"unit_price":\({[^}]*}\).*/cart channel \1 unit_price \2/'
echo

say "its order: the channel, and the list each line's price came from"
curl -sS -H "$PUBLIC" -H "$JSON" -H "Idempotency-Key: prices-$RUN" "$BASE/v1/orders" -d "{
  \"customer_id\": \"$CUSTOMER\", \"cart_id\": \"$CART\",
  \"shipping_address\": {\"name\": \"Hopper\", \"line1\": \"1 Main St\", \"city\": \"Reno\",
                         \"region\": \"us-west\", \"country\": \"US\"}}" \
  | sed 's/.*"channel":"\([^"]*\)".*"price_list_id":"\([^"]*\)","tax_inclusive":\([a-z]*\)}.*"total":\({[^}]*}\).*/order channel \1 price_list_id \2 tax_inclusive \3 total \4/'
echo

say "a replacement at the version read (200), then at that same, now stale, version (409)"
ETAG=$(curl -sS -D - -o /dev/null -H "$ADMIN" "$BASE/v1/price-lists/tees-app" | tr -d '\r' | sed -n 's/^ETag: //Ip')
BODY='{"name": "Tees in the app", "currency": "USD", "channel": "app", "entries": [{"sku": "TEE-M", "price_minor": 1899}]}'
for i in 1 2; do
  curl -sS -o /dev/null -w "PUT If-Match $ETAG: HTTP %{http_code}\n" -H "$ADMIN" -H "$JSON" -H "If-Match: $ETAG" \
    -X PUT "$BASE/v1/price-lists/tees-app" -d "$BODY"
done
