"""Who may see and change what in the studio: a speaker is its owner's; a lecture is its speaker's owner's.

A speaker belongs to the studio account that first saved it (``storage.accounts.speaker_owners``). Only that account
or an admin may load it, replace its voice or portrait, sign its consent, or submit, open, approve, list or download
its lectures. A speaker with no owner was made by the command line (or before accounts existed): it is the operators'
(admins') until an admin gives it to someone (``lecturer-pipeline users give``). A name nobody has used yet is free:
the first account to save it owns it. The command line does not come through here: it acts as an admin.
"""

from __future__ import annotations

from lecturer_pipeline.errors import InputError
from lecturer_pipeline.ids import normalise_name, split_lecture_id
from lecturer_pipeline.manifest import parse_manifest, parse_plain_script
from lecturer_pipeline.security.consent import consent_upload_key
from lecturer_pipeline.storage.accounts import Accounts, User
from lecturer_pipeline.storage.catalog import Catalog
from lecturer_pipeline.storage.layout import (
    lecture_upload_keys,
    portrait_key,
    portrait_upload_keys,
    voice_upload_keys,
)
from lecturer_pipeline.storage.objects import ObjectStore


class NotYours(InputError):
    """The signed-in account may not act on this speaker or lecture."""


def _unused(store: ObjectStore, catalog: Catalog, accounts: Accounts, name: str) -> bool:
    """Nothing anywhere belongs to speaker ``name`` yet: no row, upload, portrait, consent or lecture."""
    if catalog.get_speaker(name) is not None or accounts.consents(name):
        return False
    keys = [*voice_upload_keys(name), *portrait_upload_keys(name), consent_upload_key(name), portrait_key(name)]
    if any(store.exists(key) for key in keys):
        return False
    return not catalog.speaker_lecture_ids(name, limit=1)


def speaker_access(
    store: ObjectStore, catalog: Catalog, accounts: Accounts, user: User, speaker: str, *, write: bool = False
) -> str:
    """The speaker's normalised name if ``user`` may act on it (claiming a free name on a write), else NotYours."""
    name = normalise_name(speaker, what="speaker name")
    owner = accounts.owner_of(name)
    if owner == user.name:
        return name
    if owner is None and _unused(store, catalog, accounts, name):
        if write:
            owner = accounts.claim(name, user.name)  # the first to save it owns it; a race is decided by the key
            if owner == user.name:
                return name
        else:
            return name  # nothing to see yet
    if user.admin:
        return name
    if owner is None:
        raise NotYours(
            f"speaker {name} was set up by the operators (outside the studio), so only an admin can use it here; "
            f"ask one to give it to you (lecturer-pipeline users give {name} {user.name}), or choose another name"
        )
    raise NotYours(f"speaker {name} belongs to another lecturer: choose another speaker name for yourself")


def lecture_speaker(store: ObjectStore, catalog: Catalog, lecture_id: str) -> str | None:
    """The speaker a lecture belongs to: its catalog row's, else its upload's (a plain script: its course)."""
    row = catalog.get_lecture(lecture_id)
    if row and row.get("speaker"):
        return row["speaker"]
    course, lecture = split_lecture_id(lecture_id)
    for key in lecture_upload_keys(course, lecture):
        if store.exists(key):
            try:
                raw = store.get_bytes(key)
                manifest = parse_manifest(raw) if key.endswith(".json") else parse_plain_script(raw)
            except InputError:
                return course
            return manifest.speaker or course
    return course if row else None


def lecture_access(store: ObjectStore, catalog: Catalog, accounts: Accounts, user: User, lecture_id: str) -> str:
    """The lecture's speaker if ``user`` may act on the lecture; NotYours naming the lecture otherwise."""
    speaker = lecture_speaker(store, catalog, lecture_id)
    if speaker is None:
        raise InputError("there is no such lecture", lecture_id=lecture_id)
    try:
        return speaker_access(store, catalog, accounts, user, speaker)
    except NotYours as refused:
        raise NotYours(
            "this lecture belongs to another lecturer's speaker: you can open, approve or replace only the lectures "
            "of your own speakers",
            lecture_id=lecture_id,
        ) from refused
    except InputError:  # a speaker name the lecture's upload gives that is not a valid name
        if user.admin:
            return speaker
        raise NotYours("this lecture belongs to no speaker of yours", lecture_id=lecture_id) from None


def chosen_lecture(
    store: ObjectStore, catalog: Catalog, accounts: Accounts, user: User, lecture_id: str | None
) -> tuple[str, dict | None]:
    """The lecture a page acts on, once ``user`` may act on it: its ID and its catalog row (None before a run)."""
    lid = (lecture_id or "").strip()
    if not lid:
        raise InputError("choose a lecture first")
    split_lecture_id(lid)
    lecture_access(store, catalog, accounts, user, lid)
    return lid, catalog.get_lecture(lid)
