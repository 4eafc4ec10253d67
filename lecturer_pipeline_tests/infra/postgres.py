"""A real PostgreSQL for the tests, in this order of preference:

1. ``LECTURER_TEST_DATABASE_URL`` (any server you point it at);
2. a server answering on 127.0.0.1:5432 with trust auth (this machine kind runs one);
3. a throwaway cluster: ``postgresql`` installed from apt if missing, ``initdb`` into a temp directory owned by the
   ``postgres`` user, started on a free loopback port, stopped at the end.

Each test session then works in a fresh database of its own, dropped afterwards.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
    data, port = root / "data", _free_port()

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
