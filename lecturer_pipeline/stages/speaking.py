"""One chunk spoken in full: the answer's duration is checked against its text, and a cut answer is asked again in
halves (``text/pacing.py`` says why the model cuts and how the pace is estimated).

Only engines with a cap (``max_seconds``: Zyphra, Zonos) are checked; the local espeak-ng engine has none. An answer
that fails the check is never stored under the chunk's key: its halves are spoken (each checked the same way, down
to single words) and joined, and only the joined audio is stored.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from lecturer_pipeline.engines.base import SpeakerProfile, SpeechEngine
from lecturer_pipeline.errors import ServiceError
from lecturer_pipeline.media.audio import concat_wavs
from lecturer_pipeline.text.chunks import MAX_CHUNK_CHARS
from lecturer_pipeline.text.pacing import DEFAULT_RATE, answer_problem, chunk_chars

HALF_GAP_SECONDS = 0.12  # the pause between two halves of a chunk: a breath, shorter than between chunks
_BREAKS = (re.compile(r"(?<=[.!?…。！？])\s*"), re.compile(r"(?<=[,;:，、；：])\s*"), re.compile(r"\s+"))


def max_chunk_chars(engine: SpeechEngine, language: str, chunk_seconds: float | None = None) -> int:
    """Characters per chunk for this engine: paced below its cap when it has one, else the fixed 400."""
    cap = getattr(engine, "max_seconds", None)
    if cap is None:
        return MAX_CHUNK_CHARS
    rate = getattr(engine, "speaking_rate", DEFAULT_RATE)
    if chunk_seconds:
        return chunk_chars(language, rate, max_seconds=min(chunk_seconds, cap), headroom=1.0)
    return chunk_chars(language, rate, max_seconds=cap)


def split_in_two(text: str) -> tuple[str, str] | None:
    """``text`` cut at the sentence end (else comma, else space) nearest its middle; None for a single word."""
    middle = len(text) / 2
    for pattern in _BREAKS:
        cuts = [m.end() for m in pattern.finditer(text) if m.start() > 0 and m.end() < len(text)]
        if cuts:
            cut = min(cuts, key=lambda at: abs(at - middle))
            head, tail = text[:cut].strip(), text[cut:].strip()
            if head and tail:
                return head, tail
    return None


def speak_fully(
    engine: SpeechEngine,
    text: str,
    profile: SpeakerProfile,
    dst: Path,
    *,
    language: str,
    log: Callable[[str], None] | None = None,
    seed: int = 0,
) -> int:
    """Speak ``text`` into ``dst`` with nothing cut off; return the number of calls made. ``seed`` > 0 asks an engine
    that takes one (``takes_seed``, e.g. Zonos) for a different answer than its first (a quality retry)."""
    if seed and getattr(engine, "takes_seed", False):
        seconds = engine.synthesize(text, profile, dst, language=language, seed_offset=seed)  # type: ignore[call-arg]
    else:
        seconds = engine.synthesize(text, profile, dst, language=language)
    cap = getattr(engine, "max_seconds", None)
    if cap is None:
        return 1
    rate = getattr(engine, "speaking_rate", DEFAULT_RATE)
    problem = answer_problem(text, seconds, language=language, speaking_rate=rate, max_seconds=cap)
    if problem is None:
        return 1
    halves = split_in_two(text)
    if halves is None:
        dst.unlink(missing_ok=True)
        raise ServiceError(f"{engine.name} could not speak {text!r} in full: {problem}", transient=False)
    if log is not None:
        log(f"{engine.name} answer for {text[:40]!r}… not kept: {problem}; asking again in two halves")
    dst.unlink(missing_ok=True)
    calls = 1
    parts = [dst.with_name(f"{dst.stem}-{index}.wav") for index in range(2)]
    try:
        for half, part in zip(halves, parts, strict=True):
            calls += speak_fully(engine, half, profile, part, language=language, log=log, seed=seed)
        concat_wavs(parts, dst, gap_seconds=HALF_GAP_SECONDS)
    finally:
        for part in parts:
            part.unlink(missing_ok=True)
    return calls
