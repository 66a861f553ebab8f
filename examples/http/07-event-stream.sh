#!/usr/bin/env bash
# The event log live over HTTP: Server-Sent Events (docs/server.md, "A live event stream").
# `curl -N` prints each event as it arrives; a stream has no end of its own, so each curl here
# stops itself with --max-time. Runs on any store (it writes one product of its own).
set -eu
. "$(dirname "$0")/env.sh"
OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT

say "live: a stream open for 2 s while a product changes (each event: id, event, data)"
curl -sS -N --max-time 2 -H "$ADMIN" "$BASE/v1/events/stream" > "$OUT" 2>/dev/null &
STREAM=$!
sleep 0.5
curl -sS -o /dev/null -X PUT -H "$ADMIN" -H "$JSON" "$BASE/v1/products/example-stream-tee" -d "{
  \"title\": \"Stream tee $(date +%s%N)\", \"variants\": [{\"sku\": \"STREAM-TEE\", \"price\": 1500, \"currency\": \"USD\"}]}"
wait "$STREAM" || true   # curl's exit 28 at --max-time
cat "$OUT"
LAST=$(sed -n 's/^id: //p' "$OUT" | tail -n 1)

say "resume after an event (what a reconnecting client sends): the stream goes on from the next"
curl -sS -N --max-time 1 -H "$ADMIN" -H "Last-Event-ID: $((LAST - 1))" "$BASE/v1/events/stream" 2>/dev/null \
  | grep '^id:' || true

say "refused before the stream starts: JSON errors like every other route"
curl -sS -H "$ADMIN" -H "Last-Event-ID: yesterday" "$BASE/v1/events/stream"; echo
curl -sS "$BASE/v1/events/stream?api_key=example-admin-key-change-me"; echo
