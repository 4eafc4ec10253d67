"""``lecturer-pipeline``: the command line. Every command acting on a lecture prints ``lecture: <id>`` (and
``video: <path or URL>`` once one exists) so scripts can chain commands; errors go to stderr and exit non-zero."""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
from pathlib import Path

from lecturer_pipeline.cli_catalog import add_catalog_commands
from lecturer_pipeline.errors import LecturerError
from lecturer_pipeline.text.languages import DEFAULT_LANGUAGE, LANGUAGE_CODES


def _settings():
    from lecturer_pipeline.settings import Settings

    return Settings()


def _store_for(settings):
    from lecturer_pipeline.definitions import build_definitions

    defs = build_definitions(settings)
    return defs, defs.resources["objects"].get_store()


def cmd_materialize(args: argparse.Namespace) -> int:
    from lecturer_pipeline.definitions import build_definitions
    from lecturer_pipeline.ids import split_lecture_id
    from lecturer_pipeline.instance import get_instance
    from lecturer_pipeline.runner import run_lecture

    split_lecture_id(args.lecture_id)  # an ID error is the user's: say so before starting anything
    settings = _settings()
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
            title=args.title, speaker=args.speaker, script=text, prompt=args.prompt, language=args.language
        )
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'lecture'}: {e['msg']}" for e in error.errors())
        raise InputError(problems, lecture_id=lid, file=args.script) from error
    _, store = _store_for(_settings())
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

    settings = _settings()
    _, store = _store_for(settings)
    with tempfile.TemporaryDirectory(prefix="lecturer-demo-") as tmp:
        voice = make_sample_voice(Path(tmp) / "voice.wav")
        portrait = make_sample_portrait(Path(tmp) / "portrait.png")
        submit_speaker_files(store, SAMPLE_SPEAKER, voice=voice, portrait=portrait, consent=SAMPLE_CONSENT)
    manifest = LectureManifest(title=SAMPLE_TITLE, speaker=SAMPLE_SPEAKER, script=SAMPLE_SCRIPT)
    lecture_id, _ = submit_lecture(store, SAMPLE_COURSE, SAMPLE_LECTURE, manifest)
    print(f"demo: sample speaker, portrait and script written to {store.describe()}", file=sys.stderr)
    return cmd_materialize(argparse.Namespace(lecture_id=lecture_id, verbose=args.verbose))


def cmd_backfill(args: argparse.Namespace) -> int:
    from lecturer_pipeline.ids import normalise_name
    from lecturer_pipeline.operations.backfill import DagsterGraphQL, launch_course_backfill
    from lecturer_pipeline.storage.catalog import Catalog, Status

    settings = _settings()
    course = normalise_name(args.course, what="course name")
    only = None
    if args.from_failure:
        catalog = Catalog(settings.database_url)
        only = set(catalog.lecture_ids(course=course, status=Status.FAILED.value))
    backfill_id, partitions = launch_course_backfill(DagsterGraphQL(settings.lecturer_dagster_url), course, only=only)
    for lecture_id in partitions:
        print(f"lecture: {lecture_id}")
    print(f"backfill: {backfill_id}")
    return 0


def cmd_pools(args: argparse.Namespace) -> int:
    from lecturer_pipeline.instance import get_instance, parse_pool_limits

    settings = _settings()
    instance = get_instance(settings.lecturer_home)
    for pool, limit in parse_pool_limits(settings.lecturer_pool_limits).items():
        instance.event_log_storage.set_concurrency_slots(pool, limit)
        print(f"pool {pool}: {limit}")
    return 0


