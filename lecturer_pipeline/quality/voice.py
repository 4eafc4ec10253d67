"""Is the chunk in the speaker's voice? Speaker similarity with resemblyzer's voice encoder (GE2E, 256-d).

resemblyzer ships its 17 MB pretrained encoder inside its wheel and runs on the CPU build of torch; nothing is
downloaded at run time. Lighter options were looked for and none ships its weights in a PyPI package (speakeronnx,
redimnet2-onnx and speechbrain download theirs from a hub on first use). The encoder is loaded once per process,
and the reference clip's embedding once per speaker fingerprint.
"""

from __future__ import annotations

import threading
import warnings
from pathlib import Path

import numpy as np

from lecturer_pipeline.quality.sound import read_samples

_lock = threading.Lock()
_encoder = None
_references: dict[str, np.ndarray] = {}


def _resemblyzer():
    """The module, imported quietly: it and webrtcvad use deprecated scipy and pkg_resources names on import."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import resemblyzer

    return resemblyzer


def _get_encoder():
    global _encoder
    if _encoder is None:
        _encoder = _resemblyzer().VoiceEncoder("cpu", verbose=False)
    return _encoder


def embed(wav: Path) -> np.ndarray:
    """The utterance embedding of a 16 kHz mono WAV (L2-normalised)."""
    preprocess_wav = _resemblyzer().preprocess_wav
    samples, rate = read_samples(wav)
    with _lock:
        encoder = _get_encoder()
        return encoder.embed_utterance(preprocess_wav(samples, source_sr=rate))


def reference_embedding(fingerprint: str, wav: Path) -> np.ndarray:
    """The reference clip's embedding, computed once per speaker fingerprint in this process."""
    if fingerprint not in _references:
        _references[fingerprint] = embed(wav)
    return _references[fingerprint]


def similarity(chunk_wav: Path, reference: np.ndarray) -> float:
    """Cosine similarity of the chunk's embedding with the reference's (both unit vectors)."""
    return round(float(np.dot(embed(chunk_wav), reference)), 4)
