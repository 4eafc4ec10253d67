"""The whole asset graph on the embedded default: local store, SQLite catalog, local engines."""

from __future__ import annotations

import subprocess
from pathlib import Path

import dagster as dg
import pytest

from lecturer_pipeline.storage.layout import lecture_video_key, reference_voice_key, speech_key, video_key
from lecturer_pipeline_tests.pipeline_helpers import (
    assert_playable_lecture_video,
    check_evaluations,
    definitions,
    local_settings,
    materialization_metadata,
    run,
    submit_sample,
)


@pytest.fixture
def instance():
    with dg.instance_for_test() as instance:
        yield instance


def test_lecture_end_to_end_then_rerun_reuses_everything(tmp_path: Path, sample_media, instance) -> None:
    defs = definitions(local_settings(tmp_path / "home"))
    store = defs.resources["objects"].get_store()
    catalog = defs.resources["catalog"].get_catalog()
    lecture_id = submit_sample(defs, sample_media)

    first = run(defs, instance, lecture_id)
    assert first.success, first.error
    mp4 = Path(first.video)
    assert mp4.is_absolute() and mp4 == store.root / lecture_video_key(lecture_id)  # the composed lecture video
    assert_playable_lecture_video(mp4, store.root / speech_key(lecture_id))
    assert_playable_lecture_video(store.root / video_key(lecture_id), store.root / speech_key(lecture_id))

    row = catalog.get_lecture(lecture_id)
    assert row["status"] == "COMPLETED" and row["video_url"] == mp4.as_uri()
    assert row["script"].startswith("Sets are collections")
    speech_meta = materialization_metadata(instance, first.run_id, "speech")
    assert speech_meta["engine"] == "espeak-ng" and speech_meta["cloned"] is False
    assert speech_meta["tts_chars_sent"] > 0 and speech_meta["reused"] is False
    video_meta = materialization_metadata(instance, first.run_id, "video")
    assert video_meta["engine"] == "ffmpeg-preview" and video_meta["lip_sync"] is False
    head_mp4 = mp4.with_name("video.mp4")  # the 512×512 talking head; the published lecture.mp4 is composed from it
    assert "data:image/jpeg;base64," in video_meta["preview"] and head_mp4.as_uri() in video_meta["preview"]
    portrait_meta = materialization_metadata(instance, first.run_id, "portrait")
    assert portrait_meta["faces_found"] == 1 and portrait_meta["face_choice"] == "the only face"
    assert len(portrait_meta["face_box"].split(",")) == 4 and "data:image/png;base64," in portrait_meta["preview"]
    lecture_meta = materialization_metadata(instance, first.run_id, "lecture_video")
    assert "data:image/jpeg;base64," in lecture_meta["preview"] and mp4.as_uri() in lecture_meta["preview"]
    assert lecture_meta["deck_pages"] == 0 and lecture_meta["resolution"] == "1920×1080"
    assert check_evaluations(instance, first.run_id) == {
        "speech_duration_plausible": True,
        "video_matches_speech": True,
        "video_is_h264_aac": True,
        "lecture_video_is_1080p_h264_aac": True,
        "speech_quality": True,  # the embedded default passes its own quality checks
        "video_quality": True,
    }

    # The plaintext upload is gone; only the sealed copy remains.
    assert not list(store.list("uploads/voice/"))
    sealed = store.get_bytes(reference_voice_key("ada"))
    assert b"RIFF" not in sealed and b"WAVE" not in sealed

    video_mtime = mp4.stat().st_mtime_ns
    second = run(defs, instance, lecture_id)
    assert second.success, second.error
    for asset in ("reference_voice", "speaker_embed", "speech", "video", "slide_deck", "lecture_video"):
        assert materialization_metadata(instance, second.run_id, asset)["reused"] is True, asset
    assert materialization_metadata(instance, second.run_id, "speech")["tts_chars_sent"] == 0
    assert mp4.stat().st_mtime_ns == video_mtime


def test_an_edited_script_respeaks_only_the_changed_chunk(tmp_path: Path, sample_media, instance) -> None:
    defs = definitions(local_settings(tmp_path / "home"))
    lecture_id = submit_sample(defs, sample_media)
    assert run(defs, instance, lecture_id).success
    edited = "Sets are collections of distinct objects. We write them with curly braces.\n\nA new ending."
    submit_sample(defs, sample_media, script=edited)
    again = run(defs, instance, lecture_id)
    assert again.success, again.error
    meta = materialization_metadata(instance, again.run_id, "speech")
    assert meta["reused"] is False
    assert meta["tts_chars_sent"] == len("A new ending.")
    assert meta["tts_chars_cached"] > 0
    store = defs.resources["objects"].get_store()
    chunks = list(store.list(f"generated/audio/{lecture_id}/chunks/"))
    assert len(chunks) == meta["chunks"], "chunks of the old script are deleted, the current ones kept"


def test_a_second_lecture_of_the_same_speaker_reuses_the_voice(tmp_path: Path, sample_media, instance) -> None:
    defs = definitions(local_settings(tmp_path / "home"))
    first = submit_sample(defs, sample_media, lecture="one")
    assert run(defs, instance, first).success
    store = defs.resources["objects"].get_store()
    from lecturer_pipeline.manifest import LectureManifest
    from lecturer_pipeline.uploads import submit_lecture

    second, _ = submit_lecture(store, "cs101", "two", LectureManifest(speaker="ada", script="A second lecture."))
    outcome = run(defs, instance, second)
    assert outcome.success, outcome.error
    assert materialization_metadata(instance, outcome.run_id, "reference_voice")["reused"] is True


