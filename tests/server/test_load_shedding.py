"""Load shedding (--max-queued, docs/scaling.md "Load shedding"): past the bound, a request
that needs the engine's thread pool is answered at once with 503 UNAVAILABLE and
Retry-After instead of queueing; the others complete; /metrics counts what was shed and the
queue's depth; without the flag nothing is shed."""

import concurrent.futures

import requests

from conftest import ADDRESS, ADMIN_KEY, own_server, sellable

ADMIN = {"Authorization": "Bearer " + ADMIN_KEY}


def put_product(base, i):
    p = {"title": f"Shed {i}", "variants": [{"sku": f"SH-{i:05d}", "price": 1000 + i, "currency": "USD"}]}
    return requests.put(f"{base}/v1/products/sh-{i:05d}", json=p, headers=ADMIN, timeout=60)


def burst(base, n):
    with concurrent.futures.ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(lambda i: put_product(base, i), range(n)))


def metric(base, name):
    for line in requests.get(base + "/metrics", headers=ADMIN, timeout=10).text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(name + " not in /metrics")


def test_past_max_queued_requests_are_shed_with_retry_after(tmp_path):
    with own_server(workdir=str(tmp_path), args=("--pool-threads", "1", "--max-queued", "1")) as s:
        answers = burst(s.base, 40)
        shed = [r for r in answers if r.status_code == 503]
        done = [r for r in answers if r.status_code in (200, 201)]
        assert len(shed) + len(done) == len(answers), [r.text for r in answers]
        assert shed, "40 concurrent writes through one pool thread with --max-queued 1: none shed"
        assert done, "every request was shed"
        for r in shed:
            assert r.headers.get("Retry-After") == "1"
            body = r.json()["error"]
            assert body["code"] == "UNAVAILABLE" and "--max-queued" in body["message"], r.text
        assert metric(s.base, "commerce_http_shed_total") == len(shed)
        assert metric(s.base, "commerce_http_pool_queued") == 0  # all finished
        # Shed requests wrote nothing: the products they named are absent.
        for r in shed:
            i = int(r.request.url.rsplit("-", 1)[1])
            got = requests.get(f"{s.base}/v1/products/sh-{i:05d}", headers=ADMIN, timeout=10)
            assert got.status_code == 404, got.text


def test_without_max_queued_nothing_is_shed(tmp_path):
    with own_server(workdir=str(tmp_path), args=("--pool-threads", "1")) as s:
        answers = burst(s.base, 40)
        assert all(r.status_code in (200, 201) for r in answers), [r.text for r in answers if r.status_code >= 300]
        assert metric(s.base, "commerce_http_shed_total") == 0


def test_orders_past_max_queued_are_shed_and_place_nothing(tmp_path):
    """POST /v1/orders is an async route (its reply comes from the writer): it starts on the pool
    like any engine call, so --max-queued sheds it too (it did not: only plain pool routes were
    checked)."""
    with own_server(workdir=str(tmp_path), args=("--pool-threads", "1", "--max-queued", "1")) as s:
        customer = sellable(s.base, "SHED-O", 1000, "shed")

        def place(i):
            return requests.post(f"{s.base}/v1/orders", json={
                "customer_id": customer, "lines": [{"sku": "SHED-O", "quantity": 1}],
                "shipping_address": ADDRESS}, headers={**ADMIN, "Idempotency-Key": f"shed-{i}"}, timeout=60)

        shed, placed = [], []
        for _ in range(5):  # bursts until one is shed, bounded
            with concurrent.futures.ThreadPoolExecutor(max_workers=40) as pool:
                answers = list(pool.map(place, range(len(shed) + len(placed), len(shed) + len(placed) + 40)))
            assert all(r.status_code in (201, 503) for r in answers), [r.text for r in answers if r.status_code not in (201, 503)]
            shed += [r for r in answers if r.status_code == 503]
            placed += [r for r in answers if r.status_code == 201]
            if shed:
                break
        assert shed, "bursts of 40 orders through one pool thread with --max-queued 1: none shed"
        for r in shed:
            assert r.headers.get("Retry-After") == "1"
            body = r.json()["error"]
            assert body["code"] == "UNAVAILABLE" and "--max-queued" in body["message"], r.text
        # Shed orders reserved nothing: the stock holds exactly the placed ones.
        stock = requests.get(f"{s.base}/v1/stock/SHED-O", headers=ADMIN, timeout=10).json()
        assert stock["reserved"] == len(placed), (stock, len(placed))
        assert len({r.json()["id"] for r in placed}) == len(placed)
        assert metric(s.base, "commerce_http_pool_queued") == 0  # the async route's count came back down
