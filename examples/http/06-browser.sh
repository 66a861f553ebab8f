#!/usr/bin/env bash
# What a browser does with the publishable (public) key: browse, a guest cart, an order, and
# reading that order back with its Order-Token — and what the key cannot do. Run after
# 01-catalog.sh and 02-checkout.sh (it needs TEE-M in stock and the customer ada@example.com).
set -eu
. "$(dirname "$0")/env.sh"
field() { sed "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/"; }

say "which key is this: its name and scope, never its secret (what the page may offer)"
curl -sS -H "$PUBLIC" "$BASE/v1/key"; echo

say "browse (public): active products only"
curl -sS -H "$PUBLIC" "$BASE/v1/skus/TEE-M" | cut -c1-80; echo

say "a guest cart: the server chooses its id (cart- and 32 hex digits)"
CART=$(curl -sS -H "$PUBLIC" -X POST "$BASE/v1/carts" | field id)
echo "$CART"
curl -sS -H "$PUBLIC" -H "$JSON" "$BASE/v1/carts/$CART/lines" -d '{"sku": "TEE-M", "quantity": 1}' | cut -c1-80; echo

say "the shop's backend tells the browser its customer id (store key)"
CUSTOMER=$(curl -sS -H "$STORE" "$BASE/v1/customers?email=ada%40example.com" | field id)

say "place the order (public): the answer carries access_token"
PLACED=$(curl -sS -H "$PUBLIC" -H "$JSON" -H "Idempotency-Key: browser-$CART" "$BASE/v1/orders" -d "{
  \"customer_id\": \"$CUSTOMER\", \"cart_id\": \"$CART\",
  \"shipping_address\": {\"name\": \"Ada\", \"line1\": \"1 Main St\", \"city\": \"Reno\",
                         \"region\": \"us-west\", \"country\": \"US\"}}")
ORDER=$(echo "$PLACED" | field id)
TOKEN=$(echo "$PLACED" | field access_token)
echo "$ORDER $TOKEN"

say "read it back with its token (public); without it, or with another, it is not there"
curl -sS -H "$PUBLIC" -H "Order-Token: $TOKEN" "$BASE/v1/orders/$ORDER" | field status; echo
curl -sS -H "$PUBLIC" "$BASE/v1/orders/$ORDER"; echo
# {"error":{"code":"INVALID_ARGUMENT","message":"Order-Token: header required with a public key ..."}}
curl -sS -H "$PUBLIC" -H "Order-Token: ot_0000" "$BASE/v1/orders/$ORDER"; echo
# {"error":{"code":"NOT_FOUND","message":"no order with id 'ord-...'",...}}

say "never customers or other orders (403)"
curl -sS -H "$PUBLIC" "$BASE/v1/customers/$CUSTOMER"; echo
curl -sS -H "$PUBLIC" "$BASE/v1/orders?status=placed"; echo
