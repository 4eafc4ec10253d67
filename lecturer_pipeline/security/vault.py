"""The voice vault: the only way voice data enters or leaves the object store, always sealed at rest."""

from __future__ import annotations

import os
from pathlib import Path

from lecturer_pipeline.security.envelope import Envelope
from lecturer_pipeline.storage.objects import ObjectInfo, ObjectStore


class VoiceVault:
    """Seals files into the store and opens them back to local files, binding each blob to its key."""

    def __init__(self, store: ObjectStore, envelope: Envelope) -> None:
        self.store = store
        self.envelope = envelope

    def put(self, key: str, path: Path) -> ObjectInfo:
        return self.put_bytes(key, path.read_bytes())

    def put_bytes(self, key: str, data: bytes) -> ObjectInfo:
        self._refuse_foreign_overwrite(key)
        return self.store.put_bytes(key, self.envelope.seal(data, name=key))

    def _refuse_foreign_overwrite(self, key: str) -> None:
        """Never replace a stored voice sealed under a master key we do not hold: that is a configuration mistake
        (a missing or wrong LECTURER_MASTER_KEYS), and overwriting would destroy the only copy of the voice."""
        if self.store.exists(key):
            self.envelope.open(self.store.get_bytes(key), name=key)  # raises MasterKeyError with the reason

    def get_bytes(self, key: str) -> bytes:
        return self.envelope.open(self.store.get_bytes(key), name=key)

    def get_file(self, key: str, dest: Path) -> Path:
        """Decrypt ``key`` into ``dest`` (mode 0600: decrypted voice stays readable by this user only)."""
        data = self.get_bytes(key)
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        return dest
