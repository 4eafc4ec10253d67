"""Intake at a university's size on the real S3 server: 5,000 lecture uploads of 1,000 speakers.

Every upload is read once, each tick reads at most its batch, a tick with nothing new makes no GET and no HEAD, the
cursor stays under 1 KB, and lectures waiting for their speaker start without being read again.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from lecturer_pipeline.defs.sensors import cursor_after
from lecturer_pipeline.operations.intake import plan_intake, record_intake
from lecturer_pipeline.storage.catalog import Catalog, UploadState
from lecturer_pipeline.storage.s3 import S3ObjectStore
from lecturer_pipeline_tests.s3_calls import S3CallCounter

SPEAKERS, PER_SPEAKER, BATCH = 1000, 5, 1000
WITHOUT_PORTRAIT = 50  # speakers whose portrait arrives later: their lectures wait


def _fill(store: S3ObjectStore) -> None:
    def put(key: str, body: bytes) -> None:  # one request each (the store's put_bytes also checks with a HEAD)
        store.client.put_object(Bucket=store.bucket, Key=key, Body=body)

    items = []
    for s in range(SPEAKERS):
        speaker = f"sp{s:04d}"
        items.append((f"uploads/voice/{speaker}.wav", b"RIFF"))
        if s >= WITHOUT_PORTRAIT:
            items.append((f"uploads/portrait/{speaker}.png", b"PNG"))
        for n in range(PER_SPEAKER):
            body = json.dumps({"speaker": speaker, "script": f"Lecture {n} of {speaker}."}).encode()
            items.append((f"uploads/lectures/c{s % 40:02d}/l{s:04d}-{n}.json", body))
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda item: put(*item), items))


def test_five_thousand_uploads_are_read_once_in_bounded_ticks(s3_store: S3ObjectStore, tmp_path: Path) -> None:
    began = time.monotonic()
    _fill(s3_store)
    print(f"fill {time.monotonic() - began:.1f} s")
    catalog = Catalog(f"sqlite:///{tmp_path / 'catalog.sqlite'}")
    counter = S3CallCounter(s3_store.client)
    cursor, ticks, reads, started, waiting = json.dumps({"after": ""}), 0, 0, set(), set()
    while True:
        plan = plan_intake(s3_store, catalog, after=cursor_after(cursor), batch=BATCH)
        calls = counter.take()
        assert calls["GetObject"] == plan.read <= BATCH, "a tick reads at most its batch"
        assert calls["HeadObject"] == 0
        print(f"tick {ticks}: {time.monotonic() - began:.1f} s")
        record_intake(catalog, plan.records, plan.forgotten)  # the intake run the tick asked for
        cursor, ticks, reads = json.dumps({"after": plan.next_after}), ticks + 1, reads + plan.read
        assert len(cursor.encode()) < 1024
        started |= {r.lecture_id for r in plan.ready}
        waiting |= {r.lecture_id for r in plan.waiting}
        if not plan.pending:
            break
    assert ticks == 5 and reads == SPEAKERS * PER_SPEAKER, "every upload read exactly once"
    assert len(started) == (SPEAKERS - WITHOUT_PORTRAIT) * PER_SPEAKER
    assert len(waiting) == WITHOUT_PORTRAIT * PER_SPEAKER

    idle = plan_intake(s3_store, catalog, after=cursor_after(cursor), batch=BATCH)
    calls = counter.take()
    assert (calls["GetObject"], calls["HeadObject"], idle.records, idle.ready) == (0, 0, [], [])
    assert set(calls) == {"ListObjectsV2"}, calls

    for s in range(WITHOUT_PORTRAIT):
        s3_store.put_bytes(f"uploads/portrait/sp{s:04d}.png", b"PNG")
    counter.take()
    arrived = plan_intake(s3_store, catalog, after=cursor_after(cursor), batch=BATCH)
    calls = counter.take()
    assert calls["GetObject"] == 0 and calls["HeadObject"] == 0, "waiting lectures are not read again"
    assert {r.lecture_id for r in arrived.ready} == waiting
    record_intake(catalog, arrived.records, arrived.forgotten)
    assert all(row.state == UploadState.ACCEPTED for row in catalog.upload_rows().values())
    counter.close()
    catalog.dispose()
