"""The licence gate: engines whose licence forbids commercial use are refused in a commercial deployment."""

from __future__ import annotations

from lecturer_pipeline.errors import ConfigurationError

NON_COMMERCIAL_MARKERS = ("BY-NC", "non-commercial", "noncommercial")


class LicenceError(ConfigurationError):
    """An engine may not be used under this deployment's terms; retrying cannot help."""


def is_non_commercial(licence: str) -> bool:
    return any(marker.lower() in licence.lower() for marker in NON_COMMERCIAL_MARKERS)


def check_licence(engine_name: str, licence: str, *, commercial: bool) -> None:
    """Refuse a non-commercial engine when ``LECTURER_COMMERCIAL`` is true."""
    if commercial and is_non_commercial(licence):
        raise LicenceError(
            f"{engine_name} is licensed {licence}, which forbids commercial use, and this deployment is commercial "
            f"(LECTURER_COMMERCIAL=true): unset KDTALKER_URL to use the local preview renderer, obtain a commercial "
            f"licence, or set LECTURER_COMMERCIAL=false if the use is non-commercial teaching"
        )
