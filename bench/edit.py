"""(2) Edit re-spend: rewrite one paragraph of a 20-paragraph lecture and run it again; the TTS characters and
render seconds spent again, as a fraction of what the full lecture cost.

Counted at the stand-ins (what the services would bill: characters spoken, seconds rendered), cross-checked with
the ``speech`` and ``video`` materialisations' own figures. The fraction does not depend on the services' latency,
so the stand-ins run at zero latency here.
"""

from __future__ import annotations

import contextlib
import uuid
from pathlib import Path
from typing import Any

import dagster as dg

from bench.common import WORDS_PER_SECOND, Servers, Services, log, paragraph_text
from bench.deployment import dagster_yaml
from lecturer_pipeline.definitions import build_definitions
from lecturer_pipeline.runner import run_lecture
from lecturer_pipeline.settings import Settings
from lecturer_pipeline.standins.sample_lecture import CONSENT, materialization_metadata
from lecturer_pipeline.uploads import submit_lecture, submit_speaker_files

PARAGRAPHS = 20
EDITED = 7  # the eighth paragraph
GOAL = 1.5 / PARAGRAPHS


def _script(words: int, edited: bool) -> str:
    paragraphs = [paragraph_text(f"topic {i + 1}", words) for i in range(PARAGRAPHS)]
    if edited:  # every sentence of the paragraph changes: its whole text is spoken and rendered again
        paragraphs[EDITED] = paragraph_text(f"revised topic {EDITED + 1}", words, variant=3)
    return "\n\n".join(paragraphs)


def measure(
    servers: Servers,
    services: Services,
    workdir: Path,
    media: dict[str, Path],
    *,
    paragraph_seconds: float,
) -> dict[str, Any]:
    from lecturer_pipeline.manifest import LectureManifest

    services.set_latency(0.0, 0.0)
    words = round(paragraph_seconds * WORDS_PER_SECOND)
    with contextlib.ExitStack() as stack:
        home = workdir / "dagster"
        home.mkdir(parents=True, exist_ok=True)
        (home / "dagster.yaml").write_text(dagster_yaml(servers.new_database(stack), max_concurrent_runs=None))
        instance = stack.enter_context(dg.DagsterInstance.from_config(str(home)))
        settings = Settings(
            lecturer_home=workdir / "home",
            lecturer_s3_endpoint_url=servers.s3.endpoint_url,
            lecturer_s3_bucket=f"bench-edit-{uuid.uuid4().hex[:10]}",  # nothing cached from an earlier bench
            aws_access_key_id=servers.s3.access_key,
            aws_secret_access_key=servers.s3.secret_key,
            lecturer_database_url=servers.new_database(stack),
            zyphra_api_key=services.zyphra.api_key,
            zyphra_base_url=services.zyphra.base_url,
            kdtalker_url=services.kdtalker.url,
        )
        defs = build_definitions(settings)
        store = defs.resources["objects"].get_store()
        submit_speaker_files(store, "ada", voice=media["voice"], portrait=media["portrait"], consent=CONSENT)

        def run(edited: bool) -> tuple[dict[str, float], dict, dict]:
            manifest = LectureManifest(title="edit", speaker="ada", script=_script(words, edited))
            lecture_id, _ = submit_lecture(store, "bench", "edit", manifest)
            chars, rendered = services.zyphra.chars_served, services.kdtalker.seconds_rendered
            with open(workdir / "runs.log", "a") as sink, contextlib.redirect_stderr(sink):
                outcome = run_lecture(defs, instance, lecture_id)
            if not outcome.success:
                raise RuntimeError(f"the edit lecture failed: {outcome.error}")
            spent = {
                "tts_chars": services.zyphra.chars_served - chars,
                "render_seconds": services.kdtalker.seconds_rendered - rendered,
            }
            speech = materialization_metadata(instance, outcome.run_id, "speech")
            video = materialization_metadata(instance, outcome.run_id, "video")
            return spent, speech, video

        full, speech_full, video_full = run(edited=False)
        log(f"edit: full lecture {full['tts_chars']} chars, {full['render_seconds']:.0f} s rendered")
        again, speech_edit, video_edit = run(edited=True)
        log(f"edit: after the edit {again['tts_chars']} chars, {again['render_seconds']:.1f} s rendered again")
    tts_fraction = again["tts_chars"] / full["tts_chars"]
    render_fraction = again["render_seconds"] / full["render_seconds"]
    worst = max(tts_fraction, render_fraction)
    return {
        "value": round(worst, 4),
        "goal": f"≤ {GOAL:.3f} (1.5 × 1/{PARAGRAPHS})",
        "met": worst <= GOAL,
        "unit": "of a full render (worst of TTS, render)",
        "inputs": {
            "paragraphs": PARAGRAPHS,
            "edited_paragraph": EDITED + 1,
            "edit": "every sentence of the paragraph rewritten",
            "lecture_seconds": round(speech_full["duration_seconds"], 1),
            "chunks": speech_full["chunks"],
            "segments": video_full["segments"],
            "stand_ins": "zero latency (the fraction does not depend on it)",
            "storage": "S3 (Ceph RGW), catalog and Dagster storage on PostgreSQL; runner.run_lecture in-process",
        },
        "details": {
            "tts_fraction": round(tts_fraction, 4),
            "render_fraction": round(render_fraction, 4),
            "tts_chars_full": full["tts_chars"],
            "tts_chars_after_edit": again["tts_chars"],
            "render_seconds_full": round(full["render_seconds"], 2),
            "render_seconds_after_edit": round(again["render_seconds"], 2),
            "metadata_tts_chars_sent": speech_edit["tts_chars_sent"],
            "metadata_tts_chars_cached": speech_edit["tts_chars_cached"],
            "metadata_requests": speech_edit["requests"],
            "metadata_render_seconds_sent": video_edit["render_seconds_sent"],
            "metadata_render_seconds_cached": video_edit["render_seconds_cached"],
            "metadata_renders": video_edit["renders"],
        },
    }
