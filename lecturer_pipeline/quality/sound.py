"""Does the chunk sound like speech at all? Length per character, long inner silences and clipping, from the samples.

Cheap arithmetic on the decoded WAV (numpy): no model. These catch what recognisers and speaker models are bad at
noticing: an answer cut short or trailing into noise, a dropout in the middle, a distorted, clipped signal.
"""

from __future__ import annotations

import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lecturer_pipeline.quality import thresholds as t

FRAME_SECONDS = 0.02


@dataclass(frozen=True)
class SignalFigures:
    seconds: float
    seconds_per_char: float
    longest_inner_silence: float
    clipped_fraction: float


def read_samples(wav: Path) -> tuple[np.ndarray, int]:
    """The WAV's samples as float32 in [-1, 1] (mono 16-bit PCM, as every stage writes it) and its rate."""
    with wave.open(str(wav), "rb") as audio:
        if audio.getsampwidth() != 2 or audio.getnchannels() != 1:
            raise ValueError(f"{wav} is not mono 16-bit PCM")
        rate = audio.getframerate()
        samples = np.frombuffer(audio.readframes(audio.getnframes()), dtype="<i2")
    return samples.astype(np.float32) / 32768.0, rate


def frame_levels(samples: np.ndarray, rate: int, frame_seconds: float = FRAME_SECONDS) -> np.ndarray:
    """RMS level of each frame in dBFS."""
    size = max(1, int(rate * frame_seconds))
    count = len(samples) // size
    if count == 0:
        return np.zeros(0)
    frames = samples[: count * size].reshape(count, size)
    rms = np.sqrt(np.mean(frames.astype(np.float64) ** 2, axis=1))
    return 20 * np.log10(np.maximum(rms, 1e-9))


def longest_inner_silence(levels: np.ndarray, frame_seconds: float = FRAME_SECONDS) -> float:
    """The longest run of silent frames between the first and the last sound (leading and trailing silence are the
    engine's padding, not a dropout)."""
    loud = np.flatnonzero(levels > t.SILENCE_DBFS)
    if len(loud) < 2:
        return 0.0
    gaps = np.diff(loud) - 1
    return float(gaps.max() * frame_seconds) if len(gaps) else 0.0


def measure(wav: Path, text: str) -> SignalFigures:
    samples, rate = read_samples(wav)
    seconds = len(samples) / rate if rate else 0.0
    levels = frame_levels(samples, rate)
    clipped = float(np.mean(np.abs(samples) >= 0.999)) if len(samples) else 0.0
    chars = max(1, len(text.strip()))
    return SignalFigures(round(seconds, 3), round(seconds / chars, 4), round(longest_inner_silence(levels), 2), clipped)


def problems(figures: SignalFigures, engine: str) -> list[str]:
    """What is wrong with the signal, in words (empty when it sounds like speech)."""
    low, high = t.SECONDS_PER_CHAR.get(engine, t.DEFAULT_SECONDS_PER_CHAR)
    found = []
    chars = figures.seconds / figures.seconds_per_char if figures.seconds_per_char else 1.0
    # Engines add a little silence before and after whatever they say: on a word or two ("Hello.") that alone would
    # push the rate past the upper bound, so the bound allows that much on top.
    too_long = figures.seconds > high * chars + t.EDGE_SILENCE_SECONDS
    if figures.seconds_per_char < low or too_long:
        found.append(f"{figures.seconds_per_char:.3f} s per character, outside {low}–{high} for {engine}")
    if figures.longest_inner_silence > t.MAX_INNER_SILENCE_SECONDS:
        found.append(f"a silence of {figures.longest_inner_silence:.1f} s inside the chunk")
    if figures.clipped_fraction > t.MAX_CLIPPED_FRACTION:
        found.append(f"{figures.clipped_fraction:.2%} of the samples clipped")
    return found
