"""The demo's sample lecture: a portrait (a photo shipped inside a PyPI wheel) and a reference voice generated on
the spot (no media is committed)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from PIL import Image

from lecturer_pipeline.media.audio import to_wav_16k_mono
from lecturer_pipeline.security.consent import ConsentRecord

SAMPLE_COURSE = "demo"
SAMPLE_LECTURE = "welcome"
SAMPLE_SPEAKER = "demo-lecturer"
SAMPLE_TITLE = "Welcome to the course"
SAMPLE_CONSENT = ConsentRecord(
    by="The demonstration lecturer (a synthetic voice)",
    statement="I agree that my recorded voice is used to generate lecture videos for this course.",
)

SAMPLE_VOICE_TEXT = (
    "Hello, I am the demonstration lecturer. This short recording is my reference voice. "
    "A real lecturer records ten to thirty seconds of ordinary speech, in a quiet room, "
    "and the pipeline learns to speak their scripts in that voice."
)

SAMPLE_SCRIPT = (
    "Welcome to the course. In this first lecture we will see how the pipeline turns a written script into a video.\n\n"
    "First the script is split into sentences. Then each sentence is spoken, and the pieces are joined into one "
    "recording. Finally the portrait is animated with that recording, and the finished video is published."
)


def make_sample_voice(dst: Path) -> Path:
    """About 15 s of espeak-ng speech as a 16 kHz mono WAV, standing in for a lecturer's recording."""
    raw = dst.with_suffix(".raw.wav")
    subprocess.run(
        ["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(raw), "--stdin"],
        input=SAMPLE_VOICE_TEXT.encode(),
        check=True,
        capture_output=True,
    )
    to_wav_16k_mono(raw, dst)
    raw.unlink()
    return dst


# Head and shoulders of scikit-image's ``data.astronaut()`` (512×512): the face at about (175, 76)–(265, 166); the
# mission patch lower down, which dlib also takes for a face at upsample 1, is left out.
_ASTRONAUT_HEAD = (90, 0, 350, 260)


def make_sample_portrait(dst: Path, size: int = 640) -> Path:
    """A real photo of a person, standing in for a lecturer's: NASA's public-domain portrait of Eileen Collins,
    shipped inside the scikit-image wheel (``skimage.data.astronaut()``; nothing is downloaded), cropped to head and
    shoulders so that KDTalker's face detector finds exactly one face (``media/faces.py``)."""
    from skimage import data  # imported here: only the demo and the tests need the sample photo

    photo = Image.fromarray(data.astronaut()).crop(_ASTRONAUT_HEAD)
    photo.resize((size, size), Image.Resampling.LANCZOS).save(dst, format="PNG")
    return dst
