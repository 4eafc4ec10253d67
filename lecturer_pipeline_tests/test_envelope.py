"""Envelope encryption of voice data."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from lecturer_pipeline.security.envelope import (
    Envelope,
    MasterKeyError,
    load_envelope,
    new_master_key,
    parse_master_keys,
)


def _envelope(*keys: str) -> Envelope:
    return Envelope(tuple(parse_master_keys(",".join(keys))))


def test_seal_open_round_trip_and_ciphertext_hides_the_plaintext() -> None:
    envelope = _envelope(new_master_key())
    blob = envelope.seal(b"RIFF....WAVEfmt voice", name="voices/ada/reference.enc")
    assert b"RIFF" not in blob and b"WAVE" not in blob
    assert envelope.open(blob, name="voices/ada/reference.enc") == b"RIFF....WAVEfmt voice"


def test_a_blob_moved_to_another_key_does_not_open() -> None:
    envelope = _envelope(new_master_key())
    blob = envelope.seal(b"voice", name="voices/ada/reference.enc")
    with pytest.raises(MasterKeyError):
        envelope.open(blob, name="voices/bob/reference.enc")


def test_old_keys_still_open_and_rewrap_moves_to_the_newest() -> None:
    old, new = new_master_key(), new_master_key()
    blob = _envelope(old).seal(b"voice", name="k")
    rotated = _envelope(new, old)
    assert rotated.open(blob, name="k") == b"voice"
    rewrapped = rotated.rewrap(blob, name="k")
    assert _envelope(new).open(rewrapped, name="k") == b"voice"
    with pytest.raises(MasterKeyError, match="not among the configured"):
        _envelope(old).open(rewrapped, name="k")


def test_wrong_key_is_a_clear_error() -> None:
    blob = _envelope(new_master_key()).seal(b"voice", name="k")
    with pytest.raises(MasterKeyError, match="LECTURER_MASTER_KEYS"):
        _envelope(new_master_key()).open(blob, name="k")


@pytest.mark.parametrize("value", ["not base64!!", "c2hvcnQ=", " , "])
def test_malformed_master_keys_are_refused(value: str) -> None:
    with pytest.raises(MasterKeyError):
        parse_master_keys(value)


def test_embedded_default_creates_a_private_key_file_once(tmp_path: Path) -> None:
    key_file = tmp_path / "home" / "master.key"
    first, origin = load_envelope(None, key_file)
    assert "created" in origin
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    second, origin_again = load_envelope(None, key_file)
    assert "created" not in origin_again
    assert second.open(first.seal(b"x", name="k"), name="k") == b"x"
