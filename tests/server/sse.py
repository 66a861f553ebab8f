"""Server-Sent Events over a raw socket, for the event-stream tests: the test decides when (and
whether) bytes are read, sees the HTTP/1.1 chunks and the clean end (the last chunk) apart
from a dropped connection, and keeps the comment lines (heartbeats) that a browser hides."""
import json
import socket
import time


class Stream:
    """GET `target` on `server` with `headers`; `rcvbuf` shrinks the socket's receive buffer
    before connecting (a slow client whose window fills fast)."""

    def __init__(self, server, target="/v1/events/stream", headers=None, http10=False,
                 rcvbuf=None, timeout=10):
        self.s = socket.socket()
        if rcvbuf:
            self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.s.settimeout(timeout)
        self.s.connect(("127.0.0.1", server.port))
        version = "HTTP/1.0" if http10 else "HTTP/1.1"
        lines = [f"GET {target} {version}", "Host: 127.0.0.1", "Accept: text/event-stream"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        self.s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        self.raw = b""        # bytes read, not yet decoded
        self.text = b""       # the body, de-chunked, not yet split into blocks
        self.ended = False    # the last chunk (or, unchunked, the close) arrived
        self.eof = False      # the server closed the connection
        self.status = None
        self.headers = {}
        self.body = b""       # a non-stream answer's body (an error)
        self.pending = []     # blocks parsed, not yet taken
        self.comments = []    # comment lines seen (": heartbeat")
        self.others = []      # blocks with an event but no id (event: error)
        self._read_head()

    def _recv(self, timeout):
        self.s.settimeout(timeout)
        try:
            data = self.s.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            data = b""
        if not data:
            self.eof = True
        self.raw += data
        return bool(data)

    def _read_head(self):
        while b"\r\n\r\n" not in self.raw:
            if not self._recv(10):
                raise AssertionError(f"connection closed before a response head: {self.raw!r}")
        head, self.raw = self.raw.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split(" ")[1])
        for line in lines[1:]:
            k, v = line.split(":", 1)
            self.headers[k.strip().lower()] = v.strip()
        self.chunked = self.headers.get("transfer-encoding") == "chunked"
        if "content-length" in self.headers:  # an ordinary response, not a stream
            n = int(self.headers["content-length"])
            while len(self.raw) < n and self._recv(10):
                pass
            self.body, self.raw = self.raw[:n], self.raw[n:]
            self.ended = True

    def json(self):
        return json.loads(self.body)

    def _decode(self):
        if not self.chunked:
            self.text += self.raw
            self.raw = b""
            if self.eof:
                self.ended = True
            return
        while not self.ended:
            line_end = self.raw.find(b"\r\n")
            if line_end < 0:
                return
            size = int(self.raw[:line_end], 16)
            if size == 0:
                if len(self.raw) < line_end + 4:
                    return
                self.raw = self.raw[line_end + 4:]
                self.ended = True
                return
            if len(self.raw) < line_end + 2 + size + 2:
                return
            self.text += self.raw[line_end + 2:line_end + 2 + size]
            assert self.raw[line_end + 2 + size:line_end + 4 + size] == b"\r\n", "bad chunk"
            self.raw = self.raw[line_end + 4 + size:]

    def _blocks(self):
        out = []
        while b"\n\n" in self.text:
            block, self.text = self.text.split(b"\n\n", 1)
            fields = {"comments": []}
            for line in block.decode("utf-8").split("\n"):
                if line.startswith(":"):
                    fields["comments"].append(line[1:].strip())
                    continue
                k, _, v = line.partition(":")
                fields[k] = v[1:] if v.startswith(" ") else v
            out.append(fields)
        return out

    def _fill(self, enough, timeout):
        """Reads until enough() is true, the stream ends or `timeout` passes."""
        deadline = time.time() + timeout
        while True:
            self._decode()
            self.pending += self._blocks()
            if enough() or self.ended or self.eof:
                return
            left = deadline - time.time()
            if left <= 0:
                return
            try:
                self._recv(left)
            except socket.timeout:
                return

    def events(self, n, timeout=10):
        """Up to `n` next events (blocks with an id), as dicts: id, event, data (parsed); fewer
        when the stream ended or `timeout` passed. Comment blocks go to self.comments, other
        blocks without an id (an `event: error`) to self.others."""
        out = []

        def take():
            while self.pending and len(out) < n:
                b = self.pending.pop(0)
                if "id" in b:
                    out.append({"id": int(b["id"]), "event": b["event"], "data": json.loads(b["data"])})
                elif "event" in b:
                    self.others.append(b)
                else:
                    self.comments += b["comments"]
            return len(out) >= n

        self._fill(take, timeout)
        take()
        return out

    def close(self):
        self.s.close()
