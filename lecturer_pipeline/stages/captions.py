"""Captions, chapters and transcript of a lecture, made from its script and the speech stage's timeline.

``captions.vtt`` (and ``chapters.vtt`` beside it when the script has ``#`` headings) and ``transcript.txt`` live
under ``generated/captions/<lecture_id>/``. Both are reused while what they were made from is unchanged; the captions
need only the speech's record (its timeline), never its audio.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from lecturer_pipeline.errors import LecturerError
from lecturer_pipeline.kinds import Kind
from lecturer_pipeline.model import Artefact, LectureScript
from lecturer_pipeline.stages.common import file_artefact, input_hash, reusable
from lecturer_pipeline.storage.catalog import Catalog
from lecturer_pipeline.storage.layout import captions_key, chapters_key, transcript_key
from lecturer_pipeline.storage.objects import ObjectStore
from lecturer_pipeline.text.captions import (
    MAX_LINE_CHARS,
    MAX_LINES,
    Cue,
    build_transcript,
    caption_cues,
    chapter_cues,
    format_vtt,
    script_blocks,
)
from lecturer_pipeline.text.chunks import split_sentences

# Bump when the layout of captions or transcript changes, so stored ones are rebuilt.
CAPTIONS_FORMAT = 1
TRANSCRIPT_FORMAT = 1
VTT_TYPE = "text/vtt; charset=utf-8"
TEXT_TYPE = "text/plain; charset=utf-8"


def make_captions(
    store: ObjectStore,
    catalog: Catalog,
    script: LectureScript,
    speech: Artefact,
    workdir: Path,
    *,
    lecture_video: Artefact | None = None,
) -> Artefact:
    """``captions.vtt`` timed from the measured length of each spoken chunk, plus ``chapters.vtt`` for headings.

    With the composed ``lecture_video`` record, cues are timed on its clock (the speech starts after the title
    card), the chapters are its slides, and a ``NOTE`` carries the AI disclosure."""
    lecture_id = script.lecture_id
    timeline = speech.details.get("timeline")
    if not timeline:
        raise LecturerError(
            "the speech record has no timeline of its chunks; materialise speech again", lecture_id=lecture_id
        )
    total = float(speech.duration or timeline[-1]["end"])
    composed = (lecture_video.details if lecture_video else None) or {}
    offset = float(composed.get("speech_offset") or 0.0)
    slides = composed.get("chapters")
    note = composed.get("disclosure")
    if offset:
        timeline = [{**chunk, "start": chunk["start"] + offset, "end": chunk["end"] + offset} for chunk in timeline]
    if lecture_video is not None and lecture_video.duration:
        total = float(lecture_video.duration)
    wanted = input_hash(
        timeline=timeline,
        duration=total,
        language=script.language,
        title=script.title,
        layout={"lines": MAX_LINES, "chars": MAX_LINE_CHARS},
        format=CAPTIONS_FORMAT,
        slides=slides,
        note=note,
    )
    existing = reusable(store, catalog, lecture_id, Kind.CAPTIONS, wanted)
    if existing and (not existing.details.get("chapters_key") or store.exists(existing.details["chapters_key"])):
        return existing

    cues = caption_cues(timeline, script.language)
    if slides:
        chapters = [Cue(float(c["start"]), float(c["end"]), (c["title"],)) for c in slides]
    else:
        chapters = chapter_cues(timeline, total, untitled=script.title or "Introduction")
    out = workdir / "captions.vtt"
    out.write_text(format_vtt(cues, note=note), encoding="utf-8")
    chapter_details: dict = {"chapters": len(chapters), "chapters_key": None, "chapters_sha256": None}
    if chapters:
        data = format_vtt(chapters).encode("utf-8")
        store.put_bytes(chapters_key(lecture_id), data, content_type=VTT_TYPE)
        chapter_details.update(
            chapters_key=chapters_key(lecture_id),
            chapters_sha256=hashlib.sha256(data).hexdigest(),
            chapter_titles=[cue.text for cue in chapters],
        )
    else:  # the script lost its headings since the last build
        store.delete(chapters_key(lecture_id))
    sentences = sum(len(split_sentences(chunk["text"], script.language)) for chunk in timeline)
    return file_artefact(
        Kind.CAPTIONS,
        captions_key(lecture_id),
        out,
        wanted,
        duration=total,
        content_type=VTT_TYPE,
        details={
            "cues": len(cues),
            "sentences": sentences,
            "chunks": len(timeline),
            "language": script.language,
            "max_line_chars": max((len(line) for cue in cues for line in cue.lines), default=0),
            "first_cue_start": cues[0].start if cues else None,
            "last_cue_end": cues[-1].end if cues else None,
            **chapter_details,
        },
    )


def make_transcript(store: ObjectStore, catalog: Catalog, script: LectureScript, workdir: Path) -> Artefact:
    """``transcript.txt``: the title, the section headings and the spoken paragraphs of the script."""
    lecture_id = script.lecture_id
    wanted = input_hash(script=script.sha256, title=script.title, format=TRANSCRIPT_FORMAT)
    existing = reusable(store, catalog, lecture_id, Kind.TRANSCRIPT, wanted)
    if existing:
        return existing
    blocks = script_blocks(script.text)
    out = workdir / "transcript.txt"
    out.write_text(build_transcript(script.title, script.text), encoding="utf-8")
    paragraphs = [block.text for block in blocks if block.kind == "paragraph"]
    return file_artefact(
        Kind.TRANSCRIPT,
        transcript_key(lecture_id),
        out,
        wanted,
        content_type=TEXT_TYPE,
        details={
            "headings": sum(block.kind == "heading" for block in blocks),
            "paragraphs": len(paragraphs),
            "words": sum(len(text.split()) for text in paragraphs),
        },
    )
