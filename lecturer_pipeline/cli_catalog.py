"""The catalog's commands: ``status`` (what every lecture is doing) and ``migrate`` (the catalog's schema).

``status`` reads only the columns it prints, streams them in lecture order, and filters in SQL (``--course``,
``--status``, ``--limit``), so it answers at once over a university's 15,000 lectures.
"""

from __future__ import annotations

import argparse
import sys

from lecturer_pipeline.cli_common import settings_of
from lecturer_pipeline.storage.tables import Status


def cmd_status(args: argparse.Namespace) -> int:
    from lecturer_pipeline import wiring
    from lecturer_pipeline.ids import normalise_name

    course = normalise_name(args.course, what="course name") if args.course else None
    catalog = wiring.catalog(settings_of(args))
    printed = 0
    print(f"{'lecture':<32} {'status':<10} {'stage':<18} video / error")
    for row in catalog.lecture_summaries(course=course, status=args.status, limit=args.limit):
        detail = row["video_url"] if row["status"] == Status.COMPLETED.value else (row["error"] or "")
        print(f"{row['id']:<32} {row['status']:<10} {row['stage'] or '-':<18} {detail}")
        printed += 1
    if not printed:
        print("(no lectures)", file=sys.stderr)
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    import sqlalchemy as sa

    from lecturer_pipeline.storage.migrate import upgrade

    settings = settings_of(args)
    engine = sa.create_engine(settings.database_url)
    try:
        before, after = upgrade(engine)
    finally:
        engine.dispose()
    where = sa.engine.make_url(settings.database_url).render_as_string(hide_password=True)
    print(f"catalog {where}: revision {before or '(none)'} -> {after}")
    return 0


def add_catalog_commands(commands: argparse._SubParsersAction) -> None:
    status = commands.add_parser("status", help="list lectures with status, stage, error and video URL")
    status.add_argument("--course")
    status.add_argument("--status", choices=[s.value for s in Status], help="only lectures in this status")
    status.add_argument("--limit", type=int, metavar="N", help="at most N lectures (in lecture ID order)")
    status.set_defaults(func=cmd_status)

    migrate = commands.add_parser("migrate", help="bring the catalog database to this release's schema (Alembic)")
    migrate.set_defaults(func=cmd_migrate)
