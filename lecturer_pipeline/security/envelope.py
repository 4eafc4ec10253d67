"""Envelope encryption (AES-256-GCM) for reference voices and speaker profiles.

Each object gets a fresh 256-bit data key; the data key is wrapped by a master key, and both layers bind the object's
key name as associated data, so a blob copied to another key fails to decrypt. Several master keys may be configured
(newest first): old objects keep decrypting, new ones are sealed with the newest, and ``rewrap`` moves an object to
the newest without touching its ciphertext. Blobs are small (a 30 s, 16 kHz clip is ~1 MB), so they are sealed whole.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from lecturer_pipeline.errors import ConfigurationError

MAGIC = b"LPE1"
_HEADER_LEN = struct.Struct(">I")


class MasterKeyError(ConfigurationError):
    """A master key is missing, malformed or does not open an object."""


def key_id(master_key: bytes) -> str:
    """A short, non-secret name for a master key (first 8 bytes of its sha256)."""
    return hashlib.sha256(master_key).hexdigest()[:16]


def parse_master_keys(value: str) -> list[bytes]:
    """Decode ``LECTURER_MASTER_KEYS``: comma-separated URL-safe base64 of 32-byte keys, newest first."""
    keys = []
    for position, item in enumerate(part.strip() for part in value.split(",")):
        if not item:
            continue
        try:
            raw = base64.urlsafe_b64decode(item + "=" * (-len(item) % 4))
        except ValueError as error:
            raise MasterKeyError(f"LECTURER_MASTER_KEYS entry {position + 1} is not base64") from error
        if len(raw) != 32:
            raise MasterKeyError(f"LECTURER_MASTER_KEYS entry {position + 1} is {len(raw)} bytes; AES-256 needs 32")
        keys.append(raw)
    if not keys:
        raise MasterKeyError("LECTURER_MASTER_KEYS is set but holds no key")
    return keys


def new_master_key() -> str:
    """A fresh master key in the form LECTURER_MASTER_KEYS takes."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


@dataclass(frozen=True)
class Envelope:
    """Seals and opens blobs under a list of master keys (index 0 is the newest, used for sealing)."""

    master_keys: tuple[bytes, ...]

    def seal(self, plaintext: bytes, *, name: str) -> bytes:
        master = self.master_keys[0]
        data_key = AESGCM.generate_key(bit_length=256)
        aad = name.encode()
        data_nonce, wrap_nonce = os.urandom(12), os.urandom(12)
        header = {
            "kid": key_id(master),
            "wrap_nonce": base64.b64encode(wrap_nonce).decode(),
            "wrapped_key": base64.b64encode(AESGCM(master).encrypt(wrap_nonce, data_key, aad)).decode(),
            "nonce": base64.b64encode(data_nonce).decode(),
        }
        encoded = json.dumps(header, sort_keys=True).encode()
        return MAGIC + _HEADER_LEN.pack(len(encoded)) + encoded + AESGCM(data_key).encrypt(data_nonce, plaintext, aad)

    def _parse(self, blob: bytes, name: str) -> tuple[dict, bytes]:
        if not blob.startswith(MAGIC):
            raise MasterKeyError(f"object {name} is not an encrypted envelope")
        (length,) = _HEADER_LEN.unpack_from(blob, len(MAGIC))
        start = len(MAGIC) + _HEADER_LEN.size
        return json.loads(blob[start : start + length]), blob[start + length :]

    def _data_key(self, header: dict, name: str) -> bytes:
        by_id = {key_id(k): k for k in self.master_keys}
        master = by_id.get(header["kid"])
        if master is None:
            raise MasterKeyError(
                f"object {name} was sealed with master key {header['kid']}, which is not among the configured "
                "LECTURER_MASTER_KEYS; add that key (newest first) to read it"
            )
        try:
            return AESGCM(master).decrypt(
                base64.b64decode(header["wrap_nonce"]), base64.b64decode(header["wrapped_key"]), name.encode()
            )
        except InvalidTag as error:
            raise MasterKeyError(
                f"object {name} does not open with master key {header['kid']} (wrong key or tampered)"
            ) from error

    def open(self, blob: bytes, *, name: str) -> bytes:
        header, ciphertext = self._parse(blob, name)
        data_key = self._data_key(header, name)
        try:
            return AESGCM(data_key).decrypt(base64.b64decode(header["nonce"]), ciphertext, name.encode())
        except InvalidTag as error:
            raise MasterKeyError(
                f"object {name} failed its integrity check (tampered or moved from another key)"
            ) from error

    def sealed_with(self, blob: bytes, *, name: str) -> str:
        """The key id an object was sealed with (to decide whether it needs re-wrapping)."""
        return self._parse(blob, name)[0]["kid"]

    def rewrap(self, blob: bytes, *, name: str) -> bytes:
        """Re-wrap the data key under the newest master key; the ciphertext itself is unchanged."""
        header, ciphertext = self._parse(blob, name)
        data_key = self._data_key(header, name)
        wrap_nonce = os.urandom(12)
        master = self.master_keys[0]
        header = dict(
            header,
            kid=key_id(master),
            wrap_nonce=base64.b64encode(wrap_nonce).decode(),
            wrapped_key=base64.b64encode(AESGCM(master).encrypt(wrap_nonce, data_key, name.encode())).decode(),
        )
        encoded = json.dumps(header, sort_keys=True).encode()
        return MAGIC + _HEADER_LEN.pack(len(encoded)) + encoded + ciphertext


def load_envelope(configured: str | None, key_file: Path) -> tuple[Envelope, str]:
    """The envelope for this deployment, and a sentence saying where its keys came from.

    With no ``LECTURER_MASTER_KEYS`` the embedded default keeps one key in ``key_file`` (created with mode 0600);
    losing that file loses every stored voice, which is the point of a key.
    """
    if configured:
        keys = parse_master_keys(configured)
        return Envelope(tuple(keys)), f"{len(keys)} master key(s) from LECTURER_MASTER_KEYS"
    if key_file.exists():
        return Envelope(tuple(parse_master_keys(key_file.read_text()))), f"master key file {key_file}"
    key_file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(new_master_key() + "\n")
    return (
        Envelope(tuple(parse_master_keys(key_file.read_text()))),
        f"created a new master key file {key_file} (mode 0600); set LECTURER_MASTER_KEYS in deployment",
    )
