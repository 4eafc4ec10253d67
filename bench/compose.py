"""(6) Composition: the 1920×1080 lecture video composed from a deck and the talking head's render segments, as a
fraction of the lecture's length (wall time), and the share re-composed after a one-paragraph edit.

The stage itself runs (``stages.compose.compose_lecture``: cards, every segment over its slide, the sound track,
the join, the C2PA signature and its verification) on a local object store and catalog; the inputs are made here
the way the pipeline would hand them over — a PDF deck rendered by ``stages.deck``, 512×512 25 fps head segments
as KDTalker answers, and the speech record with its timeline. CPU seconds are reported beside the wall time,
because on a shared machine the wall time depends on what else runs.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

from bench.common import log
from lecturer_pipeline.model import Artefact, LectureScript
from lecturer_pipeline.security.c2pa_sign import load_signing_pair
from lecturer_pipeline.stages.common import input_hash
from lecturer_pipeline.stages.compose import ComposeOptions, compose_lecture
from lecturer_pipeline.stages.deck import prepare_deck
from lecturer_pipeline.storage.catalog import ArtefactRow, Catalog
from lecturer_pipeline.storage.local import LocalObjectStore
from lecturer_pipeline.storage.objects import sha256_file
from lecturer_pipeline.text.script import text_sha256

GOAL_X_REALTIME = 0.5
QUIET = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y"]
LECTURE = "bench--compose"


def _ffmpeg(*args: str) -> None:
    subprocess.run([*QUIET, *args], check=True, capture_output=True)


def _head_segment(dst: Path, seconds: float, hue: int) -> Path:
    """A 512×512 25 fps H.264 + AAC segment (KDTalker's shape), with moving content so the encoder has work."""
    _ffmpeg(
        "-f", "lavfi", "-i", f"testsrc2=size=512x512:rate=25:duration={seconds}",
        "-f", "lavfi", "-i", f"sine=frequency=200:duration={seconds}",
        "-vf", f"hue=h={hue}", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-r", "25",
        "-c:a", "aac", "-ar", "16000", "-ac", "1", "-t", f"{seconds:.3f}", str(dst),
    )  # fmt: skip
    return dst


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(workdir: Path, *, seconds: float, paragraphs: int) -> dict[str, Any]:
    workdir.mkdir(parents=True, exist_ok=True)
    store = LocalObjectStore(workdir / "objects")
    catalog = Catalog(f"sqlite:///{workdir / 'catalog.sqlite'}")
    per = round(seconds / paragraphs * 25) / 25  # whole frames, as the speech stage pads them
    script_text = "\n\n".join(f"[slide {n + 1}]\nParagraph {n + 1}." for n in range(paragraphs))
    script = LectureScript(LECTURE, "bench", "Benchmark", "ada", "en-us", script_text, text_sha256(script_text))

    pages = []
    for number in range(paragraphs):
        page = Image.new("RGB", (1280, 720), (30 + 20 * number % 200, 90, 160))
        ImageDraw.Draw(page).text((60, 60), f"Slide {number + 1}: a heading and some text", fill=(255, 255, 255))
        pages.append(page)
    pages[0].save(workdir / "deck.pdf", save_all=True, append_images=pages[1:])
    store.put_file("uploads/lectures/bench/compose.pdf", workdir / "deck.pdf")
    deck_dir = workdir / "deck"
    deck_dir.mkdir()
    deck = prepare_deck(store, catalog, script, deck_dir)
    assert deck.path is not None
    store.put_file(deck.key, deck.path, content_type="application/json")

    speech_wav = workdir / "speech.wav"
    _ffmpeg("-f", "lavfi", "-i", f"sine=frequency=180:duration={per * paragraphs:.3f}", "-ar", "16000", "-ac", "1",
            str(speech_wav))  # fmt: skip
    store.put_file(f"generated/audio/{LECTURE}/speech.wav", speech_wav)
    timeline = [{"start": n * per, "end": n * per + per - 0.25, "text": f"Paragraph {n + 1}.", "paragraph": n,
                 "section": None} for n in range(paragraphs)]  # fmt: skip
    speech = Artefact("speech", f"generated/audio/{LECTURE}/speech.wav", sha256_file(speech_wav),
                      speech_wav.stat().st_size, "bench", duration=per * paragraphs,
                      details={"engine": "bench", "licence": "-", "timeline": timeline,
                               "segment_seconds": [per] * paragraphs})  # fmt: skip
    heads = []
    for number in range(paragraphs):
        clip = _head_segment(workdir / f"head-{number}.mp4", per, 0)
        key = f"generated/video/{LECTURE}/segments/{sha256_file(clip)}-{number}.mp4"
        store.put_file(key, clip)
        heads.append({"key": key, "seconds": per})
    pair = load_signing_pair(None, None, workdir / "home")
    options = ComposeOptions()

    def compose(segments: list[dict]) -> tuple[float, float, Artefact]:
        manifest = workdir / "segments.json"
        manifest.write_text(json.dumps({"segments": segments}))
        seg = Artefact("video_segments", "x", sha256_file(manifest), 1, "x", path=manifest,
                       details={"engine": "bench-head", "licence": "-", "lip_sync": True})  # fmt: skip
        deck_copy = workdir / "deck-copy.json"
        store.get_file(deck.key, deck_copy)
        deck_in = Artefact(**{**deck.__dict__, "path": deck_copy})
        run_dir = workdir / f"run-{time.monotonic_ns()}"
        run_dir.mkdir()
        cpu, start = _children_cpu(), time.perf_counter()
        made = compose_lecture(store, catalog, script, speech, seg, deck_in, run_dir, options=options, signing=pair)
        wall, used = time.perf_counter() - start, _children_cpu() - cpu
        store.put_file(made.key, made.path)
        catalog.record_artefact(ArtefactRow(LECTURE, "lecture_video", made.key, made.sha256, made.bytes,
                                            made.duration, made.input_hash, made.details))  # fmt: skip
        shutil.rmtree(run_dir, ignore_errors=True)
        return wall, used, made

    log(f"compose: {paragraphs} segments of {per:.2f} s, cold")
    wall, cpu, first = compose(heads)
    lecture_seconds = first.duration or 0.0
    log(f"compose: {wall:.1f} s wall, {cpu:.1f} s CPU for {lecture_seconds:.1f} s of lecture")
    edited = [*heads]
    clip = _head_segment(workdir / "head-edited.mp4", per, 90)
    key = f"generated/video/{LECTURE}/segments/{input_hash(edited=sha256_file(clip))}.mp4"
    store.put_file(key, clip)
    edited[paragraphs // 2] = {"key": key, "seconds": per}
    edit_wall, edit_cpu, second = compose(edited)
    fraction = second.details["compose_seconds_sent"] / lecture_seconds
    log(f"compose: after a one-paragraph edit {edit_wall:.1f} s wall, {second.details['parts_composed']} part(s)")
    ratio = wall / lecture_seconds
    limit = 1.5 / paragraphs
    return {
        "value": round(ratio, 3),
        "goal": f"≤ {GOAL_X_REALTIME}× real time; re-compose ≤ {limit:.3f} (1.5 × 1/{paragraphs})",
        "met": ratio <= GOAL_X_REALTIME and fraction <= limit,
        "unit": "composition wall seconds per second of lecture",
        "inputs": {
            "lecture_seconds": round(lecture_seconds, 2),
            "paragraphs": paragraphs,
            "deck_pages": paragraphs,
            "head_segment": "512×512 25 fps H.264 (testsrc2) + AAC",
            "cards_seconds": options.title_seconds + options.end_seconds,
            "includes": "cards, segments over slides, sound track, join, C2PA sign + verify, poster",
        },
        "details": {
            "wall_seconds": round(wall, 2),
            "cpu_seconds": round(cpu, 2),
            "cpu_seconds_per_lecture_second": round(cpu / lecture_seconds, 3),
            "minutes_per_lecture_minute": round(ratio, 3),
            "edit_wall_seconds": round(edit_wall, 2),
            "edit_cpu_seconds": round(edit_cpu, 2),
            "edit_parts_composed": second.details["parts_composed"],
            "recompose_fraction": round(fraction, 4),
            "load_average": [round(v, 2) for v in os.getloadavg()],
        },
    }
