"""Zonos, self-hosted: the open Zyphra model (Apache-2.0) through its own Gradio app (``ZONOS_URL``).

A campus that will not send staff voice prints to a cloud API runs Zonos itself, and Zonos's only server is the Gradio
app in its repository (``Zyphra/Zonos`` ``gradio_interface.py``, followed here at commit
15e40406ae441017321ed9785341f9c0bc61f10d; it is also what the repository's Dockerfile runs). Its button calls
``generate_audio`` (no ``api_name``: Gradio names the endpoint after the function, ``/generate_audio``) with 29
positional inputs, in this order::

    model_choice, text, language (an espeak code), speaker_audio (file), prefix_audio (file),
    e1…e8 (happiness, sadness, disgust, fear, surprise, anger, other, neutral), vq_single, fmax, pitch_std,
    speaking_rate, dnsmos_ovrl, speaker_noised, cfg_scale, top_p, top_k, min_p, linear, confidence, quadratic,
    seed, randomize_seed, unconditional_keys

and returns ``(audio, seed)``: the audio a ``gr.Audio(type="numpy")`` of the autoencoder's 44.1 kHz, which
gradio_client receives as a WAV file, and the seed used. The values sent are the UI's defaults except: the
lecturer's normalised clip as ``speaker_audio``; no prefix audio (the UI preloads 100 ms of silence from its own
assets, which an API caller cannot name); the configured speaking rate; a fixed seed with ``randomize_seed`` off,
so a chunk asked again sounds the same. Generation stops at 30 s (``max_new_tokens = 86 * 30``), so ``max_seconds``
tells the speech stage to pace chunks below it and to check every answer (``stages/speaking.py``).

Failures map as for KDTalker (both are Gradio apps): an undisclosed app error (GPU out of memory, a lost worker) is
retried once, a busy queue, a lost connection and a timeout are transient, a stated refusal is permanent.
"""

from __future__ import annotations

import base64
import os
import tempfile
from pathlib import Path
from typing import Any

from lecturer_pipeline.engines._gradio import HIDDEN_CRASH, AppError, GradioApp, handle_file
from lecturer_pipeline.engines.base import SpeakerProfile
from lecturer_pipeline.errors import InputError, ServiceError
from lecturer_pipeline.media.audio import to_wav_16k_mono, wav_duration
from lecturer_pipeline.security.transport import public_url
from lecturer_pipeline.text.languages import LANGUAGES
from lecturer_pipeline.text.pacing import MAX_SECONDS

API_NAME = "/generate_audio"
ENV_VAR = "ZONOS_URL"
UPSTREAM_COMMIT = "15e40406ae441017321ed9785341f9c0bc61f10d"
MODELS = ("Zyphra/Zonos-v0.1-transformer", "Zyphra/Zonos-v0.1-hybrid")
# The pipeline's language codes -> the espeak codes Zonos's language dropdown offers (the registry's ``zonos_code``).
ESPEAK_CODES = {code: lang.zonos_code for code, lang in LANGUAGES.items()}
SPEAKING_RATE_RANGE = (5.0, 30.0)  # the app's slider
MAX_TEXT_CHARS = 500  # the app's textbox (max_length=500)
EMOTION_DEFAULTS = (1.0, 0.05, 0.05, 0.05, 0.05, 0.05, 0.1, 0.2)  # the UI's sliders e1…e8
DEFAULTS = {
    "vq_single": 0.78,
    "fmax": 24000,
    "pitch_std": 45.0,
    "dnsmos_ovrl": 4.0,
    "speaker_noised": False,
    "cfg_scale": 2.0,
    "top_p": 0.0,
    "top_k": 0,
    "min_p": 0.0,
    "linear": 0.5,
    "confidence": 0.40,
    "quadratic": 0.0,
    "unconditional_keys": ["emotion"],
}


