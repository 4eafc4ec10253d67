"""A course under random faults, retried per call: six lectures of 16 chunks each while Zyphra and KDTalker fail 30 %
of their calls at random, with seeds drawn afresh on every run (printed on failure, to replay it).

Every lecture must complete, and the stand-ins' counters must show that no call that succeeded was made again:
each chunk's text was served exactly once, each segment rendered exactly once. The faults are the transient ones
each service really sends (Zyphra: 429 with Retry-After, 500, Cloudflare 502/524 pages, resets, a 200 that is not
audio; KDTalker on ZeroGPU: a spent quota, with and without a stated wait), none that leaves work done behind a
timed-out client. Delays are kept small through settings (10 ms first back-off) and chunks short (1 s of speech).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from lecturer_pipeline.definitions import build_definitions
from lecturer_pipeline.manifest import LectureManifest
from lecturer_pipeline.settings import Settings
from lecturer_pipeline.standins.kdtalker import KDTalkerStandIn
from lecturer_pipeline.standins.zyphra import DEFAULT_FAILURE_MIX, ZyphraStandIn
from lecturer_pipeline.uploads import submit_lecture, submit_speaker_files
from lecturer_pipeline_tests.pipeline_helpers import CONSENT, materialization_metadata, run

pytestmark = pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning")

FAIL_RATE = 0.3
LECTURES = 6
WORDS = ("short", "clear", "simple", "neat", "bold", "fresh", "plain", "calm")
WORDS += ("quick", "small", "sharp", "sound", "fine", "good", "true", "fair")
KDTALKER_FAULTS = (
    ("quota", "You have exceeded your GPU quota (60s requested vs. 56s left). Create a free account for more quota."),
    ("quota", "You have exceeded your GPU quota (46s left vs. 60s requested). Sign-up on Hugging Face to get more "
     "quotas or retry in 0:00:01."),
)  # fmt: skip


def _script(lecture: int) -> str:
    """One paragraph of 16 sentences of about 18 characters: 16 chunks at 1 s of speech per chunk (~25 s in all)."""
    return " ".join(f"Point {lecture}.{i} is {word}." for i, word in enumerate(WORDS, 1))


@pytest.fixture(scope="module")
def zyphra() -> Iterator[ZyphraStandIn]:
    with ZyphraStandIn() as server:
        yield server


@pytest.fixture(scope="module")
def kdtalker() -> Iterator[KDTalkerStandIn]:
    with KDTalkerStandIn() as server:
        yield server


def test_a_course_completes_under_random_faults_and_no_successful_call_is_repeated(
    tmp_path: Path, sample_media, zyphra: ZyphraStandIn, kdtalker: KDTalkerStandIn
) -> None:
    seeds = {name: random.SystemRandom().randrange(2**32) for name in ("zyphra", "kdtalker")}
    replay = f"seeds {seeds} (replay with these in fail_rate)"
    settings = Settings(
        lecturer_home=tmp_path / "home",
        zyphra_api_key=zyphra.api_key,
        zyphra_base_url=zyphra.base_url,
        lecturer_zyphra_mime_type="audio/wav",
        kdtalker_url=kdtalker.url,
        lecturer_chunk_seconds=1.0,
        lecturer_segment_seconds=10.0,
        lecturer_call_retry_delay_seconds=0.01,
    )
    defs = build_definitions(settings)
    store = defs.resources["objects"].get_store()
    catalog = defs.resources["catalog"].get_catalog()
    submit_speaker_files(store, "ada", voice=sample_media["voice"], portrait=sample_media["portrait"], consent=CONSENT)
    lectures = [
        submit_lecture(store, "faults101", f"part{n}", LectureManifest(speaker="ada", script=_script(n)))[0]
        for n in range(1, LECTURES + 1)
    ]
    for standin in (zyphra, kdtalker):
        standin.reset()
    zyphra.fail_rate(FAIL_RATE, seed=seeds["zyphra"], behaviours=DEFAULT_FAILURE_MIX)
    kdtalker.fail_rate(FAIL_RATE, seed=seeds["kdtalker"], behaviours=KDTALKER_FAULTS)
    speech, video = {}, {}
    try:
        with dg.instance_for_test() as instance:
            for lecture in lectures:
                outcome = run(defs, instance, lecture)
                assert outcome.success, f"{lecture} failed with {replay}: {outcome.error}"
                speech[lecture] = materialization_metadata(instance, outcome.run_id, "speech")
                video[lecture] = materialization_metadata(instance, outcome.run_id, "video_segments")
    finally:
        for standin in (zyphra, kdtalker):
            standin.fail_rate(0)

    assert {catalog.get_lecture(lecture)["status"] for lecture in lectures} == {"COMPLETED"}
    chunks = [meta["chunks"] for meta in speech.values()]
    assert min(chunks) >= 15, chunks
    assert zyphra.injected > 0 and kdtalker.injected > 0, replay

    # No successful call repeated: each chunk's text served once, each segment rendered once.
    served = Counter(zyphra.served_texts)
    assert max(served.values()) == 1 and sum(served.values()) == sum(chunks), replay
    assert zyphra.calls == sum(chunks) + zyphra.injected, replay
    segments = sum(meta["segments"] for meta in video.values())
    assert kdtalker.renders == segments and kdtalker.calls == segments + kdtalker.injected, replay
