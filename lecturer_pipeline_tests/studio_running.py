"""A studio the tests start on a free port: its accounts' passwords, and what a test reaches it through."""

from __future__ import annotations

import socket
from dataclasses import dataclass

import dagster as dg
from gradio_client import Client

from lecturer_pipeline.storage.accounts import Accounts
from lecturer_pipeline.storage.catalog import Catalog
from lecturer_pipeline.storage.objects import ObjectStore

PASSWORDS = {"ann": "ann-password-1", "ben": "ben-password-2", "ops": "ops-password-3", "cara": "cara-password-4"}
ROLES = {"ann": "lecturer", "ben": "lecturer", "ops": "admin", "cara": "lecturer"}


@dataclass
class Running:
    url: str
    defs: dg.Definitions
    instance: dg.DagsterInstance
    store: ObjectStore
    catalog: Catalog
    accounts: Accounts | None = None

    def client(self, user: str) -> Client:
        return Client(self.url, auth=(user, PASSWORDS[user]), verbose=False)

    def keys(self) -> set[str]:
        return {info.key for info in self.store.list("")}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
