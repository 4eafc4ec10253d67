"""Stage 5: the portrait animated with the speech into ``video.mp4``.

Talking-head models slow down and run out of memory on long audio (KDTalker holds every frame in memory), so the
speech is cut into the render segments the speech stage laid out (whole chunks of one paragraph, at most
``LECTURER_SEGMENT_SECONDS`` long, each a whole number of frames). Each segment is rendered once and stored under a
hash of its audio, the portrait and the engine parameters; a retry or an edit renders only the segments that are not
stored yet. The segments' pictures are joined by stream copy and the whole speech is laid under them once, so sound
and picture never drift apart.

The stage is two steps: ``render_segments`` is all the renderer's pool slot is held for; ``assemble_video`` (join,
poster) runs after the slot is free for the next lecture.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from lecturer_pipeline.engines.base import VideoEngine
from lecturer_pipeline.kinds import Kind
from lecturer_pipeline.media.audio import split_wav, wav_duration
from lecturer_pipeline.media.video import AudioTrackEncode, extract_frame, join_video_with_track
from lecturer_pipeline.model import Artefact
from lecturer_pipeline.quality.segments import SegmentGate
from lecturer_pipeline.security.licence import check_licence
from lecturer_pipeline.stages.common import file_artefact, input_hash, reusable, video_details
from lecturer_pipeline.storage.catalog import Catalog
from lecturer_pipeline.storage.layout import (
    poster_key,
    video_key,
    video_segment_key,
    video_segments_manifest_key,
    video_segments_prefix,
    video_sound_key,
)
from lecturer_pipeline.storage.objects import ObjectStore, sha256_file

RENDER_COUNTS = ("renders", "render_seconds_sent", "render_seconds_cached")


def cut_points(segment_seconds: list[float]) -> list[float]:
    """Where one render segment ends and the next begins: the running sum of the segments' lengths."""
    cuts, position = [], 0.0
    for seconds in segment_seconds[:-1]:
        position += seconds
        cuts.append(round(position, 6))
    return cuts


def render_segments(
    store: ObjectStore,
    catalog: Catalog,
    engine: VideoEngine,
    lecture_id: str,
    speech: Artefact,
    portrait: Artefact,
    workdir: Path,
    *,
    commercial: bool = False,
) -> Artefact:
    """Render (or find stored) every segment of the speech; return their manifest (``segments.json``).

    This is all the video stage does while it holds the renderer's pool slot: the join, the poster and the checks
    come after, in ``assemble_video``, so the next lecture's render can start meanwhile. ``speech`` and
    ``portrait`` may come as records without local files: they are downloaded only when something is missing.
    """
    check_licence(engine.name, engine.licence, commercial=commercial)
    params = {"engine": engine.name, "params": engine.params()}
    wanted = input_hash(speech=speech.sha256, portrait=portrait.sha256, **params)
    existing = reusable(store, catalog, lecture_id, Kind.VIDEO_SEGMENTS, wanted)
    if existing and all(store.exists(key) for key in _stored_keys(json.loads(store.get_bytes(existing.key)))):
        total = existing.details.get("render_seconds_sent", 0) + existing.details.get("render_seconds_cached", 0)
        details = {**existing.details, "render_seconds_sent": 0.0, "render_seconds_cached": total, "renders": 0}
        return Artefact(**{**existing.__dict__, "details": details})

    speech_wav = speech.path or store.get_file(speech.key, workdir / "speech.wav")
    portrait_png = portrait.path or store.get_file(portrait.key, workdir / "portrait.png")
    pieces = split_wav(speech_wav, cut_points(speech.details.get("segment_seconds") or []), workdir / "segments")
    # The video's sound track is encoded while the renderer works (its CPU is idle meanwhile), so the join after
    # the renders only copies streams.
    with SegmentGate(store, engine, lecture_id, portrait_png) as gate:
        with AudioTrackEncode(speech_wav, workdir / "sound.m4a") as encode:
            done = _render_segments(store, engine, lecture_id, pieces, portrait_png, portrait.sha256, params, gate)
            track = encode.wait()
        qa = gate.finish()  # raises NeedsReview (after storing its report) when a segment failed twice
    done.sent += sum(wav_duration(piece) for piece in gate.rendered_again)
    done.renders += len(gate.rendered_again)
    for piece in pieces:
        piece.unlink(missing_ok=True)
    sound = {"key": video_sound_key(lecture_id), "sha256": sha256_file(track)}
    store.put_file(sound["key"], track, content_type="audio/mp4")
    for path in (*done.clips, track, speech_wav, portrait_png):
        path.unlink(missing_ok=True)
    _drop_stale_segments(store, lecture_id, {segment["key"] for segment in done.manifest})
    manifest = workdir / "segments.json"
    manifest.write_text(json.dumps({"segments": done.manifest, "sound": sound}, indent=1), encoding="utf-8")
    return file_artefact(
        Kind.VIDEO_SEGMENTS,
        video_segments_manifest_key(lecture_id),
        manifest,
        wanted,
        duration=round(sum(segment["seconds"] for segment in done.manifest), 3),
        content_type="application/json",
        details={
            "engine": engine.name,
            "licence": engine.licence,
            "lip_sync": engine.lip_sync,
            "segments": len(done.manifest),
            "renders": done.renders,
            "render_seconds_sent": round(done.sent, 3),
            "render_seconds_cached": round(done.cached, 3),
            **qa,
        },
    )


