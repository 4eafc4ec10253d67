"""What every command module shares: the settings ``main`` read once for this invocation."""

from __future__ import annotations

import argparse

from lecturer_pipeline.settings import Settings


def settings_of(args: argparse.Namespace) -> Settings:
    """The settings ``main`` read for this command (a command called directly, as tests do, reads the environment)."""
    settings = getattr(args, "settings", None)
    return settings if isinstance(settings, Settings) else Settings()
