"""The whole asset graph as deployed: objects on S3 (real RADOS Gateway), catalog on PostgreSQL, and Dagster's own
instance on PostgreSQL too (dagster.yaml's deployment block: dagster-postgres with ``scheme: postgresql+psycopg2``)."""

from __future__ import annotations

import urllib.request
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa
import yaml

from lecturer_pipeline.definitions import build_definitions
from lecturer_pipeline.instance import postgres_storage_config
from lecturer_pipeline.settings import Settings
from lecturer_pipeline.standins.servers import postgres
from lecturer_pipeline.storage.layout import lecture_video_key, reference_voice_key, speech_key
from lecturer_pipeline_tests.pipeline_helpers import (
    assert_playable_lecture_video,
    materialization_metadata,
    run,
    submit_sample,
)


@pytest.fixture
def postgres_instance(pg_admin_url: str, tmp_path: Path):
    """A Dagster instance whose run, event-log and schedule storage live in a fresh PostgreSQL database."""
    url, drop = postgres.create_database(pg_admin_url)
    home = tmp_path / "dagster_home"
    home.mkdir()
    config = {"telemetry": {"enabled": False}, **postgres_storage_config(url)}
    (home / "dagster.yaml").write_text(yaml.safe_dump(config))
    instance = dg.DagsterInstance.from_config(str(home))
    yield instance
    instance.dispose()
    drop()


def test_lecture_on_s3_and_postgres(tmp_path: Path, sample_media, s3_server, s3_bucket, pg_url, postgres_instance):
    settings = Settings(
        lecturer_home=tmp_path / "home",
        lecturer_s3_endpoint_url=s3_server.endpoint_url,
        lecturer_s3_bucket=s3_bucket,
        aws_access_key_id=s3_server.access_key,
        aws_secret_access_key=s3_server.secret_key,
        lecturer_database_url=pg_url,
    )
    defs = build_definitions(settings)
    store = defs.resources["objects"].get_store()
    lecture_id = submit_sample(defs, sample_media, course="bio200", lecture="cells", speaker="grace")

    outcome = run(defs, postgres_instance, lecture_id)
    assert outcome.success, outcome.error
    assert outcome.video.startswith(s3_server.endpoint_url) and "Signature" in outcome.video

    # The signed URL serves the very object; ffprobe checks the downloaded mp4 against the speech.
    mp4, wav = tmp_path / "video.mp4", tmp_path / "speech.wav"
    with urllib.request.urlopen(outcome.video, timeout=30) as response:
        mp4.write_bytes(response.read())
    store.get_file(speech_key(lecture_id), wav)
    assert_playable_lecture_video(mp4, wav)
    assert store.stat(lecture_video_key(lecture_id)).size == mp4.stat().st_size  # the composed lecture video

    with sa.create_engine(pg_url).connect() as connection:
        status, script = connection.execute(
            sa.text("select status, script from lectures where id = :id"), {"id": lecture_id}
        ).one()
        kinds = {
            r[0]
            for r in connection.execute(
                sa.text("select kind from artefacts where lecture_id = :id"), {"id": lecture_id}
            )
        }
    assert status == "COMPLETED" and script.startswith("Sets are collections")
    assert kinds == {
        "reference_voice",
        "speaker_embed",
        "portrait",
        "speech",
        "video_segments",
        "video",
        "slide_deck",
        "lecture_video",
        "captions",
        "transcript",
        "lms_package",
    }

    # Dagster's own records are in PostgreSQL: the run and its materialisations are there.
    assert postgres_instance.get_run_by_id(outcome.run_id).is_success
    assert materialization_metadata(postgres_instance, outcome.run_id, "video")["codecs"] == "h264 + aac"
    assert postgres_instance.has_dynamic_partition("lectures", lecture_id)

    assert b"RIFF" not in store.get_bytes(reference_voice_key("grace"))
    assert not list(store.list("uploads/voice/"))

    again = run(defs, postgres_instance, lecture_id)
    assert again.success
    assert materialization_metadata(postgres_instance, again.run_id, "video")["reused"] is True
