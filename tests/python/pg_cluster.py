"""A private PostgreSQL cluster for Python tests, on tools/pg-cluster (the one implementation
the C++ tests and ctest's fixture use too).

    with PgCluster(replica=True) as pg:     # primary + synchronous replica on 127.0.0.1
        engine = commerce.Engine(tmp, driver="postgres", storage={"postgres_url": pg.url})
        pg.kill_primary(); pg.promote()

pg_test_url() is the server the suite shares: COMMERCE_PG_URL, or the file ctest's postgres
fixture wrote (COMMERCE_PG_URL_FILE), or None (the postgres tests then skip, saying how to
run them).
"""

import os
import subprocess
import tempfile
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "tools" / "pg-cluster"
SKIP_MESSAGE = ("postgres driver skipped: COMMERCE_PG_URL is not set "
                "(ctest sets it through its postgres fixture; by hand: "
                "tools/pg-cluster run -- <test command>)")


def pg_test_url():
    url = os.environ.get("COMMERCE_PG_URL")
    if url:
        return url
    path = os.environ.get("COMMERCE_PG_URL_FILE")
    if path and os.path.exists(path):
        return Path(path).read_text().strip()
    return None


class PgCluster:
    """Starts on __enter__ (or start()), stops and removes everything on __exit__/stop(),
    whatever happened in between; the script's guard also stops it if this process dies."""

    def __init__(self, replica=False):
        self.replica = replica
        self._tmp = None
        self.dir = None
        self.url = None

    def start(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="commerce-pgpy-")
        self.dir = self._tmp.name
        args = [str(SCRIPT), "start", self.dir, "--owner-pid", str(os.getpid())]
        if self.replica:
            args.append("--replica")
        try:
            subprocess.run(args, check=True, capture_output=True, text=True, timeout=300)
        except subprocess.CalledProcessError as e:
            self.stop()
            raise RuntimeError("tools/pg-cluster start failed: " + e.stderr) from None
        self.url = Path(self.dir, "url").read_text().strip()
        return self

    def _run(self, verb):
        subprocess.run([str(SCRIPT), verb, self.dir], check=True, capture_output=True, timeout=120)

    def kill_primary(self):
        self._run("kill-primary")

    def promote(self):
        self._run("promote")

    def stop(self):
        if self._tmp is not None:
            subprocess.run([str(SCRIPT), "stop", self.dir], capture_output=True, timeout=120)
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False
