"""espeak-ng speech for the text-to-speech stand-ins (Zyphra's API and the Zonos app): real audio of the words.

Both services take a ``speaking_rate`` of 5–35 with 15 as the default; espeak-ng takes words per minute. One mapping
keeps their paces alike, so a lecture spoken by either stand-in lasts about as long.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

BASE_WPM = 160  # espeak-ng words per minute at the services' default speaking_rate of 15
MAX_SECONDS = 30.0  # the model stops at 30 s of audio (Zonos gradio_interface.py @15e40406: max_new_tokens = 86 * 30)


def words_per_minute(speaking_rate: float) -> int:
    """espeak-ng's ``-s`` for a service's ``speaking_rate`` (15 → 160 wpm), kept within what espeak-ng speaks."""
    return max(80, min(450, round(BASE_WPM * float(speaking_rate) / 15)))


def espeak_wav(text: str, voice: str, speaking_rate: float, dst: Path) -> None:
    """Speak ``text`` (UTF-8 on stdin, so no shell quoting and no length limit) in ``voice`` into the WAV ``dst``."""
    subprocess.run(
        ["espeak-ng", "-v", voice, "-s", str(words_per_minute(speaking_rate)), "-b", "1", "-w", str(dst), "--stdin"],
        input=text.encode("utf-8"),
        capture_output=True,
        check=True,
        timeout=120,
    )
