"""The commands on one lecture: ``demo``, ``materialize``, ``submit``, ``approve``, ``accept-quality`` and ``url``.

Each prints ``lecture: <id>`` (and ``video: <path or URL>`` once one exists) so scripts can chain commands. The store
and the catalog come from ``lecturer_pipeline.wiring``; only ``materialize`` builds the Dagster definitions, to run.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
from pathlib import Path

from lecturer_pipeline import wiring
from lecturer_pipeline.cli_common import settings_of
from lecturer_pipeline.engines.base import DEFAULT_DRAFT_MINUTES
from lecturer_pipeline.errors import LecturerError
from lecturer_pipeline.text.languages import DEFAULT_LANGUAGE, LANGUAGE_CODES


def cmd_materialize(args: argparse.Namespace) -> int:
    from lecturer_pipeline.definitions import build_definitions
    from lecturer_pipeline.ids import split_lecture_id
    from lecturer_pipeline.instance import get_instance
    from lecturer_pipeline.runner import run_lecture

    split_lecture_id(args.lecture_id)  # an ID error is the user's: say so before starting anything
    settings = settings_of(args)
    defs = build_definitions(settings)
    instance = get_instance(settings.lecturer_home)
    if getattr(args, "verbose", False):
        outcome = run_lecture(defs, instance, args.lecture_id)
        log = None
    else:
        # Dagster's console logger prints every event with stack traces; keep that in a log file and show the
        # user one line per outcome (the full event log is also in the Dagster UI).
        logs = settings.lecturer_home / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        log = logs / f"{args.lecture_id}.log"
        with open(log, "a", encoding="utf-8") as sink, contextlib.redirect_stderr(sink):
            outcome = run_lecture(defs, instance, args.lecture_id)
    print(f"lecture: {outcome.lecture_id}")
    if not outcome.success:
        print(f"error: {outcome.error}", file=sys.stderr)
        if log:
            print(f"run log: {log} (run {outcome.run_id})", file=sys.stderr)
        return 1
    print(f"video: {outcome.video}")
    return 0


def cmd_submit(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from lecturer_pipeline.errors import InputError
    from lecturer_pipeline.ids import lecture_id as make_lecture_id
    from lecturer_pipeline.ids import normalise_name
    from lecturer_pipeline.manifest import LectureManifest
    from lecturer_pipeline.security.consent import ConsentRecord
    from lecturer_pipeline.uploads import submit_lecture, submit_speaker_files

    lid = make_lecture_id(args.course, args.lecture)  # names are checked before anything is written
    if args.speaker:
        normalise_name(args.speaker, what="speaker name")
    if bool(args.script) == bool(args.prompt):
        raise LecturerError("give exactly one of --script FILE or --prompt TEXT", lecture_id=lid)
    drafting = {"target_minutes": args.minutes, "audience": args.audience, "style": args.style}
    if args.script and any(value is not None for value in drafting.values()):
        raise LecturerError("--minutes, --audience and --style shape a draft: use them with --prompt", lecture_id=lid)
    text = None
    if args.script:
        try:
            text = Path(args.script).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise LecturerError(f"cannot read the script: {error}", lecture_id=lid, file=args.script) from error
        if not text.strip():
            raise InputError(
                "the script is empty: give the words the lecturer should speak", lecture_id=lid, file=args.script
            )
    try:
        manifest = LectureManifest(
            title=args.title,
            speaker=args.speaker,
            script=text,
            prompt=args.prompt,
            language=args.language,
            **{option: value for option, value in drafting.items() if value is not None},
        )
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'lecture'}: {e['msg']}" for e in error.errors())
        raise InputError(problems, lecture_id=lid, file=args.script) from error
    store = wiring.object_store(settings_of(args))
    if (args.voice or args.portrait or args.consent) and not args.speaker:
        raise LecturerError("--voice, --portrait and --consent belong to a speaker: give --speaker too")
    if args.speaker and (args.voice or args.portrait or args.consent):
        consent = None
        if args.consent:
            consent = ConsentRecord(by=args.consent_by or args.speaker, statement=args.consent)
        submit_speaker_files(
            store,
            args.speaker,
            voice=Path(args.voice) if args.voice else None,
            portrait=Path(args.portrait) if args.portrait else None,
            consent=consent,
        )
    if args.deck:  # before the manifest: the sensor starts the lecture when the manifest arrives
        from lecturer_pipeline.deck_uploads import submit_deck

        submit_deck(store, args.course, args.lecture, Path(args.deck))
    lecture_id, _ = submit_lecture(store, args.course, args.lecture, manifest)
    print(f"lecture: {lecture_id}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from lecturer_pipeline.manifest import LectureManifest
    from lecturer_pipeline.sample import (
        SAMPLE_CONSENT,
        SAMPLE_COURSE,
        SAMPLE_LECTURE,
        SAMPLE_SCRIPT,
        SAMPLE_SPEAKER,
        SAMPLE_TITLE,
        make_sample_portrait,
        make_sample_voice,
    )
    from lecturer_pipeline.uploads import submit_lecture, submit_speaker_files

    settings = settings_of(args)
    store = wiring.object_store(settings)
    with tempfile.TemporaryDirectory(prefix="lecturer-demo-") as tmp:
        voice = make_sample_voice(Path(tmp) / "voice.wav")
        portrait = make_sample_portrait(Path(tmp) / "portrait.png")
        submit_speaker_files(store, SAMPLE_SPEAKER, voice=voice, portrait=portrait, consent=SAMPLE_CONSENT)
    manifest = LectureManifest(title=SAMPLE_TITLE, speaker=SAMPLE_SPEAKER, script=SAMPLE_SCRIPT)
    lecture_id, _ = submit_lecture(store, SAMPLE_COURSE, SAMPLE_LECTURE, manifest)
    print(f"demo: sample speaker, portrait and script written to {store.describe()}", file=sys.stderr)
    return cmd_materialize(argparse.Namespace(lecture_id=lecture_id, verbose=args.verbose, settings=settings))


def cmd_url(args: argparse.Namespace) -> int:
    from lecturer_pipeline.ids import split_lecture_id
    from lecturer_pipeline.storage.local import LocalObjectStore

    split_lecture_id(args.lecture_id)
    settings = settings_of(args)
    store = wiring.object_store(settings)
    catalog = wiring.catalog(settings)
    video = catalog.get_artefact(args.lecture_id, "lecture_video") or catalog.get_artefact(args.lecture_id, "video")
    if video is None or not store.exists(video.key):
        raise LecturerError("has no video yet: materialise it first", lecture_id=args.lecture_id)
    seconds = args.expires or settings.lecturer_signed_url_seconds
    url = store.url(video.key, expires_seconds=seconds)
    catalog.upsert_lecture(args.lecture_id, video_url=url)
    print(f"lecture: {args.lecture_id}")
    print(f"video: {store.root / video.key if isinstance(store, LocalObjectStore) else url}")
    return 0


def cmd_approve(args: argparse.Namespace) -> int:
    from lecturer_pipeline.ids import split_lecture_id
    from lecturer_pipeline.stages.script import approve_draft

    split_lecture_id(args.lecture_id)
    text = None
    if args.script:
        try:
            text = Path(args.script).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise LecturerError(f"cannot read the script: {error}", file=args.script) from error
    settings = settings_of(args)
    store = wiring.object_store(settings)
    key = approve_draft(store, wiring.catalog(settings), args.lecture_id, text)
    print(f"lecture: {args.lecture_id}")
    print(f"approved: {key}", file=sys.stderr)
    return 0


def cmd_accept_quality(args: argparse.Namespace) -> int:
    from lecturer_pipeline.ids import split_lecture_id
    from lecturer_pipeline.quality.gate import accept_quality

    split_lecture_id(args.lecture_id)
    settings = settings_of(args)
    store = wiring.object_store(settings)
    approved = accept_quality(store, wiring.catalog(settings), args.lecture_id, by=args.by)
    print(f"lecture: {args.lecture_id}")
    chunks = ", ".join(map(str, approved)) or "none (nothing was failing)"
    print(
        f"approved as they are: chunks {chunks}; run `lecturer-pipeline materialize {args.lecture_id}`", file=sys.stderr
    )
    return 0


def add_lecture_commands(commands: argparse._SubParsersAction) -> None:
    demo = commands.add_parser("demo", help="make a sample lecture end to end on the embedded default")
    demo.add_argument("-v", "--verbose", action="store_true", help="show Dagster's event log on the console")
    demo.set_defaults(func=cmd_demo)

    materialize = commands.add_parser("materialize", help="run every stage of one lecture in this process")
    materialize.add_argument("lecture_id", help="e.g. cs101--intro")
    materialize.add_argument("-v", "--verbose", action="store_true", help="show Dagster's event log on the console")
    materialize.set_defaults(func=cmd_materialize)

    submit = commands.add_parser("submit", help="upload a lecture (and optionally its speaker's files)")
    submit.add_argument("--course", required=True)
    submit.add_argument("--lecture", required=True)
    submit.add_argument("--title")
    submit.add_argument("--script", metavar="FILE", help="the finished script (UTF-8 text)")
    submit.add_argument("--prompt", metavar="TEXT", help="a prompt to draft the script from (needs OLLAMA_HOST)")
    length = f"with --prompt: the draft's length in minutes (default {DEFAULT_DRAFT_MINUTES:g})"
    submit.add_argument("--minutes", type=float, help=length)
    submit.add_argument("--audience", help="with --prompt: who the lecture is for, e.g. 'first-year students'")
    submit.add_argument("--style", help="with --prompt: how it should sound, e.g. 'informal, with examples'")
    submit.add_argument("--language", default=DEFAULT_LANGUAGE, choices=LANGUAGE_CODES)
    submit.add_argument("--speaker", help="speaker name (default: the course name)")
    submit.add_argument("--voice", metavar="FILE", help="10–30 s reference recording of the speaker")
    submit.add_argument("--portrait", metavar="FILE", help="the speaker's portrait (PNG or JPEG)")
    submit.add_argument("--deck", metavar="FILE", help="the lecture's slides (PDF or PPTX); [slide N] lines move them")
    submit.add_argument("--consent", metavar="STATEMENT", help="the statement the speaker agreed to (needed once)")
    submit.add_argument("--consent-by", metavar="NAME", help="who gave the consent (default: the speaker name)")
    submit.set_defaults(func=cmd_submit)

    approve = commands.add_parser("approve", help="approve a drafted script (as drafted, or an edited --script)")
    approve.add_argument("lecture_id")
    approve.add_argument("--script", metavar="FILE", help="the reviewed text to use instead of the draft")
    approve.set_defaults(func=cmd_approve)

    accept = commands.add_parser(
        "accept-quality", help="approve a NEEDS_REVIEW lecture's failing speech chunks as they are (see its report)"
    )
    accept.add_argument("lecture_id")
    accept.add_argument("--by", default="operator", help="who approved them (recorded in the quality report)")
    accept.set_defaults(func=cmd_accept_quality)

    url = commands.add_parser("url", help="issue a fresh signed URL for a lecture's video")
    url.add_argument("lecture_id")
    url.add_argument("--expires", type=int, metavar="SECONDS", help="validity (default LECTURER_SIGNED_URL_SECONDS)")
    url.set_defaults(func=cmd_url)
