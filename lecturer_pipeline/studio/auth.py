"""Who is using the studio: the sign-in modes, the login check with its lock-out, and the guard in front of the app.

Four modes, chosen at start (``studio_gate``):
- **accounts** — users in the catalog (``lecturer-pipeline users add``), each with a scrypt-hashed password and a role;
  ``LECTURER_STUDIO_AUTH=user:password`` adds one admin account beside them (or is the only one).
- **shared** — nothing but ``LECTURER_STUDIO_AUTH`` (or, off loopback with nothing configured, a generated password
  for user ``lecturer``): one admin account; everyone who has the password can do everything.
- **single sign-on** — ``LECTURER_STUDIO_TRUSTED_HEADER`` names a header (e.g. ``X-Forwarded-User``) that an
  OIDC/SAML proxy in front of the studio sets; it is believed only on requests from an address in
  ``LECTURER_STUDIO_TRUSTED_PROXIES``. The user's role is the catalog's (lecturer if they have no row).
- **open** — loopback with nothing configured: whoever sits at this machine is its operator (an admin named
  ``local``), and only requests whose ``Host`` is ``127.0.0.1``, ``localhost`` or ``[::1]`` are served, so a web page
  elsewhere cannot reach the studio through DNS rebinding.
Handlers ask ``Identities.user`` with the ``gr.Request`` Gradio gives them: the name comes from the login session (or
the proxy's header), never from anything on the page.
"""

from __future__ import annotations

import asyncio
import contextvars
import hmac
import ipaddress
import logging
import re
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Any, Literal

from lecturer_pipeline.errors import ConfigurationError, InputError
from lecturer_pipeline.security.passwords import verify_password
from lecturer_pipeline.storage.accounts import Accounts, User
from lecturer_pipeline.studio.access import AUTH_VARIABLE, is_loopback, studio_access

log = logging.getLogger(__name__)

TRUSTED_HEADER_VARIABLE = "LECTURER_STUDIO_TRUSTED_HEADER"
TRUSTED_PROXIES_VARIABLE = "LECTURER_STUDIO_TRUSTED_PROXIES"
LOCAL_ADMIN = User("local", "admin")
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
_SSO_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$")
CLIENT_ADDRESS: contextvars.ContextVar[str] = contextvars.ContextVar("studio_client_address", default="?")


@dataclass(frozen=True)
class Gate:
    mode: Literal["open", "shared", "accounts", "sso"]
    shared: tuple[str, str] | None = None  # the one admin account from LECTURER_STUDIO_AUTH (or generated)
    header: str | None = None
    proxies: tuple[Any, ...] = ()  # ip_network objects
    note: str | None = None


def studio_gate(host: str, environ: dict[str, str], accounts: Accounts, *, auth: tuple[str, str] | None = None) -> Gate:
    """The sign-in mode for a studio bound to ``host`` (see the module docstring)."""
    header = (environ.get(TRUSTED_HEADER_VARIABLE) or "").strip()
    if header:
        proxies = _networks(environ.get(TRUSTED_PROXIES_VARIABLE) or "")
        if not proxies:
            raise ConfigurationError(
                f"{TRUSTED_HEADER_VARIABLE} is set, so {TRUSTED_PROXIES_VARIABLE} must name the proxy's address(es) "
                "(e.g. 127.0.0.1 or 10.0.0.0/24): the header is believed only from there"
            )
        return Gate("sso", header=header.lower(), proxies=proxies)
    configured = environ.get(AUTH_VARIABLE)
    shared = auth or (studio_access(host, configured).credentials if configured else None)
    if accounts.has_users():
        return Gate("accounts", shared=shared)
    if shared:
        return Gate("shared", shared=shared)
    access = studio_access(host, None)
    if access.credentials is None:
        return Gate("open")
    return Gate("shared", shared=access.credentials, note=access.note)


def _networks(text: str) -> tuple[Any, ...]:
    try:
        return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip())
    except ValueError as error:
        raise ConfigurationError(f"{TRUSTED_PROXIES_VARIABLE}: {error}") from error


