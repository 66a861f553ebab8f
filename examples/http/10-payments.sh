#!/usr/bin/env bash
# Payments (docs/payments.md) with the built-in test provider. Start the server with it:
#   build/bin/commerce-server --data ./shop --keys examples/http/keys.txt \
#     --payment-test-provider-dir ./shop-provider --payment-webhook-secret whsec_example_0123456789
# An order is placed in payment_pending, authorized by the payment worker (paid), captured
# when it ships, and partly refunded; a provider's webhook is signed and sent twice (the
# second changes nothing). Runs again on the same server: each run places its own order.
set -eu
. "$(dirname "$0")/env.sh"
SECRET=${SECRET:-whsec_example_0123456789}
first_id() { sed -n 's/^{"id":"\([^"]*\)".*/\1/p'; }  # the "id" a JSON object starts with
field() { sed -n "s/.*\"$1\":\"\\{0,1\\}\\([^\",}]*\\).*/\\1/p"; }  # a flat field's value
RUN=$(date +%s%N)

say "stock and a customer"
curl -sS -H "$ADMIN" -H "$JSON" -X PUT "$BASE/v1/warehouses/reno" \
  -d '{"name": "Reno", "region": "us-west", "priority": 1}' > /dev/null
curl -sS -H "$ADMIN" -H "$JSON" "$BASE/v1/stock/TEE-M/receive" -d '{"warehouse_id": "reno", "quantity": 10}' > /dev/null
CUSTOMER=$(curl -sS -H "$STORE" "$BASE/v1/customers?email=linus@example.com" | first_id)
if [ -z "$CUSTOMER" ]; then
  CUSTOMER=$(curl -sS -H "$STORE" -H "$JSON" "$BASE/v1/customers" \
    -d '{"email": "linus@example.com", "name": "Linus"}' | first_id)
fi

say "an order: payment_pending until the worker's authorization"
ORDER=$(curl -sS -H "$PUBLIC" -H "$JSON" -H "Idempotency-Key: pay-$RUN" "$BASE/v1/orders" -d "{
  \"customer_id\": \"$CUSTOMER\", \"lines\": [{\"sku\": \"TEE-M\", \"quantity\": 1}],
  \"shipping_address\": {\"name\": \"Linus\", \"line1\": \"1 Main St\", \"city\": \"Reno\",
                         \"region\": \"us-west\", \"country\": \"US\"}}")
ID=$(echo "$ORDER" | first_id)
echo "order $ID status $(echo "$ORDER" | field status)"
for _ in $(seq 100); do
  STATUS=$(curl -sS -H "$ADMIN" "$BASE/v1/orders/$ID" | field status)
  [ "$STATUS" != payment_pending ] && break
  sleep 0.05
done
echo "order $ID status $STATUS"
curl -sS -H "$ADMIN" "$BASE/v1/orders/$ID/payment" | sed 's/.*"status":"\([a-z]*\)","amount".*"authorized_minor":\([0-9]*\).*/payment \1 \2/'

say "shipped: the capture is queued and asked; then a refund of 1.00"
for to in fulfilling shipped; do
  curl -sS -o /dev/null -H "$ADMIN" -H "$JSON" "$BASE/v1/orders/$ID/transitions" -d "{\"to\": \"$to\"}"
done
for _ in $(seq 100); do
  PAYMENT=$(curl -sS -H "$ADMIN" "$BASE/v1/orders/$ID/payment")
  [ "$(echo "$PAYMENT" | field status)" = captured ] && break
  sleep 0.05
done
echo "payment $(echo "$PAYMENT" | field status)"
curl -sS -o /dev/null -w 'refund: HTTP %{http_code}\n' -H "$ADMIN" -H "$JSON" "$BASE/v1/orders/$ID/refunds" \
  -d '{"refund_id": "goodwill-1", "amount_minor": 100}'

say "a provider webhook, signed (HMAC-SHA256 of \"<t>.<body>\"), sent twice"
PAY=$(echo "$PAYMENT" | first_id)
EVENT="{\"id\":\"evt-$RUN\",\"idempotency_key\":\"$PAY:capture\",\"result\":\"succeeded\"}"
T=$(date +%s)
SIG=$(printf '%s.%s' "$T" "$EVENT" | openssl dgst -sha256 -hmac "$SECRET" -r | cut -d' ' -f1)
for _ in 1 2; do
  curl -sS -H "$JSON" -H "X-Commerce-Signature: t=$T,v1=$SIG" "$BASE/v1/payments/webhooks/test" -d "$EVENT"
  echo
done
