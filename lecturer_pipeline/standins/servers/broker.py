"""RabbitMQ (the Celery broker) and Redis (its result backend) for the tests, as ``postgres.py`` finds PostgreSQL:

1. ``LECTURER_TEST_BROKER_URL`` / ``LECTURER_TEST_REDIS_URL`` (any servers you point them at), used as they are;
2. the servers answering on 127.0.0.1:5672 (guest/guest) and 127.0.0.1:6379, which this machine kind runs;
3. throwaway servers: ``rabbitmq-server`` / ``redis-server`` installed from apt if missing, started on free loopback
   ports with their data in a temp directory, stopped at the end.

Each test session gets a RabbitMQ virtual host of its own (``rabbitmqctl add_vhost``, deleted afterwards), so the
tasks of two sessions never meet on one queue. This module imports neither Dagster nor pytest.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from lecturer_pipeline.standins.ports import free_port

RABBITMQ_PORT, REDIS_PORT = 5672, 6379


def _answers(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def _apt_install(binary: str, package: str) -> None:
    if shutil.which(binary) is None:
        subprocess.run(["apt-get", "install", "-y", "-q", package], check=True, capture_output=True)


def _wait(what: str, ready: Callable[[], bool], timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not start within {timeout:.0f} s")
        time.sleep(0.5)


def redis_server() -> tuple[str, Callable[[], None]]:
    """A Redis URL to use, and how to stop the server (a no-op unless we started it)."""
    configured = os.environ.get("LECTURER_TEST_REDIS_URL")
    if configured:
        return configured, lambda: None
    if _answers(REDIS_PORT):
        return f"redis://127.0.0.1:{REDIS_PORT}/0", lambda: None
    _apt_install("redis-server", "redis-server")
    root, port = Path(tempfile.mkdtemp(prefix="lecturer-redis-")), free_port()
    command = ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--dir", str(root)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait("redis-server", lambda: _answers(port))

    def stop() -> None:
        process.terminate()
        process.wait(timeout=30)
        shutil.rmtree(root, ignore_errors=True)

    return f"redis://127.0.0.1:{port}/0", stop


class RabbitMQ:
    """A RabbitMQ node we may add virtual hosts to: the machine's, or a throwaway node of our own."""

    def __init__(self) -> None:
        self.node: str | None = None  # None: the machine's default node
        self.port = RABBITMQ_PORT
        self._root: Path | None = None
        if not _answers(RABBITMQ_PORT):
            self._start_throwaway()

    def _start_throwaway(self) -> None:
        _apt_install("rabbitmq-server", "rabbitmq-server")
        self._root, self.port = Path(tempfile.mkdtemp(prefix="lecturer-rabbitmq-")), free_port()
        self.node = f"lecturer-{uuid.uuid4().hex[:8]}@localhost"
        env = {
            **os.environ,
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(free_port()),
            "RABBITMQ_MNESIA_BASE": str(self._root / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self._root / "log"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self._root / "enabled_plugins"),
        }
        subprocess.Popen(["rabbitmq-server"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.ctl("await_startup", timeout=120)

    def ctl(self, *args: str, timeout: float = 60) -> str:
        node = ["-n", self.node] if self.node else []
        done = subprocess.run(["rabbitmqctl", *node, *args], capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise RuntimeError(f"rabbitmqctl {' '.join(args)} failed: {done.stderr.strip() or done.stdout.strip()}")
        return done.stdout

    def add_vhost(self) -> tuple[str, Callable[[], None]]:
        """A fresh virtual host for guest; returns (its broker URL, delete)."""
        vhost = f"lecturer-test-{uuid.uuid4().hex[:10]}"
        self.ctl("add_vhost", vhost)
        self.ctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
        return f"pyamqp://guest:guest@127.0.0.1:{self.port}/{vhost}", lambda: self.ctl("delete_vhost", vhost)

    def stop(self) -> None:
        if self.node is not None:
            subprocess.run(["rabbitmqctl", "-n", self.node, "stop"], capture_output=True, timeout=120)
            if self._root is not None:
                shutil.rmtree(self._root, ignore_errors=True)


def broker_vhost() -> tuple[str, Callable[[], None]]:
    """A broker URL of this session's own (a fresh vhost), and how to clean up after it."""
    configured = os.environ.get("LECTURER_TEST_BROKER_URL")
    if configured:
        return configured, lambda: None
    rabbit = RabbitMQ()
    url, delete = rabbit.add_vhost()

    def stop() -> None:
        delete()
        rabbit.stop()

    return url, stop
