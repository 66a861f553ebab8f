"""A private server process for one test (redis-server, nats-server): on a free 127.0.0.1
port, in a session of its own, waited for until its port accepts connections, and SIGKILLed
(with its session) by kill() or on leaving the with block, whatever the test did. start()
again reuses the port: a restart is one of the faults the tests inject."""

import os
import shutil
import signal
import socket
import subprocess
import time

import pytest


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivateServer:
    def __init__(self, argv):
        """argv(port) -> the command line for a port."""
        self.port = free_port()
        self.argv = argv
        self.proc = None
        if shutil.which(argv(self.port)[0]) is None:
            pytest.fail("%s is not installed (tools/install-deps)" % argv(self.port)[0])

    def start(self):
        self.proc = subprocess.Popen(self.argv(self.port), stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                assert self.proc.poll() is None, "%s exited at start" % self.argv(self.port)[0]
                assert time.monotonic() < deadline, "%s did not listen within 10 s" % self.argv(self.port)[0]
                time.sleep(0.02)

    def kill(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.kill()
        return False


def redis_argv(port):
    return ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]


def nats_argv(store_dir, monitor_port):
    """nats-server with JetStream, its store in store_dir, its monitoring HTTP on monitor_port
    (the tests read /jsz to see what the stream holds)."""
    return lambda port: ["nats-server", "-js", "-a", "127.0.0.1", "-p", str(port), "-sd", str(store_dir),
                         "-m", str(monitor_port)]
