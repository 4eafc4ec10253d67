"""The embedded default's object store: a directory tree that mirrors the S3 key layout."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from lecturer_pipeline.errors import StorageError
from lecturer_pipeline.storage.objects import ObjectInfo, ObjectStore, check_key

_TMP_PREFIX = ".tmp-"


class LocalObjectStore(ObjectStore):
    """Objects as files under ``root``; writes go to a temp file in the same directory, then ``os.replace``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def _atomic_write(self, key: str, fill) -> ObjectInfo:
        """Fill a temp file of this write's own (mkstemp: unique per call), then rename it over the target."""
        target = self._path(key)
        for _ in range(3):  # a concurrent delete may remove the emptied folder between mkdir and mkstemp
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                fd, tmp = tempfile.mkstemp(prefix=_TMP_PREFIX, dir=target.parent)
                break
            except FileNotFoundError:
                continue
        else:
            raise StorageError(f"cannot create {key} in {self.describe()}: its folder keeps disappearing")
        try:
            with os.fdopen(fd, "wb") as handle:
                fill(handle)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return self._info(key, target)

    def _info(self, key: str, path: Path) -> ObjectInfo:
        stat = path.stat()
        modified = datetime.fromtimestamp(stat.st_mtime, UTC)
        return ObjectInfo(key=key, size=stat.st_size, modified=modified, etag=f"{stat.st_mtime_ns:x}-{stat.st_size:x}")

    def put_file(self, key: str, path: Path, *, content_type: str | None = None) -> ObjectInfo:
        def fill(handle) -> None:
            with open(path, "rb") as source:
                shutil.copyfileobj(source, handle, 1024 * 1024)

        return self._atomic_write(key, fill)

    def put_bytes(self, key: str, data: bytes, *, content_type: str | None = None) -> ObjectInfo:
        return self._atomic_write(key, lambda handle: handle.write(data))

    def get_file(self, key: str, dest: Path) -> Path:
        source = self._path(key)
        if not source.is_file():
            raise StorageError(f"object {key} does not exist in {self.describe()}")
        dest.parent.mkdir(parents=True, exist_ok=True)
        # A temp name of its own per call: two requests fetching one object to one place must not share a file.
        fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
        try:
            with os.fdopen(fd, "wb") as handle, open(source, "rb") as src:
                shutil.copyfileobj(src, handle, 1024 * 1024)
            os.replace(tmp, dest)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return dest

    def get_bytes(self, key: str) -> bytes:
        source = self._path(key)
        if not source.is_file():
            raise StorageError(f"object {key} does not exist in {self.describe()}")
        return source.read_bytes()

    def stat(self, key: str) -> ObjectInfo | None:
        path = self._path(key)
        return self._info(key, path) if path.is_file() else None

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        found = []
        for dirpath, _dirs, files in os.walk(self.root):
            for name in files:
                if name.startswith(_TMP_PREFIX):
                    continue
                path = Path(dirpath) / name
                key = path.relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    found.append((key, path))
        for key, path in sorted(found):
            yield self._info(key, path)

    def delete(self, key: str) -> bool:
        path = self._path(key)
        if not path.is_file():
            return False
        path.unlink()
        for parent in path.parents:  # tidy empty folders so listings stay meaningful
            if parent == self.root or any(parent.iterdir()):
                break
            parent.rmdir()
        return True

    def url(self, key: str, *, expires_seconds: int) -> str:
        return self._path(key).as_uri()

    def describe(self) -> str:
        return f"local store {self.root}"
