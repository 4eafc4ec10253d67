"""(6) Intake at a university's size: 15,000 lecture uploads of 3,000 speakers on the real S3 server.

Each tick is what the upload sensor evaluates (``plan_intake``: one listing of each upload prefix, the catalog's
``uploads`` table, GETs of at most one batch of new uploads); after each, the intake run's write (``record_intake``)
is done as the daemon would start it. Reported: ticks until every upload is known and the longest, a tick with
nothing new, the cursor's size, and the catalog queries behind ``status`` over 15,000 lectures (in process: the
command adds the interpreter's start).
"""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench.common import log, median
from lecturer_pipeline.operations.intake import DEFAULT_BATCH, plan_intake, record_intake
from lecturer_pipeline.storage.catalog import Catalog, lectures
from lecturer_pipeline.storage.s3 import S3ObjectStore, make_s3_client

GOALS = {"longest_tick_seconds": 30.0, "idle_tick_seconds": 2.0, "cursor_bytes": 1024, "status_course_ms": 100.0,
         "status_failed_ms": 200.0}  # fmt: skip


def _fill(store: S3ObjectStore, uploads: int, speakers: int) -> None:
    def put(item: tuple[str, bytes]) -> None:
        store.client.put_object(Bucket=store.bucket, Key=item[0], Body=item[1])

    items = [(f"uploads/voice/s{s:05d}.wav", b"RIFF") for s in range(speakers)]
    items += [(f"uploads/portrait/s{s:05d}.png", b"PNG") for s in range(speakers)]
    for n in range(uploads):
        body = json.dumps({"speaker": f"s{n % speakers:05d}", "script": f"Lecture number {n}. " * 20}).encode()
        items.append((f"uploads/lectures/c{n % 150:03d}/l{n:05d}.json", body))
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(put, items))


def _status_rows(catalog: Catalog, uploads: int) -> None:
    """The catalog as 15,000 lectures leave it: long scripts, one in fifty FAILED."""
    rows = [
        {"id": f"c{n % 150:03d}--l{n:05d}", "course": f"c{n % 150:03d}", "title": "T", "language": "en-us",
         "status": "FAILED" if n % 50 == 0 else "COMPLETED", "script": "word " * 4000, "video_url": "http://x/v.mp4"}
        for n in range(uploads)
    ]  # fmt: skip
    with catalog.engine.begin() as connection:
        connection.execute(lectures.delete())
        for start in range(0, len(rows), 1000):
            connection.execute(lectures.insert(), rows[start : start + 1000])


def _ms(action, runs: int = 5) -> float:
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        action()
        samples.append((time.perf_counter() - began) * 1000)
    return median(samples)


def measure(servers: Any, workdir: Path, *, uploads: int = 15000, speakers: int = 3000, batch: int = DEFAULT_BATCH):
    s3 = servers.s3
    client = make_s3_client(s3.endpoint_url, access_key=s3.access_key, secret_key=s3.secret_key)
    store = S3ObjectStore(client, f"bench-intake-{uuid.uuid4().hex[:8]}")
    log(f"intake: writing {uploads} lecture uploads of {speakers} speakers")
    _fill(store, uploads, speakers)
    with contextlib.ExitStack() as stack:
        catalog = Catalog(servers.new_database(stack))
        stack.callback(catalog.dispose)
        after, ticks, reads = "", [], 0
        while True:
            began = time.perf_counter()
            plan = plan_intake(store, catalog, after=after, batch=batch)
            ticks.append(time.perf_counter() - began)
            record_intake(catalog, plan.records, plan.forgotten)
            after, reads = plan.next_after, reads + plan.read
            log(f"intake: tick {len(ticks)} read {plan.read}, {plan.pending} left, {ticks[-1]:.1f} s")
            if not plan.pending:
                break
        cursor = json.dumps({"after": after})
        idle = median([_timed_plan(store, catalog, after, batch) for _ in range(3)])
        _status_rows(catalog, uploads)
        course_ms = _ms(lambda: list(catalog.lecture_summaries(course="c007")))
        failed_ms = _ms(lambda: list(catalog.lecture_summaries(status="FAILED", limit=50)))
    details = {
        "ticks": len(ticks),
        "longest_tick_seconds": round(max(ticks), 2),
        "first_tick_seconds": round(ticks[0], 2),
        "uploads_read": reads,
        "idle_tick_seconds": round(idle, 2),
        "cursor_bytes": len(cursor.encode()),
        "status_course_ms": round(course_ms, 1),
        "status_failed_ms": round(failed_ms, 1),
    }
    met = all(details[name] <= goal for name, goal in GOALS.items())
    goal = "every tick < 30 s, idle ≤ 2 s, cursor ≤ 1 KB, status --course ≤ 100 ms, --status FAILED --limit 50 ≤ 200 ms"
    inputs = {"uploads": uploads, "speakers": speakers, "batch": batch}
    return {"value": details["longest_tick_seconds"], "details": details, "goal": goal, "met": met, "inputs": inputs}


def _timed_plan(store: S3ObjectStore, catalog: Catalog, after: str, batch: int) -> float:
    began = time.perf_counter()
    plan = plan_intake(store, catalog, after=after, batch=batch)
    assert not plan.records and not plan.read, "nothing changed, so nothing is read"
    return time.perf_counter() - began
