"""Who may open the studio: a password from ``LECTURER_STUDIO_AUTH=user:password``, on by default off loopback.

Bound to loopback (the default, 127.0.0.1) only this machine can reach the page, so no password is asked unless one
is configured. Bound to anything else, a page that takes voice recordings must not be open to the network: without
``LECTURER_STUDIO_AUTH`` a random password is made for user ``lecturer`` and printed once at start.
"""

from __future__ import annotations

import ipaddress
import secrets
from dataclasses import dataclass

from lecturer_pipeline.errors import ConfigurationError

AUTH_VARIABLE = "LECTURER_STUDIO_AUTH"
DEFAULT_USER = "lecturer"


@dataclass(frozen=True)
class Access:
    credentials: tuple[str, str] | None
    note: str | None  # what to tell the operator at start (e.g. a generated password)


def is_loopback(host: str) -> bool:
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False  # a host name or an empty string (all interfaces): treat as reachable from the network


def studio_access(host: str, configured: str | None) -> Access:
    """The credentials the studio asks for when bound to ``host``, given ``LECTURER_STUDIO_AUTH``'s value."""
    if configured:
        user, sep, password = configured.partition(":")
        if not sep or not user.strip() or not password:
            raise ConfigurationError(f"{AUTH_VARIABLE} must be user:password (both non-empty)")
        return Access((user.strip(), password), None)
    if is_loopback(host):
        return Access(None, None)
    password = secrets.token_urlsafe(12)
    return Access(
        (DEFAULT_USER, password),
        f"studio: bound to {host or 'every interface'}, so a password is required — user {DEFAULT_USER}, "
        f"password {password} (set {AUTH_VARIABLE}=user:password to choose your own)",
    )
