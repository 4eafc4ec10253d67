"""Shared fixtures: the real servers (PostgreSQL, S3) and both implementations of each storage interface.

Servers are found or started once per test session (see ``lecturer_pipeline/standins/servers/``); each test gets
its own bucket or database so tests never see each other's objects or rows.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from lecturer_pipeline.standins.servers import postgres
from lecturer_pipeline.standins.servers.s3_server import S3Server, start_rgw, stop_rgw
from lecturer_pipeline.storage.catalog import Catalog
from lecturer_pipeline.storage.local import LocalObjectStore
from lecturer_pipeline.storage.objects import ObjectStore
from lecturer_pipeline.storage.s3 import S3ObjectStore, make_s3_client

# Retried stages back off from 0.2 s instead of 2 s: the fault tests retry many times. Read when the assets are
# first imported, so it is set here, before any test imports them.
os.environ.setdefault("LECTURER_RETRY_DELAY_SECONDS", "0.2")
# Retried service calls likewise back off from 0.05 s (engines/retry.py; Settings reads it for every run).
os.environ.setdefault("LECTURER_CALL_RETRY_DELAY_SECONDS", "0.05")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
# Gradio keeps uploads under a hash of their content in one shared folder, and an app deletes its files when it
# stops: two test processes uploading the same portrait would delete each other's. Each process gets its own.
if "GRADIO_TEMP_DIR" not in os.environ:
    os.environ["GRADIO_TEMP_DIR"] = tempfile.mkdtemp(prefix="gradio-tests-")
    atexit.register(shutil.rmtree, os.environ["GRADIO_TEMP_DIR"], True)
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    url, stop = postgres.admin_server()
    yield url
    stop()


@pytest.fixture(scope="session")
def pg_session_url(pg_admin_url: str) -> Iterator[str]:
    """This test session's own database."""
    url, drop = postgres.create_database(pg_admin_url)
    yield url
    drop()


@pytest.fixture
def pg_url(pg_admin_url: str) -> Iterator[str]:
    """A fresh database for one test (for tests that assert on whole tables)."""
    url, drop = postgres.create_database(pg_admin_url)
    yield url
    drop()


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    endpoint = os.environ.get("LECTURER_TEST_S3_ENDPOINT_URL")
    if endpoint:
        yield S3Server(
            endpoint_url=endpoint,
            access_key=os.environ["LECTURER_TEST_S3_ACCESS_KEY_ID"],
            secret_key=os.environ["LECTURER_TEST_S3_SECRET_ACCESS_KEY"],
        )
        return
    workdir = tmp_path_factory.mktemp("rgw")
    server = start_rgw(workdir)
    try:
        yield server
    finally:
        stop_rgw(workdir)


@pytest.fixture
def s3_bucket() -> str:
    return f"lecturer-test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def s3_store(s3_server: S3Server, s3_bucket: str) -> S3ObjectStore:
    client = make_s3_client(s3_server.endpoint_url, access_key=s3_server.access_key, secret_key=s3_server.secret_key)
    return S3ObjectStore(client, s3_bucket)


@pytest.fixture(params=["local", "s3"])
def object_store(request: pytest.FixtureRequest, tmp_path: Path) -> ObjectStore:
    """Each object-store test runs on both implementations."""
    if request.param == "local":
        return LocalObjectStore(tmp_path / "objects")
    return request.getfixturevalue("s3_store")


@pytest.fixture(params=["sqlite", "postgres"])
def catalog(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Catalog]:
    """Each catalog test runs on both implementations, each on an empty database."""
    url = f"sqlite:///{tmp_path / 'catalog.sqlite'}" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    catalog = Catalog(url)
    yield catalog
    catalog.dispose()


@pytest.fixture(scope="session")
def sample_media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A generated reference voice (espeak-ng, ~15 s) and portrait (Pillow), made once per session."""
    from lecturer_pipeline.sample import make_sample_portrait, make_sample_voice

    folder = tmp_path_factory.mktemp("sample-media")
    return {
        "voice": make_sample_voice(folder / "voice.wav"),
        "portrait": make_sample_portrait(folder / "portrait.png"),
    }
