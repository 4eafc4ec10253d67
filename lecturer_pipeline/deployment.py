"""Distributed mode: the configuration every process of a deployment past one machine must have (DESIGN.md §9).

The embedded default falls back to local state when a variable is missing: objects under ``LECTURER_HOME``, a
SQLite catalog and a freshly generated ``master.key``. On one machine that is the point; across machines it is a
silent fork of the deployment's state — a worker that mints its own key seals voices no other worker can open. So a
process in distributed mode (any executor but ``in_process``, or ``LECTURER_DEPLOYMENT=distributed``, or a
lecturer Celery worker) refuses to start, naming every missing variable at once, before it connects to anything.
"""

from __future__ import annotations

from lecturer_pipeline.errors import ConfigurationError
from lecturer_pipeline.settings import Settings

DEPLOYMENT_VARIABLE = "LECTURER_DEPLOYMENT"


def is_distributed(settings: Settings) -> bool:
    """Whether this process belongs to a deployment of more than one machine."""
    return settings.lecturer_executor != "in_process" or settings.lecturer_deployment == "distributed"


def missing_for_distributed(settings: Settings) -> list[str]:
    """The variables a distributed process lacks (empty when it has everything), each with what it is for."""
    missing = []
    if not settings.lecturer_s3_endpoint_url:
        missing.append("LECTURER_S3_ENDPOINT_URL (the shared object store; never a local directory)")
    url = settings.lecturer_database_url or ""
    if not url.startswith("postgresql"):
        what = "is not a PostgreSQL URL" if url else "is unset"
        missing.append(f"LECTURER_DATABASE_URL (a PostgreSQL catalog; never SQLite — it {what})")
    if not (settings.lecturer_master_keys or "").strip():
        missing.append("LECTURER_MASTER_KEYS (the deployment's master keys; never a generated key file)")
    if settings.lecturer_executor == "celery":
        if not settings.lecturer_celery_broker_url:
            missing.append("LECTURER_CELERY_BROKER_URL (the RabbitMQ broker, e.g. pyamqp://user:pw@host:5672/vhost)")
        if not settings.lecturer_celery_backend_url:
            missing.append("LECTURER_CELERY_BACKEND_URL (the Redis result backend, e.g. redis://host:6379/0)")
    return missing


def check_deployment(settings: Settings, *, distributed: bool | None = None) -> None:
    """Raise ``ConfigurationError`` naming every missing variable if this process is distributed and lacks any.

    ``distributed`` overrides what the settings say (a Celery worker is distributed whatever its variables are).
    """
    if not (is_distributed(settings) if distributed is None else distributed):
        return
    missing = missing_for_distributed(settings)
    if missing:
        why = (
            f"LECTURER_EXECUTOR={settings.lecturer_executor}"
            if settings.lecturer_executor != "in_process"
            else f"{DEPLOYMENT_VARIABLE}=distributed"
        )
        raise ConfigurationError(
            f"distributed mode ({why}) refuses local fallbacks; set {len(missing)} missing variable"
            f"{'s' if len(missing) > 1 else ''}: " + "; ".join(missing)
        )
