"""All configuration, read once from environment variables (DESIGN.md §4).

Nothing configured means the embedded default: a local directory for objects, SQLite for the catalog and Dagster,
and local engines (espeak-ng, ffmpeg) instead of the remote model services.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, PrivateAttr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from lecturer_pipeline.retries import CALL_RETRIES


def _default_home() -> Path:
    return Path.home() / ".lecturer_pipeline"


class EnvironmentSettings(BaseSettings):
    """Settings that remember which values were passed in code, so a secret read from its variable can be handed to
    Dagster as a reference to that variable (``defs/resources.py``) and one a test passes is used as given."""

    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")
    _given: frozenset[str] = PrivateAttr(default=frozenset())

    def __init__(self, **values: Any) -> None:
        super().__init__(**values)
        self._given = frozenset(name for name in values if not name.startswith("_"))

    def variable_of(self, field: str) -> str | None:
        """The environment variable ``field``'s value was read from, or None (unset, or passed in code)."""
        name = field.upper()
        return name if field not in self._given and name in os.environ else None


class Settings(EnvironmentSettings):
    """Environment variables the pipeline reads; field names map to the upper-case variable names."""

    lecturer_home: Path = Field(default_factory=_default_home)
    lecturer_s3_endpoint_url: str | None = None
    lecturer_s3_bucket: str = "lecturer"
    lecturer_s3_region: str = "us-east-1"
    aws_access_key_id: str | None = None
    aws_secret_access_key: str | None = None
    lecturer_database_url: str | None = None
    lecturer_signed_url_seconds: int = 7 * 24 * 3600
    lecturer_voice_retention_days: int = 30
    lecturer_stale_days: int = 7
    lecturer_retry_delay_seconds: float = 2.0
    lecturer_sensor_interval_seconds: int = 30
    lecturer_intake_batch: int = Field(default=1000, ge=1)  # uploads the sensor reads per tick
    lecturer_prune_max_lectures: int = Field(default=500, ge=1)  # stale lectures one night's prune deletes
    lecturer_dagster_url: str = "http://127.0.0.1:3000"
    lecturer_pool_limits: str = "zyphra=2,kdtalker=1,ollama=1"
    lecturer_commercial: bool = False
    lecturer_master_keys: str | None = None
    # Remote model services: each is switched on by its variable; unset means the local engine.
    zyphra_api_key: str | None = None
    zyphra_base_url: str = "http://api.zyphra.com"
    lecturer_zyphra_model: str = "zonos-v0.1-transformer"
    lecturer_zyphra_mime_type: str = "audio/webm"
    lecturer_speaking_rate: float = 15.0
    lecturer_zyphra_timeout: float = 120.0
    # Which TTS path: auto = the one configured (ZYPHRA_API_KEY or ZONOS_URL; both is an error), else espeak-ng.
    lecturer_tts_engine: Literal["auto", "zyphra", "zonos", "espeak"] = "auto"
    zonos_url: str | None = None  # a self-hosted Zonos Gradio app (engines/zonos.py)
    lecturer_zonos_model: str = "Zyphra/Zonos-v0.1-transformer"
    lecturer_zonos_timeout: float = 300.0
    kdtalker_url: str | None = None
    hf_token: str | None = None  # sent to KDTalker when set (a Hugging Face Space counts that account's GPU quota)
    lecturer_kdtalker_timeout: float = 1800.0
    lecturer_segment_seconds: float = 60.0
    # Seconds of speech one TTS call is planned to carry; unset: 75 % of the engine's 30 s cap (text/pacing.py).
    lecturer_chunk_seconds: float | None = None
    ollama_host: str | None = None
    lecturer_ollama_model: str = "llama3:8b"
    lecturer_ollama_timeout: float = 300.0  # the longest wait for the next token of a streamed draft (no overall cap)
    # Retries of each service call inside the step (engines/retry.py): count, first back-off, longest single wait.
    lecturer_call_retries: int = CALL_RETRIES
    lecturer_call_retry_delay_seconds: float = 2.0
    lecturer_call_retry_max_wait_seconds: float = 900.0
    # Past one machine (DESIGN.md §9; lecturer_pipeline/deployment.py): the lecture job's executor, and whether this
    # process belongs to a distributed deployment (implied by any executor but in_process).
    lecturer_executor: Literal["in_process", "multiprocess", "celery"] = "in_process"
    lecturer_deployment: Literal["embedded", "distributed"] = "embedded"
    lecturer_celery_broker_url: str | None = None
    lecturer_celery_backend_url: str | None = None
    lecturer_render_queue: str = "render"

    @field_validator("lecturer_home")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @property
    def objects_dir(self) -> Path:
        """Root of the local object store (embedded default)."""
        return self.lecturer_home / "objects"

    @property
    def database_url(self) -> str:
        """The catalog's SQLAlchemy URL: PostgreSQL when configured, else a SQLite file in LECTURER_HOME."""
        return self.lecturer_database_url or f"sqlite:///{self.lecturer_home / 'catalog.sqlite'}"

    @property
    def master_key_file(self) -> Path:
        """The embedded default's master key, made on first use when LECTURER_MASTER_KEYS is not set."""
        return self.lecturer_home / "master.key"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once (the code location's and the CLI's; tests build their own)."""
    return Settings()
