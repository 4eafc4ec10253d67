"""Configuration of the composed lecture video (DESIGN.md §10), read once from environment variables.

Kept apart from ``settings.py`` so the composition's options travel together; every field maps to the upper-case
variable of the same name.
"""

from __future__ import annotations

from lecturer_pipeline.settings import EnvironmentSettings


class CompositionSettings(EnvironmentSettings):
    lecturer_pip_corner: str = "lower-right"  # lower-right, lower-left, upper-right, upper-left
    lecturer_pip_size: float = 0.30  # the head's height as a fraction of the frame's
    lecturer_pip_shape: str = "circle"  # circle, rounded, square
    lecturer_title_seconds: float = 3.0
    lecturer_end_seconds: float = 3.0
    lecturer_slides_from_headings: bool = True  # each # heading moves to the next page
    lecturer_disclosure: str | None = None  # own wording; {speaker} is replaced
    lecturer_c2pa_cert: str | None = None  # PEM chain (file path or text), signing certificate first
    lecturer_c2pa_key: str | None = None  # its PEM private key (file path or text)
