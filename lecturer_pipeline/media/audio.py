"""Audio conversion, reference-voice checks and WAV joining.

Everything downstream (TTS engines, lip-sync, the preview renderer) speaks one format: 16 kHz mono PCM s16 WAV.
Converting once, at the edge, keeps the rest of the pipeline free of format cases.
"""

from __future__ import annotations

import os
import re
import sys
import wave
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import ffmpeg

from lecturer_pipeline.errors import InputError
from lecturer_pipeline.media._atomic import atomic_path
from lecturer_pipeline.media._ffmpeg import QUIET, refused_upload
from lecturer_pipeline.media._uploads import checked_size
from lecturer_pipeline.media.probe import probe

SAMPLE_RATE = 16000
_SAMPLE_WIDTH = 2  # bytes: PCM s16
_BLOCK_FRAMES = 65536  # frames per read/write block when streaming WAVs
_SILENT_MAX_DB = -50.0
_SILENT_MEAN_DB = -60.0
_IMAGE_FORMATS = ("image2", "png_pipe", "jpeg_pipe", "webp_pipe", "gif", "bmp_pipe", "tiff_pipe")


@dataclass(frozen=True)
class VoiceCheck:
    """What was measured on an accepted reference voice; kept for the run's metadata."""

    duration: float
    mean_volume_db: float
    max_volume_db: float
    codec: str


def _to_wav(src: str | os.PathLike[str], dst: str | os.PathLike[str], *filters: tuple[str, dict[str, object]]) -> None:
    """Decode the first audio stream of ``src`` through ``filters`` to 16 kHz mono s16 WAV at ``dst``, atomically."""
    stream = ffmpeg.input(str(src)).audio
    for name, options in filters:
        stream = stream.filter(name, **options)
    with atomic_path(dst) as tmp, refused_upload(src, "converted to 16 kHz mono WAV"):
        (
            stream.output(str(tmp), format="wav", acodec="pcm_s16le", ac=1, ar=SAMPLE_RATE, map_metadata=-1)
            .global_args(*QUIET)
            .overwrite_output()
            .run(capture_stdout=True, capture_stderr=True)
        )


