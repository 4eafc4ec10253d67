"""(3) Memory: peak resident memory of a process that stores and loads a 1 GB video artefact through the IO
manager, on S3 and on the local store, against a naive read-it-all baseline. Each case runs in a fresh process
(``bench.memory_worker``), so one peak cannot hide another."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

from bench.common import REPO, Servers, log

GOAL_MB = 200


def _worker(config: dict[str, Any]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.memory_worker", json.dumps(config)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if done.returncode != 0:
        raise RuntimeError(f"memory worker {config['store']}/{config['mode']} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(servers: Servers, workdir: Path, *, megabytes: int) -> dict[str, Any]:
    cases: dict[str, dict[str, Any]] = {}
    with contextlib.ExitStack() as stack:
        database_url = servers.new_database(stack)
        s3 = {
            "endpoint_url": servers.s3.endpoint_url,
            "bucket": f"bench-memory-{uuid.uuid4().hex[:8]}",
            "access_key": servers.s3.access_key,
            "secret_key": servers.s3.secret_key,
        }
        for store in ("s3", "local"):
            for mode in ("io_manager", "naive"):
                home = Path(tempfile.mkdtemp(prefix=f"{store}-{mode}-", dir=workdir))
                config = {"store": store, "mode": mode, "megabytes": megabytes, "home": str(home)}
                config["database_url"] = database_url
                if store == "s3":
                    config.update(s3)
                cases[f"{store}/{mode}"] = result = _worker(config)
                log(f"memory: {store}/{mode}: +{result['over_baseline_mb']:.0f} MB over baseline")
    worst = max(cases["s3/io_manager"]["over_baseline_mb"], cases["local/io_manager"]["over_baseline_mb"])
    return {
        "value": worst,
        "goal": f"≤ {GOAL_MB} MB",
        "met": worst <= GOAL_MB,
        "unit": "MB over baseline (worst store)",
        "inputs": {
            "artefact_megabytes": megabytes,
            "how": "a fresh process per case: definitions' ObjectIOManager.handle_output(Artefact(path=…)) then "
            "load_input (video asset, one lecture partition); baseline = resident memory after imports and "
            "set-up; figure = ru_maxrss − baseline",
            "storage": "Ceph RGW (S3) and the local store; catalog on PostgreSQL",
        },
        "details": {
            "s3_io_manager_mb": cases["s3/io_manager"]["over_baseline_mb"],
            "local_io_manager_mb": cases["local/io_manager"]["over_baseline_mb"],
            "s3_naive_mb": cases["s3/naive"]["over_baseline_mb"],
            "local_naive_mb": cases["local/naive"]["over_baseline_mb"],
            "cases": cases,
        },
    }
