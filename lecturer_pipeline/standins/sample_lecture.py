"""A sample lecture as the tests and the benchmark submit it, and how they read a run's results back.

The speaker's consent, a two-paragraph script, the upload of both through the same functions the CLI uses, and an
asset's materialisation metadata from a run's event log: one place for what the suite and ``bench/`` share.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from lecturer_pipeline.manifest import LectureManifest
from lecturer_pipeline.security.consent import ConsentRecord
from lecturer_pipeline.uploads import submit_lecture, submit_speaker_files

CONSENT = ConsentRecord(by="Ada Lovelace", statement="I agree that my voice is cloned to make this course's lectures.")

SCRIPT = (
    "Sets are collections of distinct objects. We write them with curly braces.\n\n"
    "Two sets are equal when they have the same members. Order does not matter."
)


def submit_sample(
    defs: dg.Definitions,
    media: dict[str, Path],
    *,
    course: str = "cs101",
    lecture: str = "sets",
    speaker: str = "ada",
    script: str = SCRIPT,
    voice: Path | None = None,
    portrait: Path | None = None,
) -> str:
    """Upload the speaker's files (with ``CONSENT``) and a lecture of ``script``; returns the lecture ID."""
    store = defs.resources["objects"].get_store()
    submit_speaker_files(
        store, speaker, voice=voice or media["voice"], portrait=portrait or media["portrait"], consent=CONSENT
    )
    lecture_id, _ = submit_lecture(
        store, course, lecture, LectureManifest(title="Sets", speaker=speaker, script=script)
    )
    return lecture_id


def materialization_metadata(instance: dg.DagsterInstance, run_id: str, asset: str) -> dict:
    """The metadata of one asset's materialisation in a run, as plain values."""
    for record in instance.get_records_for_run(run_id).records:
        event = record.event_log_entry.dagster_event
        if event and event.is_step_materialization and event.asset_key == dg.AssetKey(asset):
            return {k: getattr(v, "value", v) for k, v in event.materialization.metadata.items()}
    raise AssertionError(f"no materialisation of {asset} in run {run_id}")
