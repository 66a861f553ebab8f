"""Returns over HTTP (docs/returns.md): the whole path requested -> approved -> received ->
refunded with restock and write-off, an exchange, cancel and reject; every bad input of each
route (unknown order or return, over-quantity, a move from the wrong state, malformed JSON,
wrong types, stale If-Match, a reused Idempotency-Key); returns asked at once on one line
never passing what was ordered; a refund through the payment with the test provider."""
import concurrent.futures
import os
import tempfile
import time

from conftest import ADMIN_KEY, STORE_KEY, Client, make_products, own_server

ADDRESS = {"name": "Ada", "line1": "1 Main St", "city": "Reno", "region": "us-west", "country": "US"}
SKU, OTHER = "P0000-M", "P0001-M"


def shop(s, checker):
    admin, store = Client(s, checker, ADMIN_KEY), Client(s, checker, STORE_KEY)
    assert admin.post("/v1/products/import", data=make_products(2),
                      headers={"Content-Type": "application/x-ndjson"}).status_code == 200
    for wh, active in (("wh", True), ("back", True), ("shut", False)):
        r = admin.put(f"/v1/warehouses/{wh}", json={"name": wh, "region": "us-west", "priority": 1, "active": active})
        assert r.status_code in (200, 201), r.text
    for sku in (SKU, OTHER):
        assert admin.post(f"/v1/stock/{sku}/receive", json={"warehouse_id": "wh", "quantity": 50}).status_code == 200
    customer = store.post("/v1/customers", json={"email": "ada@example.com", "name": "Ada"}).json()
    return admin, store, customer["id"]


