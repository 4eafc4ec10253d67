"""Throwaway real S3 server (Ceph RADOS Gateway) for the tests.

Why a real server and not an in-process fake: the tests must exercise the
same wire protocol the pipeline uses in production, so requests go over HTTP
to Ceph's radosgw, which verifies AWS signatures (a wrong secret key gets a
403 ``SignatureDoesNotMatch``), implements multipart uploads, copy, listing
and presigned URLs.  No MinIO is available on the test machines; radosgw is
installed from Debian packages (``ceph-mon ceph-osd radosgw ceph-common``).

Known difference from AWS S3: server-side-encryption request headers
(``ServerSideEncryption="AES256"``/``aws:kms``) are refused with
``400 InvalidRequest`` (radosgw only accepts them over TLS and with a key
backend configured), so code under test must not send SSE headers against it.

The cluster itself (one mon, one bluestore OSD on a sparse file, one radosgw
on a free 127.0.0.1 port) is built and torn down by ``ceph_rgw.sh`` next to
this file; everything lives under the given work directory, so several
clusters can run side by side.  This module deliberately imports neither
Dagster nor pytest.
"""

from __future__ import annotations

import json
import pathlib
import subprocess
from dataclasses import dataclass

__all__ = ["SCRIPT", "S3Server", "start_gateway", "start_rgw", "stop_gateway", "stop_rgw"]

#: The bash script that creates/starts (``start DIR``) and stops (``stop DIR``) a cluster, and stops/starts only its
#: gateway (``rgw-stop DIR`` / ``rgw-start DIR``).
SCRIPT: pathlib.Path = pathlib.Path(__file__).resolve().with_name("ceph_rgw.sh")

# Start normally takes ~5 s; the script bounds itself to 120 s by default.
_START_TIMEOUT_S = 180.0
_STOP_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class S3Server:
    """Connection details of a running radosgw (path-style, plain HTTP)."""

    endpoint_url: str
    access_key: str
    secret_key: str
    region: str = "us-east-1"


def start_rgw(workdir: pathlib.Path) -> S3Server:
    """Build and start a fresh single-node Ceph cluster + radosgw under ``workdir``.

    ``workdir`` should be a new empty (or not yet existing) temporary directory;
    it receives ceph.conf, keyrings, data, logs (``workdir/log``) and
    ``workdir/s3.json``.  Returns once radosgw answers HTTP and an S3 user
    exists.  On failure the script has already stopped whatever it started;
    the raised ``RuntimeError`` carries its stderr (which tails the daemon logs).
    Always pair with :func:`stop_rgw` (it is safe to call after a failure).
    """
    workdir = pathlib.Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        _script("start", workdir, _START_TIMEOUT_S)
    except _ScriptTimedOut:
        stop_rgw(workdir)
        raise
    return _read_server(workdir)


def stop_rgw(workdir: pathlib.Path) -> None:
    """Stop the daemons of the cluster in ``workdir`` (idempotent; leaves files in place).

    Only processes started with ``-c workdir/ceph.conf`` are signalled
    (TERM, then KILL after a bounded wait), never anything by name.
    """
    _script("stop", workdir, _STOP_TIMEOUT_S)


def _read_server(workdir: pathlib.Path) -> S3Server:
    data = json.loads((pathlib.Path(workdir) / "s3.json").read_text())
    return S3Server(
        endpoint_url=str(data["endpoint_url"]),
        access_key=str(data["access_key"]),
        secret_key=str(data["secret_key"]),
        region=str(data.get("region", "us-east-1")),
    )


def stop_gateway(workdir: pathlib.Path) -> None:
    """Stop only the radosgw of the cluster in ``workdir``; its mon and OSD (and so every stored object) stay up.

    This is an S3 outage as clients see it: the endpoint refuses connections until :func:`start_gateway`. The
    gateway is found by its pid file (checked against its ``-c workdir/ceph.conf`` command line) and gets TERM,
    then KILL after a bounded wait. Idempotent.
    """
    _script("rgw-stop", workdir, _STOP_TIMEOUT_S)


def start_gateway(workdir: pathlib.Path) -> S3Server:
    """Start the radosgw of ``workdir`` again (same port, users, keys and data) and return once it answers HTTP.

    Returns the same connection details :func:`start_rgw` returned, so clients made before the outage work again.
    A no-op (apart from the wait) when the gateway is running.
    """
    _script("rgw-start", workdir, _START_TIMEOUT_S)
    return _read_server(workdir)


class _ScriptTimedOut(RuntimeError):
    """``ceph_rgw.sh`` did not finish in time (``start_rgw`` then stops what it may have started)."""


def _script(command: str, workdir: pathlib.Path, timeout: float) -> None:
    """Run ``ceph_rgw.sh COMMAND WORKDIR``; a failure or a timeout raises ``RuntimeError`` with the script's stderr."""
    try:
        proc = subprocess.run(
            ["bash", str(SCRIPT), command, str(workdir)],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise _ScriptTimedOut(f"ceph_rgw.sh {command} {workdir} timed out after {exc.timeout}s") from exc
    if proc.returncode != 0:
        raise RuntimeError(f"ceph_rgw.sh {command} {workdir} failed (rc={proc.returncode}):\n{proc.stderr}")
