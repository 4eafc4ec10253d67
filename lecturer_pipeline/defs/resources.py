"""Resources: the object store, the catalog, the voice vault and the engines, configured from the environment.

Secrets reach Dagster as ``dg.EnvVar`` so the UI shows the variable's name, never its value.
"""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
from pydantic import PrivateAttr

from lecturer_pipeline.engines.base import SpeechEngine, VideoEngine
from lecturer_pipeline.engines.local import EspeakSpeechEngine, PreviewVideoEngine
from lecturer_pipeline.security.envelope import Envelope, load_envelope
from lecturer_pipeline.security.vault import VoiceVault
from lecturer_pipeline.settings import Settings
from lecturer_pipeline.storage.catalog import Catalog
from lecturer_pipeline.storage.local import LocalObjectStore
from lecturer_pipeline.storage.objects import ObjectStore
from lecturer_pipeline.storage.s3 import S3ObjectStore, make_s3_client


class ObjectStoreResource(dg.ConfigurableResource):
    """S3 (MinIO) when an endpoint is set, else a local directory with the same key layout."""

    local_root: str
    s3_endpoint_url: str | None = None
    bucket: str = "lecturer"
    region: str = "us-east-1"
    access_key_id: str | None = None
    secret_access_key: str | None = None
    _store: ObjectStore | None = PrivateAttr(default=None)

    def get_store(self) -> ObjectStore:
        if self._store is None:
            if self.s3_endpoint_url:
                client = make_s3_client(
                    self.s3_endpoint_url,
                    access_key=self.access_key_id,
                    secret_key=self.secret_access_key,
                    region=self.region,
                )
                self._store = S3ObjectStore(client, self.bucket)
            else:
                self._store = LocalObjectStore(Path(self.local_root))
        return self._store


class CatalogResource(dg.ConfigurableResource):
    """The catalog database (SQLite file by default, PostgreSQL in deployment)."""

    database_url: str
    _catalog: Catalog | None = PrivateAttr(default=None)

    def get_catalog(self) -> Catalog:
        if self._catalog is None:
            self._catalog = Catalog(self.database_url)
        return self._catalog


class VaultResource(dg.ConfigurableResource):
    """Master keys for voice data: LECTURER_MASTER_KEYS, else a local key file the embedded default creates."""

    master_keys: str | None = None
    key_file: str
    _envelope: Envelope | None = PrivateAttr(default=None)

    def get_envelope(self, log=None) -> Envelope:
        if self._envelope is None:
            self._envelope, origin = load_envelope(self.master_keys, Path(self.key_file))
            if log is not None:
                log.info(f"voice encryption: {origin}")
        return self._envelope

    def vault(self, store: ObjectStore, log=None) -> VoiceVault:
        return VoiceVault(store, self.get_envelope(log))


class EnginesResource(dg.ConfigurableResource):
    """Which engines make speech and video (the embedded default's local engines unless services are set)."""

    espeak_words_per_minute: int = 160
    fps: int = 25

    def speech_engine(self) -> SpeechEngine:
        return EspeakSpeechEngine(words_per_minute=self.espeak_words_per_minute)

    def video_engine(self) -> VideoEngine:
        return PreviewVideoEngine(fps=self.fps)


class PipelineResource(dg.ConfigurableResource):
    """Policy knobs of the pipeline itself."""

    signed_url_seconds: int = 7 * 24 * 3600
    voice_retention_days: int = 30


def _secret(name: str, value: str | None) -> str | dg.EnvVar | None:
    """Pass a secret as an EnvVar reference when it comes from the environment, so the UI never shows it."""
    return dg.EnvVar(name) if value and os.environ.get(name) == value else value


def build_resources(settings: Settings) -> dict[str, dg.ConfigurableResource]:
    """The resources for these settings, keyed as the assets and IO managers expect them."""
    objects = ObjectStoreResource(
        local_root=str(settings.objects_dir),
        s3_endpoint_url=settings.lecturer_s3_endpoint_url,
        bucket=settings.lecturer_s3_bucket,
        region=settings.lecturer_s3_region,
        access_key_id=_secret("AWS_ACCESS_KEY_ID", settings.aws_access_key_id),
        secret_access_key=_secret("AWS_SECRET_ACCESS_KEY", settings.aws_secret_access_key),
    )
    catalog = CatalogResource(
        database_url=_secret("LECTURER_DATABASE_URL", settings.lecturer_database_url) or settings.database_url
    )
    vault = VaultResource(
        master_keys=_secret("LECTURER_MASTER_KEYS", settings.lecturer_master_keys),
        key_file=str(settings.lecturer_home / "master.key"),
    )
    return {
        "objects": objects,
        "catalog": catalog,
        "vault": vault,
        "engines": EnginesResource(),
        "pipeline": PipelineResource(
            signed_url_seconds=settings.lecturer_signed_url_seconds,
            voice_retention_days=settings.lecturer_voice_retention_days,
        ),
    }
