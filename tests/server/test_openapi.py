"""The OpenAPI description itself: it parses, its $refs resolve, every route the server has
is described, and the checker that the other tests run on every response does catch a
response that breaks it."""
import re

import pytest


def test_spec_refs_resolve(checker):
    text = repr(checker.spec)
    for ref in set(re.findall(r"'\$ref': '([^']+)'", text)):
        checker._deref(ref)
    assert checker.spec["openapi"].startswith("3.")


def test_every_route_is_described(checker, admin):
    # The server's route table, as its metrics label it.
    labels = set(re.findall(r'route="([A-Z]+ [^"]+)"', admin.get("/metrics").text))
    described = {f"{m.upper()} {p}" for p, item in checker.spec["paths"].items() for m in item
                 if m in ("get", "post", "put", "patch", "delete")}
    missing = {l for l in labels if l != "unmatched" and l not in described}
    assert not missing, missing


def test_checker_rejects_a_wrong_response(checker):
    with pytest.raises(AssertionError):
        checker.check("GET", "/v1/products/x", 200, {"Content-Type": "application/json"},
                      b'{"id": "x"}')
    with pytest.raises(AssertionError):
        checker.check("GET", "/v1/products/x", 404, {"Content-Type": "application/json"},
                      b'{"error": {"code": "NOPE", "message": "m", "request_id": "r"}}')
    checker.check("GET", "/v1/products/x", 404, {"Content-Type": "application/json"},
                  b'{"error": {"code": "NOT_FOUND", "message": "m", "request_id": "r"}}')
