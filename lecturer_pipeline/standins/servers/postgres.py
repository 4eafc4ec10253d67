"""A real PostgreSQL for the tests, in this order of preference:

1. ``LECTURER_TEST_DATABASE_URL`` (any server you point it at);
2. a server answering on 127.0.0.1:5432 with trust auth (this machine kind runs one);
3. a throwaway cluster: ``postgresql`` installed from apt if missing, ``initdb`` into a temp directory owned by the
   ``postgres`` user, started on a free loopback port, stopped at the end.

Each test session then works in a fresh database of its own, dropped afterwards.

Fault tests need a server they may take down mid-run without disturbing the rest of the suite: ``ThrowawayCluster``
is such a cluster of their own, which can be killed (``pause``) and started again on the same data and port
(``resume``).
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

from lecturer_pipeline.standins.ports import free_port

DEFAULT_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"


def _answers(url: str) -> bool:
    engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("select 1"))
        return True
    except sa.exc.OperationalError:
        return False
    finally:
        engine.dispose()


def _pg_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        subprocess.run(["apt-get", "install", "-y", "-q", "postgresql"], check=True, capture_output=True)
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent


def start_throwaway_cluster() -> tuple[str, Callable[[], None]]:
    """initdb + pg_ctl start as the ``postgres`` user; returns (admin URL, stop)."""
    bin_dir = _pg_bin()
    root = Path(tempfile.mkdtemp(prefix="lecturer-pg-"))
    shutil.chown(root, "postgres", "postgres")
    data, port = root / "data", free_port()

    def as_postgres(*args: str) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", *args], check=True, capture_output=True)

    as_postgres(str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres")
    options = f"-h 127.0.0.1 -p {port} -k {root} -c fsync=off"
    as_postgres(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-o", options, "-w", "start")

    def stop() -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"],
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)

    return f"postgresql+psycopg2://postgres@127.0.0.1:{port}/postgres", stop


class ThrowawayCluster:
    """A throwaway cluster of one's own that can lose its server and get it back, for fault tests.

    ``pause`` is ``pg_ctl stop -m immediate``: the postmaster and every backend exit at once without a checkpoint,
    so clients see their connections drop and new ones refused, as when the database host dies. ``resume`` starts the
    server again on the same data directory and port (PostgreSQL replays its WAL), so the same URLs work again and
    everything committed before the pause is still there.
    """

    def __init__(self) -> None:
        self._bin = _pg_bin()
        self.root = Path(tempfile.mkdtemp(prefix="lecturer-pg-"))
        shutil.chown(self.root, "postgres", "postgres")
        self.data, self.port = self.root / "data", free_port()
        self.url = f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/postgres"
        try:
            self._pg("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres")
            self.resume()
        except BaseException:
            self.stop()
            raise

    def _pg(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[bytes]:
        command = ["runuser", "-u", "postgres", "--", str(self._bin / tool), *args]
        return subprocess.run(command, check=check, capture_output=True, timeout=120)

    def running(self) -> bool:
        """Whether the server is up (``pg_ctl status``), whatever state the caller believes it is in."""
        return self._pg("pg_ctl", "-D", str(self.data), "status", check=False).returncode == 0

    def pause(self) -> None:
        """Kill the server (immediate shutdown) and return once it is gone; a no-op when it is not running."""
        if self.running():
            self._pg("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "-t", "60", "stop")

    def resume(self) -> None:
        """Start the server on the same data directory and port; return once it accepts connections."""
        if self.running():
            return
        options = f"-h 127.0.0.1 -p {self.port} -k {self.root} -c fsync=off"
        log = str(self.root / "log")
        self._pg("pg_ctl", "-D", str(self.data), "-l", log, "-o", options, "-w", "-t", "60", "start")

    def stop(self) -> None:
        """Stop the server if it runs and delete the cluster; safe to call more than once."""
        if self.data.exists():
            self._pg("pg_ctl", "-D", str(self.data), "-m", "fast", "stop", check=False)
        shutil.rmtree(self.root, ignore_errors=True)


def admin_server() -> tuple[str, Callable[[], None]]:
    """The admin URL of a PostgreSQL server to use, and how to stop it (a no-op unless we started it)."""
    configured = os.environ.get("LECTURER_TEST_DATABASE_URL")
    if configured:
        return configured, lambda: None
    if _answers(DEFAULT_URL):
        return DEFAULT_URL, lambda: None
    return start_throwaway_cluster()


def create_database(admin_url: str) -> tuple[str, Callable[[], None]]:
    """A fresh database on the server; returns (its URL, drop)."""
    name = f"lecturer_test_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(admin_url).set(database=name).render_as_string(hide_password=False)

    def drop() -> None:
        for _ in range(5):
            try:
                with engine.connect() as connection:
                    connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                break
            except sa.exc.OperationalError:
                time.sleep(1)
        engine.dispose()

    return url, drop
