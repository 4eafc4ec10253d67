"""What every measurement shares: the real servers, the service stand-ins with modelled latency, scripts of a given
length, the machine's description, and small statistics."""

from __future__ import annotations

import contextlib
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import wave
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lecturer_pipeline.standins.clock import ServiceClock
from lecturer_pipeline.standins.servers import postgres
from lecturer_pipeline.standins.servers.s3_server import S3Server, start_rgw, stop_rgw

REPO = Path(__file__).resolve().parent.parent
WORDS_PER_SECOND = 2.4  # measured: the Zyphra stand-in (espeak-ng at 160 wpm) with the pipeline's pauses

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


def log(message: str) -> None:
    """Progress on stderr (the table goes to stdout)."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def median(values: list[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


# -- the machine -----------------------------------------------------------------------------------------------


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _memory_gb() -> float | None:
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    return None


def _version_of(command: list[str], pattern: str) -> str | None:
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    found = re.search(pattern, out)
    return found.group(1) if found else None


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    from importlib.metadata import version

    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_gb": _memory_gb(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "dagster": version("dagster"),
        "gradio": version("gradio"),
        "boto3": version("boto3"),
        "ffmpeg": _version_of(["ffmpeg", "-version"], r"ffmpeg version (\S+)"),
        "postgresql": None,  # filled in by the run once the server is known
        "radosgw": _version_of(["radosgw", "--version"], r"ceph version (\S+)"),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        # A shared machine shows here: load above the CPU count means something else ran beside the bench.
        "load_average_at_start": [round(value, 2) for value in os.getloadavg()],
    }


# -- scripts of a given length ---------------------------------------------------------------------------------

_SENTENCES = (
    "Today we look at {t} from the beginning.",
    "Mathematicians have studied {t} for a long time, and the ideas behind {t} appear again and again.",
    "First we define {t} carefully, then we look at three small examples.",
    "Finally we prove one property that every example of {t} shares.",
    "Take your time with each step and write the examples down yourself.",
    "Check every claim about {t} before moving on to the next part.",
    "A good picture of {t} helps, so draw one whenever you can.",
    "Ask yourself which assumptions the argument about {t} really needs.",
)


def paragraph_text(topic: str, words: int, variant: int = 0) -> str:
    """One paragraph of about ``words`` words on ``topic``; ``variant`` changes its first sentence."""
    sentences, count, index = [], 0, variant
    while count < words:
        sentence = _SENTENCES[index % len(_SENTENCES)].format(t=topic)
        if index == variant and variant:
            sentence = f"{sentence[:-1]}, version {variant}."
        sentences.append(sentence)
        count += len(sentence.split())
        index += 1
    return " ".join(sentences)


def script_of(topic: str, seconds: float, *, paragraph_seconds: float = 28.0) -> str:
    """A script that the Zyphra stand-in speaks in about ``seconds`` seconds (±10 %), in paragraphs of ~28 s."""
    words = round(seconds * WORDS_PER_SECOND)
    per_paragraph = max(20, round(paragraph_seconds * WORDS_PER_SECOND))
    paragraphs = []
    while words > 0:
        take = min(per_paragraph, words)
        paragraphs.append(paragraph_text(f"{topic} part {len(paragraphs) + 1}", take))
        words -= take
    return "\n\n".join(paragraphs)


def wav_seconds(path: str | Path) -> float:
    with wave.open(str(path), "rb") as w:
        return w.getnframes() / w.getframerate()


# -- the service stand-ins with modelled latency ---------------------------------------------------------------


@dataclass
class Services:
    zyphra: Any  # a ZyphraStandIn
    kdtalker: Any  # a KDTalkerStandIn
    tts: ServiceClock
    render: ServiceClock

    def set_latency(self, tts_per_second: float, render_per_second: float) -> None:
        self.tts.per_second, self.render.per_second = tts_per_second, render_per_second

    def reset(self) -> None:
        self.tts.reset()
        self.render.reset()

    def env(self) -> dict[str, str]:
        return {
            "ZYPHRA_API_KEY": self.zyphra.api_key,
            "ZYPHRA_BASE_URL": self.zyphra.base_url,
            "KDTALKER_URL": self.kdtalker.url,
        }


@contextlib.contextmanager
def modelled_services(tts_per_second: float, render_per_second: float) -> Iterator[Services]:
    """The Zyphra and KDTalker stand-ins, each call taking ``per_second`` × the seconds of media it makes.

    The stand-ins really speak (espeak-ng) and really render (ffmpeg); that work is part of the modelled time — a
    call sleeps only for what is left of it — so a call costs what the real service would, not that plus the
    stand-in's own encoding (each stand-in paces its calls by its ``ServiceClock``). KDTalker renders one call at
    a time (Gradio's queue, like one GPU); Zyphra serves calls in parallel (the
    pipeline's pool of 2 limits them).
    """
    from lecturer_pipeline.standins.kdtalker import KDTalkerStandIn  # imports Gradio: only for the figures that need it
    from lecturer_pipeline.standins.zyphra import ZyphraStandIn

    tts = ServiceClock("zyphra", tts_per_second)
    render = ServiceClock("kdtalker", render_per_second)
    with ZyphraStandIn(clock=tts) as zyphra, KDTalkerStandIn(clock=render) as kdtalker:
        yield Services(zyphra, kdtalker, tts, render)


# -- the real servers ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Servers:
    s3: S3Server
    pg_admin_url: str

    def new_database(self, stack: contextlib.ExitStack) -> str:
        url, drop = postgres.create_database(self.pg_admin_url)
        stack.callback(drop)
        return url

    def s3_env(self, bucket: str) -> dict[str, str]:
        return {
            "LECTURER_S3_ENDPOINT_URL": self.s3.endpoint_url,
            "LECTURER_S3_BUCKET": bucket,
            "AWS_ACCESS_KEY_ID": self.s3.access_key,
            "AWS_SECRET_ACCESS_KEY": self.s3.secret_key,
        }

    def postgres_version(self) -> str | None:
        import sqlalchemy as sa

        engine = sa.create_engine(self.pg_admin_url)
        try:
            with engine.connect() as connection:
                return str(connection.execute(sa.text("show server_version")).scalar())
        except sa.exc.SQLAlchemyError:
            return None
        finally:
            engine.dispose()


@contextlib.contextmanager
def real_servers() -> Iterator[Servers]:
    """PostgreSQL and Ceph RGW as the test suite finds or starts them (``LECTURER_TEST_*`` variables honoured)."""
    with contextlib.ExitStack() as stack:
        admin_url, stop_pg = postgres.admin_server()
        stack.callback(stop_pg)
        endpoint = os.environ.get("LECTURER_TEST_S3_ENDPOINT_URL")
        if endpoint:
            s3 = S3Server(
                endpoint_url=endpoint,
                access_key=os.environ["LECTURER_TEST_S3_ACCESS_KEY_ID"],
                secret_key=os.environ["LECTURER_TEST_S3_SECRET_ACCESS_KEY"],
            )
        else:
            workdir = Path(tempfile.mkdtemp(prefix="bench-rgw-"))
            stack.callback(shutil.rmtree, workdir, True)
            s3 = start_rgw(workdir)
            stack.callback(stop_rgw, workdir)
        yield Servers(s3=s3, pg_admin_url=admin_url)


def sample_media(folder: Path) -> dict[str, Path]:
    """A generated reference voice and portrait, as the tests use."""
    from lecturer_pipeline.sample import make_sample_portrait, make_sample_voice

    folder.mkdir(parents=True, exist_ok=True)
    return {
        "voice": make_sample_voice(folder / "voice.wav"),
        "portrait": make_sample_portrait(folder / "portrait.png"),
    }
