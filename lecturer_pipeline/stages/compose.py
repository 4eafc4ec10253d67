"""Stage 5b: the lecture as viewers see it — ``lecture.mp4``, 1920×1080, composed per render segment.

Each render segment of the talking head (``video_segments``) shows one paragraph, and so one page of the deck
(``text.slides``); it is composed once — the page full-frame with the disclosure mark, the head picture-in-picture —
and stored under a hash of the head segment, the page's picture and the layout. Title and end cards are segments
too. The parts are joined by stream copy with the speech laid under them once, tagged (title, artist, comment
with the disclosure) and signed with a C2PA manifest, which is read back and verified. Editing one paragraph
re-composes only its segment; a changed page only the segments that show it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lecturer_pipeline.kinds import Kind
from lecturer_pipeline.media.cards import PipLayout, drawable, end_card, head_cover, slide_frame, title_card
from lecturer_pipeline.media.compose import FPS, head_segment, join_segments, lecture_sound, still_segment
from lecturer_pipeline.media.video import extract_frame
from lecturer_pipeline.model import Artefact, LectureScript
from lecturer_pipeline.security.c2pa_sign import SigningPair, lecture_manifest, sign_mp4, verify_mp4
from lecturer_pipeline.stages.common import file_artefact, input_hash, reusable, video_details
from lecturer_pipeline.storage.catalog import Catalog
from lecturer_pipeline.storage.layout import composed_part_key, composed_prefix, lecture_poster_key, lecture_video_key
from lecturer_pipeline.storage.objects import ObjectStore
from lecturer_pipeline.text.disclosure import disclosure_text, english_disclosure

COMPOSE_FORMAT = 1  # bump when the picture is composed differently
NO_DECK_BOX = (540, 170, 840)  # the head without a deck: large, centred under the title


@dataclass(frozen=True)
class ComposeOptions:
    layout: PipLayout = field(default_factory=PipLayout)
    title_seconds: float = 3.0
    end_seconds: float = 3.0
    disclosure: str | None = None  # own wording ({speaker} replaced), else the language's
    version: str = "0.1.0"


@dataclass
class _Parts:
    files: list[Path] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    composed: int = 0
    seconds_composed: float = 0.0
    seconds_reused: float = 0.0


def segment_paragraphs(speech: Artefact) -> list[dict[str, Any]]:
    """For each render segment: its start and length in the speech and the paragraph (and section) it speaks."""
    timeline = speech.details.get("timeline") or []
    lengths = speech.details.get("segment_seconds") or [speech.duration or 0.0]
    out, start = [], 0.0
    for seconds in lengths:
        first = next((c for c in timeline if c["start"] >= start - 1e-3), timeline[-1] if timeline else {})
        out.append(
            {
                "start": start,
                "seconds": seconds,
                "paragraph": first.get("paragraph", 0),
                "section": first.get("section"),
            }
        )
        start += seconds
    return out


def compose_lecture(
    store: ObjectStore,
    catalog: Catalog,
    script: LectureScript,
    speech: Artefact,
    segments: Artefact,
    deck: Artefact,
    workdir: Path,
    *,
    options: ComposeOptions,
    signing: SigningPair,
) -> Artefact:
    """Compose (or reuse) every part, join them, tag and sign the result. ``segments`` and ``deck`` come with their
    manifests downloaded; ``speech`` is the record only (downloaded when the sound track must be made)."""
    assert segments.path is not None and deck.path is not None
    heads = json.loads(segments.path.read_text(encoding="utf-8"))["segments"]
    slides = json.loads(deck.path.read_text(encoding="utf-8"))
    segments.path.unlink()
    deck.path.unlink()
    lecture_id = script.lecture_id
    disclosure = disclosure_text(script.speaker, script.language, options.disclosure)
    on_screen = drawable(disclosure, english_disclosure(script.speaker))
    if not segments.details.get("lip_sync", True):  # the preview's own label may be cut off by the head's shape
        on_screen += " · preview, no lip-sync"
    engines = _engines(speech, segments)
    layout = options.layout if slides["pages"] else None
    plan = segment_paragraphs(speech)
    if len(plan) != len(heads):
        raise RuntimeError(f"{lecture_id}: the speech has {len(plan)} segments but the video {len(heads)}")
    pages = [slides["paragraph_pages"][p["paragraph"]] if slides["pages"] else None for p in plan]

    common = {"format": COMPOSE_FORMAT, "fps": FPS, "mark": on_screen}
    title_frames = round(options.title_seconds * FPS)
    end_frames = round(options.end_seconds * FPS)
    card_text = {"title": script.title, "speaker": script.speaker, "course": script.course}
    credits = [f"{e['role']}: {e['name']} ({e['licence']})" for e in engines]
    jobs: list[tuple[str, dict]] = []
    if title_frames:
        jobs.append(("title", {**common, **card_text, "frames": title_frames}))
    for index, head in enumerate(heads):
        page = slides["pages"][pages[index] - 1] if pages[index] else None
        frames = round(head["seconds"] * FPS)
        jobs.append(
            (
                "head",
                {
                    **common,
                    "head": head["key"],
                    "frames": frames,
                    "page": page and page["sha256"],
                    "page_key": page and page["key"],
                    "layout": layout and layout.__dict__,
                    "title": None if page else script.title,
                },
            )
        )
    if end_frames:
        jobs.append(("end", {**common, **card_text, "frames": end_frames, "credits": credits}))
    keys = [composed_part_key(lecture_id, input_hash(kind=kind, **spec)) for kind, spec in jobs]
    sound_key = composed_part_key(
        lecture_id, input_hash(speech=speech.sha256, lead=options.title_seconds, tail=options.end_seconds), "m4a"
    )
    total = (title_frames + end_frames) / FPS + sum(round(h["seconds"] * FPS) for h in heads) / FPS
    tags = {"title": script.title, "artist": script.speaker, "comment": disclosure, "album": script.course}
    chapters = _chapters(plan, pages, options.title_seconds, total, script.title)
    manifest = lecture_manifest(
        title=script.title,
        speaker=script.speaker,
        disclosure=disclosure,
        engines=engines,
        signer_origin=signing.origin,
        version=options.version,
    )
    wanted = input_hash(parts=keys, sound=sound_key, tags=tags, manifest=manifest, cert=signing.cert_chain_pem)
    existing = reusable(store, catalog, lecture_id, Kind.LECTURE_VIDEO, wanted)
    if existing and all(store.exists(k) for k in (*keys, sound_key)):
        seconds = existing.details.get("compose_seconds_sent", 0) + existing.details.get("compose_seconds_cached", 0)
        details = {
            **existing.details,
            "parts_composed": 0,
            "compose_seconds_sent": 0.0,
            "compose_seconds_cached": seconds,
        }
        return Artefact(**{**existing.__dict__, "details": details})

    done = _Parts()
    parts_dir = workdir / "parts"
    parts_dir.mkdir(parents=True, exist_ok=True)
    for number, ((kind, spec), key) in enumerate(zip(jobs, keys, strict=True)):
        local = parts_dir / f"part-{number:04d}.mp4"
        seconds = spec["frames"] / FPS
        if store.exists(key):
            store.get_file(key, local)
            done.seconds_reused += seconds
        else:
            _make_part(store, kind, spec, layout, local, parts_dir, disclosure=on_screen)
            store.put_file(key, local, content_type="video/mp4")
            done.composed += 1
            done.seconds_composed += seconds
        done.files.append(local)
    sound = workdir / "lecture-sound.m4a"
    if store.exists(sound_key):
        store.get_file(sound_key, sound)
    else:
        wav = store.get_file(speech.key, workdir / "speech.wav")
        lecture_sound(wav, options.title_seconds, options.end_seconds, sound)
        wav.unlink()
        store.put_file(sound_key, sound, content_type="audio/mp4")
    joined = workdir / "joined.mp4"
    try:
        info = join_segments(done.files, sound, total, joined, tags=tags)
    finally:
        for path in (*done.files, sound):
            path.unlink(missing_ok=True)
    out = workdir / "lecture.mp4"
    sign_mp4(joined, out, manifest, signing)
    joined.unlink()
    check = verify_mp4(out)
    if not check.valid:
        raise RuntimeError(f"{lecture_id}: the C2PA manifest did not verify ({check.state}: {check.codes})")
    poster = workdir / "lecture-poster.jpg"
    extract_frame(out, poster, at_seconds=min(options.title_seconds + 1.0, info.duration / 2), width=640)
    store.put_file(lecture_poster_key(lecture_id), poster, content_type="image/jpeg")
    poster.unlink()
    keep = {*keys, sound_key}
    for stale in list(store.list(composed_prefix(lecture_id))):
        if stale.key not in keep:
            store.delete(stale.key)
    return file_artefact(
        Kind.LECTURE_VIDEO,
        lecture_video_key(lecture_id),
        out,
        wanted,
        duration=info.duration,
        content_type="video/mp4",
        details={
            **video_details(info),
            "deck_pages": len(slides["pages"]),
            "parts": len(keys),
            "parts_composed": done.composed,
            "compose_seconds_sent": round(done.seconds_composed, 3),
            "compose_seconds_cached": round(done.seconds_reused, 3),
            "speech_offset": options.title_seconds,
            "slides": [
                {"start": round(options.title_seconds + p["start"], 3), "page": page}
                for p, page in zip(plan, pages, strict=True)
            ],
            "chapters": chapters,
            "disclosure": disclosure,
            "c2pa": check.state,
            "c2pa_signer": signing.origin,
            "engines": ", ".join(f"{e['name']} ({e['licence']})" for e in engines),
            "poster_key": lecture_poster_key(lecture_id),
        },
    )


def _engines(speech: Artefact, segments: Artefact) -> list[dict[str, Any]]:
    return [
        {
            "role": "voice",
            "name": speech.details.get("engine", "?"),
            "licence": speech.details.get("licence", "?"),
            "cloned": bool(speech.details.get("cloned")),
        },
        {
            "role": "video",
            "name": segments.details.get("engine", "?"),
            "licence": segments.details.get("licence", "?"),
            "lip_sync": bool(segments.details.get("lip_sync")),
        },
        {"role": "composition", "name": "ffmpeg (libx264, aac)", "licence": "GPL-2.0-or-later"},
    ]


def _chapters(
    plan: list[dict], pages: list[int | None], offset: float, total: float, title: str
) -> list[dict[str, Any]] | None:
    """One chapter per slide shown (consecutive segments on the same page are one), the first from 0 s (the
    title card) and the last to the end; None without a deck (the captions stage then makes them from headings)."""
    if not any(pages):
        return None
    chapters: list[dict[str, Any]] = []
    for segment, page in zip(plan, pages, strict=True):
        if chapters and chapters[-1]["page"] == page:
            continue
        name = f"Slide {page}" + (f": {segment['section']}" if segment.get("section") else "")
        chapters.append({"start": round(offset + segment["start"], 3), "page": page, "title": name})
    chapters[0]["start"] = 0.0
    for index, chapter in enumerate(chapters):
        chapter["end"] = chapters[index + 1]["start"] if index + 1 < len(chapters) else round(total, 3)
    return chapters


def _make_part(
    store: ObjectStore, kind: str, spec: dict, layout: PipLayout | None, dst: Path, work: Path, *, disclosure: str
) -> None:
    still = work / "still.png"
    try:
        if kind == "title":
            title_card(
                still, title=spec["title"], speaker=spec["speaker"], course=spec["course"], disclosure=disclosure
            )
            still_segment(still, spec["frames"], dst)
        elif kind == "end":
            end_card(
                still, title=spec["title"], speaker=spec["speaker"], disclosure=disclosure, credits=spec["credits"]
            )
            still_segment(still, spec["frames"], dst)
        else:
            slide = store.get_file(spec["page_key"], work / "slide.png") if spec["page_key"] else None
            slide_frame(slide, spec["mark"], layout, still, title=spec["title"] or "")
            box = layout.box() if layout else NO_DECK_BOX
            cover = work / "cover.png"
            head_cover(still, box, layout.shape if layout else "rounded", cover)
            head = store.get_file(spec["head"], work / "head.mp4")
            head_segment(still, head, box, spec["frames"], dst, cover)
            for path in (head, cover, slide):
                if path is not None:
                    path.unlink(missing_ok=True)
    finally:
        still.unlink(missing_ok=True)
