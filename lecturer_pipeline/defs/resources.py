"""Resources: the object store, the catalog, the voice vault and the engines, their configuration as fields.

``build_resources`` fills the fields from ``Settings``, the one place each setting has its variable and default.
Every secret (S3 keys, database URL, API keys, master keys) read from its environment variable is passed as
``dg.EnvVar(NAME)``, so the UI and the run config show the variable's name and Dagster resolves the value when it
initialises resources; a secret passed in code (tests) is used as given. The stores are built by the functions the
command line and the studio use (``lecturer_pipeline/wiring.py``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import dagster as dg
from dagster_aws.s3.resources import ResourceWithS3Configuration
from pydantic import Field, PrivateAttr

from lecturer_pipeline.engines.base import ScriptWriter, SpeechEngine, VideoEngine
from lecturer_pipeline.engines.local import EspeakSpeechEngine, PreviewVideoEngine
from lecturer_pipeline.engines.retry import CallRetry, Log, Retrying
from lecturer_pipeline.errors import ConfigurationError
from lecturer_pipeline.media.video import PREVIEW_FPS
from lecturer_pipeline.retries import S3_MAX_ATTEMPTS
from lecturer_pipeline.security.envelope import Envelope, load_envelope
from lecturer_pipeline.security.vault import VoiceVault
from lecturer_pipeline.settings import EnvironmentSettings, Settings
from lecturer_pipeline.storage.catalog import Catalog
from lecturer_pipeline.storage.objects import ObjectStore
from lecturer_pipeline.storage.s3 import make_s3_client
from lecturer_pipeline.wiring import open_object_store

R = TypeVar("R", bound=dg.ConfigurableResource)


def secret(settings: EnvironmentSettings, field: str) -> str | dg.EnvVar | None:
    """``dg.EnvVar`` of the variable the secret ``field`` was read from; the value itself when passed in code."""
    variable = settings.variable_of(field)
    return dg.EnvVar(variable) if variable else getattr(settings, field)


def resolved(value: str | None) -> str | None:
    """The value behind a secret field. Dagster resolves ``dg.EnvVar`` fields when it initialises resources for a
    run; a resource used outside a run (a test's ``defs.resources["objects"].get_store()``) still holds the EnvVar."""
    return value.get_value() if isinstance(value, dg.EnvVar) else value


def setting(name: str, *, secret: bool = False, of: type[EnvironmentSettings] = Settings) -> Any:
    """A resource field filled by ``from_settings`` from the setting ``name`` of ``of`` (passed as ``dg.EnvVar`` when
    ``secret``), with that setting's default: the field's declaration is the one place it meets its setting."""
    return Field(default=of.model_fields[name].default, json_schema_extra={"setting": name, "secret": secret})


def from_settings(resource: type[R], settings: EnvironmentSettings, **given: Any) -> R:
    """``resource`` with each field declared by ``setting(...)`` read from ``settings``, and ``given`` as given."""
    values = {}
    for field, info in resource.model_fields.items():
        extra = info.json_schema_extra
        if isinstance(extra, dict) and field not in given:
            name = str(extra["setting"])
            values[field] = secret(settings, name) if extra["secret"] else getattr(settings, name)
    return resource(**values, **given)


class ObjectStoreResource(ResourceWithS3Configuration):
    """S3 (MinIO, Ceph RGW) when ``endpoint_url`` is set, else a local directory with the same key layout. The S3
    client's settings are dagster-aws's ``S3Resource`` fields; the client is ``storage/s3.py``'s (path-style
    addressing and checksums an S3-compatible server accepts, which dagster-aws's own client does not set)."""

    local_root: str
    bucket: str
    max_attempts: int = Field(
        default=S3_MAX_ATTEMPTS,
        description="Tries of one S3 request, the first included; nothing else retries it (see retries.py).",
    )
    _store: ObjectStore | None = PrivateAttr(default=None)

    def get_client(self) -> Any:
        """The boto3 S3 client for these settings."""
        return make_s3_client(
            self.endpoint_url,
            access_key=resolved(self.aws_access_key_id),
            secret_key=resolved(self.aws_secret_access_key),
            session_token=resolved(self.aws_session_token),
            region=self.region_name,
            max_attempts=self.max_attempts,
            profile=self.profile_name,
            use_ssl=self.use_ssl,
            verify=self.verify,
            unsigned=self.use_unsigned_session,
        )

    def get_store(self) -> ObjectStore:
        if self._store is None:
            client = self.get_client() if self.endpoint_url else None
            self._store = open_object_store(Path(self.local_root), self.bucket, client)
        return self._store


class CatalogResource(dg.ConfigurableResource):
    """The catalog database (SQLite file by default, PostgreSQL in deployment)."""

    database_url: str
    _catalog: Catalog | None = PrivateAttr(default=None)

    def get_catalog(self) -> Catalog:
        if self._catalog is None:
            self._catalog = Catalog(resolved(self.database_url))
        return self._catalog

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        """Close the pool's connections when the step (or in-process run) ends: a Celery worker builds resources for
        every step it runs and lives for thousands of them."""
        if self._catalog is not None:
            self._catalog.dispose()


class VaultResource(dg.ConfigurableResource):
    """Master keys for voice data: LECTURER_MASTER_KEYS, else a local key file the embedded default creates."""

    master_keys: str | None
    key_file: str
    _envelope: Envelope | None = PrivateAttr(default=None)

    def get_envelope(self, log=None) -> Envelope:
        if self._envelope is None:
            self._envelope, origin = load_envelope(resolved(self.master_keys), Path(self.key_file))
            if log is not None:
                log.info(f"voice encryption: {origin}")
        return self._envelope

    def vault(self, store: ObjectStore, log=None) -> VoiceVault:
        return VoiceVault(store, self.get_envelope(log))


class EnginesResource(dg.ConfigurableResource):
    """Which engines write scripts and make speech and video: a remote service when its variable is set (Ollama,
    Zyphra or Zonos, KDTalker), else the embedded default's local engine. Defaults are the settings' own."""

    zyphra_api_key: str | None = setting("zyphra_api_key", secret=True)
    zyphra_base_url: str = setting("zyphra_base_url")
    zyphra_model: str = setting("lecturer_zyphra_model")
    zyphra_mime_type: str = setting("lecturer_zyphra_mime_type")
    speaking_rate: float = setting("lecturer_speaking_rate")
    zyphra_timeout: float = setting("lecturer_zyphra_timeout")
    tts_engine: str = setting("lecturer_tts_engine")
    zonos_url: str | None = setting("zonos_url")
    zonos_model: str = setting("lecturer_zonos_model")
    zonos_timeout: float = setting("lecturer_zonos_timeout")
    kdtalker_url: str | None = setting("kdtalker_url")
    kdtalker_timeout: float = setting("lecturer_kdtalker_timeout")
    hf_token: str | None = setting("hf_token", secret=True)
    call_retries: int = setting("lecturer_call_retries")
    call_retry_delay: float = setting("lecturer_call_retry_delay_seconds")
    call_retry_max_wait: float = setting("lecturer_call_retry_max_wait_seconds")
    ollama_host: str | None = setting("ollama_host")
    ollama_model: str = setting("lecturer_ollama_model")
    ollama_timeout: float = setting("lecturer_ollama_timeout")
    espeak_words_per_minute: int = 160
    fps: int = PREVIEW_FPS  # the embedded preview's rate (KDTalker has its own, 25)
    segment_seconds: float = setting("lecturer_segment_seconds")
    chunk_seconds: float | None = setting("lecturer_chunk_seconds")
    commercial: bool = setting("lecturer_commercial")

    def _retrying(self, engine, log: Log | None, first_attempt: bool):
        """A remote engine whose every call is retried per call (engines/retry.py); one per step attempt."""
        policy = CallRetry(
            retries=self.call_retries, base_delay=self.call_retry_delay, max_wait=self.call_retry_max_wait
        )
        return Retrying(engine, policy, log, first_attempt=first_attempt)

    def speech_engine(self, log: Log | None = None, first_attempt: bool = True) -> SpeechEngine:
        """The TTS path ``LECTURER_TTS_ENGINE`` names (see ``tts_choice``), its calls retried per call."""
        choice = tts_choice(self.tts_engine, zyphra=bool(self.zyphra_api_key), zonos=bool(self.zonos_url))
        if choice == "zyphra":
            from lecturer_pipeline.engines.zyphra import ZyphraSpeechEngine

            engine = ZyphraSpeechEngine(
                resolved(self.zyphra_api_key),
                self.zyphra_base_url,
                model=self.zyphra_model,
                mime_type=self.zyphra_mime_type,
                speaking_rate=self.speaking_rate,
                timeout=self.zyphra_timeout,
            )
            return self._retrying(engine, log, first_attempt)
        if choice == "zonos":
            from lecturer_pipeline.engines.zonos import ZonosSpeechEngine  # imports gradio_client: only if used

            engine = ZonosSpeechEngine(
                self.zonos_url, model=self.zonos_model, speaking_rate=self.speaking_rate, timeout=self.zonos_timeout
            )
            return self._retrying(engine, log, first_attempt)
        return EspeakSpeechEngine(words_per_minute=self.espeak_words_per_minute)

    def video_engine(self, log: Log | None = None, first_attempt: bool = True) -> VideoEngine:
        if self.kdtalker_url:
            from lecturer_pipeline.engines.kdtalker import KDTalkerVideoEngine  # imports gradio_client: only if used

            engine = KDTalkerVideoEngine(
                self.kdtalker_url, timeout=self.kdtalker_timeout, hf_token=resolved(self.hf_token)
            )
            return self._retrying(engine, log, first_attempt)
        return PreviewVideoEngine(fps=self.fps)

    def script_writer(self, log: Log | None = None, first_attempt: bool = True) -> ScriptWriter | None:
        """None when no Ollama is configured: then a lecture must bring its own script."""
        if not self.ollama_host:
            return None
        from lecturer_pipeline.engines.ollama import OllamaScriptWriter

        return self._retrying(
            OllamaScriptWriter(self.ollama_host, self.ollama_model, timeout=self.ollama_timeout, log=log),
            log,
            first_attempt,
        )


def tts_choice(setting: str, *, zyphra: bool, zonos: bool) -> str:
    """The one documented rule for the TTS path: ``zyphra``/``zonos``/``espeak`` as named (the remote ones must be
    configured); ``auto`` takes whichever remote one is configured, espeak-ng when none is, and refuses to guess
    when both are."""
    needs = {"zyphra": ("ZYPHRA_API_KEY", zyphra), "zonos": ("ZONOS_URL", zonos)}
    if setting in needs:
        variable, configured = needs[setting]
        if not configured:
            raise ConfigurationError(f"LECTURER_TTS_ENGINE={setting} but {variable} is not set; set it")
        return setting
    if setting == "espeak":
        return "espeak"
    if setting != "auto":
        raise ConfigurationError(f"LECTURER_TTS_ENGINE must be auto, zyphra, zonos or espeak, not {setting!r}")
    if zyphra and zonos:
        raise ConfigurationError(
            "both ZYPHRA_API_KEY (Zyphra's cloud API) and ZONOS_URL (a self-hosted Zonos) are set: set "
            "LECTURER_TTS_ENGINE=zyphra or LECTURER_TTS_ENGINE=zonos to say which one speaks, or unset one"
        )
    return "zyphra" if zyphra else "zonos" if zonos else "espeak"


class PipelineResource(dg.ConfigurableResource):
    """Policy knobs of the pipeline itself."""

    signed_url_seconds: int = setting("lecturer_signed_url_seconds")
    voice_retention_days: int = setting("lecturer_voice_retention_days")
    stale_days: int = setting("lecturer_stale_days")
    intake_batch: int = setting("lecturer_intake_batch")
    prune_max_lectures: int = setting("lecturer_prune_max_lectures")


def build_resources(settings: Settings) -> dict[str, dg.ConfigurableResource]:
    """The resources for these settings, keyed as the assets and IO managers expect them."""
    objects = ObjectStoreResource(
        local_root=str(settings.objects_dir),
        endpoint_url=settings.lecturer_s3_endpoint_url,
        bucket=settings.lecturer_s3_bucket,
        region_name=settings.lecturer_s3_region,
        aws_access_key_id=secret(settings, "aws_access_key_id"),
        aws_secret_access_key=secret(settings, "aws_secret_access_key"),
    )
    catalog = CatalogResource(database_url=secret(settings, "lecturer_database_url") or settings.database_url)
    vault = VaultResource(master_keys=secret(settings, "lecturer_master_keys"), key_file=str(settings.master_key_file))
    return {
        "objects": objects,
        "catalog": catalog,
        "vault": vault,
        "engines": from_settings(EnginesResource, settings),
        "pipeline": from_settings(PipelineResource, settings),
    }
