"""The fleet of tools/cluster, driven from Python: start, stop, kill and restart its parts, and an
HTTP client that goes through HAProxy with the fleet's admin key.

Run with Debian's interpreter (python3-requests). COMMERCE_BIN names the directory holding
commerce-server and commerce (default: build/bin of this checkout).
"""
import os
import shlex
import shutil
import subprocess
import tempfile
import time

import requests

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.environ.get("COMMERCE_SOURCE", os.path.abspath(os.path.join(HERE, "..", "..")))
CLUSTER = os.path.join(SOURCE, "tools", "cluster")


def cluster(*args, check=True, timeout=300):
    """Runs tools/cluster ARGS; returns the CompletedProcess (stdout and stderr as text)."""
    r = subprocess.run([CLUSTER, *args], capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise RuntimeError(f"tools/cluster {' '.join(args)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    return r


def parse_env(text):
    env = {}
    for line in text.splitlines():
        if "=" in line:
            k, v = line.split("=", 1)
            env[k] = shlex.split(v)[0] if v else ""
    return env


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (a child of ours not reaped yet) is not alive.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


class Fleet:
    """A fleet under `dir` (a fresh temporary directory by default), up until stop()."""

    def __init__(self, dir=None, instances=3, products=200, max_minutes=30):
        self.dir = dir or tempfile.mkdtemp(prefix="commerce-fleet-")
        self.instances = instances
        self.up_result = cluster("up", self.dir, "--instances", str(instances), "--products",
                                 str(products), "--owner-pid", str(os.getpid()),
                                 "--max-minutes", str(max_minutes), timeout=600)
        self.env = parse_env(cluster("env", self.dir).stdout)
        self.url = self.env["COMMERCE_FLEET_URL"]
        self.key = self.env["COMMERCE_FLEET_KEY"]

    def stop(self):
        cluster("down", self.dir, timeout=180)

    def remove(self):
        """After stop(): the directory goes (kept when a test failed before this, for its logs)."""
        shutil.rmtree(self.dir, ignore_errors=True)

    def status(self):
        """{part: (state, port, pid)} from `tools/cluster status`, and its exit code."""
        r = cluster("status", self.dir, check=False)
        parts = {}
        for line in r.stdout.splitlines():
            f = line.split()
            if len(f) >= 4 and f[2].startswith("port="):
                pid = f[3][4:]
                parts[f[0]] = (f[1], f[2][5:], int(pid) if pid.isdigit() else None)
        return parts, r.returncode, r.stdout

    def pids(self):
        return {p: pid for p, (_, _, pid) in self.status()[0].items() if pid}

    def kill(self, part):
        cluster("kill", self.dir, part)

    def start(self, part):
        cluster("start", self.dir, part, timeout=120)

    def session(self, key=True):
        s = requests.Session()
        if key:
            s.headers["Authorization"] = "Bearer " + self.key
        return s

    def server_url(self, i):
        return f"http://127.0.0.1:{self.status()[0][f'server-{i}'][1]}"

    def haproxy(self, command):
        """A command on HAProxy's admin socket; its answer."""
        import socket
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(os.path.join(self.dir, "run", "haproxy.sock"))
            s.sendall(command.encode() + b"\n")
            out = b""
            while True:
                b = s.recv(65536)
                if not b:
                    return out.decode()
                out += b

    def backends_up(self):
        """The instances HAProxy routes to now (health checks passing, not in maintenance)."""
        up = set()
        for line in self.haproxy("show servers state commerce").splitlines():
            f = line.split()
            if len(f) > 6 and f[0].isdigit() and f[5] == "2" and f[6] == "0":
                up.add(f[3])
        return up

    def wait_backends(self, want, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.backends_up() == set(want):
                return
            time.sleep(0.1)
        raise AssertionError(f"haproxy routes to {sorted(self.backends_up())}, not {sorted(want)}")
