# Shared by the sessions: where the server is and the example keys (keys.txt).
BASE=${BASE:-http://127.0.0.1:8080}
ADMIN="Authorization: Bearer example-admin-key-change-me"
STORE="Authorization: Bearer example-store-key-change-me"
PUBLIC="Authorization: Bearer example-public-key-ship-me-in-js"
JSON="Content-Type: application/json"
say() { printf '\n### %s\n' "$*"; }
