"""Where a Celery run's time went, read from Dagster's event log in PostgreSQL: per step, the time queued for a
worker, set up in it and spent in the body, the hand-offs between steps, and each worker's busy time."""

from __future__ import annotations

import json
import re
from typing import Any

import sqlalchemy as sa

from bench.common import median

_WORKER_NAME = re.compile(r'"text": "([^"]+@[^"]+)"')  # the "Celery worker" metadata of a step's pickup event


def dagster_db_url(env: dict[str, str]) -> str:
    user, password = env["DAGSTER_PG_USERNAME"], env["DAGSTER_PG_PASSWORD"]
    auth = f"{user}:{password}" if password else user
    return f"postgresql+psycopg2://{auth}@{env['DAGSTER_PG_HOST']}:{env['DAGSTER_PG_PORT']}/{env['DAGSTER_PG_DB']}"


def step_breakdown(db_url: str, run_ids: list[str]) -> dict[str, Any]:
    """Where each step's time went, from Dagster's event log (medians over the runs, seconds): ``queued`` from the
    run sending the Celery task to a worker picking it up, ``setup`` from then to STEP_START (plan, resources),
    ``body`` the step itself, ``handoff`` from the last step success before a send to that send (the worker's
    teardown, the result's way back and the executor loop's tick)."""
    engine = sa.create_engine(db_url)
    per_step: dict[str, dict[str, list[float]]] = {}
    handoffs: list[float] = []
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT run_id, step_key, event FROM event_logs WHERE run_id = ANY(:ids) ORDER BY id"),
                {"ids": run_ids},
            ).all()
    finally:
        engine.dispose()
    marks: dict[tuple[str, str], dict[str, float]] = {}
    workers: dict[tuple[str, str], str] = {}
    last_success: dict[str, float] = {}
    for run_id, step_key, raw in rows:
        entry = json.loads(raw)
        event = entry.get("dagster_event") or {}
        when, kind = entry.get("timestamp"), event.get("event_type_value")
        message = entry.get("user_message") or event.get("message") or ""  # a worker's engine event has only the latter
        if not step_key or when is None:
            continue
        mark = marks.setdefault((run_id, step_key), {})
        if "Submitting celery task" in message:
            mark.setdefault("submit", when)
            if run_id in last_success:
                handoffs.append(when - last_success.pop(run_id))
        elif "in celery worker" in message:
            mark.setdefault("pickup", when)
            worker = _WORKER_NAME.search(raw)
            workers[(run_id, step_key)] = worker.group(1).split("@")[0] if worker else "?"
        elif kind == "STEP_START":
            mark.setdefault("start", when)
        elif kind == "STEP_SUCCESS":
            mark.setdefault("success", when)
            last_success[run_id] = when
    spans = {"queued": ("submit", "pickup"), "setup": ("pickup", "start"), "body": ("start", "success")}
    for (_run, step_key), mark in marks.items():
        for name, (first, last) in spans.items():
            if first in mark and last in mark:
                per_step.setdefault(step_key, {}).setdefault(name, []).append(mark[last] - mark[first])
    busy: dict[str, float] = {}
    for key, worker in workers.items():
        mark = marks[key]
        if "success" in mark:
            busy[worker] = busy.get(worker, 0.0) + mark["success"] - mark["pickup"]
    return {
        "worker_step_seconds": {worker: round(seconds, 1) for worker, seconds in sorted(busy.items())},
        "per_step_median": {
            step: {name: round(median(values), 2) for name, values in spans_of.items()}
            for step, spans_of in sorted(per_step.items())
        },
        "handoff_median": round(median(handoffs), 2),
        "steps_per_run": round(len(marks) / max(len(run_ids), 1), 1),
    }
