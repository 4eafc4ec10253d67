"""What the Gradio stand-ins (KDTalker, Zonos) share: their app launched in this process on 127.0.0.1, on the
pinned port or a free one, hiding crashes as the real apps do (``show_error=False``), and closed again by ``stop()``.

The app itself — endpoint, components, outputs — stays each stand-in's own. It imports neither Dagster nor pytest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lecturer_pipeline.standins.ports import free_port
from lecturer_pipeline.standins.switches import StandIn

if TYPE_CHECKING:
    import gradio as gr


class GradioStandIn(StandIn):
    """``_launch(demo)`` serves a built app (its server runs on Gradio's own thread) and sets ``url``; ``stop()``
    closes it and frees the port."""

    port: int | None = None
    url: str = ""
    _demo: gr.Blocks | None = None

    def _launch(self, demo: gr.Blocks, **options: Any) -> None:
        """Launch ``demo`` with Gradio's defaults as the real apps run them, plus ``options`` of the stand-in's own."""
        port = self.port or free_port()
        self._demo = demo
        demo.launch(
            server_name="127.0.0.1",
            server_port=port,
            prevent_thread_lock=True,
            quiet=True,
            show_error=False,  # Gradio's default: a crash reaches clients without its message
            ssr_mode=False,  # no Node server
            **options,
        )
        self.url = f"http://127.0.0.1:{port}/"

    def stop(self) -> None:
        if self._demo is not None:
            self._demo.close(verbose=False)
            self._demo = None
