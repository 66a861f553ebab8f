"""Keys limited to a channel (docs/security.md, "Keys limited to a channel"): `channel=ID` in the
keys file (`commerce keys create --channel`), refused at load for a channel the store does not
have; every request of such a key held to its channel — listings and product reads show what it
shows, prices are its own, carts and orders are made in it, another channel named is 403 saying
which, and a cart or an order of another channel is 404 as if absent, with nothing written.
Servers of their own: the first channel changes what every other channel key of the store means."""
import os
import signal
import subprocess
import tempfile
import time

import requests

from conftest import ADMIN_KEY, DEFAULT_KEYS, STORE_KEY, Client, Server, find_cli, find_server, own_server, wait_indexed

ADDRESS = {"name": "Ada", "line1": "1 Main", "city": "Reno", "region": "us-west", "country": "US"}


def keys_create(keys, *args):
    return subprocess.run([find_cli(), "keys", "create", "--keys", keys, *args],
                          capture_output=True, text=True, timeout=30)


def test_a_bad_or_unknown_channel_of_a_key_is_refused_at_load():
    for line, word in (("eu-web public eu-public-secret-0123456789 channel=eu",
                        "key \"eu-web\": channel 'eu': no channel with id 'eu'"),
                       ("eu-web public eu-public-secret-0123456789 channel=e!u", "line 6: channel \"e!u\""),
                       ("eu-web public eu-public-secret-0123456789 channel=", "line 6: channel: 1..64"),
                       ("eu-web public eu-public-secret-0123456789 channel=eu channel=us", "channel: given twice"),
                       ("ops2 admin ops2-secret-0123456789ab channel=eu", "an admin key cannot be limited")):
        with own_server(keys=DEFAULT_KEYS + line + "\n", wait=False) as s:
            assert s.proc.wait(timeout=30) == 2, line
            assert word in s.stderr_text(), (line, s.stderr_text())


def test_keys_create_limits_a_key_to_a_channel():
    with tempfile.TemporaryDirectory(prefix="commerce-keys-") as d:
        keys = os.path.join(d, "keys.txt")
        r = keys_create(keys, "--scope", "public", "--name", "eu-web", "--channel", "eu", "--rate", "5")
        assert r.returncode == 0, r.stderr
        assert "channel eu" in r.stderr
        lines = [l for l in open(keys).read().splitlines() if l and not l.startswith("#")]
        assert lines == [f"eu-web public {r.stdout.strip()} 5 5 channel=eu"], lines
        before = open(keys).read()
        for args, word in ((["--scope", "admin", "--name", "ops", "--channel", "eu"], "an admin key"),
                           (["--scope", "store", "--name", "shop", "--channel", "e u"], "channel \"e u\"")):
            r = keys_create(keys, *args)
            assert r.returncode == 2 and word in r.stderr, (args, r.stderr)
        assert open(keys).read() == before


def add_key(s, *args):
    """A key made with `commerce keys create`, loaded by SIGHUP: its secret."""
    r = keys_create(s.keys, *args)
    assert r.returncode == 0, r.stderr
    secret = r.stdout.strip()
    s.proc.send_signal(signal.SIGHUP)
    deadline = time.time() + 10
    while requests.get(s.base + "/v1/key", headers={"Authorization": "Bearer " + secret}, timeout=10).status_code != 200:
        assert time.time() < deadline, s.stderr_text()
        time.sleep(0.05)
    return secret


def setup_shop(admin):
    assert admin.put("/v1/categories/apparel", json={"name": "Apparel"}).status_code in (200, 201)
    for pid, sku, cats, status in (("tee", "TEE", ["apparel"], "active"), ("cap", "CAP", ["apparel"], "active"),
                                   ("mug", "MUG", [], "active"), ("soon", "SOON", ["apparel"], "draft")):
        r = admin.put(f"/v1/products/{pid}", json={"title": pid, "categories": cats, "status": status, "variants": [
            {"sku": sku, "price": 1000, "currency": "EUR"}]})
        assert r.status_code in (200, 201), r.text
    assert admin.put("/v1/warehouses/near", json={"name": "near", "region": "us-west"}).status_code in (200, 201)
    for sku in ("TEE", "CAP", "MUG"):
        r = admin.post(f"/v1/stock/{sku}/receive", json={"warehouse_id": "near", "quantity": 100})
        assert r.status_code == 200, r.text
    for body in ({"id": "eu", "name": "Europe", "default_currency": "EUR", "category_ids": ["apparel"],
                  "excluded_product_ids": ["cap"]},
                 {"id": "us", "name": "US", "default_currency": "EUR", "product_ids": ["mug", "tee"]}):
        r = admin.post("/v1/channels", json=body)
        assert r.status_code == 201, r.text
    r = admin.post("/v1/price-lists", json={"id": "eu-prices", "name": "EU", "currency": "EUR", "channel": "eu",
                                            "entries": [{"sku": "TEE", "price_minor": 900}]})
    assert r.status_code == 201, r.text
    assert admin.post("/v1/customers", json={"id": "ada", "email": "ada@example.com"}).status_code == 201


