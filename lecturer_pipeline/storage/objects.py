"""The object-store interface both implementations (local directory, S3) honour.

Media moves as files: ``put_file`` streams from a path and ``get_file`` streams to one, so a 1 GB video never sits in
memory. Every write is atomic — readers see the old object or the new one, never half of one — so a crash mid-run
leaves nothing under an artefact's final key.
"""

from __future__ import annotations

import hashlib
import re
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from lecturer_pipeline.errors import StorageError

_KEY = re.compile(r"[A-Za-z0-9_.\-]+(?:/[A-Za-z0-9_.\-]+)*")
_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    modified: datetime
    etag: str = ""  # changes whenever the content may have: S3's ETag, or the local file's mtime and size


def check_key(key: str) -> str:
    """Refuse keys that could escape the store's root or mean different things on the two implementations."""
    if not _KEY.fullmatch(key) or any(part in {".", ".."} for part in key.split("/")):
        raise StorageError(f"refusing object key {key!r}: only relative keys of [A-Za-z0-9_.-] segments are allowed")
    return key


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


class ObjectStore(ABC):
    """A flat key space of immutable-once-written objects."""

    @abstractmethod
    def put_file(self, key: str, path: Path, *, content_type: str | None = None) -> ObjectInfo:
        """Stream a local file to ``key`` atomically."""

    @abstractmethod
    def get_file(self, key: str, dest: Path) -> Path:
        """Stream ``key`` to ``dest`` (written atomically); StorageError if it does not exist."""

    @abstractmethod
    def put_bytes(self, key: str, data: bytes, *, content_type: str | None = None) -> ObjectInfo:
        """Store a small object (manifests, encrypted profiles) atomically."""

    @abstractmethod
    def get_bytes(self, key: str) -> bytes:
        """Read a small object whole; StorageError if it does not exist."""

    @abstractmethod
    def stat(self, key: str) -> ObjectInfo | None:
        """Size and time of ``key``, or None when absent."""

    @abstractmethod
    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        """Objects whose key starts with ``prefix``, in key order."""

    @abstractmethod
    def delete(self, key: str) -> bool:
        """Delete ``key``; True if something was deleted."""

    def delete_many(self, keys: Sequence[str]) -> int:
        """Delete these keys without looking first (missing ones are no error); returns how many were asked for.
        S3 deletes up to 1,000 keys a request; this default deletes one at a time."""
        for key in keys:
            self.delete(key)
        return len(keys)

    @abstractmethod
    def url(self, key: str, *, expires_seconds: int) -> str:
        """A URL a browser can fetch the object from (file:// locally, a pre-signed URL on S3)."""

    @abstractmethod
    def describe(self) -> str:
        """Where the objects are, for logs and metadata (never a secret)."""

    def exists(self, key: str) -> bool:
        return self.stat(key) is not None
