#!/usr/bin/env bash
# Returns (docs/returns.md): an order delivered, two of its three units asked back, approved,
# received (one line restocked to a returns desk) and refunded (manual: this server has no
# payment provider); a third request for two more is refused (412: one unit is left). Needs
# 01-catalog.sh's products. Runs again on the same server: each run places its own order.
set -eu
. "$(dirname "$0")/env.sh"
first_id() { sed -n 's/^{"id":"\([^"]*\)".*/\1/p'; }  # the "id" a JSON object starts with
field() { sed -n "s/.*\"$1\":\"\\{0,1\\}\\([^\",}]*\\).*/\\1/p"; }  # a flat field's first value
RUN=$(date +%s%N)

say "stock, a returns desk and a customer"
for wh in reno returns-desk; do
  curl -sS -o /dev/null -H "$ADMIN" -H "$JSON" -X PUT "$BASE/v1/warehouses/$wh" \
    -d '{"name": "'$wh'", "region": "us-west", "priority": 1}'
done
curl -sS -o /dev/null -H "$ADMIN" -H "$JSON" "$BASE/v1/stock/TEE-M/receive" -d '{"warehouse_id": "reno", "quantity": 10}'
CUSTOMER=$(curl -sS -H "$STORE" "$BASE/v1/customers?email=grace@example.com" | first_id)
if [ -z "$CUSTOMER" ]; then
  CUSTOMER=$(curl -sS -H "$STORE" -H "$JSON" "$BASE/v1/customers" \
    -d '{"email": "grace@example.com", "name": "Grace"}' | first_id)
fi

say "an order of 3, paid, shipped, delivered"
ORDER=$(curl -sS -H "$STORE" -H "$JSON" -H "Idempotency-Key: ret-$RUN" "$BASE/v1/orders" -d "{
  \"customer_id\": \"$CUSTOMER\", \"lines\": [{\"sku\": \"TEE-M\", \"quantity\": 3}],
  \"shipping_address\": {\"name\": \"Grace\", \"line1\": \"1 Main St\", \"city\": \"Reno\",
                         \"region\": \"us-west\", \"country\": \"US\"}}" | first_id)
for to in paid fulfilling shipped delivered; do
  curl -sS -o /dev/null -H "$ADMIN" -H "$JSON" "$BASE/v1/orders/$ORDER/transitions" -d "{\"to\": \"$to\"}"
done

say "a return of 2 (store key, Idempotency-Key like an order's)"
RETURN=$(curl -sS -H "$STORE" -H "$JSON" -H "Idempotency-Key: rma-$RUN" "$BASE/v1/orders/$ORDER/returns" \
  -d '{"lines": [{"sku": "TEE-M", "quantity": 2, "reason": "too small"}]}')
ID=$(echo "$RETURN" | first_id)
echo "return $ID $(echo "$RETURN" | field status)"

say "2 more of the same line: 412, one is left"
curl -sS -H "$STORE" -H "$JSON" -H "Idempotency-Key: rma2-$RUN" "$BASE/v1/orders/$ORDER/returns" \
  -d '{"lines": [{"sku": "TEE-M", "quantity": 2}]}'
echo

say "approved, received to the returns desk, refunded (admin key)"
echo "return $ID $(curl -sS -H "$ADMIN" -X POST "$BASE/v1/returns/$ID/approve" | field status)"
echo "return $ID $(curl -sS -H "$ADMIN" -H "$JSON" "$BASE/v1/returns/$ID/receive" \
  -d '{"lines": [{"sku": "TEE-M", "warehouse_id": "returns-desk"}]}' | field status)"
DONE=$(curl -sS -H "$ADMIN" -H "$JSON" "$BASE/v1/returns/$ID/refund" -d '{"note": "refunded by bank transfer"}')
echo "return $ID $(echo "$DONE" | field status) refund_method $(echo "$DONE" | field refund_method)"
echo "the order's returns: $(curl -sS -H "$STORE" "$BASE/v1/orders/$ORDER/returns" | grep -o '"id":"ret-' | wc -l)"
