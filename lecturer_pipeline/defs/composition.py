"""The composition resource: layout of the lecture video, cards, disclosure wording and the C2PA signing pair.

The signing key reaches Dagster as a ``dg.EnvVar`` (the UI shows the variable's name, not the key).
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from pydantic import PrivateAttr

from lecturer_pipeline.compose_settings import CompositionSettings
from lecturer_pipeline.defs.resources import from_settings, resolved, setting
from lecturer_pipeline.media.cards import PipLayout
from lecturer_pipeline.security.c2pa_sign import SigningPair, load_signing_pair
from lecturer_pipeline.stages.compose import ComposeOptions


class CompositionResource(dg.ConfigurableResource):
    """How the 1920×1080 lecture video is composed and signed (``LECTURER_PIP_*``, ``LECTURER_C2PA_*``, …)."""

    home: str
    pip_corner: str = setting("lecturer_pip_corner", of=CompositionSettings)
    pip_size: float = setting("lecturer_pip_size", of=CompositionSettings)
    pip_shape: str = setting("lecturer_pip_shape", of=CompositionSettings)
    title_seconds: float = setting("lecturer_title_seconds", of=CompositionSettings)
    end_seconds: float = setting("lecturer_end_seconds", of=CompositionSettings)
    slides_from_headings: bool = setting("lecturer_slides_from_headings", of=CompositionSettings)
    disclosure: str | None = setting("lecturer_disclosure", of=CompositionSettings)
    c2pa_cert: str | None = setting("lecturer_c2pa_cert", of=CompositionSettings)
    c2pa_key: str | None = setting("lecturer_c2pa_key", secret=True, of=CompositionSettings)
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
    """The composition resource for ``settings`` (by default read from the environment), keeping its keys under
    ``home``."""
    return from_settings(CompositionResource, settings or CompositionSettings(), home=str(home))
