"""``lecturer-pipeline users add|remove|list|passwd|give``: the studio's accounts, kept in the catalog.

Passwords are read from the terminal (twice), or as one line from standard input when it is not a terminal (for
scripts: ``printf '%s\\n' "$PW" | lecturer-pipeline users add ada``); never from the command line, where ``ps`` and
the shell history would show them. The command line itself needs no account: it acts as an admin.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from lecturer_pipeline.cli_common import settings_of
from lecturer_pipeline.errors import InputError


def _accounts(args: argparse.Namespace):
    from lecturer_pipeline import wiring
    from lecturer_pipeline.storage.accounts import Accounts

    return Accounts(wiring.catalog(settings_of(args)))


def _user_name(text: str) -> str:
    from lecturer_pipeline.ids import normalise_name

    return normalise_name(text, what="user name")


def _new_password(name: str) -> str:
    from lecturer_pipeline.security.passwords import check_new_password

    if sys.stdin.isatty():
        password = getpass.getpass(f"password for {name}: ")
        if getpass.getpass("again: ") != password:
            raise InputError("the two passwords differ; nothing was changed")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    problem = check_new_password(password)
    if problem:
        raise InputError(f"{problem}; nothing was changed")
    return password


def cmd_users(args: argparse.Namespace) -> int:
    from lecturer_pipeline.security.passwords import hash_password

    accounts = _accounts(args)
    if args.action == "list":
        users = accounts.list_users()
        for user in users:
            owned = ", ".join(accounts.owned_by(user.name)) or "-"
            sign_in = "password" if user.password_hash else "single sign-on"
            print(f"{user.name:<24} {user.role:<9} {sign_in:<15} speakers: {owned}")
        if not users:
            print("(no studio users)", file=sys.stderr)
        return 0
    name = _user_name(args.name)
    if args.action == "add":
        password_hash = None if args.sso else hash_password(_new_password(name))
        accounts.add_user(name, args.role, password_hash)
        print(f"user: {name} ({args.role}) added")
    elif args.action == "passwd":
        accounts.set_password(name, hash_password(_new_password(name)))
        print(f"user: {name}: password changed")
    elif args.action == "remove":
        accounts.remove_user(name)
        print(f"user: {name} removed (the speakers they owned fall to the admins)")
    elif args.action == "give":
        from lecturer_pipeline.ids import normalise_name

        speaker = normalise_name(args.speaker, what="speaker name")
        if accounts.get_user(name) is None:
            raise InputError(f"there is no studio user {name}")
        accounts.give(speaker, name)
        print(f"speaker: {speaker} now belongs to {name}")
    return 0


def add_parser(commands: argparse._SubParsersAction) -> None:
    users = commands.add_parser("users", help="manage the studio's accounts (add, remove, list, passwd, give)")
    actions = users.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="add a studio user (asks for the password)")
    add.add_argument("name")
    add.add_argument("--role", choices=["lecturer", "admin"], default="lecturer")
    add.add_argument("--sso", action="store_true", help="no password: signs in through the single-sign-on proxy")
    remove = actions.add_parser("remove", help="remove a studio user")
    remove.add_argument("name")
    actions.add_parser("list", help="list the studio users, their roles and their speakers")
    passwd = actions.add_parser("passwd", help="set a studio user's password")
    passwd.add_argument("name")
    give = actions.add_parser("give", help="make a user the owner of a speaker")
    give.add_argument("speaker")
    give.add_argument("name")
    users.set_defaults(func=cmd_users)