class LoginLimiter:
    """Failed logins per user and per address: ``per_user`` (or ``per_address``) failures within ``window`` seconds
    lock that user (or address) out for ``lock`` seconds — a correct password is refused too while locked."""

    def __init__(self, *, per_user: int = 20, per_address: int = 100, window: float = 900, lock: float = 900):
        self.per_user, self.per_address, self.window, self.lock = per_user, per_address, window, lock
        self._failures: dict[tuple[str, str], deque[float]] = defaultdict(deque)
        self._locked: dict[tuple[str, str], float] = {}
        self._mutex = threading.Lock()

    def locked(self, user: str, address: str) -> bool:
        now = time.monotonic()
        with self._mutex:
            return any(self._locked.get(key, 0) > now for key in (("user", user), ("address", address)))

    def failed(self, user: str, address: str) -> None:
        now = time.monotonic()
        with self._mutex:
            for key, limit in ((("user", user), self.per_user), (("address", address), self.per_address)):
                times = self._failures[key]
                times.append(now)
                while times and times[0] < now - self.window:
                    times.popleft()
                if len(times) >= limit:
                    self._locked[key] = now + self.lock
                    times.clear()
                    log.warning("studio: %s %s locked out for %.0f s after %d failed logins", *key, self.lock, limit)

    def succeeded(self, user: str) -> None:
        with self._mutex:
            self._failures.pop(("user", user), None)


class Identities:
    """The login check Gradio calls (``auth=``), the proxy check (``auth_dependency=``), and ``user(request)``."""

    def __init__(self, gate: Gate, accounts: Accounts, limiter: LoginLimiter | None = None) -> None:
        self.gate, self.accounts, self.limiter = gate, accounts, limiter or LoginLimiter()

    @property
    def gradio_auth(self) -> Any:
        return self.check_login if self.gate.mode in ("shared", "accounts") else None

    @property
    def gradio_dependency(self) -> Any:
        return self.proxy_user if self.gate.mode == "sso" else None

    async def check_login(self, username: str, password: str) -> bool:
        address = CLIENT_ADDRESS.get()
        return await asyncio.to_thread(self._check, username, password, address)

    def _check(self, username: str, password: str, address: str) -> bool:
        if self.limiter.locked(username, address):
            log.warning("studio: login for %r from %s refused: locked out after repeated failures", username, address)
            return False
        shared = self.gate.shared
        if shared and hmac.compare_digest(username.encode(), shared[0].encode()):
            good = hmac.compare_digest(password.encode(), shared[1].encode())
        else:
            user = self.accounts.get_user(username.lower()) if self.gate.mode == "accounts" else None
            good = verify_password(password, user.password_hash if user else None)
        if good:
            self.limiter.succeeded(username)
            log.info("studio: %r signed in from %s", username, address)
        else:
            self.limiter.failed(username, address)
            log.warning("studio: failed login for %r from %s", username, address)
        return good

    def proxy_user(self, request: Any) -> str | None:
        """The user the trusted proxy names, or None (Gradio then answers 401) for any other sender."""
        client = request.client.host if request.client else ""
        try:
            trusted = any(ipaddress.ip_address(client) in net for net in self.gate.proxies)
        except ValueError:
            trusted = False
        name = (request.headers.get(self.gate.header) or "").strip()
        if not trusted or not _SSO_NAME.match(name):
            return None
        return name.lower()

    def user(self, request: Any) -> User:
        """The signed-in user of a Gradio event, from the session (or the trusted proxy), with their role."""
        if self.gate.mode == "open":
            return LOCAL_ADMIN
        name = getattr(request, "username", None) if request is not None else None
        if self.gate.mode == "sso" and request is not None and name is None:
            name = self.proxy_user(request)
        if not name:
            raise InputError("you are not signed in: reload the page and sign in")
        if self.gate.shared and name == self.gate.shared[0]:
            return User(name, "admin")
        user = self.accounts.get_user(name.lower())
        if user is not None:
            return user
        if self.gate.mode == "sso":
            return User(name.lower(), "lecturer")  # single sign-on users need no row; a row makes one an admin
        raise InputError("your studio account no longer exists: ask your operator")


class StudioGuard:
    """ASGI middleware: notes each request's client address (for the login limiter) and, in open mode, refuses any
    ``Host`` but loopback's with 421 before the app sees the request."""

    def __init__(self, app: Any, *, loopback_only: bool) -> None:
        self.app, self.loopback_only = app, loopback_only

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] in ("http", "websocket"):
            CLIENT_ADDRESS.set((scope.get("client") or ("?", 0))[0])
            if self.loopback_only and _host(scope) not in LOOPBACK_HOSTS:
                await _refuse(scope, send)
                return
        await self.app(scope, receive, send)


def _host(scope: dict) -> str:
    raw = next((v for k, v in scope.get("headers", []) if k == b"host"), b"").decode("latin-1").strip().lower()
    if raw.startswith("["):
        return raw[1:].split("]", 1)[0]
    return raw.rsplit(":", 1)[0] if raw.count(":") == 1 else raw


async def _refuse(scope: dict, send: Any) -> None:
    body = b"This studio answers only to http://127.0.0.1 or http://localhost (no password is set).\n"
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008})
        return
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 421, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def loopback_only(gate: Gate, host: str) -> bool:
    """The Host check applies to the open mode (loopback, no password) only."""
    return gate.mode == "open" and is_loopback(host)