def assemble_video(
    store: ObjectStore, catalog: Catalog, lecture_id: str, speech: Artefact, segments: Artefact, workdir: Path
) -> Artefact:
    """Join the stored segments' pictures and the stored sound track into ``video.mp4`` (or reuse it), both by
    stream copy, and store a poster frame beside it for previews. ``segments`` is the downloaded manifest from
    ``render_segments``; ``speech`` is the record only (its length cuts the video)."""
    assert segments.path is not None
    manifest = json.loads(segments.path.read_text(encoding="utf-8"))
    segments.path.unlink()
    rendering = {name: segments.details.get(name) for name in ("engine", "licence", "lip_sync", "segments")}
    rendering.update({name: segments.details.get(name, 0) for name in RENDER_COUNTS})
    wanted = input_hash(speech=speech.sha256, segments=segments.sha256)
    existing = reusable(store, catalog, lecture_id, Kind.VIDEO, wanted)
    if existing:
        return Artefact(**{**existing.__dict__, "details": {**existing.details, **rendering}})

    parts = workdir / "segments"
    clips = [store.get_file(s["key"], parts / f"segment-{i:04d}.mp4") for i, s in enumerate(manifest["segments"])]
    track = store.get_file(manifest["sound"]["key"], workdir / "sound.m4a")
    seconds = speech.duration if speech.duration is not None else segments.duration
    out = workdir / "video.mp4"
    try:
        info = join_video_with_track(clips, track, seconds, out)
    finally:
        for path in (*clips, track):
            path.unlink(missing_ok=True)
    poster = workdir / "poster.jpg"
    extract_frame(out, poster, at_seconds=min(1.0, info.duration / 2))
    store.put_file(poster_key(lecture_id), poster, content_type="image/jpeg")
    poster.unlink()
    return file_artefact(
        Kind.VIDEO,
        video_key(lecture_id),
        out,
        wanted,
        duration=info.duration,
        content_type="video/mp4",
        details={
            **rendering,
            **video_details(info),
            "poster_key": poster_key(lecture_id),
        },
    )


@dataclass
class _Segments:
    clips: list[Path] = field(default_factory=list)  # the segments' videos, in order, in the work directory
    manifest: list[dict] = field(default_factory=list)  # each one's key and seconds, in order
    sent: float = 0.0  # seconds of speech sent to the engine
    cached: float = 0.0  # seconds found stored
    renders: int = 0


def _render_segments(
    store: ObjectStore,
    engine: VideoEngine,
    lecture_id: str,
    pieces: list[Path],
    portrait_png: Path,
    portrait_sha256: str,
    params: dict,
    gate: SegmentGate,
) -> _Segments:
    """Each piece of speech as a video segment: fetched if stored under its hash, else rendered and stored at once
    (so a failure later renders only what is missing). The pieces stay until the gate has checked their segments."""
    done = _Segments()
    for index, piece in enumerate(pieces):
        seconds = wav_duration(piece)
        key = video_segment_key(lecture_id, input_hash(audio=sha256_file(piece), portrait=portrait_sha256, **params))
        clip = piece.with_name(f"segment-{index:04d}.mp4")
        if store.exists(key):
            store.get_file(key, clip)
            done.cached += seconds
        else:
            gate.render(index, portrait_png, piece, clip, key)  # checked beside the next render; stored if it passes
            done.sent += seconds
            done.renders += 1
        done.clips.append(clip)
        done.manifest.append({"key": key, "seconds": round(seconds, 6)})  # the key names the content
    return done


def _stored_keys(manifest: dict) -> list[str]:
    """Every object a manifest refers to: its segments and its sound track."""
    return [*(segment["key"] for segment in manifest["segments"]), manifest["sound"]["key"]]


def _drop_stale_segments(store: ObjectStore, lecture_id: str, keep: set[str]) -> None:
    """Segments of earlier versions of the speech belong to no video any more: delete them."""
    for info in list(store.list(video_segments_prefix(lecture_id))):
        if info.key not in keep:
            store.delete(info.key)
