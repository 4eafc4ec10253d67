"""One process of (3): store and load a large video artefact one way, and report the process's peak memory.

``python -m bench.memory_worker '<json>'`` with ``store`` (``s3`` | ``local``), ``mode`` (``io_manager`` |
``naive``), ``megabytes``, ``home``, ``database_url`` and, for S3, ``endpoint_url``, ``bucket``, ``access_key``,
``secret_key``. It prints one JSON line: the resident memory after imports and set-up (the baseline) and the peak
(``ru_maxrss``) once the artefact has been stored and loaded back.

``io_manager`` is what a run does: the definitions' own ``ObjectIOManager`` (with its resources, as
``build_definitions`` makes them) handles the ``video`` asset's output — an ``Artefact`` whose file is uploaded —
and loads it back as a downstream input. ``naive`` is the obvious alternative: read the file whole into memory and
``put_object`` it, then ``get_object(...).read()`` it back (for the local store: ``read_bytes``/``write_bytes``).
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

import dagster as dg

from lecturer_pipeline.definitions import build_definitions
from lecturer_pipeline.model import Artefact
from lecturer_pipeline.settings import Settings
from lecturer_pipeline.storage.layout import video_key

LECTURE = "bench--memory"
_MB = 1024 * 1024


def rss_mb() -> float:
    """Resident memory now."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / _MB


def peak_mb() -> float:
    """The process's peak resident memory so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make_file(path: Path, megabytes: int) -> Path:
    """A file of ``megabytes`` MiB: random first and last MiB around a sparse middle (written in seconds, read
    back as real bytes by every reader)."""
    with open(path, "wb") as handle:
        handle.write(os.urandom(_MB))
        handle.seek((megabytes - 1) * _MB)
        handle.write(os.urandom(_MB))
    return path


def _io_manager_round_trip(defs: dg.Definitions, source: Path, size: int) -> Path:
    manager = defs.resources["object_io_manager"]
    key = video_key(LECTURE)
    artefact = Artefact(
        kind="video", key=key, sha256="0" * 64, bytes=size, input_hash="bench", path=source, content_type="video/mp4"
    )
    asset = dg.AssetKey("video")
    output = dg.build_output_context(asset_key=asset, partition_key=LECTURE)
    manager.handle_output(output, artefact)
    upstream = dg.build_output_context(asset_key=asset, partition_key=LECTURE)
    loaded = manager.load_input(
        dg.build_input_context(asset_key=asset, partition_key=LECTURE, upstream_output=upstream)
    )
    assert loaded.path is not None and loaded.path.stat().st_size == size, "the loaded copy is incomplete"
    return loaded.path


def _naive_round_trip(defs: dg.Definitions, store_kind: str, source: Path, config: dict[str, Any]) -> Path:
    key = video_key(LECTURE)
    dest = source.with_name("loaded.mp4")
    if store_kind == "s3":
        client = defs.resources["objects"].get_store().client
        data = source.read_bytes()
        client.put_object(Bucket=config["bucket"], Key=key, Body=data)
        del data
        data = client.get_object(Bucket=config["bucket"], Key=key)["Body"].read()
        dest.write_bytes(data)
    else:
        target = Path(config["home"]) / "objects" / key
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(source.read_bytes())
        dest.write_bytes(target.read_bytes())
    return dest


def main(config: dict[str, Any]) -> dict[str, Any]:
    store_kind, mode, megabytes = config["store"], config["mode"], int(config["megabytes"])
    home = Path(config["home"])
    settings = Settings(
        lecturer_home=home,
        lecturer_database_url=config["database_url"],
        lecturer_s3_endpoint_url=config.get("endpoint_url") if store_kind == "s3" else None,
        lecturer_s3_bucket=config.get("bucket", "lecturer"),
        aws_access_key_id=config.get("access_key"),
        aws_secret_access_key=config.get("secret_key"),
    )
    defs = build_definitions(settings)
    store = defs.resources["objects"].get_store()  # connects (and creates the bucket) before the baseline
    catalog = defs.resources["catalog"].get_catalog()
    catalog.upsert_lecture(LECTURE, course="bench", title="memory", speaker="ada")
    source = make_file(home / "video.mp4", megabytes)
    baseline = rss_mb()
    started = time.perf_counter()
    if mode == "io_manager":
        loaded = _io_manager_round_trip(defs, source, megabytes * _MB)
    else:
        loaded = _naive_round_trip(defs, store_kind, source, config)
    seconds = time.perf_counter() - started
    peak = peak_mb()
    loaded.unlink(missing_ok=True)
    source.unlink(missing_ok=True)
    store.delete(video_key(LECTURE))
    return {
        "store": store_kind,
        "mode": mode,
        "megabytes": megabytes,
        "baseline_rss_mb": round(baseline, 1),
        "peak_rss_mb": round(peak, 1),
        "over_baseline_mb": round(peak - baseline, 1),
        "seconds": round(seconds, 2),
    }


if __name__ == "__main__":
    print(json.dumps(main(json.loads(sys.argv[1]))), flush=True)