def test_a_channel_key_is_held_to_its_channel(checker):
    with own_server() as s:
        admin, store = Client(s, checker, ADMIN_KEY), Client(s, checker, STORE_KEY)
        setup_shop(admin)
        pub = Client(s, checker, add_key(s, "--scope", "public", "--name", "eu-web", "--channel", "eu"))
        eu_store = Client(s, checker, add_key(s, "--scope", "store", "--name", "eu-shop", "--channel", "eu"))
        assert pub.get("/v1/key").json() == {"name": "eu-web", "scope": "public", "channel": "eu"}

        def refused(r, status, *words):
            assert r.status_code == status, r.text
            for w in words:
                assert w in r.json()["error"]["message"], (w, r.text)

        # What the channel shows, and nothing else (a draft stays hidden from a public key).
        assert [p["id"] for p in pub.get("/v1/products").json()["items"]] == ["tee"]
        assert [p["id"] for p in pub.get("/v1/products?channel=eu&category=apparel").json()["items"]] == ["tee"]
        assert [p["id"] for p in eu_store.get("/v1/products").json()["items"]] == ["soon", "tee"]
        refused(pub.get("/v1/products?channel=us"), 403, "channel: key \"eu-web\" is limited to channel 'eu', not 'us'")
        assert pub.get("/v1/products/tee").status_code == 200
        for path, word in (("/v1/products/mug", "no product with id 'mug'"), ("/v1/products/cap", "no product with id 'cap'"),
                           ("/v1/skus/MUG", "no product has sku 'MUG'"), ("/v1/prices/MUG?currency=EUR", "no product has sku 'MUG'")):
            refused(pub.get(path), 404, word)
        assert [p["id"] for p in store.get("/v1/products").json()["items"]] == ["cap", "mug", "soon", "tee"]

        # Its prices are its channel's.
        for path in ("/v1/prices/TEE?currency=EUR", "/v1/prices/TEE?currency=EUR&channel=eu"):
            r = pub.get(path)
            assert r.status_code == 200 and (r.json()["price_list_id"], r.json()["price"]["minor"]) == ("eu-prices", 900), r.text
        refused(pub.get("/v1/prices/TEE?currency=EUR&channel=us"), 403, "limited to channel 'eu', not 'us'")
        refused(pub.get("/v1/prices/TEE?currency=EUR&customer_group=vip"), 403, "customer_group")
        assert store.get("/v1/prices/TEE?currency=EUR").json()["price_list_id"] == ""

        # Another channel named: 403 saying which; another channel's cart or order: 404.
        us_cart, us_open, plain_cart = (store.post("/v1/carts", json={"currency": "EUR", **ch}).json()
                                        for ch in ({"channel": "us"}, {"channel": "us"}, {}))
        for c in (us_cart, us_open, plain_cart):
            assert store.post(f"/v1/carts/{c['id']}/lines", json={"sku": "MUG", "quantity": 1}).status_code == 200
        us_order = store.post("/v1/orders", headers={"Idempotency-Key": "us-1"},
                              json={"customer_id": "ada", "cart_id": us_cart["id"], "shipping_address": ADDRESS}).json()
        assert us_order["channel"] == "us", us_order
        last = admin.get("/v1/events", params={"limit": 1}).json()["last_seq"]
        refused(pub.post("/v1/carts", json={"currency": "EUR", "channel": "us"}), 403,
                "body.channel: key \"eu-web\" is limited to channel 'eu', not 'us'")
        for cart in (us_open, plain_cart):
            cid = cart["id"]
            for r in (pub.get(f"/v1/carts/{cid}"), pub.post(f"/v1/carts/{cid}/lines", json={"sku": "TEE", "quantity": 1}),
                      pub.put(f"/v1/carts/{cid}/lines/MUG", json={"quantity": 3}), pub.delete(f"/v1/carts/{cid}/lines/MUG"),
                      pub.delete(f"/v1/carts/{cid}/lines"), pub.get(f"/v1/carts/{cid}/pricing"),
                      eu_store.post(f"/v1/carts/{cid}/login", json={"customer_id": "ada"}),
                      pub.delete(f"/v1/carts/{cid}")):
                refused(r, 404, f"no cart with id '{cid}'")
        refused(pub.post("/v1/orders", headers={"Idempotency-Key": "x1"},
                         json={"customer_id": "ada", "cart_id": plain_cart["id"], "shipping_address": ADDRESS}),
                404, "cart_id: no cart with id")
        refused(pub.post("/v1/orders", headers={"Idempotency-Key": "x2"},
                         json={"customer_id": "ada", "channel": "us", "lines": [{"sku": "MUG", "quantity": 1}],
                               "shipping_address": ADDRESS}), 403, "body.channel", "'eu'")
        refused(pub.get(f"/v1/orders/{us_order['id']}", headers={"Order-Token": us_order["access_token"]}), 404,
                f"no order with id '{us_order['id']}'")
        refused(eu_store.get(f"/v1/orders/{us_order['id']}"), 404, "no order with id")
        assert admin.get("/v1/events", params={"limit": 1}).json()["last_seq"] == last  # nothing written
        for c in (us_open, plain_cart):
            assert [(l["sku"], l["quantity"]) for l in store.get(f"/v1/carts/{c['id']}").json()["lines"]] == [("MUG", 1)]

        # Its carts and orders are in its channel.
        r = pub.post("/v1/carts", json={"currency": "EUR"})
        assert r.status_code == 201 and r.json()["channel"] == "eu", r.text
        cart = r.json()
        refused(pub.post(f"/v1/carts/{cart['id']}/lines", json={"sku": "MUG", "quantity": 1}), 412,
                "not sold in channel 'eu'")
        r = pub.post(f"/v1/carts/{cart['id']}/lines", json={"sku": "TEE", "quantity": 2})
        assert r.status_code == 200 and r.json()["lines"][0]["unit_price"]["minor"] == 900, r.text
        assert pub.get(f"/v1/carts/{cart['id']}/pricing").status_code == 200
        r = pub.post("/v1/orders", headers={"Idempotency-Key": "eu-1"},
                     json={"customer_id": "ada", "cart_id": cart["id"], "shipping_address": ADDRESS})
        assert r.status_code == 201 and r.json()["channel"] == "eu", r.text
        order = r.json()
        r = pub.get(f"/v1/orders/{order['id']}", headers={"Order-Token": order["access_token"]})
        assert r.status_code == 200, r.text
        r = pub.post("/v1/orders", headers={"Idempotency-Key": "eu-2"},
                     json={"customer_id": "ada", "lines": [{"sku": "TEE", "quantity": 1}], "shipping_address": ADDRESS})
        assert r.status_code == 201 and r.json()["channel"] == "eu", r.text
        assert eu_store.get(f"/v1/orders/{order['id']}").status_code == 200
        mine = [o["id"] for o in eu_store.get("/v1/customers/ada/orders").json()["items"]]
        assert order["id"] in mine and us_order["id"] not in mine
        assert us_order["id"] in [o["id"] for o in store.get("/v1/customers/ada/orders").json()["items"]]

        # A channel removed since the key was loaded shows nothing; a reload then refuses the key.
        assert admin.delete("/v1/channels/eu").status_code == 200
        refused(pub.get("/v1/products/tee"), 404, "no product with id 'tee'")
        refused(pub.get("/v1/products"), 404, "channel: no channel with id 'eu'")
        s.proc.send_signal(signal.SIGHUP)
        deadline = time.time() + 10
        while "keys unchanged" not in s.stderr_text():
            assert time.time() < deadline, s.stderr_text()
            time.sleep(0.05)
        assert "key \"eu-web\": channel 'eu': no channel with id 'eu'" in s.stderr_text()


