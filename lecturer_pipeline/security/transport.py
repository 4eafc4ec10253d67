"""A warning, once, when a secret is about to travel in clear text; and URLs shown without the secrets in them.

Zyphra's SDK defaults to ``http://api.zyphra.com`` and the pipeline keeps that default (``ZYPHRA_BASE_URL``), but
then the API key (``X-API-Key``) and the lecturer's voice clip cross the network unencrypted. The same holds for a
Hugging Face token sent to a KDTalker app over http. Loopback addresses are exempt (a stand-in, an SSH tunnel, a
sidecar proxy that adds TLS). The remedy is a URL that starts with ``https://``, e.g.
``ZYPHRA_BASE_URL=https://api.zyphra.com``.
"""

from __future__ import annotations

import ipaddress
import logging
import threading
import urllib.parse

_logger = logging.getLogger("lecturer_pipeline.security")
_warned: set[tuple[str, str]] = set()
_lock = threading.Lock()


def is_loopback(host: str | None) -> bool:
    """Whether ``host`` names this machine (localhost, 127.0.0.0/8, ::1)."""
    if not host:
        return False
    if host.lower() in ("localhost", "localhost.localdomain") or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def public_url(url: str) -> str:
    """``url`` without any ``user:password@`` part, fit for messages and logs (a bare ``host:port`` works too)."""
    parts = urllib.parse.urlsplit(url if "://" in url else f"//{url}")
    if "@" not in parts.netloc:
        return url
    shown = urllib.parse.urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))
    return shown if "://" in url else shown.removeprefix("//")


def warn_if_plain_http(url: str, *, secret: str, variable: str) -> bool:
    """Log a warning the first time ``secret`` (its name, e.g. "the Zyphra API key") is to be sent to ``url`` over
    plain http to a host that is not loopback; True when a warning was (or had already been) given."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme.lower() != "http" or is_loopback(parts.hostname):
        return False
    key = (secret, f"{parts.hostname}:{parts.port or 80}")
    with _lock:
        if key in _warned:
            return True
        _warned.add(key)
    _logger.warning(
        "%s will be sent unencrypted over plain http to %s; set %s to an https:// URL (e.g. %s)",
        secret,
        parts.hostname,
        variable,
        urllib.parse.urlunsplit(("https", parts.netloc.rsplit("@", 1)[-1], parts.path, "", "")),
    )
    return True
