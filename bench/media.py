"""(5) Media: the pipeline's speech conversion and segment joining as multiples of real time, against the ffmpeg
command line doing the same by hand. A ratio near 1 means the pipeline adds no avoidable work (no re-encode, no
extra pass); the join's ratio includes the ffprobe of the result that the pipeline does to check its length."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import log, median
from lecturer_pipeline.media.audio import to_wav_16k_mono, wav_duration
from lecturer_pipeline.media.video import AudioTrackEncode, join_video_with_track

GOAL_RATIO = 1.25  # "≈ 1": within 25 % of ffmpeg by hand
QUIET = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y"]


def _ffmpeg(*args: str) -> None:
    subprocess.run([*QUIET, *args], check=True, capture_output=True)


def make_speech_webm(dst: Path, seconds: float) -> Path:
    """Speech-like audio as the Zyphra API sends it: Opus in WebM, 48 kHz mono, 32 kb/s."""
    _ffmpeg(
        "-f", "lavfi", "-i", f"sine=frequency=180:beep_factor=3:duration={seconds}",
        "-af", "volume=0.5,tremolo=f=4:d=0.7", "-ac", "1",
        "-c:a", "libopus", "-b:a", "32k", "-ar", "48000", "-f", "webm", str(dst),
    )  # fmt: skip
    return dst


def make_segments(folder: Path, count: int, seconds: float) -> list[Path]:
    """``count`` segments as KDTalker returns them: 512×512, 25 fps, H.264 yuv420p with an AAC track, each
    ``seconds`` long (one is encoded, the others are copies of it: joining cares about their bytes, not pictures)."""
    folder.mkdir(parents=True, exist_ok=True)
    first = folder / "segment-0000.mp4"
    _ffmpeg(
        "-f", "lavfi", "-i", f"testsrc2=size=512x512:rate=25:duration={seconds}",
        "-f", "lavfi", "-i", f"sine=frequency=200:duration={seconds}",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-r", "25",
        "-c:a", "aac", "-ar", "16000", "-ac", "1", "-t", f"{seconds:.3f}", "-movflags", "+faststart", str(first),
    )  # fmt: skip
    segments = [first]
    for index in range(1, count):
        segments.append(Path(shutil.copyfile(first, folder / f"segment-{index:04d}.mp4")))
    return segments


def _best_of(runs: int, action: Callable[[], Any]) -> float:
    """The median wall time of ``runs`` runs of ``action``."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return median(times)


def _pipeline_join(segments: list[Path], speech_wav: Path, dst: Path) -> None:
    """What the video stage does: encode the speech's sound track once, then join the segments over it by copy."""
    with AudioTrackEncode(speech_wav, dst.with_suffix(".m4a")) as sound:
        track = sound.wait()
    join_video_with_track(segments, track, wav_duration(speech_wav), dst)


def measure(workdir: Path, *, seconds: float, segment_seconds: float, runs: int) -> dict[str, Any]:
    workdir.mkdir(parents=True, exist_ok=True)
    webm = make_speech_webm(workdir / "speech.webm", seconds)
    wav_pipeline, wav_cli = workdir / "pipeline.wav", workdir / "cli.wav"
    convert_pipeline = _best_of(runs, lambda: to_wav_16k_mono(webm, wav_pipeline))
    convert_cli = _best_of(runs, lambda: _ffmpeg("-i", str(webm), "-ar", "16000", "-ac", "1", str(wav_cli)))
    log(f"media: conversion {convert_pipeline:.2f} s (pipeline) vs {convert_cli:.2f} s (ffmpeg CLI)")

    count = max(1, round(seconds / segment_seconds))
    segments = make_segments(workdir / "segments", count, seconds / count)
    listing = workdir / "segments.txt"
    listing.write_text("".join(f"file '{segment}'\n" for segment in segments))
    mp4_pipeline, mp4_cli = workdir / "pipeline.mp4", workdir / "cli.mp4"
    join_pipeline = _best_of(runs, lambda: _pipeline_join(segments, wav_pipeline, mp4_pipeline))
    join_args = [
        "-f", "concat", "-safe", "0", "-i", str(listing), "-i", str(wav_pipeline),
        "-map", "0:v", "-map", "1:a", "-c:v", "copy", "-c:a", "aac", "-b:a", "96k", "-ar", "48000", "-ac", "1",
        "-movflags", "+faststart", str(mp4_cli),
    ]  # fmt: skip
    join_cli = _best_of(runs, lambda: _ffmpeg(*join_args))
    log(f"media: join {join_pipeline:.2f} s (pipeline) vs {join_cli:.2f} s (ffmpeg CLI)")
    convert_ratio, join_ratio = convert_pipeline / convert_cli, join_pipeline / join_cli
    worst = max(convert_ratio, join_ratio)
    return {
        "value": round(worst, 3),
        "goal": f"≈ 1 (≤ {GOAL_RATIO})",
        "met": worst <= GOAL_RATIO,
        "unit": "× ffmpeg CLI (worst of the two)",
        "inputs": {
            "speech_seconds": seconds,
            "speech": "Opus in WebM, 48 kHz mono, 32 kb/s (as the Zyphra API answers)",
            "segments": count,
            "segment": "512×512 25 fps H.264 ultrafast + AAC (as KDTalker answers)",
            "runs": runs,
            "statistic": "median wall time",
            "convert_cli": "ffmpeg -i speech.webm -ar 16000 -ac 1 out.wav",
            "join_cli": "ffmpeg -f concat -i segments.txt -i speech.wav -c:v copy -c:a aac -b:a 96k -ar 48000 -ac 1 "
            "-movflags +faststart out.mp4",
        },
        "details": {
            "convert_pipeline_x_realtime": round(seconds / convert_pipeline, 1),
            "convert_cli_x_realtime": round(seconds / convert_cli, 1),
            "convert_ratio": round(convert_ratio, 3),
            "join_pipeline_x_realtime": round(seconds / join_pipeline, 1),
            "join_cli_x_realtime": round(seconds / join_cli, 1),
            "join_ratio": round(join_ratio, 3),
            "convert_pipeline_seconds": round(convert_pipeline, 3),
            "convert_cli_seconds": round(convert_cli, 3),
            "join_pipeline_seconds": round(join_pipeline, 3),
            "join_cli_seconds": round(join_cli, 3),
        },
    }
