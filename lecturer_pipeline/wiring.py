"""The pipeline's stores built from its settings: the object store, the catalog and the voice vault's keys.

One construction for every caller. The command line and the studio call ``object_store(settings)``,
``catalog(settings)`` and ``envelope(settings)``; the Dagster resources (``defs/resources.py``) call
``open_object_store`` and the same ``make_s3_client``, ``Catalog`` and ``load_envelope`` with their fields, which
Dagster resolved from the same settings (secrets from their variables). No Dagster here: a command that only needs
a store does not build the code location.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lecturer_pipeline.security.envelope import Envelope, load_envelope
from lecturer_pipeline.settings import Settings
from lecturer_pipeline.storage.catalog import Catalog
from lecturer_pipeline.storage.local import LocalObjectStore
from lecturer_pipeline.storage.objects import ObjectStore
from lecturer_pipeline.storage.s3 import S3ObjectStore, make_s3_client


def open_object_store(local_root: Path, bucket: str, s3_client: Any | None) -> ObjectStore:
    """S3 (MinIO, Ceph RGW) when there is a client for it, else a local directory with the same key layout."""
    return S3ObjectStore(s3_client, bucket) if s3_client is not None else LocalObjectStore(local_root)


def s3_client(settings: Settings) -> Any | None:
    """A client for LECTURER_S3_ENDPOINT_URL, or None on the embedded default (no endpoint)."""
    if not settings.lecturer_s3_endpoint_url:
        return None
    return make_s3_client(
        settings.lecturer_s3_endpoint_url,
        access_key=settings.aws_access_key_id,
        secret_key=settings.aws_secret_access_key,
        region=settings.lecturer_s3_region,
    )


def object_store(settings: Settings) -> ObjectStore:
    return open_object_store(settings.objects_dir, settings.lecturer_s3_bucket, s3_client(settings))


def catalog(settings: Settings) -> Catalog:
    """The catalog database: LECTURER_DATABASE_URL (PostgreSQL), else a SQLite file in LECTURER_HOME."""
    return Catalog(settings.database_url)


def envelope(settings: Settings) -> Envelope:
    """The master keys for voice data: LECTURER_MASTER_KEYS, else the local key file (made on first use)."""
    return load_envelope(settings.lecturer_master_keys, settings.master_key_file)[0]