def to_wav_16k_mono(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
    """Convert any audio ffmpeg reads (webm/ogg/mp3/wav/mp4…) to the pipeline's PCM s16 16 kHz mono WAV."""
    _to_wav(src, dst)


def normalise_voice(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
    """Convert to 16 kHz mono WAV at a standard loudness, so cloning quality does not depend on mic gain.

    Single-pass ``loudnorm`` is close enough for a 10–30 s clip; the two-pass variant would double the work.
    """
    _to_wav(src, dst, ("loudnorm", {"I": -16, "TP": -1.5, "LRA": 11}))


def _volume(path: Path, limit_seconds: float) -> tuple[float, float, float]:
    """Decode at most ``limit_seconds`` of ``path`` and return (decoded seconds, mean dB, max dB) from volumedetect.

    Decoding gives a true duration even for browser recordings (MediaRecorder webm) whose header has none; the limit
    keeps a two-hour upload with no duration in its header from being decoded whole just to be refused.
    """
    with refused_upload(path, "decoded as audio", "re-export it as WAV or MP3"):
        _, err = (
            ffmpeg.input(str(path), t=limit_seconds)
            .audio.filter("aformat", sample_fmts="fltp", sample_rates=SAMPLE_RATE, channel_layouts="mono")
            .filter("volumedetect")
            .output("-", format="null")
            .global_args("-nostdin", "-hide_banner", "-nostats")
            .run(capture_stdout=True, capture_stderr=True)
        )
    text = err.decode("utf-8", "replace")

    def grab(key: str) -> float:
        """The last value ffmpeg printed for ``key``; -inf when absent (no samples decoded: treat as silence)."""
        found = re.findall(rf"{key}:\s*(-?[\d.]+|-?inf)", text)
        return float(found[-1]) if found else float("-inf")

    return max(grab("n_samples"), 0.0) / SAMPLE_RATE, grab("mean_volume"), grab("max_volume")


def validate_reference_voice(
    path: str | os.PathLike[str],
    *,
    min_seconds: float = 10.0,
    max_seconds: float = 30.0,
    max_bytes: int = 25 * 1024 * 1024,
) -> VoiceCheck:
    """Refuse a reference voice that cannot make a good clone, saying what the user should record instead."""
    path = Path(path)
    where = str(path)
    checked_size(
        path,
        max_bytes,
        empty_hint="upload a 10–30 s recording of the lecturer",
        large_hint="upload a shorter or compressed recording (MP3, OGG or WebM)",
    )
    info = probe(path)
    if info.video is not None:
        if info.audio is None and info.format_name in _IMAGE_FORMATS:
            raise InputError(f"{path.name} is an image, not audio; upload a voice recording", file=where)
        raise InputError(
            f"{path.name} is a video file, upload audio only (e.g. extract the sound track to MP3 or WAV)", file=where
        )
    if info.audio is None:
        raise InputError(f"{path.name} has no audio stream; upload a voice recording", file=where)
    duration = info.audio.duration or info.duration
    if duration and not min_seconds <= duration <= max_seconds:
        _refuse_length(path, duration, min_seconds, max_seconds)
    limit = max_seconds + 1.0
    decoded, mean_db, max_db = _volume(path, limit)
    if not duration:
        duration = decoded
        if duration >= limit - 0.01:
            raise InputError(
                f"{path.name} is longer than {limit:g} s (its header gives no length; decoding stopped there); a "
                f"reference voice must be {min_seconds:g}–{max_seconds:g} s (trim it)",
                file=where,
            )
        if not min_seconds <= duration <= max_seconds:
            _refuse_length(path, duration, min_seconds, max_seconds)
    if max_db < _SILENT_MAX_DB or mean_db < _SILENT_MEAN_DB:
        raise InputError(
            f"{path.name} is silent or nearly so (peak {max_db:.1f} dB, mean {mean_db:.1f} dB); check the microphone "
            "and record again",
            file=where,
        )
    return VoiceCheck(duration=duration, mean_volume_db=mean_db, max_volume_db=max_db, codec=info.audio.codec_name)


def _refuse_length(path: Path, duration: float, min_seconds: float, max_seconds: float) -> None:
    advice = "record a little more speech" if duration < min_seconds else "trim it"
    raise InputError(
        f"{path.name} is {duration:.1f} s long; a reference voice must be {min_seconds:g}–{max_seconds:g} s ({advice})",
        file=str(path),
    )


def wav_duration(path: str | os.PathLike[str]) -> float:
    """Duration of a PCM WAV from its header; exact, and needs no subprocess."""
    with wave.open(str(path), "rb") as w:
        return w.getnframes() / w.getframerate()


def _faded(block: bytes, start: int, total: int, fade: int) -> bytes:
    """Apply the linear edge fades to one block of mono s16 frames starting at frame ``start`` of ``total``.

    Only the frames inside the first or last ``fade`` frames of the part are touched.
    """
    samples = array("h")
    samples.frombytes(block)
    if sys.byteorder == "big":  # WAV is little-endian; array uses the machine's order
        samples.byteswap()
    count = len(samples)
    head = range(0, max(0, min(count, fade - start)))
    tail = range(max(0, total - fade - start), count)
    for i in (*head, *tail):
        frame = start + i
        samples[i] = int(samples[i] * min(1.0, frame / fade, (total - 1 - frame) / fade))
    if sys.byteorder == "big":
        samples.byteswap()
    return samples.tobytes()


def concat_wavs(
    parts: Sequence[Path],
    dst: Path,
    *,
    gap_seconds: float = 0.25,
    fade_ms: float = 5.0,
    tail_seconds: float = 0.0,
    round_up_to: float | None = None,
) -> float:
    """Join 16 kHz mono s16 WAVs with short fades and silent gaps between them; return the total seconds.

    Streams block by block, so a lecture of any length costs a few hundred KB of memory. The fades stop the
    clicks that a cut mid-waveform makes; the gaps give the listener a breath between sentences. ``tail_seconds`` of
    silence close the result, lengthened so its duration is a whole multiple of ``round_up_to`` (a video frame),
    which lets render segments be cut and joined without drift.
    """
    if not parts:
        raise ValueError("concat_wavs needs at least one part")
    frames: list[int] = []
    for part in parts:
        with wave.open(str(part), "rb") as w:
            fmt = (w.getframerate(), w.getnchannels(), w.getsampwidth())
            if fmt != (SAMPLE_RATE, 1, _SAMPLE_WIDTH):
                raise ValueError(
                    f"{part} is {fmt[0]} Hz, {fmt[1]} channel(s), {8 * fmt[2]}-bit; concat_wavs needs "
                    f"{SAMPLE_RATE} Hz mono 16-bit (convert it with to_wav_16k_mono)"
                )
            frames.append(w.getnframes())
    gap = round(gap_seconds * SAMPLE_RATE)
    fade_full = round(fade_ms / 1000 * SAMPLE_RATE)
    total = sum(frames) + gap * (len(parts) - 1)
    tail = round(tail_seconds * SAMPLE_RATE)
    if round_up_to:
        step = round(round_up_to * SAMPLE_RATE)
        tail = -(-(total + tail) // step) * step - total
    total += tail
    silence = bytes(_SAMPLE_WIDTH * min(gap, _BLOCK_FRAMES))
    with atomic_path(dst) as tmp, wave.open(str(tmp), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(_SAMPLE_WIDTH)
        out.setframerate(SAMPLE_RATE)
        out.setnframes(total)
        for index, (part, n) in enumerate(zip(parts, frames, strict=True)):
            if index:
                left = gap
                while left:
                    step = min(left, _BLOCK_FRAMES)
                    out.writeframesraw(silence[: step * _SAMPLE_WIDTH])
                    left -= step
            fade = min(fade_full, n // 2)
            with wave.open(str(part), "rb") as w:
                pos = 0
                while block := w.readframes(_BLOCK_FRAMES):
                    count = len(block) // _SAMPLE_WIDTH
                    if fade and (pos < fade or pos + count > n - fade):
                        block = _faded(block, pos, n, fade)
                    out.writeframesraw(block)
                    pos += count
        left = tail
        while left:
            step = min(left, _BLOCK_FRAMES)
            out.writeframesraw(bytes(_SAMPLE_WIDTH * step))
            left -= step
    return total / SAMPLE_RATE


def split_wav(src: Path, cut_seconds: Sequence[float], out_dir: Path) -> list[Path]:
    """Cut a WAV at the given times (sample-exact, streaming) into ``len(cut_seconds) + 1`` parts in ``out_dir``.

    Used to hand a talking-head renderer segments of bounded length; the cut points are chosen by the caller in
    the silences between sentences.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    parts: list[Path] = []
    with wave.open(str(src), "rb") as w:
        rate, total = w.getframerate(), w.getnframes()
        edges = [0, *(min(total, round(s * rate)) for s in cut_seconds), total]
        if any(b < a for a, b in pairwise(edges)):
            raise ValueError(f"cut points must increase within the audio: {list(cut_seconds)}")
        for index, (start, end) in enumerate(pairwise(edges)):
            part = out_dir / f"segment-{index:04d}.wav"
            with atomic_path(part) as tmp, wave.open(str(tmp), "wb") as out:
                out.setparams(w.getparams())
                w.setpos(start)
                left = end - start
                while left:
                    block = w.readframes(min(left, _BLOCK_FRAMES))
                    out.writeframesraw(block)
                    left -= len(block) // (w.getsampwidth() * w.getnchannels())
            parts.append(part)
    return parts
