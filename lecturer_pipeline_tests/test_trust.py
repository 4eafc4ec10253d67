"""Voice prints at rest, erasure, key rotation, secrets and signed URLs — against real S3 and PostgreSQL."""

from __future__ import annotations

import json
import re
import struct
import urllib.parse
import urllib.request
import wave
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa

from lecturer_pipeline.definitions import build_definitions
from lecturer_pipeline.manifest import LectureManifest
from lecturer_pipeline.media.audio import normalise_voice
from lecturer_pipeline.security.envelope import MAGIC, new_master_key
from lecturer_pipeline.settings import Settings
from lecturer_pipeline.storage.layout import reference_voice_key
from lecturer_pipeline.uploads import submit_lecture
from lecturer_pipeline_tests.pipeline_helpers import run, run_cli, submit_sample

# Whole container headers, long enough that ciphertext cannot match them by chance (a bare "ID3" would, ~4 % of
# the time in a 650 kB blob).
AUDIO_HEADERS = re.compile(
    rb"RIFF.{4}WAVE|OggS\x00[\x00-\x07]|\x1a\x45\xdf\xa3.{0,64}webm|ID3[\x02-\x04]\x00|fLaC\x00\x00\x00\x22", re.DOTALL
)


@pytest.fixture
def instance():
    with dg.instance_for_test() as instance:
        yield instance


def _s3_settings(tmp_path: Path, s3_server, s3_bucket: str, pg_url: str, **extra) -> Settings:
    return Settings(
        lecturer_home=tmp_path / "home",
        lecturer_s3_endpoint_url=s3_server.endpoint_url,
        lecturer_s3_bucket=s3_bucket,
        aws_access_key_id=s3_server.access_key,
        aws_secret_access_key=s3_server.secret_key,
        lecturer_database_url=pg_url,
        **extra,
    )


def _env(settings: Settings) -> dict[str, str]:
    """The same configuration as environment variables, for the CLI."""
    names = {
        "LECTURER_S3_ENDPOINT_URL": settings.lecturer_s3_endpoint_url,
        "LECTURER_S3_BUCKET": settings.lecturer_s3_bucket,
        "AWS_ACCESS_KEY_ID": settings.aws_access_key_id,
        "AWS_SECRET_ACCESS_KEY": settings.aws_secret_access_key,
        "LECTURER_DATABASE_URL": settings.lecturer_database_url,
        "LECTURER_MASTER_KEYS": settings.lecturer_master_keys,
    }
    return {name: value for name, value in names.items() if value}