def test_a_channel_keys_returns_are_its_channels(checker):
    """An order's returns are reached through its order: a store key limited to a channel asks
    for, reads and cancels returns only of its channel's orders; another's are 404 as if absent,
    nothing written."""
    with own_server() as s:
        admin, store = Client(s, checker, ADMIN_KEY), Client(s, checker, STORE_KEY)
        setup_shop(admin)
        eu_store = Client(s, checker, add_key(s, "--scope", "store", "--name", "eu-shop", "--channel", "eu"))

        def delivered(client, channel, sku, key):
            r = client.post("/v1/orders", headers={"Idempotency-Key": key},
                            json={"customer_id": "ada", "channel": channel, "lines": [{"sku": sku, "quantity": 2}],
                                  "shipping_address": ADDRESS})
            assert r.status_code == 201 and r.json()["channel"] == channel, r.text
            for to in ("paid", "fulfilling", "shipped", "delivered"):
                assert admin.post(f"/v1/orders/{r.json()['id']}/transitions", json={"to": to}).status_code == 200
            return r.json()["id"]

        eu_order, us_order = delivered(eu_store, "eu", "TEE", "eu-1"), delivered(store, "us", "MUG", "us-1")
        us_return = store.post(f"/v1/orders/{us_order}/returns", headers={"Idempotency-Key": "r-us"},
                               json={"lines": [{"sku": "MUG", "quantity": 1}]}).json()
        last = admin.get("/v1/events", params={"limit": 1}).json()["last_seq"]
        for r, word in ((eu_store.post(f"/v1/orders/{us_order}/returns", headers={"Idempotency-Key": "r-x"},
                                       json={"lines": [{"sku": "MUG", "quantity": 1}]}), f"no order with id '{us_order}'"),
                        (eu_store.get(f"/v1/orders/{us_order}/returns"), f"no order with id '{us_order}'"),
                        (eu_store.get(f"/v1/returns/{us_return['id']}"), f"no return with id '{us_return['id']}'"),
                        (eu_store.post(f"/v1/returns/{us_return['id']}/cancel"), f"no return with id '{us_return['id']}'")):
            assert r.status_code == 404 and word in r.json()["error"]["message"], r.text
        assert admin.get("/v1/events", params={"limit": 1}).json()["last_seq"] == last  # nothing written
        assert store.get(f"/v1/returns/{us_return['id']}").json()["status"] == "requested"

        # Its own channel's: the whole store path.
        r = eu_store.post(f"/v1/orders/{eu_order}/returns", headers={"Idempotency-Key": "r-eu"},
                          json={"lines": [{"sku": "TEE", "quantity": 1}]})
        assert r.status_code == 201, r.text
        mine = r.json()["id"]
        assert [x["id"] for x in eu_store.get(f"/v1/orders/{eu_order}/returns").json()["items"]] == [mine]
        assert eu_store.get(f"/v1/returns/{mine}").status_code == 200
        assert eu_store.post(f"/v1/returns/{mine}/cancel").json()["status"] == "cancelled"


