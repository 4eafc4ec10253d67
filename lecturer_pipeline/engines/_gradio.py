"""gradio_client as the Gradio-app engines (KDTalker, Zonos) use it: imported offline, without telemetry.

gradio_client reads these variables once, when it is first imported, so they are set here, before that import;
there may be no internet where the app runs, and a lecture's calls are nobody's analytics.
"""

from __future__ import annotations

import os

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
    "InvalidAPIEndpointError",
    "QueueError",
    "TooManyRequestsError",
    "ValidationError",
    "handle_file",
]
