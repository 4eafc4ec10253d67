"""The operator's commands: ``backfill``, ``pools``, ``forget-speaker``, ``rotate-keys`` and ``studio``."""

from __future__ import annotations

import argparse

from lecturer_pipeline import wiring
from lecturer_pipeline.cli_common import settings_of


def cmd_backfill(args: argparse.Namespace) -> int:
    from lecturer_pipeline.ids import normalise_name
    from lecturer_pipeline.operations.backfill import DagsterGraphQL, launch_course_backfill
    from lecturer_pipeline.storage.catalog import Status

    settings = settings_of(args)
    course = normalise_name(args.course, what="course name")
    only = None
    if args.from_failure:
        catalog = wiring.catalog(settings)
        only = set(catalog.lecture_ids(course=course, status=Status.FAILED.value))
    backfill_id, partitions = launch_course_backfill(DagsterGraphQL(settings.lecturer_dagster_url), course, only=only)
    for lecture_id in partitions:
        print(f"lecture: {lecture_id}")
    print(f"backfill: {backfill_id}")
    return 0


def cmd_pools(args: argparse.Namespace) -> int:
    from lecturer_pipeline.instance import get_instance, parse_pool_limits

    settings = settings_of(args)
    instance = get_instance(settings.lecturer_home)
    for pool, limit in parse_pool_limits(settings.lecturer_pool_limits).items():
        instance.event_log_storage.set_concurrency_slots(pool, limit)
        print(f"pool {pool}: {limit}")
    return 0


def cmd_forget_speaker(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from lecturer_pipeline.operations.erasure import forget_speaker

    settings = settings_of(args)
    store = wiring.object_store(settings)
    report = forget_speaker(store, wiring.catalog(settings), args.speaker, now=datetime.now(UTC))
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

    settings = settings_of(args)
    store = wiring.object_store(settings)
    report = rotate_keys(store, wiring.envelope(settings))
    for key in report.rewrapped:
        print(f"rewrapped: {key}")
    print(
        f"{len(report.rewrapped)} objects re-wrapped under master key {report.newest_key}; "
        f"{len(report.already_current)} already were"
    )
    return 0


def cmd_studio(args: argparse.Namespace) -> int:
    from lecturer_pipeline.studio import launch

    launch(settings_of(args), host=args.host, port=args.port)
    return 0


def add_operator_commands(commands: argparse._SubParsersAction) -> None:
    backfill = commands.add_parser("backfill", help="launch a Dagster backfill of a course through the webserver")
    backfill.add_argument("--course", required=True)
    backfill.add_argument("--from-failure", action="store_true", help="only the course's FAILED lectures")
    backfill.set_defaults(func=cmd_backfill)

    pools = commands.add_parser("pools", help="set the concurrency pool limits (LECTURER_POOL_LIMITS) on the instance")
    pools.set_defaults(func=cmd_pools)

    forget = commands.add_parser("forget-speaker", help="erase a speaker's voice, portrait, consent and speech")
    forget.add_argument("speaker")
    forget.set_defaults(func=cmd_forget_speaker)

    rotate = commands.add_parser("rotate-keys", help="re-wrap every sealed voice under the newest master key")
    rotate.set_defaults(func=cmd_rotate_keys)

    studio = commands.add_parser("studio", help="start the instructor studio, a web page for lecturers (Gradio)")
    studio.add_argument("--host", default="127.0.0.1", help="address (default 127.0.0.1; others need a password)")
    studio.add_argument("--port", type=int, default=7860, help="port (default 7860)")
    studio.set_defaults(func=cmd_studio)
