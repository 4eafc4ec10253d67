"""Studio accounts, who owns which speaker, and each speaker's consent history — three tables beside the catalog's.

They are defined in ``storage/tables.py`` with the catalog's other tables and made by its migration 0003, and they
are read and written through a ``Catalog``'s engine. Passwords arrive here already hashed (``security.passwords``).

- ``studio_users``: name, password hash (NULL for a single-sign-on user, who never types one), role.
- ``speaker_owners``: the account that created a speaker in the studio. A speaker with no row (made by the command
  line, or before accounts existed) belongs to the operators (admins) only.
- ``consent_history``: append-only; one row per consent given — who signed (the account and the name typed), when,
  the statement, and the fingerprint (sha256) of the voice upload it was given for. Nothing updates or deletes a row
  but erasing the speaker (``forget-speaker``, ``Catalog.erase_speaker``), which removes the history with the voice.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from lecturer_pipeline.errors import InputError, StorageError
from lecturer_pipeline.storage.catalog import Catalog
from lecturer_pipeline.storage.tables import consent_history, speaker_owners, studio_users

Role = Literal["lecturer", "admin"]
ROLES: tuple[Role, ...] = ("lecturer", "admin")


@dataclass(frozen=True)
class User:
    name: str
    role: Role
    password_hash: str | None = None

    @property
    def admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True)
class ConsentEntry:
    id: int
    speaker: str
    account: str | None
    signed_name: str
    statement: str
    given_at: datetime
    voice_sha256: str | None
    source: str

    def as_record(self) -> dict[str, Any]:
        """The form kept on the speaker's row for the voice sealed under it (and shown in run metadata): the entry,
        with ``id`` as ``consent_id``, ``signed_name`` as ``by``, the time as ISO text and no speaker (the row's)."""
        record = asdict(self)
        del record["speaker"]
        consent_id, by = record.pop("id"), record.pop("signed_name")
        return {"consent_id": consent_id, "by": by, **record, "given_at": self.given_at.isoformat()}


class Accounts:
    """The three tables over one catalog's engine; database errors become StorageError naming what was attempted."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.engine = catalog.engine  # the catalog migrated its schema when it was opened

    def _run(self, action: str, statement: Any) -> sa.CursorResult:
        return self.catalog._run(action, statement)  # one transaction; a database error becomes a StorageError

    def _insert_new(self, statement: Any) -> bool:
        """Insert a row; False when its primary key is taken (the database decides, so two writers cannot race)."""
        try:
            self._run("write", statement)
        except StorageError as error:
            if isinstance(error.__cause__, IntegrityError):
                return False
            raise
        return True

    # users
    def add_user(self, name: str, role: Role, password_hash: str | None) -> User:
        if role not in ROLES:
            raise InputError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
        if not self._insert_new(studio_users.insert().values(name=name, role=role, password_hash=password_hash)):
            raise InputError(f"there is already a studio user {name}")
        return User(name, role, password_hash)

    def get_user(self, name: str) -> User | None:
        row = self._run("read", sa.select(studio_users).where(studio_users.c.name == name)).mappings().first()
        return User(row["name"], row["role"], row["password_hash"]) if row else None

    def list_users(self) -> list[User]:
        rows = self._run("read", sa.select(studio_users).order_by(studio_users.c.name)).mappings()
        return [User(r["name"], r["role"], r["password_hash"]) for r in rows]

    def has_users(self) -> bool:
        return self._run("read", sa.select(sa.literal(1)).select_from(studio_users).limit(1)).first() is not None

    def set_password(self, name: str, password_hash: str) -> None:
        query = studio_users.update().where(studio_users.c.name == name).values(password_hash=password_hash)
        if self._run("write", query).rowcount == 0:
            raise InputError(f"there is no studio user {name}")

    def remove_user(self, name: str) -> None:
        """Remove the login; the speakers it owns stay, and fall to the admins until given to someone else."""
        with self.catalog._transaction("write") as connection:
            gone = connection.execute(studio_users.delete().where(studio_users.c.name == name)).rowcount
            connection.execute(speaker_owners.delete().where(speaker_owners.c.owner == name))
        if not gone:
            raise InputError(f"there is no studio user {name}")

    # ownership
    def owner_of(self, speaker: str) -> str | None:
        query = sa.select(speaker_owners.c.owner).where(speaker_owners.c.speaker == speaker)
        return self._run("read", query).scalar()

    def claim(self, speaker: str, owner: str) -> str:
        """Make ``owner`` the speaker's owner unless it has one; returns the owner (insert-or-nothing, race-free)."""
        self._insert_new(speaker_owners.insert().values(speaker=speaker, owner=owner))  # False: someone came first
        return self.owner_of(speaker) or owner

    def give(self, speaker: str, owner: str) -> None:
        """An operator's act: hand a speaker to ``owner`` (replacing any owner)."""
        with self.catalog._transaction("write") as connection:
            connection.execute(speaker_owners.delete().where(speaker_owners.c.speaker == speaker))
            connection.execute(speaker_owners.insert().values(speaker=speaker, owner=owner))

    def owned_by(self, owner: str) -> list[str]:
        query = sa.select(speaker_owners.c.speaker).where(speaker_owners.c.owner == owner)
        return sorted(self._run("read", query).scalars())

    # consent history
    def append_consent(
        self,
        speaker: str,
        *,
        signed_name: str,
        statement: str,
        given_at: datetime,
        voice_sha256: str | None,
        source: str,
        account: str | None = None,
    ) -> ConsentEntry:
        values = {
            "speaker": speaker,
            "account": account,
            "signed_name": signed_name,
            "statement": statement,
            "given_at": given_at,
            "voice_sha256": voice_sha256,
            "source": source,
        }
        result = self._run("write", consent_history.insert().values(**values))
        return ConsentEntry(id=result.inserted_primary_key[0], **values)

    def consents(self, speaker: str) -> list[ConsentEntry]:
        """The speaker's consent history, oldest first."""
        query = sa.select(consent_history).where(consent_history.c.speaker == speaker).order_by(consent_history.c.id)
        return [_entry(row) for row in self._run("read", query).mappings()]


def _entry(row: Any) -> ConsentEntry:
    given = row["given_at"]
    given = given if given.tzinfo else given.replace(tzinfo=UTC)
    return ConsentEntry(**{**{k: row[k] for k in ConsentEntry.__dataclass_fields__}, "given_at": given})
