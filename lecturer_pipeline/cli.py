"""``lecturer-pipeline``: the command line. Every command acting on a lecture prints ``lecture: <id>`` (and
``video: <path or URL>`` once one exists) so scripts can chain commands; errors go to stderr and exit non-zero.

The commands live in modules by concern (``cli_lectures``, ``cli_operator``, ``cli_catalog``, ``cli_users``,
``cli_standins``); each adds its subcommands through one function listed in ``COMMANDS``. ``main`` reads the
settings once and hands them to the command on ``args.settings``.
"""

from __future__ import annotations

import argparse
import sys

from lecturer_pipeline.cli_catalog import add_catalog_commands
from lecturer_pipeline.cli_lectures import add_lecture_commands
from lecturer_pipeline.cli_operator import add_operator_commands
from lecturer_pipeline.cli_standins import add_parser as add_standins_commands
from lecturer_pipeline.cli_users import add_parser as add_users_commands
from lecturer_pipeline.errors import LecturerError

# Each adds its subcommands to the parser; a new module of commands adds its function here.
COMMANDS = (
    add_lecture_commands,
    add_operator_commands,
    add_catalog_commands,
    add_users_commands,
    add_standins_commands,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lecturer-pipeline", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for add_commands in COMMANDS:
        add_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        from lecturer_pipeline.deployment import check_deployment
        from lecturer_pipeline.settings import Settings

        args.settings = Settings()  # read once for this command
        check_deployment(args.settings)  # distributed mode: every missing variable at once, before connecting anywhere
        return args.func(args)
    except LecturerError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