class ZonosSpeechEngine:
    """Speech in the lecturer's voice from a self-hosted Zonos Gradio app (a SpeechEngine per ``engines/base.py``)."""

    name = "zonos"
    licence = "Apache-2.0"
    clones_voice = True
    max_seconds = MAX_SECONDS

    def __init__(
        self,
        url: str,
        *,
        model: str = MODELS[0],
        speaking_rate: float = 15.0,
        seed: int = 420,
        timeout: float = 300.0,
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise ServiceError(
                f"{ENV_VAR} must be an http(s):// URL of a Zonos Gradio app, not {url!r}", transient=False
            )
        if model not in MODELS:
            raise ValueError(f"Zonos has no model {model!r}; use one of: {', '.join(MODELS)}")
        low, high = SPEAKING_RATE_RANGE
        if not low <= speaking_rate <= high:
            raise ValueError(f"Zonos speaking_rate must be {low:g}–{high:g}, not {speaking_rate:g}")
        self.url = url
        self.model = model
        self.speaking_rate = speaking_rate
        self.seed = seed
        self.timeout = timeout
        self._where = f"Zonos at {public_url(url)} ({ENV_VAR})"
        self._app = GradioApp(url, API_NAME, where=self._where, what=f"a Zonos app ({ENV_VAR})")

    def params(self) -> dict[str, Any]:
        """What changes the audio; the URL does not."""
        return {"model": self.model, "speaking_rate": self.speaking_rate, "seed": self.seed, "api": API_NAME}

    def inputs(self, text: str, speaker_wav: Path, language: str, seed: int | None = None) -> list[Any]:
        """The 29 inputs of ``generate_audio``, in the app's order."""
        d = DEFAULTS
        return [
            self.model, text, espeak_code(language), handle_file(str(speaker_wav)), None,
            *EMOTION_DEFAULTS,
            d["vq_single"], d["fmax"], d["pitch_std"], self.speaking_rate, d["dnsmos_ovrl"], d["speaker_noised"],
            d["cfg_scale"], d["top_p"], d["top_k"], d["min_p"], d["linear"], d["confidence"], d["quadratic"],
            self.seed if seed is None else seed, False, list(d["unconditional_keys"]),
        ]  # fmt: skip

    takes_seed = True  # a quality retry asks with another seed (the app is deterministic for a fixed one)

    def synthesize(
        self, text: str, profile: SpeakerProfile, dst_wav: Path, *, language: str, seed_offset: int = 0
    ) -> float:
        """Speak ``text`` in the profile's voice into a 16 kHz mono WAV at ``dst_wav``; return its seconds."""
        if not text.strip():
            raise ValueError("nothing to speak: the text is empty")
        if len(text) > MAX_TEXT_CHARS:
            raise ValueError(f"Zonos's app takes at most {MAX_TEXT_CHARS} characters, not {len(text)}")
        if not profile.speaker_audio_b64:
            raise ValueError(f"speaker {profile.speaker!r} has no reference clip: Zonos clones only from audio")
        dst_wav = Path(dst_wav)
        with tempfile.TemporaryDirectory(dir=dst_wav.parent, prefix=".zonos-") as work:
            speaker = Path(work) / f"{profile.fingerprint[:16] or 'speaker'}.wav"
            speaker.write_bytes(base64.b64decode(profile.speaker_audio_b64))
            audio, _seed = self._call(self.inputs(text, speaker, language, self.seed + seed_offset))
            self._convert(audio, dst_wav)
        return wav_duration(dst_wav)

    def close(self) -> None:
        self._app.close()

    def _call(self, inputs: list[Any]) -> tuple[Any, Any]:
        result = self._app.call(*inputs, timeout=self.timeout, service_error=self._service_error)
        if not isinstance(result, list | tuple) or len(result) != 2:
            raise ServiceError(f"{self._where} returned {str(result)[:200]!r}, not (audio, seed)", transient=False)
        return result[0], result[1]

    def _convert(self, audio: Any, dst_wav: Path) -> None:
        """The app's 44.1 kHz WAV (a local path from gradio_client) to the pipeline's 16 kHz mono WAV."""
        path = audio.get("path") if isinstance(audio, dict) else audio
        if not isinstance(path, str | os.PathLike) or not Path(path).is_file():
            raise ServiceError(f"{self._where} returned {str(audio)[:200]!r}, not an audio file", transient=False)
        try:
            to_wav_16k_mono(path, dst_wav)
        except InputError as exc:
            message = f"{self._where} returned audio that cannot be decoded ({exc.message})"
            raise ServiceError(message, transient=True) from None
        finally:
            Path(path).unlink(missing_ok=True)

    def _service_error(self, exc: Exception) -> ServiceError | None:
        """Map what gradio_client and httpx raise to a ServiceError; None for anything else (a bug: let it out)."""
        if isinstance(exc, AppError):
            message = str(exc.message)
            if HIDDEN_CRASH in message:
                return ServiceError(
                    f"{self._where} failed with an error it does not disclose (GPU memory, a lost worker); look "
                    "for the traceback in the Zonos server's console",
                    transient=True,
                    retry_limit=1,
                )
            if "out of memory" in message.lower():
                return ServiceError(f"{self._where} ran out of GPU memory: {message}", transient=True)
            return ServiceError(f"{self._where} refused to speak: {message}", transient=False)
        return self._app.client_error(exc, self.timeout)


def espeak_code(language: str) -> str:
    """The espeak code Zonos wants for one of the pipeline's languages."""
    try:
        return ESPEAK_CODES[language]
    except KeyError:
        raise ValueError(
            f"Zonos is not set up for language {language!r}; use one of: {', '.join(ESPEAK_CODES)}"
        ) from None
