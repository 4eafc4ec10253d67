"""The Zyphra stand-in's audio: espeak-ng speech cut where the model stops, encoded as the API sends each mime type."""

from __future__ import annotations

import subprocess
import tempfile
import wave
from pathlib import Path

from lecturer_pipeline.standins.espeak import MAX_SECONDS, espeak_wav


def available_encoders() -> set[str]:
    """Names of the audio encoders this ffmpeg has (so mp3 can fall back when libmp3lame is missing)."""
    listing = subprocess.run(
        ["ffmpeg", "-hide_banner", "-encoders"], capture_output=True, text=True, check=True, timeout=30
    ).stdout
    return {parts[1] for line in listing.splitlines() if len(parts := line.split()) > 1 and parts[0].startswith("A")}


def _codec_args(mime_type: str, encoders: set[str]) -> list[str]:
    """ffmpeg output options producing ``mime_type`` as the real service sends it."""
    if mime_type in ("audio/webm", "audio/ogg"):
        container = "webm" if mime_type == "audio/webm" else "ogg"
        return ["-c:a", "libopus", "-b:a", "32k", "-ar", "48000", "-f", container]
    if mime_type == "audio/wav":
        return ["-c:a", "pcm_s16le", "-ar", "44100", "-f", "wav"]
    if mime_type == "audio/mp3":
        codec = next((c for c in ("libmp3lame", "libshine", "mp3") if c in encoders), "libmp3lame")
        return ["-c:a", codec, "-b:a", "64k", "-ar", "44100", "-f", "mp3"]
    return ["-c:a", "aac", "-b:a", "64k", "-ar", "44100", "-movflags", "+faststart", "-f", "mp4"]


def speak(
    text: str, *, language: str, speaking_rate: float, mime_type: str, encoders: set[str], variant: str | None = None
) -> tuple[bytes, float]:
    """Speak ``text`` with espeak-ng (text on stdin), cut at ``MAX_SECONDS`` as the model stops there, and encode it
    as ``mime_type``; return (bytes, seconds). ``variant`` picks another espeak-ng voice variant (a different-sounding
    speaker)."""
    voice = f"{language}+{variant}" if variant else language
    with tempfile.TemporaryDirectory(prefix="zyphra-standin-") as work:
        raw, out = Path(work) / "speech.wav", Path(work) / "speech.out"
        espeak_wav(text, voice, speaking_rate, raw)
        with wave.open(str(raw), "rb") as w:
            seconds = min(MAX_SECONDS, w.getnframes() / w.getframerate())
        command = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i", str(raw), "-ac", "1"]
        command += ["-t", f"{MAX_SECONDS:g}"]
        subprocess.run([*command, *_codec_args(mime_type, encoders), str(out)], capture_output=True, check=True)
        return out.read_bytes(), seconds
