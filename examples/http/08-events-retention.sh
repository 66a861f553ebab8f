#!/usr/bin/env bash
# Event log retention: the horizon (first_seq) in every GET /v1/events answer, a trim on
# demand that keeps the newest events and says what held it back, and the 410 GONE a reader
# below the horizon gets instead of a silent skip (docs/events.md, "Retention").
set -eu
. "$(dirname "$0")/env.sh"

say "the log: its horizon (first_seq) and newest event (last_seq)"
curl -sS -H "$ADMIN" "$BASE/v1/events?limit=1"

say "trim: keep the newest 5 events (and whatever a consumer has not passed)"
curl -sS -H "$ADMIN" -H "$JSON" "$BASE/v1/events/trim" -d '{"max_count": 5}'

say "reading from event 1, now below the horizon: 410 GONE naming it"
curl -sS -H "$ADMIN" "$BASE/v1/events?from=1&limit=1"

say "without from: from the oldest event kept"
curl -sS -H "$ADMIN" "$BASE/v1/events?limit=1"

say "a trim with no limit is refused, and removes nothing"
curl -sS -H "$ADMIN" -H "$JSON" "$BASE/v1/events/trim" -d '{}'
