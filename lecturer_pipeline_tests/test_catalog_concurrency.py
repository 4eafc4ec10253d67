"""The catalog under concurrency and at size, on real PostgreSQL: atomic upserts, one voice ingestion for lectures
started together, and a ``status`` that reads only what it prints."""

from __future__ import annotations

import argparse
import base64
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import dagster as dg
import sqlalchemy as sa

from lecturer_pipeline.cli_catalog import cmd_status
from lecturer_pipeline.manifest import LectureManifest
from lecturer_pipeline.storage.catalog import ArtefactRow, Catalog, lectures, speakers
from lecturer_pipeline.storage.layout import reference_voice_key
from lecturer_pipeline.storage.s3 import S3ObjectStore, make_s3_client
from lecturer_pipeline.uploads import submit_lecture, submit_speaker_files
from lecturer_pipeline_tests.pipeline_helpers import CONSENT, SCRIPT, materialization_metadata, run_cli


def test_eight_threads_upserting_the_same_new_rows(pg_url: str) -> None:
    catalog = Catalog(pg_url)
    start = threading.Barrier(8)

    def write(n: int) -> None:
        start.wait()
        catalog.upsert_lecture("cs101--race", course="cs101", title=f"writer {n}", status="PENDING")
        catalog.upsert_speaker("ada", voice_seconds=float(n))
        catalog.record_artefact(ArtefactRow("cs101--race", "speech", f"k{n}", "ab" * 32, n, None, None, None))
        catalog.mark_failed("cs101--race2", "cs101", "upload", f"writer {n}")

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(write, range(8)))  # re-raises any writer's error
    with catalog.engine.connect() as connection:
        count = connection.execute(sa.select(sa.func.count()).select_from(lectures)).scalar_one()
        speakers_count = connection.execute(sa.select(sa.func.count()).select_from(speakers)).scalar_one()
    assert (count, speakers_count) == (2, 1)
    assert catalog.get_lecture("cs101--race")["title"].startswith("writer ")
    catalog.dispose()


def test_three_lectures_of_one_new_speaker_started_at_once(tmp_path: Path, sample_media, s3_server, s3_bucket, pg_url):
    env = {
        "LECTURER_S3_ENDPOINT_URL": s3_server.endpoint_url,
        "LECTURER_S3_BUCKET": s3_bucket,
        "AWS_ACCESS_KEY_ID": s3_server.access_key,
        "AWS_SECRET_ACCESS_KEY": s3_server.secret_key,
        "LECTURER_DATABASE_URL": pg_url,
        "LECTURER_MASTER_KEYS": base64.urlsafe_b64encode(os.urandom(32)).decode(),
    }
    client = make_s3_client(s3_server.endpoint_url, access_key=s3_server.access_key, secret_key=s3_server.secret_key)
    store = S3ObjectStore(client, s3_bucket)
    submit_speaker_files(store, "nova", voice=sample_media["voice"], portrait=sample_media["portrait"], consent=CONSENT)
    ids = [submit_lecture(store, "phy1", f"l{n}", LectureManifest(speaker="nova", script=SCRIPT))[0] for n in range(3)]

    def materialize(lecture_id: str):  # each its own process and Dagster instance; catalog and store shared
        dagster_home = tmp_path / f"dagster-{lecture_id}"
        return run_cli(
            tmp_path / f"home-{lecture_id}", "materialize", lecture_id, env={**env, "DAGSTER_HOME": str(dagster_home)}
        )

    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(materialize, ids))
    for lecture_id, result in zip(ids, results, strict=True):
        assert result.returncode == 0, f"{lecture_id}: {result.stderr[-2000:]}"
    assert store.exists(reference_voice_key("nova")) and not list(store.list("uploads/voice/"))
    ingested = []
    for lecture_id in ids:
        instance = dg.DagsterInstance.from_config(str(tmp_path / f"dagster-{lecture_id}"))
        (run,) = instance.get_runs()
        ingested.append(not materialization_metadata(instance, run.run_id, "reference_voice")["reused"])
        instance.dispose()
    assert sum(ingested) == 1, f"the voice was ingested {sum(ingested)} times"


def test_status_over_fifteen_thousand_rows_reads_only_what_it_prints(pg_url: str, monkeypatch, capsys) -> None:
    catalog = Catalog(pg_url)
    rows = [
        {
            "id": f"c{n % 30:02d}--l{n:05d}",
            "course": f"c{n % 30:02d}",
            "title": "T",
            "language": "en-us",
            "status": "FAILED" if n % 100 == 0 else "COMPLETED",
            "script": "word " * 2000,
        }
        for n in range(15000)
    ]
    with catalog.engine.begin() as connection:
        connection.execute(lectures.insert(), rows)
        connection.execute(sa.text("ANALYZE lectures"))
    statements: list[str] = []

    def record(_connection, _cursor, statement, *_rest) -> None:
        statements.append(statement)

    sa.event.listen(sa.Engine, "before_cursor_execute", record)
    monkeypatch.setenv("LECTURER_DATABASE_URL", pg_url)
    try:
        cmd_status(argparse.Namespace(course=None, status="FAILED", limit=10))
    finally:
        sa.event.remove(sa.Engine, "before_cursor_execute", record)
    printed = capsys.readouterr().out.splitlines()[1:]
    assert len(printed) == 10 and all(" FAILED " in line for line in printed)
    selects = [s for s in statements if "FROM lectures" in s and "alembic" not in s]
    assert selects and all("lectures.script" not in s for s in selects), selects
    (query,) = [s for s in selects if "LIMIT" in s]
    with catalog.engine.connect() as connection:
        explain = "EXPLAIN " + query.replace("%(status_1)s", "'FAILED'").replace("%(param_1)s", "10")
        plan = connection.exec_driver_sql(explain).scalars().all()
    assert any("ix_lectures_status_id" in line for line in plan), plan
    catalog.dispose()
