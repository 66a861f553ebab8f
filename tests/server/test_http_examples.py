"""The curl sessions of examples/http run against a server with the example keys, and run again
on the same server (issue 16, defect 9: 02-checkout.sh could not run twice)."""
import os
import re
import subprocess
import tempfile

from conftest import SOURCE, Server, find_cli, find_server

EXAMPLES = os.path.join(SOURCE, "examples", "http")


def session(name, base, *args):
    r = subprocess.run([os.path.join(EXAMPLES, name), *args], capture_output=True, text=True,
                       timeout=120, env=dict(os.environ, BASE=base))
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def sample_and_keys(d, products):
    """A generated catalog of `products` in d, and the example keys file's text."""
    sample = os.path.join(d, "products.jsonl")
    r = subprocess.run([find_cli(), "generate", "--products", str(products), "--out", sample],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    with open(os.path.join(EXAMPLES, "keys.txt")) as f:
        return sample, f.read()


def test_the_sessions_run_and_run_again():
    with tempfile.TemporaryDirectory(prefix="commerce-http-examples-") as d:
        sample, keys = sample_and_keys(d, 200)
        server = Server(find_server(), d, keys=keys)
        try:
            out = session("01-catalog.sh", server.base, sample)
            assert '"imported":200' in out
            # the same file as a job: watched until it ends, every record unchanged
            assert re.search(r'^job imp-[0-9a-f]{16}$', out, re.M), out
            assert '"state":"succeeded"' in out, out
            assert '"report":{"records":200,"imported":200,"unchanged":200' in out, out
            # Promotions first: limited to a customer group no other session uses (and a code
            # only it gives), so the totals the sessions after it check are unchanged.
            for run in (1, 2):
                out = session("09-promotions.sh", server.base)
                created = re.findall(r"^promotion ([a-z0-9-]+): HTTP (\d+)$", out, re.M)
                assert created == [(p, "201" if run == 1 else "409") for p in ("tee-10", "tee-tiers", "five-off")], out
                ids = re.findall(r'"promotion_id":"([a-z0-9-]+)"', out.split("### a guest's cart")[0])
                assert ids[:3] == ["tee-10", "five-off", "tee-tiers"], out
                assert "guest promotions []" in out and '"code":"NOT_FOUND"' in out, out
                cart = re.search(r'^total (\{[^}]*\})$', out, re.M)
                order = re.search(r'^order total (\{[^}]*\}) discount', out, re.M)
                assert cart and order and cart.group(1) == order.group(1), out
                assert "WELCOME5 used %d time(s)" % run in out, out
            orders = set()
            for run in (1, 2):
                out = session("02-checkout.sh", server.base)
                assert out.count("status ") == 3 and "status shipped" in out, out
                assert "error" not in out.lower(), out
                placed = [line for line in out.splitlines() if line.startswith('{"id":"ord-')]
                assert len(placed) == 2 and placed[0] == placed[1], out  # one order, twice
                orders.add(placed[0])
                # GET /v1/orders?customer_id=&status=shipped: this run's order and the runs' before
                shipped = re.findall(r'^"id":"(ord-[0-9a-f]+)"$', out, re.M)
                assert len(shipped) == run and placed[0].startswith('{"id":"%s"' % shipped[-1]), out
            assert len(orders) == 2  # each run its own order
            for run in (1, 2):  # the merchandising part puts a rule and a synonym, then removes them
                out = session("03-search.sh", server.base)
                assert '"hits"' in out and '"rules_applied":["shirt-week"]' in out, out
                # a SKU typed as one code: its product first, the code's term in the explanation
                assert re.search(r'"hits":\[\{"product_id":"p00000042".*?"terms":\[\{"term":"Ks000000421","wdf":0,"weight":100000', out), out
                assert '"tier":"boosted","rules":["shirt-week"]' in out and '"groups":[]}' in out, out
                assert re.search(r'^\{"version":\d+\}$', out, re.M), out  # the conditional delete
                # suggestions (a typo-tolerant one), a click recorded, the analytics report
                assert '{"suggestions":[{"text":"hea' in out, out
                # (a typo'd word, then the word that follows it in titles: the title pairs)
                assert '{"suggestions":[{"text":"cutting board","source":"catalog","count":3,"corrected":true}]' in out, out
                assert '{"recorded":true}' in out and '{"query":"qwertyuiop","searches":%d,"zero_results":%d' % (run, run) in out, out
                # the scheduled sale rule: no redirect the Thursday before, its page on the Saturday
                sale = re.findall(r'^total (\d+) "redirect":"(.*)"$', out, re.M)
                assert [r for _, r in sale] == ["", "https://shop.example/shirt-sale"], out
                assert all(int(t) > 0 for t, _ in sale), out
            for run in (1, 2):  # each run its own order and return
                out = session("11-returns.sh", server.base)
                assert re.search(r"^return ret-[0-9a-f]{16} requested$", out, re.M), out
                assert '"FAILED_PRECONDITION"' in out and "has 1 of its 3 left" in out, out
                for status in ("approved", "received"):
                    assert re.search(r"^return ret-[0-9a-f]{16} %s$" % status, out, re.M), out
                assert re.search(r"^return ret-[0-9a-f]{16} refunded refund_method manual$", out, re.M), out
                assert "the order's returns: 1" in out, out
            for run in (1, 2):  # the lists once (409 after), each run its own cart and order
                out = session("12-price-lists.sh", server.base)
                created = re.findall(r"^tees-[a-z]+: HTTP (\d+)$", out, re.M)
                assert created == ["201" if run == 1 else "409"] * 3, out
                assert '"price":{"minor":2490,"currency":"EUR"},"source":"price_list","price_list_id":"tees-eur"' in out, out
                assert '"price":{"minor":1500,"currency":"USD"},"source":"price_list","price_list_id":"tees-wholesale","price_list_version":1,"min_quantity":10' in out, out
                assert '"source":"base_price"' in out and '"FAILED_PRECONDITION"' in out and '"PERMISSION_DENIED"' in out, out
                assert 'cart channel app unit_price {"minor":1500,"currency":"USD"}' in out, out
                assert "order channel app price_list_id tees-wholesale tax_inclusive false" in out, out
                assert re.search(r'^PUT If-Match "%d": HTTP 200\nPUT If-Match "%d": HTTP 409$' % (run, run), out, re.M), out
            for run in (1, 2):  # the webhook it subscribes is changed in place, then gone
                out = session("04-errors-and-ops.sh", server.base)
                lines = out.splitlines()
                hooks = lines[lines.index("### webhooks: subscribe (inactive here: nothing is sent), "
                                          "change it in place, unsubscribe") + 1:][:3]
                assert hooks[0].startswith('{"id":"example-erp"') and '["OrderPlaced"]' in hooks[0], out
                assert '"event_types":["OrderPlaced","OrderStatusChanged"],"active":false' in hooks[1], out
                assert "secret" not in hooks[1] and hooks[2] == '{"deleted":true}', out
            tokens = set()
            for run in (1, 2):  # the browser's session: the public key and an Order-Token
                out = session("06-browser.sh", server.base)
                lines = out.splitlines()
                placed = lines[lines.index("### place the order (public): the answer carries access_token") + 1]
                order, token = placed.split()
                assert order.startswith("ord-") and token.startswith("ot_") and len(token) == 35, out
                tokens.add(token)
                read = lines[lines.index("### read it back with its token (public); without it, or with another, it is not there") + 1:]
                assert read[0] == "placed", out
                assert '"INVALID_ARGUMENT"' in read[1] and "Order-Token" in read[1], out
                assert '"NOT_FOUND"' in read[2], out
                assert out.count('"PERMISSION_DENIED"') == 2, out
                me = lines[lines.index("### which key is this: its name and scope, never its secret (what the page may offer)") + 1]
                assert me == '{"name":"browser","scope":"public"}', out
            assert len(tokens) == 2
            for run in (1, 2):  # the event stream: live, resumed, refused
                out = session("07-event-stream.sh", server.base)
                lines = out.splitlines()
                live = lines[lines.index("### live: a stream open for 2 s while a product changes "
                                         "(each event: id, event, data)") + 1:]
                ids = [int(l[4:]) for l in live if l.startswith("id: ")]
                assert ids and "event: ProductUpserted" in live, out
                assert any(l.startswith('data: {"seq":%d,"type":"ProductUpserted","subject":'
                                        '"example-stream-tee"' % ids[-1]) for l in live), out
                resumed = lines[lines.index("### resume after an event (what a reconnecting client "
                                            "sends): the stream goes on from the next") + 1]
                assert resumed == "id: %d" % ids[-1], out
                assert out.count('"INVALID_ARGUMENT"') == 2, out
        finally:
            code, err = server.stop()
        assert code == 0, err


def test_the_payments_session_runs_and_runs_again():
    """10-payments.sh against a server started as its comment says (the test provider and a
    webhook secret), twice: each run its own order, authorized, captured and refunded; the
    webhook recorded once, the second time a duplicate."""
    with tempfile.TemporaryDirectory(prefix="commerce-http-payments-") as d:
        sample, keys = sample_and_keys(d, 20)
        server = Server(find_server(), d, keys=keys,
                        args=["--payment-test-provider-dir", os.path.join(d, "provider"),
                              "--payment-webhook-secret", "whsec_example_0123456789"])
        try:
            session("01-catalog.sh", server.base, sample)
            for _ in (1, 2):
                out = session("10-payments.sh", server.base)
                assert re.search(r"^order ord-[0-9a-f]{16} status payment_pending$", out, re.M), out
                assert re.search(r"^order ord-[0-9a-f]{16} status paid$", out, re.M), out
                assert re.search(r"^payment authorized \d+$", out, re.M), out
                assert "payment captured" in out and "refund: HTTP 202" in out, out
                assert out.count('{"duplicate":false}') == 1 and out.count('{"duplicate":true}') == 1, out
        finally:
            server.kill()
