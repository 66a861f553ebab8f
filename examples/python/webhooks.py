#!/usr/bin/env python3
"""Webhooks: a subscription whose receiver fails, then updated in place to a new URL with a
rotated secret; the queued delivery is not lost, it reaches the new receiver.

    PYTHONPATH=build/python /usr/bin/python3 examples/python/webhooks.py

Both receivers run in this process on 127.0.0.1 (allowed for the example: loopback is refused
by default, docs/webhooks.md). The store is a temporary directory, removed at the end.
"""

import http.server
import json
import tempfile
import threading
import time

import commerce

OLD_SECRET = "whsec_example_0123456789"
NEW_SECRET = "whsec_rotated_9876543210"


def receiver(status, received):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.path, self.headers["X-Commerce-Signature"], body))
            self.send_response(status)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main():
    failed, delivered = [], []
    old, new = receiver(500, failed), receiver(200, delivered)
    try:
        with tempfile.TemporaryDirectory() as tmp, commerce.Engine(
                tmp + "/store", run_background=False,
                webhooks={"allowed_networks": ["127.0.0.1/32"], "backoff_initial": 0.05}) as engine:
            engine.webhooks.subscribe(commerce.WebhookSubscription(
                id="erp", url="http://127.0.0.1:%d/old" % old.server_port,
                event_types=["CustomerCreated"], secret=OLD_SECRET))
            engine.customers.create(commerce.Customer(email="ada@example.com"))
            engine.run_background_once()  # delivery rounds (the engine's thread does this when running)
            f = engine.webhooks.failures("erp")[0]
            print("event %d failed at /old: HTTP %d, %d attempt(s)" % (f.event_seq, f.last_http_status, f.attempts))

            # The receiver moved and the secret is rotated: updated in place, its queue kept.
            sub = engine.webhooks.update("erp", url="http://127.0.0.1:%d/new" % new.server_port, secret=NEW_SECRET)
            print("updated %s -> %s" % (sub.id, sub.url))
            deadline = time.time() + 10
            while not delivered and time.time() < deadline:
                engine.run_background_once()
                time.sleep(0.05)
            path, signature, body = delivered[0]
            commerce.verify_webhook_signature(NEW_SECRET, signature, body)  # raises if it does not hold
            print("event %d delivered to %s, signed with the rotated secret; failures left: %d"
                  % (json.loads(body)["id"], path, len(engine.webhooks.failures("erp"))))
    finally:
        old.shutdown()
        new.shutdown()


if __name__ == "__main__":
    main()
