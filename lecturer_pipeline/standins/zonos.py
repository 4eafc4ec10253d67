"""A real Gradio app standing in for Zonos's own (``Zyphra/Zonos`` ``gradio_interface.py``, commit 15e40406).

Same endpoint (the button's ``generate_audio``, named after the function), the same 29 inputs with the same
components in the same order (dropdowns, a textbox, two ``gr.Audio(type="filepath")``, sliders, checkboxes, a seed
number, a checkbox group) and the same outputs: a ``gr.Audio(type="numpy")`` of 44.1 kHz audio and the seed. It
speaks with espeak-ng in the requested espeak language at a pace following ``speaking_rate`` and stops at 30 s, as
``max_new_tokens = 86 * 30`` makes the model stop. Like the real app it hides crashes (``show_error=False``).

Counters: ``calls``, ``served_texts`` (texts answered), ``speaker_files`` (the speaker audio each call carried),
``injected``/``injections`` (behaviours met). ``fail_next``/``fail_rate`` queue ``("crash",)``, ``("error", msg)``
or ``("delay", s)``.
"""

from __future__ import annotations

import os
import random
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

import gradio as gr
import numpy as np

from lecturer_pipeline.standins.espeak import MAX_SECONDS, espeak_wav
from lecturer_pipeline.standins.gradio_standin import GradioStandIn

SAMPLE_RATE = 44_100  # the Zonos autoencoder's sampling rate
MODELS = ["Zyphra/Zonos-v0.1-transformer", "Zyphra/Zonos-v0.1-hybrid"]
# A part of zonos.conditioning.supported_language_codes: those espeak-ng speaks here, with the pipeline's six.
LANGUAGES = ["en-us", "en-gb", "fr-fr", "de", "es", "it", "ja", "ko", "cmn", "nl", "pt", "pl", "sv", "ru"]
# generate_audio's parameters, in gradio_interface.py's order.
INPUT_NAMES = (
    "model_choice", "text", "language", "speaker_audio", "prefix_audio", "e1", "e2", "e3", "e4", "e5", "e6", "e7",
    "e8", "vq_single", "fmax", "pitch_std", "speaking_rate", "dnsmos_ovrl", "speaker_noised", "cfg_scale", "top_p",
    "top_k", "min_p", "linear", "confidence", "quadratic", "seed", "randomize_seed", "unconditional_keys",
)  # fmt: skip
_BEHAVIOURS = {"crash": (1,), "error": (2,), "delay": (2,)}


def _speak(text: str, language: str, speaking_rate: float) -> np.ndarray:
    """espeak-ng speech at 44.1 kHz mono int16, cut at MAX_SECONDS."""
    with tempfile.TemporaryDirectory(prefix="zonos-standin-") as work:
        raw = Path(work) / "speech.wav"
        espeak_wav(text, language, speaking_rate, raw)
        command = ["ffmpeg", "-nostdin", "-loglevel", "error", "-i", str(raw), "-t", f"{MAX_SECONDS:g}", "-ac", "1"]
        pcm = subprocess.run([*command, "-ar", str(SAMPLE_RATE), "-f", "s16le", "-"], capture_output=True, check=True)
    return np.frombuffer(pcm.stdout, dtype=np.int16)


