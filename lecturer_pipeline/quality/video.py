"""Does a rendered segment keep a face, keep moving, and move its mouth with the speech?

Frames are sampled at ``SAMPLE_FPS`` (ffmpeg decodes them to grey 8-bit, scaled to 512 px wide) and checked with
numpy and dlib's frontal face detector — the detector KDTalker's own crop uses, from the ``dlib-bin``
wheel, no model file. The sync figure is a PROXY, not SyncNet's LSE-C: the lag at which motion in the lower-middle
of the face box best correlates with the speech's loudness envelope. It is "not applicable" for a renderer that
does not lip-sync (the embedded ffmpeg preview), rather than a failure.
"""

from __future__ import annotations

import subprocess
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from lecturer_pipeline.quality import thresholds as t
from lecturer_pipeline.quality.sound import read_samples

WIDTH = 512  # KDTalker renders 512×512; dlib needs the face large enough to find it
# The portrait is searched as KDTalker's crop searches it (upsample 1: faces from ~40 px). A rendered frame is
# KDTalker's own crop, the face filling most of its 512 px, so it is searched at its size (upsample 0: faces from
# ~80 px), twelve times cheaper — the check's largest cost before.
PORTRAIT_UPSAMPLE = 1
FRAME_UPSAMPLE = 0
_detector = None


@dataclass
class SegmentVerdict:
    index: int
    passed: bool
    face_fraction: float
    frozen_seconds: float
    black_seconds: float
    sync_applicable: bool
    sync_lag: float | None = None
    sync_correlation: float | None = None
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    qa_seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def sample_frames(mp4: Path, fps: int = t.SAMPLE_FPS) -> np.ndarray:
    """Grey frames (n, h, WIDTH) sampled at ``fps``."""
    probe = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=width,height",
            "-of",
            "csv=p=0",
            str(mp4),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    width, height = (int(v) for v in probe.stdout.strip().split(",")[:2])
    out_h = max(2, round(height * WIDTH / width / 2) * 2)
    raw = subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-loglevel",
            "error",
            "-i",
            str(mp4),
            "-vf",
            f"fps={fps},scale={WIDTH}:{out_h}",
            "-pix_fmt",
            "gray",
            "-f",
            "rawvideo",
            "-",
        ],
        capture_output=True,
        check=True,
        timeout=600,
    ).stdout
    return np.frombuffer(raw, dtype=np.uint8).reshape(-1, out_h, WIDTH)


def _faces(frame: np.ndarray, upsample: int) -> list:
    global _detector
    if _detector is None:
        import dlib

        _detector = dlib.get_frontal_face_detector()
    return list(_detector(np.ascontiguousarray(frame), upsample))


def _longest_run(flags: np.ndarray) -> int:
    best = run = 0
    for flag in flags:
        run = run + 1 if flag else 0
        best = max(best, run)
    return best


def sync_proxy(frames: np.ndarray, box: tuple[int, int, int, int], wav: Path, fps: int) -> tuple[float, float]:
    """(lag seconds, correlation): mouth-region motion against the speech envelope, best lag within ±0.6 s."""
    left, top, right, bottom = box
    mouth = frames[:, top + (bottom - top) * 2 // 3 : bottom, left + (right - left) // 4 : right - (right - left) // 4]
    motion = np.abs(np.diff(mouth.astype(np.float32), axis=0)).mean(axis=(1, 2))
    samples, rate = read_samples(wav)
    hop = rate // fps
    count = min(len(motion) + 1, len(samples) // hop)
    envelope = np.sqrt((samples[: count * hop].reshape(count, hop) ** 2).mean(axis=1))
    envelope = np.abs(np.diff(envelope))  # motion follows changes of loudness (mouth opening and closing)
    n = min(len(motion), len(envelope))
    if n < fps * 2 or motion[:n].std() == 0 or envelope[:n].std() == 0:
        return 0.0, 0.0
    a = (motion[:n] - motion[:n].mean()) / motion[:n].std()
    b = (envelope[:n] - envelope[:n].mean()) / envelope[:n].std()
    best = (0.0, -1.0)
    for lag in range(-3, 4):  # frames at SAMPLE_FPS: ±0.6 s
        x, y = (a[lag:], b[: n - lag]) if lag >= 0 else (a[: n + lag], b[-lag:])
        corr = float(np.mean(x * y))
        if corr > best[1]:
            best = (lag / fps, corr)
    return round(best[0], 2), round(best[1], 3)


def portrait_has_face(png: Path) -> bool:
    """Whether dlib finds a face in the portrait itself: only then can a render be blamed for losing it (the
    portrait preflight decides about a portrait without one)."""
    from PIL import Image

    with Image.open(png) as image:
        grey = image.convert("L")
        grey.thumbnail((WIDTH * 2, WIDTH * 2))
        return bool(_faces(np.asarray(grey), PORTRAIT_UPSAMPLE))


def check_segment(
    index: int, mp4: Path, wav: Path | None, *, lip_sync: bool, expect_face: bool = True
) -> SegmentVerdict:
    started = time.perf_counter()
    fps = t.SAMPLE_FPS
    frames = sample_frames(mp4, fps)
    problems: list[str] = []
    notes: list[str] = []
    if len(frames) == 0:
        return SegmentVerdict(index, False, 0.0, 0.0, 0.0, lip_sync, problems=["no frames could be decoded"])
    looked = frames[:: max(1, len(frames) // 8)][:8]  # up to 8 frames spread over the segment
    found = [_faces(frame, FRAME_UPSAMPLE) for frame in looked]
    face_fraction = round(sum(1 for f in found if f) / len(looked), 2)
    if not expect_face:
        notes.append("face check not applicable: dlib finds no face in the portrait itself")
    elif face_fraction < t.MIN_FACE_FRACTION:
        problems.append(f"a face in only {face_fraction:.0%} of the sampled frames")
    still = np.abs(np.diff(frames.astype(np.int16), axis=0)).mean(axis=(1, 2)) < t.FROZEN_DIFFERENCE
    frozen = round(_longest_run(still) / fps, 2)
    if frozen > t.MAX_FROZEN_SECONDS:
        problems.append(f"the picture does not change for {frozen:.1f} s")
    black = round(_longest_run(frames.mean(axis=(1, 2)) <= t.BLACK_LUMA) / fps, 2)
    if black > t.MAX_FROZEN_SECONDS:
        problems.append(f"black for {black:.1f} s")
    verdict = SegmentVerdict(index, False, face_fraction, frozen, black, lip_sync, problems=problems, notes=notes)
    if not lip_sync:
        notes.append("sync not applicable: this renderer does not lip-sync (a labelled preview)")
    elif wav is not None and any(found):
        face = next(f for f in found if f)[0]
        box = (max(0, face.left()), max(0, face.top()), face.right(), face.bottom())
        verdict.sync_lag, verdict.sync_correlation = sync_proxy(frames, box, wav, fps)
        notes.append("sync is a proxy (mouth motion vs speech envelope), not SyncNet LSE-C")
        if abs(verdict.sync_lag) > t.MAX_SYNC_LAG_SECONDS or verdict.sync_correlation < t.MIN_SYNC_CORRELATION:
            notes.append(f"sync proxy weak: lag {verdict.sync_lag} s, correlation {verdict.sync_correlation}")
    verdict.passed = not problems
    verdict.qa_seconds = round(time.perf_counter() - started, 3)
    return verdict
