"""The composition resource: layout of the lecture video, cards, disclosure wording and the C2PA signing pair.

The signing key reaches Dagster as a ``dg.EnvVar`` (the UI shows the variable's name, not the key).
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from pydantic import PrivateAttr

from lecturer_pipeline.compose_settings import CompositionSettings
from lecturer_pipeline.defs.resources import resolved, secret
from lecturer_pipeline.media.cards import PipLayout
from lecturer_pipeline.security.c2pa_sign import SigningPair, load_signing_pair
from lecturer_pipeline.stages.compose import ComposeOptions


class CompositionResource(dg.ConfigurableResource):
    """How the 1920×1080 lecture video is composed and signed (``LECTURER_PIP_*``, ``LECTURER_C2PA_*``, …)."""

    home: str
    pip_corner: str = "lower-right"
    pip_size: float = 0.30
    pip_shape: str = "circle"
    title_seconds: float = 3.0
    end_seconds: float = 3.0
    slides_from_headings: bool = True
    disclosure: str | None = None
    c2pa_cert: str | None = None
    c2pa_key: str | None = None
    _pair: SigningPair | None = PrivateAttr(default=None)

    def options(self) -> ComposeOptions:
        from importlib.metadata import version

        layout = PipLayout(corner=self.pip_corner, size=self.pip_size, shape=self.pip_shape)
        return ComposeOptions(
            layout=layout,
            title_seconds=self.title_seconds,
            end_seconds=self.end_seconds,
            disclosure=self.disclosure,
            version=version("lecturer_pipeline"),
        )

    def signing_pair(self) -> SigningPair:
        if self._pair is None:
            self._pair = load_signing_pair(resolved(self.c2pa_cert), resolved(self.c2pa_key), Path(self.home))
        return self._pair


def build_composition_resource(home: Path, settings: CompositionSettings | None = None) -> CompositionResource:
    settings = settings or CompositionSettings()
    return CompositionResource(
        home=str(home),
        pip_corner=settings.lecturer_pip_corner,
        pip_size=settings.lecturer_pip_size,
        pip_shape=settings.lecturer_pip_shape,
        title_seconds=settings.lecturer_title_seconds,
        end_seconds=settings.lecturer_end_seconds,
        slides_from_headings=settings.lecturer_slides_from_headings,
        disclosure=settings.lecturer_disclosure,
        c2pa_cert=settings.lecturer_c2pa_cert,
        c2pa_key=secret(settings, "lecturer_c2pa_key"),
    )
