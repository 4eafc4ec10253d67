"""Dagster's PostgreSQL event-log storage, with a steady re-check of blocked pool claims.

A step that finds its pool full (``kdtalker`` holds one render at a time) asks again later. Dagster lets the
storage say how much later (``ConcurrencyClaimStatus.sleep_interval``); without an answer the executor backs off
from 1 s towards 15 s, so a run that waited a minute behind other lectures notices the freed slot up to 15 s
late, and over a course backfill the GPU idles for that at every hand-over. This storage answers "again in
``pool_claim_poll_seconds``" (0.5 s): the slot is handed on within half a second, for the price of two small
queries a second per waiting step.

It also keeps its connections: dagster-postgres opens a new PostgreSQL connection for every query (``NullPool``,
so that idle instances hold none), which is over a thousand connections, about 1.5 s, for one lecture run's
events. Here a run worker, the daemon and the webserver each keep a small pool (one connection, a few more under
concurrent use, checked before use so a restarted server is survived). Everything else is dagster-postgres
unchanged.

Used from ``dagster.yaml`` (see the deployment block there)::

    event_log_storage:
      module: lecturer_pipeline.instance_storage
      class: SteadyPoolPostgresEventLogStorage
      config:
        postgres_db: {...}
        pool_claim_poll_seconds: 0.5
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dagster import Field
from dagster._core.storage.config import pg_config
from dagster._serdes import ConfigurableClassData
from dagster._utils.concurrency import ConcurrencyClaimStatus
from dagster_postgres.event_log import PostgresEventLogStorage
from dagster_postgres.utils import create_pg_engine, get_token_provider_from_config, pg_url_from_config

DEFAULT_POLL_SECONDS = 0.5


class SteadyPoolPostgresEventLogStorage(PostgresEventLogStorage):
    """PostgresEventLogStorage whose blocked pool claims are re-checked every ``pool_claim_poll_seconds``."""

    def __init__(
        self,
        postgres_url: str,
        should_autocreate_tables: bool = True,
        inst_data: ConfigurableClassData | None = None,
        token_provider: Any = None,
        pool_claim_poll_seconds: float = DEFAULT_POLL_SECONDS,
    ) -> None:
        if pool_claim_poll_seconds <= 0:
            raise ValueError(f"pool_claim_poll_seconds must be positive, not {pool_claim_poll_seconds}")
        self.pool_claim_poll_seconds = pool_claim_poll_seconds
        super().__init__(postgres_url, should_autocreate_tables, inst_data, token_provider)
        self._engine.dispose()
        self._engine = create_pg_engine(
            postgres_url,
            token_provider,
            isolation_level="AUTOCOMMIT",
            pool_size=1,
            max_overflow=4,
            pool_pre_ping=True,
            pool_recycle=3600,
        )

    def dispose(self) -> None:
        """Also close the pool (dagster-postgres has none to close): a Celery worker opens an instance per step."""
        super().dispose()
        self._engine.dispose()

    @classmethod
    def config_type(cls) -> dict[str, Any]:
        return {
            **pg_config(),
            "pool_claim_poll_seconds": Field(float, is_required=False, default_value=DEFAULT_POLL_SECONDS),
        }

    @classmethod
    def from_config_value(  # ty: ignore[invalid-method-override]
        cls, inst_data: ConfigurableClassData | None, config_value: Mapping[str, Any]
    ) -> SteadyPoolPostgresEventLogStorage:
        return cls(
            inst_data=inst_data,
            postgres_url=pg_url_from_config(config_value),
            should_autocreate_tables=config_value.get("should_autocreate_tables", True),
            token_provider=get_token_provider_from_config(config_value),
            pool_claim_poll_seconds=config_value.get("pool_claim_poll_seconds", DEFAULT_POLL_SECONDS),
        )

    def claim_concurrency_slot(
        self, concurrency_key: str, run_id: str, step_key: str, priority: int | None = None
    ) -> ConcurrencyClaimStatus:
        status = super().claim_concurrency_slot(concurrency_key, run_id, step_key, priority)
        return status if status.is_claimed else status.with_sleep_interval(self.pool_claim_poll_seconds)
