"""(6) QA cost: the time the quality checks take per lecture, against the modelled TTS service time.

A lecture of ``seconds`` of speech is spoken chunk by chunk by the Zyphra stand-in (a cloning engine, so speaker
similarity runs too); every chunk goes through ``SpeechChecker`` (ASR + similarity + signal), and one preview
segment of the speech through the segment checks. Goal: QA <= 10 % of the modelled TTS time (``tts_latency`` s per
second of audio). Model loads (pocketsphinx, torch + resemblyzer) happen once per process and are reported apart.
"""

from __future__ import annotations

import base64
import time
from pathlib import Path
from typing import Any

from lecturer_pipeline.engines.base import SpeakerProfile
from lecturer_pipeline.engines.local import PreviewVideoEngine
from lecturer_pipeline.engines.zyphra import ZyphraSpeechEngine
from lecturer_pipeline.media.audio import concat_wavs
from lecturer_pipeline.quality.speech import SpeechChecker
from lecturer_pipeline.quality.video import check_segment, portrait_has_face
from lecturer_pipeline.standins.zyphra import ZyphraStandIn
from lecturer_pipeline.text.chunks import plan_chunks

SENTENCES = (
    "Sets are collections of distinct objects, and we write them with curly braces.",
    "Two sets are equal when they have the same members, whatever their order.",
    "The derivative measures how quickly a quantity changes when its input changes a little.",
    "An algorithm is a finite sequence of precise steps that solves a problem.",
)


def measure(workdir: Path, samples: dict[str, Path], *, seconds: float = 30.0, tts_latency: float = 0.5) -> dict:
    workdir.mkdir(parents=True, exist_ok=True)
    words_needed = int(seconds * 160 / 60)
    text, words = [], 0
    while words < words_needed:
        sentence = SENTENCES[len(text) % len(SENTENCES)]
        text.append(sentence)
        words += len(sentence.split())
    chunks = plan_chunks(" ".join(text), language="en-us")
    clip = base64.b64encode(samples["voice"].read_bytes()).decode()
    profile = SpeakerProfile("bench", "b" * 64, speaker_audio_b64=clip)
    with ZyphraStandIn() as zyphra:
        engine = ZyphraSpeechEngine(zyphra.api_key, zyphra.base_url, mime_type="audio/wav")
        started = time.perf_counter()
        checker = SpeechChecker(engine, profile, "en-us", workdir)  # loads the voice encoder, embeds the reference
        load_seconds = time.perf_counter() - started
        parts, audio_seconds, verdicts = [], 0.0, []
        for index, chunk in enumerate(chunks):
            wav = workdir / f"chunk-{index:03d}.wav"
            audio_seconds += engine.synthesize(chunk.text, profile, wav, language="en-us")
            verdicts.append(checker.check(index, chunk.text, wav))
            parts.append(wav)
    speech_qa = sum(v.qa_seconds for v in verdicts)
    speech = workdir / "speech.wav"
    concat_wavs(parts, speech, gap_seconds=0.25)
    video = workdir / "preview.mp4"
    PreviewVideoEngine().render(samples["portrait"], speech, video)
    started = time.perf_counter()
    segment = check_segment(0, video, speech, lip_sync=False, expect_face=portrait_has_face(samples["portrait"]))
    video_qa = time.perf_counter() - started
    modelled_tts = tts_latency * audio_seconds
    fraction = (speech_qa + video_qa) / modelled_tts if modelled_tts else float("inf")
    details: dict[str, Any] = {
        "audio_seconds": round(audio_seconds, 1),
        "chunks": len(chunks),
        "speech_qa_seconds": round(speech_qa, 2),
        "video_qa_seconds": round(video_qa, 2),
        "model_load_seconds": round(load_seconds, 2),
        "modelled_tts_seconds": round(modelled_tts, 1),
        "qa_fraction_of_tts": round(fraction, 3),
        "qa_seconds_per_audio_second": round((speech_qa + video_qa) / audio_seconds, 3) if audio_seconds else None,
        "all_chunks_passed": all(v.passed for v in verdicts),
        "segment_passed": segment.passed,
    }
    return {
        "value": round(fraction, 3),
        "goal": "<= 0.10 of modelled TTS time",
        "met": fraction <= 0.10,
        "inputs": {"seconds": seconds, "tts_latency": tts_latency},
        "details": details,
    }
