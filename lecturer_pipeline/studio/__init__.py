"""The instructor studio: a Gradio page where a lecturer records a voice, uploads a portrait, gives a script or a
prompt, reviews drafts and watches finished lectures — on top of the uploads area the sensor watches, never running
a pipeline step itself. ``lecturer-pipeline studio`` (``make studio``) starts it; ``actions`` holds the logic,
``lectures`` the lecture buttons, ``review`` *Approve as it is* for a NEEDS_REVIEW lecture, ``deck`` the slides
(checked at submission, shown as thumbnails), ``app`` the page, ``server`` its start, ``auth`` who is signed in and
``ownership`` what they may touch."""

from __future__ import annotations

from typing import Any


def launch(**kwargs: Any) -> Any:
    """Start the studio (imports Gradio only now, so the rest of the CLI stays quick); see ``server.launch``."""
    from lecturer_pipeline.studio.server import launch as launch_app

    return launch_app(**kwargs)
