"""Contract tests: the local store and the S3 store (real RADOS Gateway) behave the same."""

from __future__ import annotations

import os
import urllib.request
from pathlib import Path

import pytest

from lecturer_pipeline.errors import StorageError
from lecturer_pipeline.storage.local import LocalObjectStore
from lecturer_pipeline.storage.objects import ObjectStore, check_key, sha256_file


def test_put_and_get_file_round_trip(object_store: ObjectStore, tmp_path: Path) -> None:
    source = tmp_path / "in.bin"
    source.write_bytes(os.urandom(300_000))
    info = object_store.put_file("generated/video/c--l/video.mp4", source, content_type="video/mp4")
    assert info.size == 300_000
    out = object_store.get_file("generated/video/c--l/video.mp4", tmp_path / "out" / "video.mp4")
    assert sha256_file(out) == sha256_file(source)
    assert not list((tmp_path / "out").glob("*.part"))


def test_large_file_streams_in_parts(object_store: ObjectStore, tmp_path: Path) -> None:
    """40 MB crosses the 16 MB multipart threshold on S3; the content must survive the parts."""
    source = tmp_path / "big.bin"
    with open(source, "wb") as handle:
        for _ in range(40):
            handle.write(os.urandom(1024 * 1024))
    object_store.put_file("generated/video/c--l/big.mp4", source)
    out = object_store.get_file("generated/video/c--l/big.mp4", tmp_path / "big-out.bin")
    assert sha256_file(out) == sha256_file(source)


def test_bytes_stat_list_delete(object_store: ObjectStore) -> None:
    object_store.put_bytes("uploads/lectures/c/a.txt", b"alpha")
    object_store.put_bytes("uploads/lectures/c/b.txt", b"beta!")
    object_store.put_bytes("uploads/voice/s.wav", b"RIFF")
    assert object_store.get_bytes("uploads/lectures/c/b.txt") == b"beta!"
    stat = object_store.stat("uploads/lectures/c/a.txt")
    assert stat is not None and stat.size == 5
    assert object_store.stat("uploads/lectures/c/missing.txt") is None
    assert [o.key for o in object_store.list("uploads/lectures/")] == [
        "uploads/lectures/c/a.txt",
        "uploads/lectures/c/b.txt",
    ]
    assert object_store.delete("uploads/lectures/c/a.txt") is True
    assert object_store.delete("uploads/lectures/c/a.txt") is False
    assert [o.key for o in object_store.list("uploads/")] == ["uploads/lectures/c/b.txt", "uploads/voice/s.wav"]


def test_overwrite_replaces_whole_object(object_store: ObjectStore) -> None:
    object_store.put_bytes("k/x.txt", b"first version, longer")
    object_store.put_bytes("k/x.txt", b"second")
    assert object_store.get_bytes("k/x.txt") == b"second"


def test_missing_object_is_a_clear_storage_error(object_store: ObjectStore, tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="does not exist"):
        object_store.get_bytes("nope/none.txt")
    with pytest.raises(StorageError, match="does not exist"):
        object_store.get_file("nope/none.txt", tmp_path / "x")
    assert not (tmp_path / "x").exists() and not (tmp_path / "x.part").exists()


def test_url_fetches_the_object(object_store: ObjectStore) -> None:
    object_store.put_bytes("generated/video/c--l/poster.jpg", b"not really a jpeg")
    url = object_store.url("generated/video/c--l/poster.jpg", expires_seconds=600)
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.read() == b"not really a jpeg"


@pytest.mark.parametrize("key", ["../etc/passwd", "/abs/key", "a/../../b", "a//b", "", "a/./b", "ключ"])
def test_keys_outside_the_layout_are_refused(key: str, tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="refusing object key"):
        check_key(key)
    with pytest.raises(StorageError):
        LocalObjectStore(tmp_path).put_bytes(key, b"x")


def test_local_store_leaves_no_temp_file_when_the_source_vanishes(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "objects")
    with pytest.raises(FileNotFoundError):
        store.put_file("generated/audio/c--l/speech.wav", tmp_path / "missing.wav")
    assert not any(p.is_file() for p in (tmp_path / "objects").rglob("*"))


def test_s3_rejects_a_wrong_secret(s3_server, s3_bucket) -> None:
    """The RADOS Gateway checks signatures: the tests' S3 is real, not a permissive fake."""
    from lecturer_pipeline.storage.s3 import S3ObjectStore, make_s3_client

    client = make_s3_client(s3_server.endpoint_url, access_key=s3_server.access_key, secret_key="wrong-secret")
    with pytest.raises(StorageError):
        S3ObjectStore(client, s3_bucket)
