"""The embedded default's engines: they need no service and no model, and say honestly what they are not.

espeak-ng speaks the script but cannot clone the speaker's voice; the ffmpeg preview renderer shows the portrait
with motion and a waveform but no lip-sync. Both are labelled so in every artefact's metadata.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lecturer_pipeline.engines import espeak
from lecturer_pipeline.engines.base import SpeakerProfile
from lecturer_pipeline.media.video import PREVIEW_FPS, render_preview


class EspeakSpeechEngine:
    """espeak-ng text-to-speech (no voice cloning)."""

    name = espeak.ENGINE
    licence = espeak.LICENCE
    clones_voice = False

    def __init__(self, words_per_minute: int = 160) -> None:
        self.words_per_minute = words_per_minute

    def params(self) -> dict[str, Any]:
        return {"words_per_minute": self.words_per_minute}

    def synthesize(self, text: str, profile: SpeakerProfile, dst_wav: Path, *, language: str) -> float:
        return espeak.synthesize(text, dst_wav, language=language, words_per_minute=self.words_per_minute)


class PreviewVideoEngine:
    """ffmpeg renders the portrait with gentle motion and a speech waveform (labelled preview, no lip-sync)."""

    name = "ffmpeg-preview"
    licence = "LGPL-2.1-or-later (FFmpeg)"
    lip_sync = False

    def __init__(self, fps: int = PREVIEW_FPS) -> None:
        self.fps = fps

    def params(self) -> dict[str, Any]:
        return {"fps": self.fps, "version": 1}

    def render(self, portrait_png: Path, speech_wav: Path, dst_mp4: Path) -> None:
        render_preview(portrait_png, speech_wav, dst_mp4, fps=self.fps)