def test_a_channel_keys_searches_are_its_channels(checker):
    """A key limited to a channel searches in it (docs/search.md, "Per caller"): the products it
    shows, at its prices; naming another channel is 403 saying which."""
    with own_server() as s:
        admin, store = Client(s, checker, ADMIN_KEY), Client(s, checker, STORE_KEY)
        setup_shop(admin)
        wait_indexed(admin)
        pub = Client(s, checker, add_key(s, "--scope", "public", "--name", "eu-web", "--channel", "eu"))

        def hits(r):
            assert r.status_code == 200, r.text
            return sorted((h["product_id"], h["price"]["minor"], h["price_list_id"]) for h in r.json()["hits"])

        assert hits(pub.get("/v1/search", params={"use_cache": "false"})) == [("tee", 900, "eu-prices")]
        assert hits(pub.get("/v1/search", params={"channel": "eu", "q": "tee"})) == [("tee", 900, "eu-prices")]
        assert hits(pub.post("/v1/search", json={"use_cache": False})) == [("tee", 900, "eu-prices")]
        for r in (pub.get("/v1/search", params={"channel": "us"}), pub.post("/v1/search", json={"channel": "us"})):
            assert r.status_code == 403, r.text
            assert "channel: key \"eu-web\" is limited to channel 'eu', not 'us'" in r.json()["error"]["message"]
        # A key of no channel sees every active product, at base prices.
        assert [h[0] for h in hits(store.get("/v1/search", params={"use_cache": "false"}))] == ["cap", "mug", "tee"]
