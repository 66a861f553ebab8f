"""Imports as jobs (POST /v1/import-jobs, issue 16): a body answered at once with a job (202,
Location), watched (progress, counts, rejections so far) until it ends, listed, cancelled while
it runs; bad input refused before the body is read, or the job failed naming why; at most two
running; admin scope."""
import json
import threading
import time

from conftest import ADMIN_KEY, Client, make_products, own_server
from rawhttp import Sock, error_of

NDJSON = {"Content-Type": "application/x-ndjson"}


def wait_finished(admin, job_id, timeout=120):
    deadline = time.time() + timeout
    seen = []
    while time.time() < deadline:
        r = admin.get(f"/v1/import-jobs/{job_id}")
        assert r.status_code == 200, r.text
        job = r.json()
        seen.append(job["progress"]["records"])
        if job["state"] not in ("running", "cancelling"):
            assert seen == sorted(seen)  # progress only grows
            return job
        time.sleep(0.05)
    raise AssertionError(f"import job {job_id} still running after {timeout} s")


def big_body(n, prefix):
    """n small products, one a line: an import that takes a while."""
    return "".join(json.dumps({"id": f"{prefix}-{i:06d}", "title": f"Bulk item {i}",
                               "variants": [{"sku": f"{prefix.upper()}-{i:06d}", "price": 100 + i,
                                             "currency": "USD"}]}) + "\n"
                   for i in range(n)).encode()


def test_an_import_job_runs_and_reports(admin):
    body = make_products(300, prefix="job").splitlines()
    body[10] = '{"id": "job-bad", "title": "", "variants": []}'  # rejected, line 11
    body[20] = "not json"                                          # rejected, line 21
    r = admin.post("/v1/import-jobs", data="\n".join(body) + "\n", headers=NDJSON)
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["id"].startswith("imp-") and job["state"] in ("running", "succeeded")
    assert r.headers["Location"] == f"/v1/import-jobs/{job['id']}"
    assert job["format"] == "jsonl" and job["progress"]["bytes_total"] > 0

    done = wait_finished(admin, job["id"])
    assert done["state"] == "succeeded", done
    report = done["report"]
    assert (report["records"], report["imported"], report["rejected"]) == (300, 298, 2)
    assert [j["line"] for j in done["rejections"]] == [11, 21]
    assert done["progress"]["bytes_read"] == done["progress"]["bytes_total"]
    assert done["finished_at_ms"] >= done["created_at_ms"]
    assert admin.get("/v1/products/job-0299").status_code == 200
    assert job["id"] in [j["id"] for j in admin.get("/v1/import-jobs").json()["items"]]
    # A finished job cannot be cancelled: 409, and it stays as it was.
    r = admin.post(f"/v1/import-jobs/{job['id']}/cancel")
    assert r.status_code == 409 and "already finished" in r.json()["error"]["message"], r.text
    assert admin.get(f"/v1/import-jobs/{job['id']}").json()["state"] == "succeeded"

    # CSV by ?format=, with the currency of rows that name none.
    csv = "product_id,title,sku,price\njob-csv-1,CSV One,JOBCSV-1,12.50\njob-csv-2,CSV Two,JOBCSV-2,3\n"
    r = admin.post("/v1/import-jobs", params={"format": "csv", "currency": "EUR"}, data=csv,
                   headers={"Content-Type": "text/csv"})
    assert r.status_code == 202, r.text
    done = wait_finished(admin, r.json()["id"])
    assert done["state"] == "succeeded" and done["report"]["imported"] == 2, done
    variant = admin.get("/v1/skus/JOBCSV-1").json()["variants"][0]
    assert (variant["price"], variant["currency"]) == (1250, "EUR"), variant


def test_a_broken_body_fails_the_job_naming_why(admin):
    r = admin.post("/v1/import-jobs", params={"format": "json"}, data='{"not": "an array"}',
                   headers={"Content-Type": "application/json"})
    assert r.status_code == 202, r.text
    done = wait_finished(admin, r.json()["id"])
    assert done["state"] == "failed", done
    assert done["error"]["code"] == "INVALID_ARGUMENT" and "[" in done["error"]["message"], done
    assert "report" not in done


