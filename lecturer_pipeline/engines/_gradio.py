"""gradio_client as the Gradio-app engines (KDTalker, Zonos) use it: imported offline, one client per engine, and a
call that waits at most its timeout.

gradio_client reads the variables below once, when it is first imported, so they are set here, before that import;
there may be no internet where the app runs, and a lecture's calls are nobody's analytics.
"""

from __future__ import annotations

import concurrent.futures
import os
import threading
from collections.abc import Callable
from typing import Any

from lecturer_pipeline.errors import ServiceError

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError, AuthenticationError, ValidationError
from gradio_client.utils import InvalidAPIEndpointError, QueueError, TooManyRequestsError

__all__ = [
    "AppError",
    "AuthenticationError",
    "Client",
    "GradioApp",
    "InvalidAPIEndpointError",
    "QueueError",
    "TooManyRequestsError",
    "ValidationError",
    "handle_file",
]


class GradioApp:
    """One Gradio app's client, made on first use (that fetches the app's config, so it can fail too) and shared by
    the engine's calls; a transient failure drops it, so the next call connects afresh to a server that restarted."""

    def __init__(self, url: str, api_name: str, *, token: str | None = None) -> None:
        self.url, self.api_name = url, api_name
        self._token = token  # private: kept out of repr and messages
        self._client: Client | None = None
        self._lock = threading.Lock()

    def call(self, *inputs: Any, timeout: float, service_error: Callable[[Exception], ServiceError | None]) -> Any:
        """Submit and wait at most ``timeout`` (``predict`` would wait for ever); on timeout the job is cancelled,
        which drops it from the app's queue if it is still waiting there. A failure becomes ``service_error(exc)``
        (None: not the service's fault, raised as it is)."""
        try:
            job = self._connect().submit(*inputs, api_name=self.api_name)
            try:
                return job.result(timeout=timeout)
            except concurrent.futures.TimeoutError:
                job.cancel()
                raise
        except Exception as exc:
            error = service_error(exc)
            if error is None:
                raise
            if error.transient:
                self.close()  # the server may have restarted: connect afresh next time
            raise error from exc

    def _connect(self) -> Client:
        with self._lock:
            if self._client is None:
                self._client = Client(self.url, token=self._token, verbose=False, analytics_enabled=False)
            return self._client

    def close(self) -> None:
        """Drop the client (and gradio_client's heartbeat thread); the next call connects again."""
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()
