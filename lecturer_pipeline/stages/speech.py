"""Stage 4: the script spoken in the speaker's voice, chunk by chunk, joined into ``speech.wav`` (16 kHz mono).

Each chunk's audio is stored as soon as it is made, under a hash of its text, voice and engine parameters. A retry
or a re-run therefore requests only the chunks that are not stored yet, and an edit re-speaks only what changed.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from lecturer_pipeline.engines.base import SpeakerProfile, SpeechEngine
from lecturer_pipeline.media.audio import concat_wavs, wav_duration
from lecturer_pipeline.model import Artefact, LectureScript
from lecturer_pipeline.stages.common import file_artefact, input_hash, reusable
from lecturer_pipeline.storage.catalog import Catalog
from lecturer_pipeline.storage.layout import speech_chunk_key, speech_chunks_prefix, speech_key
from lecturer_pipeline.storage.objects import ObjectStore
from lecturer_pipeline.text.chunks import chunk_script

GAP_SECONDS = 0.25


def synthesize_speech(
    store: ObjectStore,
    catalog: Catalog,
    engine: SpeechEngine,
    script: LectureScript,
    profile: SpeakerProfile,
    workdir: Path,
) -> Artefact:
    """Speak the script, reusing every chunk already stored for the same text, voice and engine."""
    lecture_id = script.lecture_id
    voice = {"voice": profile.fingerprint, "engine": engine.name, "params": engine.params(), "lang": script.language}
    wanted = input_hash(script=script.sha256, gap=GAP_SECONDS, **voice)
    existing = reusable(store, catalog, lecture_id, "speech", wanted)
    if existing:  # this run spends nothing: every character counts as cached
        before = existing.details
        total = before.get("tts_chars_sent", 0) + before.get("tts_chars_cached", 0)
        return replace(existing, details={**before, "requests": 0, "tts_chars_sent": 0, "tts_chars_cached": total})

    chunks = chunk_script(script.text, language=script.language)
    parts: list[Path] = []
    chunk_seconds: list[float] = []
    keep: set[str] = set()
    chars_sent = chars_cached = requests = 0
    for index, text in enumerate(chunks):
        key = speech_chunk_key(lecture_id, input_hash(text=text, **voice))
        keep.add(key)
        local = workdir / f"chunk-{index:04d}.wav"
        if store.exists(key):
            store.get_file(key, local)
            chars_cached += len(text)
        else:
            engine.synthesize(text, profile, local, language=script.language)
            store.put_file(key, local, content_type="audio/wav")
            chars_sent += len(text)
            requests += 1
        parts.append(local)
        chunk_seconds.append(wav_duration(local))

    out = workdir / "speech.wav"
    duration = concat_wavs(parts, out, gap_seconds=GAP_SECONDS)
    for part in parts:
        part.unlink(missing_ok=True)
    _drop_stale_chunks(store, lecture_id, keep)
    return file_artefact(
        "speech",
        speech_key(lecture_id),
        out,
        wanted,
        duration=duration,
        content_type="audio/wav",
        details={
            "engine": engine.name,
            "licence": engine.licence,
            "cloned": engine.clones_voice,
            "chunks": len(chunks),
            "requests": requests,
            "tts_chars_sent": chars_sent,
            "tts_chars_cached": chars_cached,
            "gap_seconds": GAP_SECONDS,
            "chunk_seconds": chunk_seconds,  # where the sentences are: the video stage cuts segments between them
        },
    )


def _drop_stale_chunks(store: ObjectStore, lecture_id: str, keep: set[str]) -> None:
    """Chunks of earlier versions of the script are no longer part of any speech: delete them."""
    for info in list(store.list(speech_chunks_prefix(lecture_id))):
        if info.key not in keep:
            store.delete(info.key)
