"""The deployment object store: any S3 API (MinIO in production, Ceph RADOS Gateway in the tests) through boto3.

Uploads go through boto3's transfer manager: large files are sent in bounded multipart chunks, and an object only
appears under its key when the upload completes (a failed multipart upload is aborted), which gives the atomic write
the interface promises.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
import botocore.session
from boto3.exceptions import S3UploadFailedError
from boto3.s3.transfer import TransferConfig
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from botocore.utils import parse_timestamp

from lecturer_pipeline.errors import StorageError
from lecturer_pipeline.retries import S3_MAX_ATTEMPTS, S3_RETRY_MODE
from lecturer_pipeline.storage.objects import ObjectInfo, ObjectStore, check_key

_MB = 1024 * 1024
MAX_PRESIGN_SECONDS = 7 * 24 * 3600
MAX_DELETE_KEYS = 1000  # the S3 API's limit for one DeleteObjects request
# 16 MB parts, 4 at a time: at most ~64 MB of a file in flight, whatever its size.
TRANSFER = TransferConfig(multipart_threshold=16 * _MB, multipart_chunksize=16 * _MB, max_concurrency=4)


def _timestamp(value: Any) -> Any:
    """botocore's timestamp parser, with ISO 8601 (every listing entry's LastModified) read by the standard library:
    dateutil's general parser took most of a listing's time (1.5 s of 2 s for 15,000 keys)."""
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            return datetime.fromisoformat(value)
    return parse_timestamp(value)


def make_s3_client(
    endpoint_url: str | None,
    *,
    access_key: str | None,
    secret_key: str | None,
    region: str | None = "us-east-1",
    max_attempts: int = S3_MAX_ATTEMPTS,
    session_token: str | None = None,
    profile: str | None = None,
    use_ssl: bool = True,
    verify: bool | None = None,
    unsigned: bool = False,
) -> Any:
    """A boto3 S3 client for an S3-compatible server (path-style addressing, SigV4), taking dagster-aws's
    ``S3Resource`` settings (``defs/resources.py``); botocore retries each request ``max_attempts`` times in all
    (``lecturer_pipeline/retries.py`` says why no other level retries it)."""
    session = botocore.session.Session(profile=profile) if profile else botocore.session.get_session()
    session.get_component("response_parser_factory").set_parser_defaults(timestamp_parser=_timestamp)
    config = Config(
        signature_version=UNSIGNED if unsigned else "s3v4",
        s3={"addressing_style": "path"},
        retries={"total_max_attempts": max_attempts, "mode": S3_RETRY_MODE},  # the first try counts
        connect_timeout=10,
        read_timeout=60,
        # Newer botocore adds CRC checksums in trailers by default; MinIO and older RGW releases reject those.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    return boto3.session.Session(botocore_session=session).client(
        "s3",
        endpoint_url=endpoint_url,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        aws_session_token=session_token,
        region_name=region,
        use_ssl=use_ssl,
        verify=verify,
        config=config,
    )


class S3RequestError(StorageError):
    """An S3 request that failed after botocore's own retries: the step is not retried on top of them
    (``lecturer_pipeline/retries.py``)."""


def _is_missing(error: ClientError) -> bool:
    code = str(error.response.get("Error", {}).get("Code", ""))
    return code in {"404", "NoSuchKey", "NotFound"}


class S3ObjectStore(ObjectStore):
    """Objects in one bucket of an S3 server."""

    def __init__(self, client: Any, bucket: str, *, create_bucket: bool = True) -> None:
        self.client = client
        self.bucket = bucket
        if create_bucket:
            self._ensure_bucket()

    def _fail(self, action: str, key: str, error: Exception) -> StorageError:
        return S3RequestError(f"{action} {key} failed on {self.describe()}: {error}")

    def _ensure_bucket(self) -> None:
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError as error:
            if not _is_missing(error):
                raise self._fail("checking bucket", self.bucket, error) from error
            try:
                self.client.create_bucket(Bucket=self.bucket)
            except ClientError as create_error:
                code = create_error.response.get("Error", {}).get("Code")
                if code not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
                    raise self._fail("creating bucket", self.bucket, create_error) from create_error
        except BotoCoreError as error:
            raise self._fail("reaching bucket", self.bucket, error) from error
        self._expire_unfinished_uploads()

    def _expire_unfinished_uploads(self) -> None:
        """A lifecycle rule that aborts multipart uploads left unfinished for a day (best effort: not every S3
        server supports lifecycle rules)."""
        rule = {
            "ID": "abort-unfinished-uploads",
            "Status": "Enabled",
            "Filter": {"Prefix": ""},
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
        }
        with contextlib.suppress(ClientError, BotoCoreError):
            self.client.put_bucket_lifecycle_configuration(Bucket=self.bucket, LifecycleConfiguration={"Rules": [rule]})

    def put_file(self, key: str, path: Path, *, content_type: str | None = None) -> ObjectInfo:
        extra = {"ContentType": content_type} if content_type else None
        try:
            self.client.upload_file(str(path), self.bucket, check_key(key), ExtraArgs=extra, Config=TRANSFER)
        except (ClientError, BotoCoreError, S3UploadFailedError) as error:
            raise self._fail("uploading", key, error) from error
        if path.stat().st_size >= TRANSFER.multipart_threshold:
            # Only a file this large was sent in parts, and only its earlier attempts can have left parts behind;
            # listing for every small segment and poster would cost a request each, for nothing.
            self._abort_unfinished_uploads(key)
        return self._must_stat(key)

    def _abort_unfinished_uploads(self, key: str) -> None:
        """Abort multipart uploads of ``key`` that an earlier attempt could not finish nor abort (the server was
        down): their parts are invisible but take space. The bucket's lifecycle rule catches any this misses."""
        try:
            listing = self.client.list_multipart_uploads(Bucket=self.bucket, Prefix=key)
            for upload in listing.get("Uploads", []):
                if upload["Key"] == key:
                    self.client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload["UploadId"])
        except (ClientError, BotoCoreError):
            pass  # tidying only: the object itself is stored

    def put_bytes(self, key: str, data: bytes, *, content_type: str | None = None) -> ObjectInfo:
        extra = {"ContentType": content_type} if content_type else {}
        try:
            self.client.put_object(Bucket=self.bucket, Key=check_key(key), Body=data, **extra)
        except (ClientError, BotoCoreError) as error:
            raise self._fail("writing", key, error) from error
        return self._must_stat(key)

    def get_file(self, key: str, dest: Path) -> Path:
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(dest.name + ".part")
        try:
            self.client.download_file(self.bucket, check_key(key), str(tmp), Config=TRANSFER)
        except ClientError as error:
            tmp.unlink(missing_ok=True)
            if _is_missing(error):
                raise StorageError(f"object {key} does not exist in {self.describe()}") from error
            raise self._fail("downloading", key, error) from error
        except BotoCoreError as error:
            tmp.unlink(missing_ok=True)
            raise self._fail("downloading", key, error) from error
        os.replace(tmp, dest)
        return dest

    def get_bytes(self, key: str) -> bytes:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=check_key(key))["Body"].read()
        except ClientError as error:
            if _is_missing(error):
                raise StorageError(f"object {key} does not exist in {self.describe()}") from error
            raise self._fail("reading", key, error) from error
        except BotoCoreError as error:
            raise self._fail("reading", key, error) from error

    def stat(self, key: str) -> ObjectInfo | None:
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=check_key(key))
        except ClientError as error:
            if _is_missing(error):
                return None
            raise self._fail("inspecting", key, error) from error
        except BotoCoreError as error:
            raise self._fail("inspecting", key, error) from error
        return ObjectInfo(key=key, size=head["ContentLength"], modified=head["LastModified"], etag=head.get("ETag", ""))

    def _must_stat(self, key: str) -> ObjectInfo:
        info = self.stat(key)
        if info is None:
            raise StorageError(f"object {key} vanished right after it was written to {self.describe()}")
        return info

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        paginator = self.client.get_paginator("list_objects_v2")
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
                for item in page.get("Contents", []):
                    yield ObjectInfo(
                        key=item["Key"], size=item["Size"], modified=item["LastModified"], etag=item.get("ETag", "")
                    )
        except (ClientError, BotoCoreError) as error:
            raise self._fail("listing", prefix or "/", error) from error

    def delete(self, key: str) -> bool:
        if self.stat(key) is None:
            return False
        try:
            self.client.delete_object(Bucket=self.bucket, Key=check_key(key))
        except (ClientError, BotoCoreError) as error:
            raise self._fail("deleting", key, error) from error
        return True

    def delete_many(self, keys: Sequence[str]) -> int:
        """DeleteObjects, up to 1,000 keys a request, no HEAD first (deleting a missing key is no error in S3)."""
        for start in range(0, len(keys), MAX_DELETE_KEYS):
            batch = [{"Key": check_key(key)} for key in keys[start : start + MAX_DELETE_KEYS]]
            try:
                answer = self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True})
            except (ClientError, BotoCoreError) as error:
                raise self._fail("deleting", batch[0]["Key"], error) from error
            if answer.get("Errors"):
                first, count = answer["Errors"][0], len(answer["Errors"])
                raise StorageError(
                    f"deleting {first.get('Key')} failed on {self.describe()}: {first.get('Code')} "
                    f"{first.get('Message')} ({count} keys of this batch not deleted)"
                )
        return len(keys)

    def url(self, key: str, *, expires_seconds: int) -> str:
        if not 1 <= expires_seconds <= MAX_PRESIGN_SECONDS:
            raise StorageError(
                f"a signed URL can be valid for 1 s to {MAX_PRESIGN_SECONDS} s (7 days, the S3 maximum), "
                f"not {expires_seconds} s: check LECTURER_SIGNED_URL_SECONDS"
            )
        return self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": check_key(key)}, ExpiresIn=expires_seconds
        )

    def describe(self) -> str:
        return f"s3 bucket {self.bucket} at {self.client.meta.endpoint_url}"