def test_bad_requests_are_refused_before_the_body(admin, store, public, anon):
    before = len(admin.get("/v1/import-jobs").json()["items"])
    for params, word in [({"format": "xml"}, "format"), ({"currency": "EURO"}, "currency"),
                         ({"colour": "red"}, "colour")]:
        r = admin.post("/v1/import-jobs", params=params, data=make_products(2, prefix="nope"), headers=NDJSON)
        assert r.status_code == 400, (params, r.text)
        assert word in r.json()["error"]["message"], (params, r.text)
    r = admin.post("/v1/import-jobs", data=b"", headers=NDJSON)
    assert r.status_code == 400 and "nothing to import" in r.text, r.text
    assert len(admin.get("/v1/import-jobs").json()["items"]) == before  # no job made
    assert admin.get("/v1/products/nope-0000").status_code == 404
    assert admin.get("/v1/import-jobs/imp-0000000000000000").status_code == 404
    assert admin.post("/v1/import-jobs/imp-0000000000000000/cancel").status_code == 404
    assert admin.get("/v1/import-jobs", params={"limit": 5}).status_code == 400
    for client, code in [(store, 403), (public, 403), (anon, 401)]:
        assert client.post("/v1/import-jobs", data=make_products(1, prefix="nope"), headers=NDJSON).status_code == code
        assert client.get("/v1/import-jobs").status_code == code


def test_a_running_job_is_cancelled_and_keeps_what_it_imported(checker):
    limit = 8 << 20  # the tests' servers' --max-import-bytes (conftest.Server)
    bodies = [big_body(60_000, "big-a"), big_body(60_000, "big-b")]
    assert len(bodies[0]) < limit
    with own_server() as srv:
        admin = Client(srv, checker, ADMIN_KEY)
        # The body limit holds for jobs too: 413 before a byte of the body is read.
        s = Sock(srv)
        s.send(b"POST /v1/import-jobs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + ADMIN_KEY.encode() +
               b"\r\nContent-Type: application/x-ndjson\r\nContent-Length: %d\r\n\r\n" % (limit + 1))
        status, code, _ = error_of(s.response())
        assert status == 413 and code == "PAYLOAD_TOO_LARGE"
        s.close()
        assert admin.get("/v1/import-jobs").json()["items"] == []

        # Two uploads under way (chunked, held after their first slice) take both slots; each
        # job is cancelled as soon as it is answered.
        go, answers, cancels = threading.Event(), [None, None], [None, None]

        def upload(i):
            def chunks():
                yield bodies[i][:65536]
                go.wait(60)
                for at in range(65536, len(bodies[i]), 1 << 20):
                    yield bodies[i][at:at + (1 << 20)]
            answers[i] = admin.post("/v1/import-jobs", data=chunks(), headers=NDJSON)
            if answers[i].status_code == 202:
                cancels[i] = admin.post(f"/v1/import-jobs/{answers[i].json()['id']}/cancel")

        threads = [threading.Thread(target=upload, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        try:
            deadline = time.time() + 30
            while admin.get("/v1/import-jobs").json()["busy"] < 2 and time.time() < deadline:
                time.sleep(0.05)
            listing = admin.get("/v1/import-jobs").json()
            assert (listing["busy"], listing["max_running"], listing["items"]) == (2, 2, []), listing
            # A third is 429 while they hold the slots, before its body is read.
            third = admin.post("/v1/import-jobs", data=make_products(3, prefix="third"), headers=NDJSON)
            assert third.status_code == 429 and "already running" in third.text, third.text
        finally:
            go.set()
            for t in threads:
                t.join(120)
        for a, c in zip(answers, cancels):
            assert a is not None and a.status_code == 202, a and a.text
            assert c.status_code in (200, 409), c.text  # 409: it had finished first
            if c.status_code == 200:
                assert c.json()["state"] in ("cancelling", "cancelled"), c.text
        assert admin.get("/v1/products/third-0000").status_code == 404

        states, imported = [], 0
        for a in answers:
            done = wait_finished(admin, a.json()["id"])
            states.append(done["state"])
            report = done["report"]
            imported += report["imported"]
            if done["state"] == "cancelled":
                assert report["cancelled"] and report["imported"] < 60_000, report
        # What the jobs imported stays, the cancelled one's too (this server's store was empty).
        assert admin.get("/v1/catalog/stats").json()["products"] == imported
        # 60,000 records take a second or more to import, a cancel milliseconds: one that never lands
        # would leave both succeeded.
        assert "cancelled" in states, states
