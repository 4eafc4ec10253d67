"""(9) QA cost: what the quality checks add to a lecture's speech and video steps, against the modelled TTS time.

A lecture of ``seconds`` of speech goes through the real stages: ``synthesize_speech`` with the quality gate on the
Zyphra stand-in (a cloning engine, so speaker similarity runs too), which answers each request after
``tts_latency`` s per second of audio as the service would; then ``render_segments`` on the KDTalker stand-in,
``render_latency`` s per second (a GPU render). The checks run beside those calls (``quality/beside.py``), so two
figures are reported: the checks' own time (compute), and what they ADD to the steps — the time the steps waited
for verdicts. Goal: the added time <= 10 % of the modelled TTS time. Model loads (pocketsphinx, torch +
resemblyzer) happen once per process and are reported apart.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import time
from pathlib import Path
from typing import Any

from lecturer_pipeline.engines.base import SpeakerProfile
from lecturer_pipeline.engines.kdtalker import KDTalkerVideoEngine
from lecturer_pipeline.engines.zyphra import ZyphraSpeechEngine
from lecturer_pipeline.model import Artefact, LectureScript
from lecturer_pipeline.quality import asr
from lecturer_pipeline.quality.speech import SpeechChecker
from lecturer_pipeline.stages.speech import synthesize_speech
from lecturer_pipeline.stages.video import render_segments
from lecturer_pipeline.standins.kdtalker import KDTalkerStandIn
from lecturer_pipeline.standins.zyphra import ZyphraStandIn
from lecturer_pipeline.storage.catalog import Catalog
from lecturer_pipeline.storage.local import LocalObjectStore
from lecturer_pipeline.storage.objects import sha256_file

SENTENCES = (
    "Sets are collections of distinct objects, and we write them with curly braces.",
    "Two sets are equal when they have the same members, whatever their order.",
    "The derivative measures how quickly a quantity changes when its input changes a little.",
    "An algorithm is a finite sequence of precise steps that solves a problem.",
)


def _script(seconds: float) -> LectureScript:
    words_needed = int(seconds * 160 / 60)
    sentences, words = [], 0
    while words < words_needed:
        sentence = SENTENCES[len(sentences) % len(SENTENCES)]
        sentences.append(sentence)
        words += len(sentence.split())
    # Paragraphs of four sentences: the video stage renders a segment per paragraph (at most 60 s).
    text = "\n\n".join(" ".join(sentences[i : i + 4]) for i in range(0, len(sentences), 4))
    digest = hashlib.sha256(text.encode()).hexdigest()
    return LectureScript("bench--qa", "bench", "QA cost", "bench", "en-us", text, digest)


def measure(
    workdir: Path,
    samples: dict[str, Path],
    *,
    seconds: float = 60.0,
    tts_latency: float = 0.5,
    render_latency: float = 1.2,
) -> dict:
    workdir.mkdir(parents=True, exist_ok=True)
    store = LocalObjectStore(workdir / "objects")
    catalog = Catalog(f"sqlite:///{workdir / 'catalog.sqlite'}")
    clip = base64.b64encode(samples["voice"].read_bytes()).decode()
    profile = SpeakerProfile("bench", "b" * 64, speaker_audio_b64=clip)
    script = _script(seconds)
    for folder in ("speech", "video"):
        (workdir / folder).mkdir(exist_ok=True)
    with (
        ZyphraStandIn(latency_per_audio_second=tts_latency) as zyphra,
        KDTalkerStandIn(latency_per_second=render_latency) as kdtalker,
    ):
        engine = ZyphraSpeechEngine(zyphra.api_key, zyphra.base_url, mime_type="audio/wav")
        started = time.perf_counter()  # model loads, once per process: not part of any lecture's cost
        SpeechChecker(engine, profile, "en-us", workdir)
        asr.recognise(samples["voice"], "hello", language="en-us")
        load_seconds = time.perf_counter() - started

        started = time.perf_counter()
        renderer = KDTalkerVideoEngine(kdtalker.url)
        speech = synthesize_speech(
            store, catalog, engine, script, profile, workdir / "speech", fps=renderer.fps, quality=True
        )
        speech_wall = time.perf_counter() - started
        assert speech.path is not None
        store.put_file(speech.key, speech.path, content_type="audio/wav")
        png = workdir / "portrait.png"  # the stage deletes its local inputs when done: a copy of the sample
        shutil.copyfile(samples["portrait"], png)
        portrait = Artefact("portrait", "bench/portrait.png", sha256_file(png), 0, "", path=png)
        started = time.perf_counter()
        segments = render_segments(store, catalog, renderer, script.lecture_id, speech, portrait, workdir / "video")
        video_wall = time.perf_counter() - started
    catalog.dispose()
    audio_seconds = speech.duration or 0.0
    qa = speech.details
    speech_compute, speech_added = qa["qa_seconds"], qa["qa_waited_seconds"]
    video_compute, video_added = segments.details["qa_video_seconds"], segments.details["qa_video_waited_seconds"]
    modelled_tts = tts_latency * audio_seconds
    added = (speech_added + video_added) / modelled_tts if modelled_tts else float("inf")
    compute = (speech_compute + video_compute) / modelled_tts if modelled_tts else float("inf")
    details: dict[str, Any] = {
        "audio_seconds": round(audio_seconds, 1),
        "chunks": qa["chunks"],
        "segments": segments.details["segments"],
        "speech_qa_seconds": round(speech_compute, 2),
        "speech_qa_added_seconds": round(speech_added, 2),
        "video_qa_seconds": round(video_compute, 2),
        "video_qa_added_seconds": round(video_added, 2),
        "speech_step_seconds": round(speech_wall, 1),
        "video_step_seconds": round(video_wall, 1),
        "model_load_seconds": round(load_seconds, 2),
        "modelled_tts_seconds": round(modelled_tts, 1),
        "qa_compute_fraction_of_tts": round(compute, 3),
        "qa_added_fraction_of_tts": round(added, 3),
        "all_chunks_passed": qa["qa_passed"],
        "asked_again": qa["qa_asked_again"],
    }
    return {
        "value": round(added, 3),
        "goal": "QA added to the steps <= 0.10 of modelled TTS time",
        "met": added <= 0.10,
        "inputs": {"seconds": seconds, "tts_latency": tts_latency, "render_latency": render_latency},
        "details": details,
    }
