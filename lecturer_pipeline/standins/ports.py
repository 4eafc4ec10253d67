"""Free loopback ports for the stand-ins and the servers they start beside the pipeline."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A port nobody listens on now; the caller binds it a moment later (a tiny race, harmless on loopback)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
