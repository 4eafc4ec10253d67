"""Stage 4: the script spoken in the speaker's voice, chunk by chunk, joined into ``speech.wav`` (16 kHz mono).

Each chunk's audio is stored as soon as it is made, under a hash of its text, voice and engine parameters. A retry
or a re-run therefore requests only the chunks that are not stored yet, and an edit re-speaks only what changed.

The speech is also laid out for the video stage: chunks are grouped into render segments of whole chunks that never
cross a paragraph and last at most ``segment_seconds``, and each segment ends in a pause padded to a whole video
frame. A segment's audio thus depends only on its own chunks — editing one paragraph leaves every other segment's
audio byte-for-byte the same, so its rendering is reused — and cutting at segment ends never splits a frame.
The timeline of every chunk is recorded for captions.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import replace
from pathlib import Path

from lecturer_pipeline.engines.base import SpeakerProfile, SpeechEngine
from lecturer_pipeline.errors import AwaitingApproval
from lecturer_pipeline.kinds import Kind
from lecturer_pipeline.media.audio import concat_wavs, wav_duration
from lecturer_pipeline.model import Artefact, LectureScript
from lecturer_pipeline.quality.gate import SpeechGate
from lecturer_pipeline.stages.common import file_artefact, input_hash, reusable
from lecturer_pipeline.stages.speaking import max_chunk_chars, speak_fully
from lecturer_pipeline.storage.catalog import Catalog
from lecturer_pipeline.storage.layout import speech_chunk_key, speech_chunks_prefix, speech_key
from lecturer_pipeline.storage.objects import ObjectStore
from lecturer_pipeline.text.chunks import Chunk, plan_chunks

GAP_SECONDS = 0.25
DEFAULT_SEGMENT_SECONDS = 60.0


def group_segments(chunks: list[Chunk], seconds: list[float], max_seconds: float) -> list[list[int]]:
    """Indices of the chunks in each render segment: consecutive chunks of one paragraph, at most ``max_seconds``
    long with their pauses (a single longer chunk is a segment of its own)."""
    segments: list[list[int]] = []
    length = 0.0
    for index, chunk in enumerate(chunks):
        step = seconds[index] + GAP_SECONDS
        same_paragraph = bool(segments) and chunks[segments[-1][-1]].paragraph == chunk.paragraph
        if same_paragraph and length + step <= max_seconds:
            segments[-1].append(index)
            length += step
        else:
            segments.append([index])
            length = step
    return segments


def require_approved(script: LectureScript) -> None:
    """A script drafted by a model is spoken only after a person approved it (by submitting it as the script)."""
    if script.source == "prompt":
        raise AwaitingApproval(
            "its script was drafted from a prompt and waits for review: read it (`lecturer-pipeline status` or the "
            f"studio), then approve it with `lecturer-pipeline approve {script.lecture_id}` (add --script FILE to "
            "approve an edited text); nothing is spoken or rendered before that",
            lecture_id=script.lecture_id,
        )


def synthesize_speech(
    store: ObjectStore,
    catalog: Catalog,
    engine: SpeechEngine,
    script: LectureScript,
    profile: SpeakerProfile,
    workdir: Path,
    *,
    fps: int,
    segment_seconds: float = DEFAULT_SEGMENT_SECONDS,
    chunk_seconds: float | None = None,
    log: Callable[[str], None] | None = None,
    quality: bool = False,
) -> Artefact:
    """Speak the script, reusing every chunk already stored for the same text, voice and engine. Chunks are sized
    below the engine's cap, and an answer that was cut short is asked again in halves (``stages/speaking.py``).

    Every render segment's sound ends on a whole frame at ``fps``, the video engine's frame rate, so the rendered
    segments join without a drift between picture and sound.

    With ``quality``, every new chunk is checked before it is stored as good, asked for once more if it fails, and
    the lecture is held for review (NeedsReview) when one fails twice (``quality/gate.py``)."""
    require_approved(script)
    lecture_id = script.lecture_id
    voice = {"voice": profile.fingerprint, "engine": engine.name, "params": engine.params(), "lang": script.language}
    max_chars = max_chunk_chars(engine, script.language, chunk_seconds)
    layout = {"gap": GAP_SECONDS, "fps": fps, "segment_seconds": segment_seconds, "chunk_chars": max_chars}
    wanted = input_hash(script=script.sha256, layout=layout, **voice)
    existing = reusable(store, catalog, lecture_id, Kind.SPEECH, wanted)
    if existing:  # this run spends nothing: every character counts as cached
        before = existing.details
        total = before.get("tts_chars_sent", 0) + before.get("tts_chars_cached", 0)
        return replace(existing, details={**before, "requests": 0, "tts_chars_sent": 0, "tts_chars_cached": total})

    chunks = plan_chunks(script.text, language=script.language, max_chars=max_chars)
    parts: list[Path] = []
    keep: set[str] = set()
    chars_sent = chars_cached = requests = 0
    gate = SpeechGate(store, engine, profile, lecture_id, script.language, workdir) if quality else None
    with gate or nullcontext():
        for index, chunk in enumerate(chunks):
            chunk_hash = input_hash(text=chunk.text, **voice)
            key = speech_chunk_key(lecture_id, chunk_hash)
            keep.add(key)
            local = workdir / f"chunk-{index:04d}.wav"
            if store.exists(key):
                store.get_file(key, local)
                chars_cached += len(chunk.text)
                if gate:
                    gate.cached(index, chunk_hash)
            elif gate:

                def speak(dst: Path, attempt: int, text: str = chunk.text) -> int:
                    return speak_fully(engine, text, profile, dst, language=script.language, log=log, seed=attempt)

                spent = gate.produce(index, chunk.text, key, chunk_hash, local, speak)  # checked beside the next
                chars_sent += spent * len(chunk.text)
                requests += spent
            else:
                requests += speak_fully(engine, chunk.text, profile, local, language=script.language, log=log)
                store.put_file(key, local, content_type="audio/wav")
                chars_sent += len(chunk.text)
            parts.append(local)
        # raises NeedsReview (after storing the report) when a chunk failed twice
        qa = gate.finish() if gate else {}
    if gate:
        requests += gate.requests_again
        chars_sent += gate.chars_again
    seconds = [wav_duration(part) for part in parts]  # after the checks: a chunk asked again has its final answer
    segments = group_segments(chunks, seconds, segment_seconds)
    segment_files: list[Path] = []
    segment_seconds_list: list[float] = []
    timeline: list[dict] = []
    start = 0.0
    for number, members in enumerate(segments):
        segment = workdir / f"segment-{number:04d}.wav"
        length = concat_wavs(
            [parts[i] for i in members], segment, gap_seconds=GAP_SECONDS, tail_seconds=GAP_SECONDS, round_up_to=1 / fps
        )
        offset = start
        for i in members:
            timeline.append(
                {
                    "start": round(offset, 3),
                    "end": round(offset + seconds[i], 3),
                    "text": chunks[i].text,
                    "paragraph": chunks[i].paragraph,
                    "section": chunks[i].section,
                }
            )
            offset += seconds[i] + GAP_SECONDS
        segment_files.append(segment)
        segment_seconds_list.append(length)
        start += length
    for part in parts:
        part.unlink(missing_ok=True)

    out = workdir / "speech.wav"
    duration = concat_wavs(segment_files, out, gap_seconds=0.0, fade_ms=0.0)
    for segment in segment_files:
        segment.unlink(missing_ok=True)
    _drop_stale_chunks(store, lecture_id, keep)
    return file_artefact(
        Kind.SPEECH,
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
            "segments": len(segments),
            "requests": requests,
            "tts_chars_sent": chars_sent,
            "tts_chars_cached": chars_cached,
            # Where the render segments end and where each chunk is spoken: the video and captions stages use these.
            "segment_seconds": segment_seconds_list,
            "timeline": timeline,
            **qa,
        },
    )


def _drop_stale_chunks(store: ObjectStore, lecture_id: str, keep: set[str]) -> None:
    """Chunks of earlier versions of the script are no longer part of any speech: delete them."""
    for info in list(store.list(speech_chunks_prefix(lecture_id))):
        if info.key not in keep:
            store.delete(info.key)
