"""The demo's sample lecture: a portrait and a reference voice generated on the spot (no media is committed)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from PIL import Image, ImageDraw

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


def make_sample_portrait(dst: Path, size: int = 640) -> Path:
    """A friendly drawn face (Pillow), standing in for a lecturer's photo."""
    image = Image.new("RGB", (size, size), (58, 96, 140))
    draw = ImageDraw.Draw(image)
    s = size / 640
    draw.rectangle([0, int(520 * s), size, size], fill=(40, 40, 60))
    draw.ellipse([int(170 * s), int(470 * s), int(470 * s), int(700 * s)], fill=(70, 70, 110))
    draw.ellipse([int(190 * s), int(110 * s), int(450 * s), int(430 * s)], fill=(236, 200, 170))
    draw.chord([int(180 * s), int(80 * s), int(460 * s), int(300 * s)], 180, 360, fill=(90, 60, 40))
    for x in (265, 375):
        draw.ellipse([int((x - 22) * s), int(225 * s), int((x + 22) * s), int(255 * s)], fill="white")
        draw.ellipse([int((x - 10) * s), int(230 * s), int((x + 10) * s), int(250 * s)], fill=(40, 60, 90))
    draw.line(
        [int(320 * s), int(260 * s), int(310 * s), int(320 * s), int(330 * s), int(320 * s)],
        fill=(190, 140, 120),
        width=max(1, int(4 * s)),
    )
    draw.arc(
        [int(270 * s), int(320 * s), int(370 * s), int(380 * s)], 20, 160, fill=(150, 60, 60), width=max(1, int(6 * s))
    )
    image.save(dst, format="PNG")
    return dst
