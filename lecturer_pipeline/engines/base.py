"""What the pipeline needs from a speech engine and a video engine, local or remote.

Each engine names itself and its licence (recorded on every artefact it makes) and exposes the parameters that
change its output, which go into the artefact's input hash: change them and the work is redone, keep them and it is
reused.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypedDict, Unpack


@dataclass(frozen=True)
class SpeakerProfile:
    """What a TTS engine clones a voice from: the normalised reference clip (base64), plus its fingerprint."""

    speaker: str
    fingerprint: str
    speaker_audio_b64: str | None = None


class SpeechEngine(Protocol):
    name: str
    licence: str
    clones_voice: bool

    def params(self) -> dict[str, Any]:
        """Everything besides text and voice that changes the audio."""
        ...

    def synthesize(self, text: str, profile: SpeakerProfile, dst_wav: Path, *, language: str) -> float:
        """Speak ``text`` in the profile's voice into a 16 kHz mono WAV; return its duration in seconds."""
        ...


class VideoEngine(Protocol):
    name: str
    licence: str
    lip_sync: bool
    fps: int  # the frame rate it renders at: the speech stage ends every segment on a whole frame of it

    def params(self) -> dict[str, Any]: ...

    def render(self, portrait_png: Path, speech_wav: Path, dst_mp4: Path) -> None:
        """Animate the portrait speaking the WAV into an H.264 + AAC mp4 as long as the speech."""
        ...


DEFAULT_DRAFT_MINUTES = 5.0  # a draft's length when the manifest gives no target_minutes


class DraftOptions(TypedDict, total=False):
    """How a draft is asked for besides its prompt: the lecture manifest's fields of these names (left out:
    ``DEFAULT_DRAFT_MINUTES``, no stated audience or style, ``DEFAULT_LANGUAGE``)."""

    target_minutes: float | None
    audience: str | None
    style: str | None
    language: str


class ScriptWriter(Protocol):
    """Drafts a lecture's spoken words from a prompt (Ollama in deployment)."""

    name: str
    licence: str
    model: str

    def draft(self, prompt: str, **options: Unpack[DraftOptions]) -> Any:
        """Return a draft with ``text`` (spoken words only) and the model's accounting (eval counts, durations)."""
        ...
