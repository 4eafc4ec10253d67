"""Studio passwords, hashed with scrypt (``hashlib.scrypt``: OpenSSL's, in the standard library — nothing to install).

A stored hash reads ``scrypt$<n>$<r>$<p>$<salt>$<digest>`` (base64), so the cost can be raised later without
breaking the hashes already stored: each is checked with the parameters it was made with. n=2^15, r=8 costs about
32 MB and about 0.1 s per check on one core — slow enough to make guessing a stolen catalog expensive, quick
enough for a login form.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

_N, _R, _P = 2**15, 8, 1
_SALT_BYTES = 16
_DIGEST_BYTES = 32
MIN_LENGTH = 10


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=130 * n * r * p + 2**20, dklen=_DIGEST_BYTES
    )


def hash_password(password: str) -> str:
    """A fresh salted scrypt hash of ``password`` in the self-describing form above."""
    salt = secrets.token_bytes(_SALT_BYTES)
    digest = _scrypt(password, salt, _N, _R, _P)
    encode = base64.b64encode
    return f"scrypt${_N}${_R}${_P}${encode(salt).decode()}${encode(digest).decode()}"


def verify_password(password: str, stored: str | None) -> bool:
    """Whether ``password`` matches ``stored``; a missing or malformed hash costs as much as a real check."""
    try:
        scheme, n, r, p, salt, digest = (stored or "").split("$")
        if scheme != "scrypt":
            raise ValueError(scheme)
        expected = base64.b64decode(digest)
        actual = _scrypt(password, base64.b64decode(salt), int(n), int(r), int(p))
    except (ValueError, TypeError):
        _scrypt(password, b"\0" * _SALT_BYTES, _N, _R, _P)  # the same time as a real check: no user enumeration
        return False
    return hmac.compare_digest(actual, expected)


def check_new_password(password: str) -> str | None:
    """Why ``password`` is too weak to set, or None."""
    if len(password) < MIN_LENGTH:
        return f"a studio password needs at least {MIN_LENGTH} characters"
    return None