def _short_voice(tmp_path: Path) -> Path:
    path = tmp_path / "short.wav"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=220:duration=4", "-ar", "16000", str(path)],
        check=True,
    )
    return path


def test_a_bad_voice_fails_the_lecture_clearly_and_writes_nothing(tmp_path: Path, sample_media, instance) -> None:
    defs = definitions(local_settings(tmp_path / "home"))
    store = defs.resources["objects"].get_store()
    lecture_id = submit_sample(defs, sample_media, voice=_short_voice(tmp_path), speaker="bob")
    outcome = run(defs, instance, lecture_id)
    assert not outcome.success
    assert lecture_id in outcome.error and "uploads/voice/bob.wav" in outcome.error
    assert "10–30 s" in outcome.error
    row = defs.resources["catalog"].get_catalog().get_lecture(lecture_id)
    assert row["status"] == "FAILED" and row["stage"] == "reference_voice"
    assert not store.exists(reference_voice_key("bob"))
    assert not list(store.list("generated/"))
    assert store.exists("uploads/voice/bob.wav"), "a refused upload stays for the operator to inspect"


def test_a_portrait_that_is_not_an_image_fails_clearly(tmp_path: Path, sample_media, instance) -> None:
    defs = definitions(local_settings(tmp_path / "home"))
    fake = tmp_path / "fake.png"
    fake.write_bytes(b"this is not a png at all")
    lecture_id = submit_sample(defs, sample_media, portrait=fake, speaker="eve")
    outcome = run(defs, instance, lecture_id)
    assert not outcome.success
    assert lecture_id in outcome.error and "uploads/portrait/eve.png" in outcome.error
    assert not defs.resources["objects"].get_store().exists(video_key(lecture_id))


def test_a_lecture_needing_an_expired_voice_says_to_upload_it_again(tmp_path: Path, sample_media, instance) -> None:
    from datetime import UTC, datetime, timedelta

    from lecturer_pipeline.manifest import LectureManifest
    from lecturer_pipeline.operations.prune import prune
    from lecturer_pipeline.uploads import submit_lecture

    defs = definitions(local_settings(tmp_path / "home"))
    store, catalog = defs.resources["objects"].get_store(), defs.resources["catalog"].get_catalog()
    assert run(defs, instance, submit_sample(defs, sample_media, lecture="first")).success
    report = prune(store, catalog, now=datetime.now(UTC) + timedelta(days=31), stale_days=7)
    assert report.speaker_ids == ["ada"]
    later, _ = submit_lecture(store, "cs101", "later", LectureManifest(speaker="ada", script="A later lecture."))
    outcome = run(defs, instance, later)
    assert not outcome.success
    assert "deleted" in outcome.error and "uploads/voice/ada.wav" in outcome.error and later in outcome.error


def test_no_voice_is_touched_without_consent(tmp_path: Path, sample_media, instance) -> None:
    from lecturer_pipeline.manifest import LectureManifest
    from lecturer_pipeline.uploads import submit_lecture, submit_speaker_files

    defs = definitions(local_settings(tmp_path / "home"))
    store, catalog = defs.resources["objects"].get_store(), defs.resources["catalog"].get_catalog()
    submit_speaker_files(store, "zoe", voice=sample_media["voice"], portrait=sample_media["portrait"])
    lecture_id, _ = submit_lecture(store, "cs101", "unconsented", LectureManifest(speaker="zoe", script="Hello."))
    outcome = run(defs, instance, lecture_id)
    assert not outcome.success
    assert "no consent record" in outcome.error and "--consent" in outcome.error and lecture_id in outcome.error
    assert not list(store.list("voices/")), "nothing of the voice is processed without consent"

    consented = LectureManifest(
        speaker="zoe", script="Hello.", consent={"by": "Zoe Z.", "statement": "I agree to my voice being cloned."}
    )
    submit_lecture(store, "cs101", "unconsented", consented)
    again = run(defs, instance, lecture_id)
    assert again.success, again.error
    meta = materialization_metadata(instance, again.run_id, "reference_voice")
    assert meta["consent_by"] == "Zoe Z." and meta["consent"] == "I agree to my voice being cloned."
    assert catalog.get_speaker("zoe")["consent"]["source"] == "uploads/lectures/cs101/unconsented.json"


def test_each_service_pool_is_held_by_the_steps_that_call_it_only(tmp_path: Path) -> None:
    """A pool slot is held for a whole step: the renderer's must cover the renders, not the join, poster and checks
    that follow (they run in ``video``, so the next lecture's render starts meanwhile)."""
    defs = definitions(local_settings(tmp_path / "home"))
    graph = defs.resolve_asset_graph()
    pools = {key.to_user_string(): defs.get_assets_def(key).op.pool for key in graph.get_all_asset_keys()}
    held = {asset: pool for asset, pool in pools.items() if pool}
    assert held == {"lecture_script": "ollama", "speech": "zyphra", "video_segments": "kdtalker"}
