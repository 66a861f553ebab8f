#!/usr/bin/env bash
# Stock, a customer, a cart, an order placed twice with one Idempotency-Key (one order),
# then paid -> fulfilling -> shipped. Runs again on the same server: the customer is found by
# email when it exists, and each run makes its own cart and order.
set -eu
. "$(dirname "$0")/env.sh"
first_id() { sed -n 's/^{"id":"\([^"]*\)".*/\1/p'; }  # the "id" a JSON object starts with

say "a warehouse and stock (admin)"
curl -sS -H "$ADMIN" -H "$JSON" -X PUT "$BASE/v1/warehouses/reno" \
  -d '{"name": "Reno", "region": "us-west", "priority": 1}'
curl -sS -H "$ADMIN" -H "$JSON" "$BASE/v1/stock/TEE-M/receive" -d '{"warehouse_id": "reno", "quantity": 10}'

say "a customer (found by email, or created) and a cart (store)"
CUSTOMER=$(curl -sS -H "$STORE" "$BASE/v1/customers?email=ada@example.com" | first_id)
if [ -z "$CUSTOMER" ]; then
  CUSTOMER=$(curl -sS -H "$STORE" -H "$JSON" "$BASE/v1/customers" \
    -d '{"email": "ada@example.com", "name": "Ada"}' | first_id)
fi
CART=$(curl -sS -H "$STORE" -H "$JSON" "$BASE/v1/carts" -d "{\"customer_id\": \"$CUSTOMER\"}" | first_id)
curl -sS -H "$STORE" -H "$JSON" "$BASE/v1/carts/$CART/lines" -d '{"sku": "TEE-M", "quantity": 2}'

say "place the order twice with one Idempotency-Key: the same order both times"
for i in 1 2; do
  PLACED=$(curl -sS -H "$STORE" -H "$JSON" -H "Idempotency-Key: checkout-$CART" "$BASE/v1/orders" -d "{
    \"customer_id\": \"$CUSTOMER\", \"cart_id\": \"$CART\",
    \"shipping_address\": {\"name\": \"Ada\", \"line1\": \"1 Main St\", \"city\": \"Reno\",
                           \"region\": \"us-west\", \"country\": \"US\"}}")
  echo "$PLACED" | cut -c1-80
done
ORDER=$(echo "$PLACED" | first_id)

say "paid -> fulfilling -> shipped (admin)"
for to in paid fulfilling shipped; do
  curl -sS -H "$ADMIN" -H "$JSON" "$BASE/v1/orders/$ORDER/transitions" -d "{\"to\": \"$to\"}" \
    | sed 's/.*"status":"\([a-z]*\)".*/status \1/'
done
curl -sS -H "$STORE" "$BASE/v1/stock/TEE-M"
# {"sku":"TEE-M","on_hand":8,"reserved":0,"available":8,...} on a fresh store (+8 a run)

say "this customer's shipped orders, oldest first (admin; GET /v1/orders filters every order)"
curl -sS -H "$ADMIN" "$BASE/v1/orders?customer_id=$CUSTOMER&status=shipped&limit=100" \
  | grep -o '"id":"ord-[0-9a-f]*"'
# "id":"ord-..." once per run of this script on the same server
