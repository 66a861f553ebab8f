"""GET /console/ and its files (tools/server/api_console.cpp, docs/console.md): the files
embedded in the binary are the ones in tools/server/console/, byte for byte, served without a
key, with their content type, a strict Content-Security-Policy, nosniff and revalidation; every
other spelling of a path under /console is the JSON 404 of any unknown path. The console's
pages themselves are driven in a real browser by tests/console (tools/test --only console)."""
import os
import re

import pytest

import rawhttp
from conftest import SOURCE, ADMIN_KEY

CONSOLE = os.path.join(SOURCE, "tools", "server", "console")
TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
         ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}


def console_files():
    return sorted(os.listdir(CONSOLE))


def raw_get(server, target, headers=""):
    s = rawhttp.Sock(server)
    try:
        s.send(f"GET {target} HTTP/1.1\r\nHost: x\r\n{headers}\r\n".encode("latin-1"))
        return s.response()
    finally:
        s.close()


def check_headers(h):
    csp = h["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'" and directives["connect-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in csp and "*" not in csp
    assert h["X-Content-Type-Options"] == "nosniff"
    assert h["Cache-Control"] == "no-cache"
    assert re.fullmatch(r'"[0-9a-f]{20}"', h["ETag"])


@pytest.mark.parametrize("name", console_files())
def test_every_file_is_served_as_committed(anon, name):
    r = anon.get("/console/" + name)
    assert r.status_code == 200, r.text
    with open(os.path.join(CONSOLE, name), "rb") as f:
        assert r.content == f.read()
    assert r.headers["Content-Type"] == TYPES[os.path.splitext(name)[1]]
    check_headers(r.headers)


def test_the_page_at_both_addresses(anon):
    with open(os.path.join(CONSOLE, "index.html"), "rb") as f:
        index = f.read()
    for path in ("/console", "/console/"):
        r = anon.get(path)
        assert r.status_code == 200 and r.content == index
        check_headers(r.headers)
    # Its relative URLs resolve under /console/ from /console too.
    assert b'<base href="/console/">' in index


def test_no_inline_script_or_style_and_nothing_from_elsewhere():
    # The CSP forbids inline script and style: one in a file would simply not run.
    for name in console_files():
        with open(os.path.join(CONSOLE, name), encoding="utf-8") as f:
            text = f.read()
        if name.endswith(".html"):
            assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), name
            assert "<style" not in text and " style=" not in text and " on" + "click=" not in text, name
        assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", text), f"{name}: an absolute URL (offline, same origin)"


def test_served_without_a_key_while_data_needs_one(anon):
    assert anon.get("/console/app.js").status_code == 200
    assert anon.get("/v1/products").status_code == 401


def test_head_and_revalidation(server, anon):
    r = anon.get("/console/app.js")
    etag = r.headers["ETag"]
    h = anon.request("HEAD", "/console/app.js")
    assert h.status_code == 200 and h.content == b"" and h.headers["ETag"] == etag
    assert h.headers["Content-Length"] == str(len(r.content))
    for inm in (etag, "W/" + etag, '"other", ' + etag, "*"):
        status, headers, body = raw_get(server, "/console/app.js", f"If-None-Match: {inm}\r\n")
        assert status == 304 and body == b"", inm
        # A 304 has no body, and no Content-Length but the 200's (RFC 9110 §8.6).
        assert "content-length" not in headers
        assert headers["etag"] == etag
    status, _, body = raw_get(server, "/console/app.js", 'If-None-Match: "0000"\r\n')
    assert status == 200 and body == r.content
    # Another file's ETag is not this one's.
    other = anon.get("/console/style.css").headers["ETag"]
    assert other != etag
    assert raw_get(server, "/console/app.js", f"If-None-Match: {other}\r\n")[0] == 200


@pytest.mark.parametrize("target", [
    "/console/..",
    "/console/..%2F..%2Fkeys.txt",
    "/console/%2e%2e%2fkeys.txt",
    "/console/%2Fetc%2Fpasswd",
    "/console/..%5Cindex.html",
    "/console/app.js%00",
    "/console/app.js.map",
    "/console/APP.JS",
    "/console/index.html%20",
    "/console/nope.js",
    "/console/" + "a" * 4000,
])
def test_bad_names_are_a_json_404(server, target):
    status, code, message = rawhttp.error_of(raw_get(server, target))
    assert (status, code) == (404, "NOT_FOUND"), (target, message)
    assert len(message) < 200, "the name is cut short in the message"


@pytest.mark.parametrize("target", [
    "/console/../keys.txt", "/console/a/b", "/console/./app.js", "/console//..//app.js",
    "/consoles/app.js", "/console.js",
])
def test_other_paths_are_a_json_404(server, target):
    # Paths are not normalised: each of these is simply no route.
    status, code, _ = rawhttp.error_of(raw_get(server, target))
    assert (status, code) == (404, "NOT_FOUND"), target


def test_bad_input(server, anon):
    # Not UTF-8: refused as for any route's path capture.
    status, code, _ = rawhttp.error_of(raw_get(server, "/console/%ff.js"))
    assert (status, code) == (400, "INVALID_ARGUMENT")
    r = anon.post("/console/app.js")
    assert r.status_code == 405 and r.headers["Allow"] == "GET"
    r = anon.request("GET", "/console/app.js", data=b"x")
    assert r.status_code == 413
    # A key sent along does no harm, and is not needed.
    r = anon.get("/console/", headers={"Authorization": "Bearer " + ADMIN_KEY})
    assert r.status_code == 200