def wait_for(fetch, done, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = fetch()
        if done(value):
            return value
        time.sleep(0.05)
    raise AssertionError(f"still {value}")


def delivered(admin, store, customer, key, quantity=3, paying=False):
    body = {"customer_id": customer, "lines": [{"sku": SKU, "quantity": quantity}], "shipping_address": ADDRESS}
    r = store.post("/v1/orders", json=body, headers={"Idempotency-Key": key})
    assert r.status_code == 201, r.text
    order = r.json()
    if paying:
        wait_for(lambda: admin.get(f"/v1/orders/{order['id']}").json()["status"], lambda s: s == "paid")
    moves = ("fulfilling", "shipped", "delivered") if paying else ("paid", "fulfilling", "shipped", "delivered")
    for to in moves:
        r = admin.post(f"/v1/orders/{order['id']}/transitions", json={"to": to})
        assert r.status_code == 200, r.text
    return r.json()


def ask(store, order_id, lines, key, **more):
    return store.post(f"/v1/orders/{order_id}/returns", json={"lines": lines, **more}, headers={"Idempotency-Key": key})


def test_returns_over_http(checker):
    with own_server() as s:
        admin, store, customer = shop(s, checker)
        order = delivered(admin, store, customer, "o1")
        oid = order["id"]

        # requested -> approved -> received (restock) -> refunded (manual: no payment).
        r = ask(store, oid, [{"sku": SKU, "quantity": 2, "reason": "too small"}], "rma-1", note="first")
        assert r.status_code == 201, r.text
        ret = r.json()
        assert ret["status"] == "requested" and ret["id"].startswith("ret-") and r.headers["ETag"] == '"1"'
        assert "Idempotent-Replayed" not in r.headers
        assert ret["lines"][0]["reason"] == "too small" and ret["refund"]["minor"] > 0
        # A retry under the same key answers the same return; other lines under it are 409.
        again = ask(store, oid, [{"sku": SKU, "quantity": 2, "reason": "too small"}], "rma-1")
        assert again.status_code == 201 and again.json()["id"] == ret["id"]
        assert again.headers["Idempotent-Replayed"] == "true"  # nothing written by the retry
        r = ask(store, oid, [{"sku": SKU, "quantity": 1}], "rma-1")
        assert r.status_code == 409 and r.json()["error"]["code"] == "CONFLICT", r.text
        # Over-quantity: 1 of 3 is left.
        r = ask(store, oid, [{"sku": SKU, "quantity": 2}], "rma-2")
        assert r.status_code == 412 and "has 1 of its 3 left" in r.json()["error"]["message"], r.text
        # The shop's moves are admin.
        assert store.post(f"/v1/returns/{ret['id']}/approve").status_code == 403
        # Wrong state: a requested return is not refunded.
        r = admin.post(f"/v1/returns/{ret['id']}/refund")
        assert r.status_code == 412 and "cannot go from requested to refunded" in r.json()["error"]["message"]
        # A stale If-Match is 409, a malformed one 400.
        assert admin.post(f"/v1/returns/{ret['id']}/approve", headers={"If-Match": '"7"'}).status_code == 409
        assert admin.post(f"/v1/returns/{ret['id']}/approve", headers={"If-Match": "seven"}).status_code == 400
        r = admin.post(f"/v1/returns/{ret['id']}/approve", json={"note": "ok"}, headers={"If-Match": '"1"'})
        assert r.status_code == 200 and r.json()["status"] == "approved" and r.headers["ETag"] == '"2"', r.text
        r = admin.post(f"/v1/returns/{ret['id']}/receive", json={"lines": [{"sku": SKU, "warehouse_id": "shut"}]})
        assert r.status_code == 412, r.text  # an inactive warehouse
        r = admin.post(f"/v1/returns/{ret['id']}/receive", json={"lines": [{"sku": SKU, "warehouse_id": "nowhere"}]})
        assert r.status_code == 404, r.text
        r = admin.post(f"/v1/returns/{ret['id']}/receive", json={"lines": [{"sku": SKU, "warehouse_id": "back"}]})
        assert r.status_code == 200, r.text
        line = r.json()["lines"][0]
        assert line["disposition"] == "restocked" and line["warehouse_id"] == "back"
        assert admin.get(f"/v1/stock/{SKU}/warehouses/back").json()["on_hand"] == 2
        due = r.json()["refund"]["minor"]
        r = admin.post(f"/v1/returns/{ret['id']}/refund", json={"amount_minor": order["total"]["minor"] + 1})
        assert r.status_code == 412 and "past what is left" in r.json()["error"]["message"], r.text
        r = admin.post(f"/v1/returns/{ret['id']}/refund", json={"note": "done"})
        assert r.status_code == 200, r.text
        done = r.json()
        assert done["status"] == "refunded" and done["refund"]["minor"] == due and done["refund_method"] == "manual"
        assert [h["to"] for h in done["history"]] == ["requested", "approved", "received", "refunded"]
        assert store.get(f"/v1/returns/{ret['id']}").json() == done

        # The last unit: an exchange, approved (the linked order placed), written off.
        r = ask(store, oid, [{"sku": SKU, "quantity": 1}], "rma-3", exchange_lines=[{"sku": OTHER, "quantity": 1}])
        assert r.status_code == 201, r.text
        x = admin.post(f"/v1/returns/{r.json()['id']}/approve").json()
        exchange = admin.get(f"/v1/orders/{x['exchange_order_id']}").json()
        assert exchange["lines"][0]["sku"] == OTHER and exchange["customer_id"] == customer
        r = admin.post(f"/v1/returns/{x['id']}/receive", json={"lines": [{"sku": SKU, "write_off": True}]})
        assert r.status_code == 200 and r.json()["lines"][0]["disposition"] == "written_off", r.text
        r = ask(store, oid, [{"sku": SKU, "quantity": 1}], "rma-4")
        assert r.status_code == 412 and "has 0 of its 3 left" in r.json()["error"]["message"]

        # Cancel and reject give units back: a second order.
        o2 = delivered(admin, store, customer, "o2")["id"]
        c = ask(store, o2, [{"sku": SKU, "quantity": 3}], "c").json()
        r = store.post(f"/v1/returns/{c['id']}/cancel", json={"note": "changed my mind"})
        assert r.status_code == 200 and r.json()["status"] == "cancelled", r.text
        # Asked again: a retry, answered with the return as it is (nothing more written).
        again = store.post(f"/v1/returns/{c['id']}/cancel")
        assert again.status_code == 200 and again.json() == r.json(), again.text
        assert admin.post(f"/v1/returns/{c['id']}/approve").status_code == 412
        j = ask(store, o2, [{"sku": SKU, "quantity": 3}], "j").json()
        assert admin.post(f"/v1/returns/{j['id']}/reject").json()["status"] == "rejected"
        listed = store.get(f"/v1/orders/{o2}/returns").json()["items"]
        assert [x["id"] for x in listed] == [c["id"], j["id"]]
        assert [x["status"] for x in listed] == ["cancelled", "rejected"]
        assert [x["id"] for x in store.get(f"/v1/orders/{oid}/returns").json()["items"]] == [ret["id"], x["id"]]

        # The events, in order, on the order's subject.
        types = [e["type"] for e in admin.get("/v1/events", params={"from": 1, "limit": 10000}).json()["events"]
                 if e["type"].startswith("Return") and e["subject"] == oid]
        assert types == ["ReturnRequested", "ReturnApproved", "ReturnReceived", "ReturnRefunded",
                         "ReturnRequested", "ReturnApproved", "ReturnReceived"]


def test_bad_input(checker):
    with own_server() as s:
        admin, store, customer = shop(s, checker)
        oid = delivered(admin, store, customer, "o1")["id"]
        unknown_order, unknown_return = "ord-ffffffffffffffff", "ret-ffffffffffffffff"
        assert ask(store, unknown_order, [{"sku": SKU, "quantity": 1}], "k").status_code == 404
        assert store.get(f"/v1/orders/{unknown_order}/returns").status_code == 404
        assert store.get(f"/v1/returns/{unknown_return}").status_code == 404
        for move in ("approve", "reject", "cancel", "refund"):
            assert admin.post(f"/v1/returns/{unknown_return}/{move}").status_code == 404, move
        r = admin.post(f"/v1/returns/{unknown_return}/receive", json={"lines": [{"sku": SKU, "write_off": True}]})
        assert r.status_code == 404
        url = f"/v1/orders/{oid}/returns"
        for body, code, says in [
            ({"lines": []}, 400, "lines"),
            ({}, 400, "lines"),
            ({"lines": "TEE"}, 400, "lines"),
            ({"lines": ["TEE"]}, 400, "body.lines[0]"),
            ({"lines": [{"sku": SKU}]}, 400, "quantity"),
            ({"lines": [{"sku": SKU, "quantity": "2"}]}, 400, "quantity"),
            ({"lines": [{"sku": SKU, "quantity": 1.5}]}, 400, "quantity"),
            ({"lines": [{"sku": SKU, "quantity": 0}]}, 400, "quantity"),
            ({"lines": [{"sku": SKU, "quantity": -1}]}, 400, "quantity"),
            ({"lines": [{"sku": 7, "quantity": 1}]}, 400, "sku"),
            ({"lines": [{"sku": SKU, "quantity": 1, "colour": "red"}]}, 400, "colour"),
            ({"lines": [{"sku": SKU, "quantity": 1}, {"sku": SKU, "quantity": 1}]}, 400, "repeats"),
            ({"lines": [{"sku": OTHER, "quantity": 1}]}, 400, "not in order"),
            ({"lines": [{"sku": SKU, "quantity": 1, "reason": "x" * 501}]}, 400, "reason"),
            ({"lines": [{"sku": SKU, "quantity": 1}], "exchange_lines": {"sku": OTHER}}, 400, "exchange_lines"),
            ({"lines": [{"sku": SKU, "quantity": 1}], "exchange_lines": [{"sku": OTHER, "quantity": 0}]}, 400,
             "exchange_lines[0].quantity"),
            ({"lines": [{"sku": SKU, "quantity": 1}], "extra": 1}, 400, "extra"),
            ({"lines": [{"sku": SKU, "quantity": 4}]}, 412, "has 3 of its 3 left"),
        ]:
            r = store.post(url, json=body, headers={"Idempotency-Key": "bad"})
            assert r.status_code == code, (body, r.text)
            assert says in r.json()["error"]["message"], (body, r.text)
        # No Idempotency-Key, malformed JSON, a JSON array, another media type, a query parameter.
        r = store.post(url, json={"lines": [{"sku": SKU, "quantity": 1}]})
        assert r.status_code == 400 and "Idempotency-Key" in r.json()["error"]["message"]
        for data in ('{"lines": [', "[]", "null", '{"lines": [{"sku": "P0000-M", "quantity": 1}]} x'):
            r = store.post(url, data=data, headers={"Idempotency-Key": "bad", "Content-Type": "application/json"})
            assert r.status_code == 400 and r.json()["error"]["code"] == "INVALID_ARGUMENT", (data, r.text)
        r = store.post(url, data="lines=1", headers={"Idempotency-Key": "bad", "Content-Type": "text/plain"})
        assert r.status_code == 415
        assert store.get(url, params={"status": "requested"}).status_code == 400
        # Nothing above made a return.
        assert store.get(url).json()["items"] == []

        ret = ask(store, oid, [{"sku": SKU, "quantity": 1}], "good").json()
        rid = ret["id"]
        for move, body, says in [
            ("approve", {"note": 5}, "note"),
            ("approve", {"note": "x" * 501}, "note"),
            ("approve", {"to": "approved"}, "to"),
            ("reject", [], "object"),
            ("receive", {}, "lines"),
            ("refund", {"amount_minor": "5"}, "amount_minor"),
            ("refund", {"amount_minor": -1}, "amount_minor"),
        ]:
            r = admin.post(f"/v1/returns/{rid}/{move}", json=body)
            assert r.status_code == 400, (move, body, r.text)
            assert says in r.json()["error"]["message"], (move, body, r.text)
        assert admin.post(f"/v1/returns/{rid}/receive").status_code == 400  # no body: no lines
        r = admin.post(f"/v1/returns/{rid}/approve", data="{", headers={"Content-Type": "application/json"})
        assert r.status_code == 400
        # Moves from the wrong state.
        for move in ("refund",):
            assert admin.post(f"/v1/returns/{rid}/{move}").status_code == 412
        r = admin.post(f"/v1/returns/{rid}/receive", json={"lines": [{"sku": SKU, "write_off": True}]})
        assert r.status_code == 412 and "cannot go from requested to received" in r.json()["error"]["message"]
        assert admin.post(f"/v1/returns/{rid}/approve").status_code == 200
        assert admin.post(f"/v1/returns/{rid}/reject").status_code == 412
        for lines, says in [
            ([{"sku": SKU, "warehouse_id": "wh", "write_off": True}], "not both"),
            ([{"sku": SKU, "write_off": "yes"}], "write_off"),
            ([{"sku": SKU}], "warehouse_id"),
            ([{"sku": OTHER, "write_off": True}], "not in return"),
            ([], "give each of its lines once"),
            ([{"sku": SKU, "write_off": True}, {"sku": SKU, "write_off": True}], "repeats"),
        ]:
            r = admin.post(f"/v1/returns/{rid}/receive", json={"lines": lines})
            assert r.status_code == 400 and says in r.json()["error"]["message"], (lines, r.text)
        assert store.get(f"/v1/returns/{rid}").json()["status"] == "approved"
        assert store.get(f"/v1/returns/{rid}", params={"x": "1"}).status_code == 400


def test_concurrent_returns_of_one_line_never_pass_the_ordered_quantity(checker):
    """16 one-unit returns of a 3-unit line at once, over HTTP on the server's threads: the
    bound is checked in the writer's transaction, so exactly 3 are made and 13 refused."""
    with own_server() as s:
        admin, store, customer = shop(s, checker)
        oid = delivered(admin, store, customer, "o1", quantity=3)["id"]

        def one(i):
            return ask(store, oid, [{"sku": SKU, "quantity": 1}], f"race-{i}")

        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
            answers = list(pool.map(one, range(16)))
        codes = sorted(r.status_code for r in answers)
        assert codes == [201] * 3 + [412] * 13, [(r.status_code, r.text[:120]) for r in answers]
        items = store.get(f"/v1/orders/{oid}/returns").json()["items"]
        assert len(items) == 3 and sum(x["lines"][0]["quantity"] for x in items) == 3


def test_list_returns_and_cancel_an_exchange(checker):
    """GET /v1/returns by status and customer, paged; cancelling an approved return cancels its
    exchange order."""
    with own_server() as s:
        admin, store, customer = shop(s, checker)
        ids = []
        for key in ("o1", "o2", "o3"):
            oid = delivered(admin, store, customer, key)["id"]
            ids.append(ask(store, oid, [{"sku": SKU, "quantity": 1}], "r-" + key,
                           exchange_lines=[{"sku": OTHER, "quantity": 1}]).json()["id"])
        approved = admin.post(f"/v1/returns/{ids[0]}/approve").json()
        r = admin.get("/v1/returns", params={"status": "requested"})
        assert r.status_code == 200 and {x["id"] for x in r.json()["items"]} == set(ids[1:]), r.text
        r = admin.get("/v1/returns", params=[("status", "approved"), ("status", "cancelled")])
        assert [x["id"] for x in r.json()["items"]] == [ids[0]]
        seen, cursor = [], None
        while True:
            params = {"customer_id": customer, "limit": 1, **({"cursor": cursor} if cursor else {})}
            page = admin.get("/v1/returns", params=params).json()
            seen += [x["id"] for x in page["items"]]
            if not page["next_cursor"]:
                break
            cursor = page["next_cursor"]
        assert seen == sorted(ids)
        assert store.get("/v1/returns").status_code == 403  # listings are admin, like GET /v1/orders
        for params, code in [({"status": "lost"}, 400), ({"limit": 0}, 400), ({"limit": "x"}, 400),
                             ({"customer_id": ""}, 400), ({"cursor": ""}, 400), ({"colour": "red"}, 400),
                             ([("limit", 1), ("limit", 2)], 400), ({"customer_id": "nobody"}, 404)]:
            r = admin.get("/v1/returns", params=params)
            assert r.status_code == code, (params, r.text)
        # Cancelled after approval: its exchange order goes too.
        assert admin.get(f"/v1/orders/{approved['exchange_order_id']}").json()["status"] != "cancelled"
        r = store.post(f"/v1/returns/{ids[0]}/cancel")
        assert r.status_code == 200 and r.json()["status"] == "cancelled", r.text
        assert admin.get(f"/v1/orders/{approved['exchange_order_id']}").json()["status"] == "cancelled"


def test_refund_through_the_payment(checker):
    with tempfile.TemporaryDirectory(prefix="commerce-ret-") as d:
        with own_server(args=["--payment-test-provider-dir", os.path.join(d, "provider")]) as s:
            admin, store, customer = shop(s, checker)
            order = delivered(admin, store, customer, "o1", quantity=2, paying=True)
            rid = ask(store, order["id"], [{"sku": SKU, "quantity": 1}], "r").json()["id"]
            admin.post(f"/v1/returns/{rid}/approve")
            admin.post(f"/v1/returns/{rid}/receive", json={"lines": [{"sku": SKU, "write_off": True}]})
            r = admin.post(f"/v1/returns/{rid}/refund")
            assert r.status_code == 200, r.text
            ret = r.json()
            assert ret["refund_method"] == "payment" and ret["refund_id"] == rid and ret["refund"]["minor"] > 0
            p = wait_for(lambda: admin.get(f"/v1/orders/{order['id']}/payment").json(),
                         lambda p: p["pending_operations"] == 0 and p["refunded_minor"] > 0)
            assert p["refunded_minor"] == ret["refund"]["minor"] and p["refunds"][0]["id"] == rid