def cmd_forget_speaker(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from lecturer_pipeline.operations.erasure import forget_speaker

    defs, store = _store_for(_settings())
    report = forget_speaker(store, defs.resources["catalog"].get_catalog(), args.speaker, now=datetime.now(UTC))
    for key in report.keys:
        print(f"deleted: {key}")
    for lecture_id in report.lectures:
        print(f"lecture: {lecture_id} (erased)")
    print(
        f"speaker {report.speaker}: {len(report.keys)} objects ({report.bytes} bytes), {report.artefact_rows} artefact "
        f"rows and {'the' if report.speaker_row else 'no'} speaker row deleted; {len(report.lectures)} lectures marked "
        "ERASED"
    )
    return 0


def cmd_rotate_keys(args: argparse.Namespace) -> int:
    from lecturer_pipeline.operations.rotation import rotate_keys

    defs, store = _store_for(_settings())
    report = rotate_keys(store, defs.resources["vault"].get_envelope())
    for key in report.rewrapped:
        print(f"rewrapped: {key}")
    print(
        f"{len(report.rewrapped)} objects re-wrapped under master key {report.newest_key}; "
        f"{len(report.already_current)} already were"
    )
    return 0


def cmd_url(args: argparse.Namespace) -> int:
    from lecturer_pipeline.ids import split_lecture_id
    from lecturer_pipeline.storage.local import LocalObjectStore

    split_lecture_id(args.lecture_id)
    settings = _settings()
    defs, store = _store_for(settings)
    catalog = defs.resources["catalog"].get_catalog()
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
    defs, store = _store_for(_settings())
    key = approve_draft(store, defs.resources["catalog"].get_catalog(), args.lecture_id, text)
    print(f"lecture: {args.lecture_id}")
    print(f"approved: {key}", file=sys.stderr)
    return 0


def cmd_accept_quality(args: argparse.Namespace) -> int:
    from lecturer_pipeline.ids import split_lecture_id
    from lecturer_pipeline.quality.gate import accept_quality

    split_lecture_id(args.lecture_id)
    defs, store = _store_for(_settings())
    approved = accept_quality(store, defs.resources["catalog"].get_catalog(), args.lecture_id, by=args.by)
    print(f"lecture: {args.lecture_id}")
    chunks = ", ".join(map(str, approved)) or "none (nothing was failing)"
    print(
        f"approved as they are: chunks {chunks}; run `lecturer-pipeline materialize {args.lecture_id}`", file=sys.stderr
    )
    return 0


def cmd_studio(args: argparse.Namespace) -> int:
    from lecturer_pipeline.studio import launch

    launch(host=args.host, port=args.port)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lecturer-pipeline", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

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
    submit.add_argument("--language", default=DEFAULT_LANGUAGE, choices=LANGUAGE_CODES)
    submit.add_argument("--speaker", help="speaker name (default: the course name)")
    submit.add_argument("--voice", metavar="FILE", help="10–30 s reference recording of the speaker")
    submit.add_argument("--portrait", metavar="FILE", help="the speaker's portrait (PNG or JPEG)")
    submit.add_argument("--deck", metavar="FILE", help="the lecture's slides (PDF or PPTX); [slide N] lines move them")
    submit.add_argument("--consent", metavar="STATEMENT", help="the statement the speaker agreed to (needed once)")
    submit.add_argument("--consent-by", metavar="NAME", help="who gave the consent (default: the speaker name)")
    submit.set_defaults(func=cmd_submit)

    backfill = commands.add_parser("backfill", help="launch a Dagster backfill of a course through the webserver")
    backfill.add_argument("--course", required=True)
    backfill.add_argument("--from-failure", action="store_true", help="only the course's FAILED lectures")
    backfill.set_defaults(func=cmd_backfill)

    add_catalog_commands(commands)

    pools = commands.add_parser("pools", help="set the concurrency pool limits (LECTURER_POOL_LIMITS) on the instance")
    pools.set_defaults(func=cmd_pools)

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

    forget = commands.add_parser("forget-speaker", help="erase a speaker's voice, portrait, consent and speech")
    forget.add_argument("speaker")
    forget.set_defaults(func=cmd_forget_speaker)

    rotate = commands.add_parser("rotate-keys", help="re-wrap every sealed voice under the newest master key")
    rotate.set_defaults(func=cmd_rotate_keys)

    url = commands.add_parser("url", help="issue a fresh signed URL for a lecture's video")
    url.add_argument("lecture_id")
    url.add_argument("--expires", type=int, metavar="SECONDS", help="validity (default LECTURER_SIGNED_URL_SECONDS)")
    url.set_defaults(func=cmd_url)

    studio = commands.add_parser("studio", help="start the instructor studio, a web page for lecturers (Gradio)")
    studio.add_argument("--host", default="127.0.0.1", help="address (default 127.0.0.1; others need a password)")
    studio.add_argument("--port", type=int, default=7860, help="port (default 7860)")
    studio.set_defaults(func=cmd_studio)

    from lecturer_pipeline.cli_users import add_parser as add_users_parser

    add_users_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        from lecturer_pipeline.deployment import check_deployment

        check_deployment(_settings())  # distributed mode: every missing variable at once, before connecting anywhere
        return args.func(args)
    except LecturerError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