class ZonosStandIn(GradioStandIn):
    """Zonos's Gradio API on 127.0.0.1, speaking with espeak-ng, with counters and switchable failures."""

    def __init__(self, *, port: int | None = None) -> None:
        self.port = port
        self.calls = 0
        self.served_texts: list[str] = []
        self.speaker_files: list[str | None] = []
        self.requests: list[dict[str, Any]] = []
        self._plan_faults(_BEHAVIOURS, (("crash",),))

    def start(self) -> ZonosStandIn:
        demo = self._build()
        demo.queue(default_concurrency_limit=1)
        self._launch(demo)
        return self

    def fail_next(self, *behaviours: tuple[Any, ...]) -> None:
        self._faults.queue(*behaviours)

    def reset(self) -> None:
        with self._lock:
            self.calls = 0
            self.served_texts, self.speaker_files, self.requests = [], [], []
            self._faults.clear()

    def _build(self) -> gr.Blocks:
        """The components of gradio_interface.py's ``build_interface``, wired to ``generate_audio`` in its order."""
        with gr.Blocks(analytics_enabled=False, title="Zonos stand-in") as demo:
            model_choice = gr.Dropdown(choices=MODELS, value=MODELS[0], label="Zonos Model Type")
            text = gr.Textbox(label="Text to Synthesize", lines=4, max_length=500)
            language = gr.Dropdown(choices=LANGUAGES, value="en-us", label="Language Code")
            prefix_audio = gr.Audio(label="Optional Prefix Audio", type="filepath")
            speaker_audio = gr.Audio(label="Optional Speaker Audio (for cloning)", type="filepath")
            speaker_noised = gr.Checkbox(label="Denoise Speaker?", value=False)
            dnsmos = gr.Slider(1.0, 5.0, value=4.0, step=0.1, label="DNSMOS Overall")
            fmax = gr.Slider(0, 24000, value=24000, step=1, label="Fmax (Hz)")
            vq_single = gr.Slider(0.5, 0.8, 0.78, 0.01, label="VQ Score")
            pitch_std = gr.Slider(0.0, 300.0, value=45.0, step=1, label="Pitch Std")
            speaking_rate = gr.Slider(5.0, 30.0, value=15.0, step=0.5, label="Speaking Rate")
            cfg_scale = gr.Slider(1.0, 5.0, 2.0, 0.1, label="CFG Scale")
            seed = gr.Number(label="Seed", value=420, precision=0)
            randomize_seed = gr.Checkbox(label="Randomize Seed (before generation)", value=True)
            linear = gr.Slider(-2.0, 2.0, 0.5, 0.01, label="Linear")
            confidence = gr.Slider(-2.0, 2.0, 0.40, 0.01, label="Confidence")
            quadratic = gr.Slider(-2.0, 2.0, 0.00, 0.01, label="Quadratic")
            top_p = gr.Slider(0.0, 1.0, 0, 0.01, label="Top P")
            min_k = gr.Slider(0.0, 1024, 0, 1, label="Min K")
            min_p = gr.Slider(0.0, 1.0, 0, 0.01, label="Min P")
            keys = ["speaker", "emotion", "vqscore_8", "fmax", "pitch_std", "speaking_rate", "dnsmos_ovrl"]
            unconditional_keys = gr.CheckboxGroup([*keys, "speaker_noised"], value=["emotion"], label="Unconditional")
            emotions = [gr.Slider(0.0, 1.0, v, 0.05) for v in (1.0, 0.05, 0.05, 0.05, 0.05, 0.05, 0.1, 0.2)]
            output_audio = gr.Audio(label="Generated Audio", type="numpy")
            gr.Button("Generate Audio").click(
                fn=self.generate_audio,
                inputs=[
                    model_choice, text, language, speaker_audio, prefix_audio, *emotions, vq_single, fmax, pitch_std,
                    speaking_rate, dnsmos, speaker_noised, cfg_scale, top_p, min_k, min_p, linear, confidence,
                    quadratic, seed, randomize_seed, unconditional_keys,
                ],
                outputs=[output_audio, seed],
            )  # fmt: skip
        return demo

    def generate_audio(self, *inputs: Any) -> tuple[tuple[int, np.ndarray], int]:
        """The app's function: the same 29 inputs in its order (recorded in ``requests``, keyed by the upstream
        parameter names); returns ((44100, samples), seed)."""
        request = dict(zip(INPUT_NAMES, inputs, strict=True))
        with self._lock:
            self.calls += 1
            self.speaker_files.append(request["speaker_audio"])
            self.requests.append(request)
            behaviour = self._faults.begin()
        try:
            if behaviour is not None:
                kind = behaviour[0]
                if kind == "crash":
                    raise RuntimeError("stand-in crash: CUDA out of memory")
                if kind == "error":
                    raise gr.Error(str(behaviour[1]), print_exception=False)
                if kind == "delay":
                    threading.Event().wait(float(behaviour[1]))
            seed = random.randint(0, 2**32 - 1) if request["randomize_seed"] else int(request["seed"])
            text = str(request["text"])
            samples = _speak(text, str(request["language"]), float(request["speaking_rate"]))
            with self._lock:
                self.served_texts.append(text)
            return (SAMPLE_RATE, samples), seed
        finally:
            self._faults.end()
