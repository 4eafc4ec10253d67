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

import httpx

from lecturer_pipeline.errors import ServiceError

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError, AuthenticationError, ValidationError
from gradio_client.utils import InvalidAPIEndpointError, QueueError, TooManyRequestsError

__all__ = ["HIDDEN_CRASH", "AppError", "Client", "GradioApp", "handle_file"]

# gradio_client's words when the app raised an exception but hides its message (Gradio's default, show_error=False):
# not a refusal of the input but a fault of the server (out of GPU memory, a worker lost, a model still loading).
HIDDEN_CRASH = "has not enabled verbose error reporting"
# gradio_client's ValueErrors that mean the server went away mid-call.
_TRANSIENT_CLIENT_MESSAGES = ("server stopped", "did not receive process_completed", "could not fetch config")


class GradioApp:
    """One Gradio app's client, made on first use (that fetches the app's config, so it can fail too) and shared by
    the engine's calls; a transient failure drops it, so the next call connects afresh to a server that restarted.

    ``where`` names the app in messages ("KDTalker at http://host:7860 (KDTALKER_URL)"); ``what`` is what it should
    be ("a KDTalker app"), for the message when the URL points at something else.
    """

    def __init__(self, url: str, api_name: str, *, where: str, what: str, token: str | None = None) -> None:
        self.url, self.api_name, self.where, self.what = url, api_name, where, what
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

    def transient(self, what: str) -> ServiceError:
        return ServiceError(f"{self.where} {what}", transient=True)

    def permanent(self, what: str) -> ServiceError:
        return ServiceError(f"{self.where} {what}", transient=False)

    def client_error(self, exc: Exception, timeout: float) -> ServiceError | None:
        """What gradio_client and httpx raise, besides the app's own errors (``AppError``, which each engine reads
        itself), as a ServiceError; None for anything else (a bug: let it out)."""
        if isinstance(exc, concurrent.futures.TimeoutError):
            return self.transient(f"gave no result within {timeout:g} s (the job was cancelled)")
        if isinstance(exc, QueueError | TooManyRequestsError):
            return self.transient(f"is too busy: {exc}")
        if isinstance(exc, httpx.HTTPStatusError):
            status = exc.response.status_code
            text = f"answered HTTP {status} for {exc.request.url.path}"
            return self.transient(text) if status in (408, 429) or status >= 500 else self.permanent(text)
        if isinstance(exc, httpx.HTTPError | OSError | concurrent.futures.CancelledError):
            return self.transient(f"could not be reached or dropped the connection ({type(exc).__name__}: {exc})")
        if isinstance(exc, AuthenticationError):
            return self.permanent(f"wants credentials: {exc}")
        if isinstance(exc, InvalidAPIEndpointError):
            return self.permanent(f"has no {self.api_name} endpoint; is it {self.what}?")
        if isinstance(exc, ValidationError):
            return self.permanent(f"refused the request: {exc}")
        if isinstance(exc, ValueError) and any(m in str(exc).lower() for m in _TRANSIENT_CLIENT_MESSAGES):
            return self.transient(f"went away during the call: {exc}")
        return None

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