def _voice_fingerprints(sample_voice: Path, tmp_path: Path) -> list[bytes]:
    """Slices of the uploaded file and of the normalised clip: no stored object may contain either."""
    normalised = tmp_path / "normalised.wav"
    normalise_voice(sample_voice, normalised)
    with wave.open(str(normalised)) as clip:
        clip.setpos(clip.getnframes() // 2)
        pcm = clip.readframes(2000)
    raw = sample_voice.read_bytes()
    return [raw[len(raw) // 2 : len(raw) // 2 + 4000], pcm]


def test_no_object_holds_a_plaintext_reference_voice(tmp_path, sample_media, s3_server, s3_bucket, pg_url, instance):
    defs = build_definitions(_s3_settings(tmp_path, s3_server, s3_bucket, pg_url))
    store = defs.resources["objects"].get_store()
    lecture_id = submit_sample(defs, sample_media)
    assert run(defs, instance, lecture_id).success
    fingerprints = _voice_fingerprints(sample_media["voice"], tmp_path)
    keys = [info.key for info in store.list()]
    assert any(k.startswith("voices/ada/") for k in keys) and not any(k.startswith("uploads/voice/") for k in keys)
    for key in keys:
        data = store.get_bytes(key)
        assert not any(f in data for f in fingerprints), f"{key} holds the reference voice"
        if key.startswith("voices/"):
            assert data.startswith(MAGIC), key
            assert not AUDIO_HEADERS.search(data), f"{key} has an audio header in clear"


def test_forget_speaker_leaves_nothing_of_the_voice(tmp_path, sample_media, s3_server, s3_bucket, pg_url, instance):
    settings = _s3_settings(tmp_path, s3_server, s3_bucket, pg_url)
    defs = build_definitions(settings)
    store, catalog = defs.resources["objects"].get_store(), defs.resources["catalog"].get_catalog()
    first = submit_sample(defs, sample_media, lecture="one")
    assert run(defs, instance, first).success
    second, _ = submit_lecture(store, "cs101", "two", LectureManifest(speaker="ada", script="Another lecture."))
    assert run(defs, instance, second).success
    other = submit_sample(defs, sample_media, lecture="other", speaker="bob")
    assert run(defs, instance, other).success
    fingerprint = catalog.get_speaker("ada")["voice_sha256"]

    done = run_cli(tmp_path / "home", "forget-speaker", "ada", env=_env(settings))
    assert done.returncode == 0, done.stderr
    assert "deleted: voices/ada/reference.enc" in done.stdout and "lecture: cs101--two (erased)" in done.stdout

    keys = [info.key for info in store.list()]
    assert not [
        k
        for k in keys
        if "/ada" in k or "ada." in k or k.startswith(("generated/audio/cs101--one", "generated/video/cs101--two"))
    ]
    assert any(k.startswith("voices/bob/") for k in keys), "another speaker is untouched"
    bob_voice = _voice_fingerprints(sample_media["voice"], tmp_path)  # same sample for both speakers
    for key in keys:
        if not key.startswith(("voices/bob/", "generated/audio/cs101--other", "generated/video/cs101--other")):
            assert not any(f in store.get_bytes(key) for f in bob_voice), key
    with sa.create_engine(pg_url).connect() as connection:
        assert connection.execute(sa.text("select count(*) from speakers where id = 'ada'")).scalar_one() == 0
        statuses = dict(connection.execute(sa.text("select id, status from lectures")).all())
        rows = [
            *connection.execute(sa.text("select * from lectures where speaker = 'ada'")).all(),
            *connection.execute(sa.text("select * from speakers where id <> 'bob'")).all(),
            *connection.execute(sa.text("select * from artefacts where lecture_id <> 'cs101--other'")).all(),
        ]
        dump = json.dumps([list(map(str, row)) for row in rows])  # bob shares the sample voice: his rows excepted
    assert statuses == {"cs101--one": "ERASED", "cs101--two": "ERASED", "cs101--other": "COMPLETED"}
    assert fingerprint not in dump, "the voice's fingerprint is gone from every table"


def _envelope_parts(blob: bytes) -> dict:
    """A sealed object's header fields and its ciphertext, read by the format's own rules (MAGIC, length, JSON)."""
    assert blob.startswith(MAGIC)
    (length,) = struct.unpack_from(">I", blob, len(MAGIC))
    start = len(MAGIC) + 4
    return {**json.loads(blob[start : start + length]), "ciphertext": blob[start + length :]}


def test_rotation_and_wrong_keys(tmp_path, sample_media, s3_server, s3_bucket, pg_url, instance):
    old, new = new_master_key(), new_master_key()
    defs = build_definitions(_s3_settings(tmp_path, s3_server, s3_bucket, pg_url, lecturer_master_keys=old))
    store = defs.resources["objects"].get_store()
    lecture_id = submit_sample(defs, sample_media)
    assert run(defs, instance, lecture_id).success
    sealed = store.get_bytes(reference_voice_key("ada"))

    # A wrong key: a clear, permanent error; a new upload does not overwrite the voice sealed under the right key.
    wrong = _s3_settings(tmp_path, s3_server, s3_bucket, pg_url, lecturer_master_keys=new)
    wrong_defs = build_definitions(wrong)
    replacement = tmp_path / "replacement.wav"
    replacement.write_bytes(sample_media["voice"].read_bytes()[:-3200])  # a different 10–30 s upload
    submit_sample(wrong_defs, sample_media, voice=replacement)
    failed = run(wrong_defs, instance, lecture_id)
    assert not failed.success and "LECTURER_MASTER_KEYS" in failed.error and lecture_id in failed.error
    assert store.get_bytes(reference_voice_key("ada")) == sealed
    store.delete("uploads/voice/ada.wav")

    # README: "A missing ... key fails the lecture with an error naming the variable and never overwrites a stored
    # voice." No LECTURER_MASTER_KEYS at all (the embedded default then makes a key file of its own), and a new
    # upload waiting: the lecture fails, and the stored voice keeps every byte.
    missing = build_definitions(_s3_settings(tmp_path, s3_server, s3_bucket, pg_url))
    submit_sample(missing, sample_media, voice=replacement)
    failed = run(missing, instance, lecture_id)
    assert not failed.success and "LECTURER_MASTER_KEYS" in failed.error
    assert store.get_bytes(reference_voice_key("ada")) == sealed
    store.delete("uploads/voice/ada.wav")

    rotated = _s3_settings(tmp_path, s3_server, s3_bucket, pg_url, lecturer_master_keys=f"{new},{old}")
    done = run_cli(tmp_path / "home", "rotate-keys", env=_env(rotated))
    assert done.returncode == 0, done.stderr
    assert "rewrapped: voices/ada/reference.enc" in done.stdout and "rewrapped: voices/ada/profile.enc" in done.stdout
    # README: "re-wraps every sealed object; the voice ciphertext is unchanged": only the wrapped data key (and the
    # key id and nonce it was wrapped with) differ; the encrypted voice after the header is the very same bytes.
    before, after = _envelope_parts(sealed), _envelope_parts(store.get_bytes(reference_voice_key("ada")))
    assert after["ciphertext"] == before["ciphertext"] and after["nonce"] == before["nonce"]
    assert after["wrapped_key"] != before["wrapped_key"] and after["kid"] != before["kid"]
    again = run_cli(tmp_path / "home", "rotate-keys", env=_env(rotated))
    assert "0 objects re-wrapped" in again.stdout

    only_new = build_definitions(_s3_settings(tmp_path, s3_server, s3_bucket, pg_url, lecturer_master_keys=new))
    outcome = run(only_new, instance, lecture_id)
    assert outcome.success, outcome.error


def test_secrets_stay_out_of_logs_metadata_and_config(
    tmp_path, sample_media, s3_server, s3_bucket, pg_url, instance, monkeypatch
):
    master = new_master_key()
    for name, value in _env(_s3_settings(tmp_path, s3_server, s3_bucket, pg_url, lecturer_master_keys=master)).items():
        monkeypatch.setenv(name, value)
    # As a deployment does: every secret read from its variable (one passed in code would be used, and shown, as is).
    settings = Settings(lecturer_home=tmp_path / "home")
    defs = build_definitions(settings)
    lecture_id = submit_sample(defs, sample_media)
    outcome = run(defs, instance, lecture_id)
    assert outcome.success, outcome.error
    broken, _ = submit_lecture(
        defs.resources["objects"].get_store(), "cs101", "broken", LectureManifest(speaker="nobody", script="x")
    )
    assert not run(defs, instance, broken).success
    shown = [repr(defs.resources[name]) for name in ("objects", "catalog", "vault")]
    assert "'AWS_SECRET_ACCESS_KEY'" in shown[0] and "'LECTURER_DATABASE_URL'" in shown[1]
    assert "'LECTURER_MASTER_KEYS'" in shown[2]
    run_ids = [record.dagster_run.run_id for record in instance.get_run_records()]
    events = [str(r.event_log_entry) for run_id in run_ids for r in instance.get_records_for_run(run_id).records]
    assert len(run_ids) == 2 and any("STEP_FAILURE" in text for text in events), "a failed run's log is searched too"
    for secret in (s3_server.secret_key, master):
        assert not any(secret in text for text in shown), "resource config shows the variable, not the value"
        assert not any(secret in text for text in events)


def test_signed_urls_expire_and_are_reissued(tmp_path, sample_media, s3_server, s3_bucket, pg_url, instance):
    settings = _s3_settings(tmp_path, s3_server, s3_bucket, pg_url)
    defs = build_definitions(settings)
    lecture_id = submit_sample(defs, sample_media)
    outcome = run(defs, instance, lecture_id)
    assert outcome.success
    query = urllib.parse.parse_qs(urllib.parse.urlparse(outcome.video).query)
    assert query["X-Amz-Expires"] == ["604800"], "7 days by default, the S3 maximum"
    issued = run_cli(tmp_path / "home", "url", lecture_id, "--expires", "60", env=_env(settings))
    assert issued.returncode == 0, issued.stderr
    url = issued.stdout.splitlines()[-1].removeprefix("video: ")
    assert urllib.parse.parse_qs(urllib.parse.urlparse(url).query)["X-Amz-Expires"] == ["60"]
    with urllib.request.urlopen(url, timeout=30) as response:
        assert response.read(8)[4:8] == b"ftyp"
    assert defs.resources["catalog"].get_catalog().get_lecture(lecture_id)["video_url"] == url
    too_long = run_cli(tmp_path / "home", "url", lecture_id, "--expires", "700000", env=_env(settings))
    assert too_long.returncode == 2 and "7 days" in too_long.stderr
