"""Raw-socket HTTP for the tests that requests cannot express (malformed requests, slow
clients, pipelining): send bytes, read responses, parse them by hand."""
import json
import socket
import time


def connect(server, timeout=10):
    s = socket.create_connection(("127.0.0.1", server.port), timeout=timeout)
    return s


def read_response(sock, pending=b"", timeout=10):
    """One response: ((status, headers lower-cased, body), bytes read past it); (None, b"")
    on EOF first."""
    sock.settimeout(timeout)
    buf = pending
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            return None, b""
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        k, v = line.split(":", 1)
        headers[k.strip().lower()] = v.strip()
    n = int(headers.get("content-length", "0"))
    while len(rest) < n:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    return (status, headers, rest[:n]), rest[n:]


class Sock:
    """A socket with a place for the bytes read past one response."""

    def __init__(self, server, timeout=10):
        self.s = connect(server, timeout)
        self._pending = b""

    def send(self, data):
        self.s.sendall(data)

    def response(self, timeout=10):
        r, self._pending = read_response(self.s, self._pending, timeout)
        return r

    def closed_by_peer(self, timeout=5):
        self.s.settimeout(timeout)
        try:
            return self.s.recv(1) == b""
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False

    def close(self):
        self.s.close()


def error_of(resp):
    status, headers, body = resp
    assert headers.get("content-type", "").startswith("application/json"), headers
    doc = json.loads(body)
    assert set(doc["error"]) == {"code", "message", "request_id"}, doc
    assert doc["error"]["request_id"] == headers["x-request-id"]
    return status, doc["error"]["code"], doc["error"]["message"]
