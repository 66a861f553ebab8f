"""The event log on NATS JetStream from Python: commerce.EventPublisher(engine, nats_url=...)
publishes every event of the store, in order, each once (its seq is the Nats-Msg-Id), to a
stream that integrators consume with any NATS client. Starts a private nats-server with
JetStream on a free port (Debian's nats-server package), kills it half-way to show the store
going on and the publisher catching up, and stops it.

    /usr/bin/python3 examples/python/nats_events.py
"""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

import commerce


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_nats(port, store):
    proc = subprocess.Popen(["nats-server", "-js", "-a", "127.0.0.1", "-p", str(port), "-sd", store],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    for _ in range(500):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.02)
    raise SystemExit("nats-server did not start")


def stop(proc):
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


port = free_port()
with tempfile.TemporaryDirectory() as d:
    nats = start_nats(port, os.path.join(d, "nats"))
    try:
        with commerce.Engine(os.path.join(d, "shop")) as engine, \
                commerce.EventPublisher(engine, nats_url="nats://127.0.0.1:%d" % port,
                                        stream="SHOP", subject="shop.events") as pub:
            def product(pid):
                return commerce.Product(id=pid, title=pid, variants=[
                    {"sku": pid.upper(), "price": {"minor": 1200, "currency": "USD"}}])

            for pid in ("mug", "tee", "cap"):
                engine.catalog.upsert(product(pid))
            pub.wait_for(engine.events.last_seq(), 10.0)
            s = pub.stats()
            print("published %d events to stream SHOP (subjects shop.events.<type>), cursor %d"
                  % (s.published, s.cursor))
            stop(nats)
            for pid in ("bag", "pen"):
                engine.catalog.upsert(product(pid))  # the store does not wait for NATS
            time.sleep(1.5)
            s = pub.stats()
            print("NATS killed: the store took 2 more writes; published up to %d of %d"
                  % (s.cursor, engine.events.last_seq()))
            nats = start_nats(port, os.path.join(d, "nats"))
            caught_up = pub.wait_for(engine.events.last_seq(), 30.0)
            s = pub.stats()
            print("NATS back: caught up=%s, published %d in all, each once" % (caught_up, s.published))
    finally:
        stop(nats)
sys.exit(0)
