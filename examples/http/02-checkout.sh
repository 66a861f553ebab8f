#!/usr/bin/env bash
# Stock, a customer, a cart, an order placed twice with one Idempotency-Key (one order),
# then paid -> fulfilling -> shipped.
set -eu
. "$(dirname "$0")/env.sh"

say "a warehouse and stock (admin)"
curl -sS -H "$ADMIN" -H "$JSON" -X PUT "$BASE/v1/warehouses/reno" \
  -d '{"name": "Reno", "region": "us-west", "priority": 1}'
curl -sS -H "$ADMIN" -H "$JSON" "$BASE/v1/stock/TEE-M/receive" -d '{"warehouse_id": "reno", "quantity": 10}'

say "a customer and a cart (store)"
CUSTOMER=$(curl -sS -H "$STORE" -H "$JSON" "$BASE/v1/customers" \
  -d '{"email": "ada@example.com", "name": "Ada"}' | sed 's/.*"id":"\([^"]*\)".*/\1/')
CART=$(curl -sS -H "$STORE" -H "$JSON" "$BASE/v1/carts" -d "{\"customer_id\": \"$CUSTOMER\"}" \
  | sed 's/.*"id":"\([^"]*\)".*/\1/')
curl -sS -H "$STORE" -H "$JSON" "$BASE/v1/carts/$CART/lines" -d '{"sku": "TEE-M", "quantity": 2}'

say "place the order twice with one Idempotency-Key: the same order both times"
for i in 1 2; do
  curl -sS -H "$STORE" -H "$JSON" -H "Idempotency-Key: checkout-$CART" "$BASE/v1/orders" -d "{
    \"customer_id\": \"$CUSTOMER\", \"cart_id\": \"$CART\",
    \"shipping_address\": {\"name\": \"Ada\", \"line1\": \"1 Main St\", \"city\": \"Reno\",
                           \"region\": \"us-west\", \"country\": \"US\"}}" | cut -c1-80
  echo
done
ORDER=$(curl -sS -H "$STORE" "$BASE/v1/customers/$CUSTOMER/orders" | sed 's/.*"items":\[{"id":"\([^"]*\)".*/\1/')

say "paid -> fulfilling -> shipped (admin)"
for to in paid fulfilling shipped; do
  curl -sS -H "$ADMIN" -H "$JSON" "$BASE/v1/orders/$ORDER/transitions" -d "{\"to\": \"$to\"}" \
    | sed 's/.*"status":"\([a-z]*\)".*/status \1/'
done
curl -sS -H "$STORE" "$BASE/v1/stock/TEE-M"
# {"sku":"TEE-M","on_hand":8,"reserved":0,"available":8,...}
