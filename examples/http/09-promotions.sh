#!/usr/bin/env bash
# Promotions and coupons (docs/promotions.md): for the "vip" customer group only, an automatic
# 10% off TEE-M and a tiered one (2.00 off from 2 tees, 10% from 5); a code for 5.00 off with a
# total limit; a cart priced with its promotions explained, a guest's cart that the group's
# promotions skip, an order that keeps its discounts, and an unknown code refused. Runs again
# on the same server: the records are created once (409 after), each run makes its own carts
# and order. The automatic promotions are limited to a group no other session uses, so this
# session changes no other session's totals.
set -eu
. "$(dirname "$0")/env.sh"
first_id() { sed -n 's/^{"id":"\([^"]*\)".*/\1/p'; }  # the "id" a JSON object starts with

say "stock, a customer of the vip group and a cart"
curl -sS -H "$ADMIN" -H "$JSON" -X PUT "$BASE/v1/warehouses/reno" \
  -d '{"name": "Reno", "region": "us-west", "priority": 1}' > /dev/null
curl -sS -H "$ADMIN" -H "$JSON" "$BASE/v1/stock/TEE-M/receive" -d '{"warehouse_id": "reno", "quantity": 10}' > /dev/null
CUSTOMER=$(curl -sS -H "$STORE" "$BASE/v1/customers?email=lin@example.com" | first_id)
if [ -z "$CUSTOMER" ]; then
  CUSTOMER=$(curl -sS -H "$STORE" -H "$JSON" "$BASE/v1/customers" \
    -d '{"email": "lin@example.com", "name": "Lin", "group": "vip"}' | first_id)
fi
CART=$(curl -sS -H "$STORE" -H "$JSON" "$BASE/v1/carts" -d "{\"customer_id\": \"$CUSTOMER\"}" | first_id)
curl -sS -H "$PUBLIC" -H "$JSON" "$BASE/v1/carts/$CART/lines" -d '{"sku": "TEE-M", "quantity": 2}' > /dev/null

say "promotions and a coupon (admin; 409 when they exist from a run before)"
curl -sS -o /dev/null -w 'promotion tee-10: HTTP %{http_code}\n' -H "$ADMIN" -H "$JSON" "$BASE/v1/promotions" -d '{
  "id": "tee-10", "name": "VIP: 10% off tees", "currency": "USD", "skus": ["TEE-M"],
  "customer_groups": ["vip"], "action": "percent_off_lines", "percent_bp": 1000, "priority": 10}'
curl -sS -o /dev/null -w 'promotion tee-tiers: HTTP %{http_code}\n' -H "$ADMIN" -H "$JSON" "$BASE/v1/promotions" -d '{
  "id": "tee-tiers", "name": "VIP: more tees, more off", "currency": "USD", "skus": ["TEE-M"],
  "customer_groups": ["vip"], "action": "tiered", "tier_basis": "quantity",
  "tiers": [{"threshold": 2, "amount_minor": 200}, {"threshold": 5, "percent_bp": 1000}]}'
curl -sS -o /dev/null -w 'promotion five-off: HTTP %{http_code}\n' -H "$ADMIN" -H "$JSON" "$BASE/v1/promotions" -d '{
  "id": "five-off", "name": "5.00 off", "currency": "USD", "action": "fixed_off_order",
  "amount_minor": 500, "requires_coupon": true}'
curl -sS -o /dev/null -w 'coupon WELCOME5: HTTP %{http_code}\n' -H "$ADMIN" -H "$JSON" "$BASE/v1/coupons" -d '{
  "code": "WELCOME5", "promotion_id": "five-off", "usage_limit": 1000, "per_customer_limit": 100}'

say "the cart priced with the code (public): each promotion and each line's discount"
curl -sS -H "$PUBLIC" "$BASE/v1/carts/$CART/pricing?coupon_code=welcome5" \
  | sed 's/.*"promotions":\(\[.*\]\),"subtotal".*"total":\({[^}]*}\).*/promotions \1\ntotal \2/'
echo

say "a guest's cart: the vip group's promotions do not apply to it (a guest is in no group)"
GUEST=$(curl -sS -H "$PUBLIC" -X POST "$BASE/v1/carts" | first_id)
curl -sS -H "$PUBLIC" -H "$JSON" "$BASE/v1/carts/$GUEST/lines" -d '{"sku": "TEE-M", "quantity": 2}' > /dev/null
curl -sS -H "$PUBLIC" "$BASE/v1/carts/$GUEST/pricing" \
  | sed 's/.*"promotions":\(\[.*\]\),"subtotal".*"total":\({[^}]*}\).*/guest promotions \1\nguest total \2/'
echo

say "an unknown code: 404"
curl -sS -H "$PUBLIC" "$BASE/v1/carts/$CART/pricing?coupon_code=NOPE"
echo

say "the order with the code keeps its discounts"
curl -sS -H "$PUBLIC" -H "$JSON" -H "Idempotency-Key: promo-$CART" "$BASE/v1/orders" -d "{
  \"customer_id\": \"$CUSTOMER\", \"cart_id\": \"$CART\", \"coupon_codes\": [\"WELCOME5\"],
  \"shipping_address\": {\"name\": \"Lin\", \"line1\": \"1 Main St\", \"city\": \"Reno\",
                         \"region\": \"us-west\", \"country\": \"US\"}}" \
  | sed 's/.*"total":\({[^}]*}\),"discount":\({[^}]*}\).*/order total \1 discount \2/'
echo
curl -sS -H "$ADMIN" "$BASE/v1/coupons/WELCOME5" | sed 's/.*"used":\([0-9]*\).*/WELCOME5 used \1 time(s)/'
