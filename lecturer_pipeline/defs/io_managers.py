"""IO managers: binary artefacts to the object store, text and records to the catalog (DESIGN.md §3).

Assets return domain values (``Artefact``, ``LectureScript``, ``Publication``); these two classes persist them before
the next asset starts and load them for downstream assets — media as a local file path, never as bytes.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from lecturer_pipeline.defs.resources import CatalogResource, ObjectStoreResource, VaultResource
from lecturer_pipeline.defs.tracking import s3_not_retried_by_step
from lecturer_pipeline.errors import StorageError
from lecturer_pipeline.kinds import Kind
from lecturer_pipeline.model import Artefact, LectureScript, Publication
from lecturer_pipeline.storage.catalog import ArtefactRow, Status
from lecturer_pipeline.workdir import step_dir


class ObjectIOManager(dg.ConfigurableIOManager):
    """Uploads an ``Artefact``'s file to its key and records it for the lecture; downloads it for consumers.

    An input declared with ``dg.AssetIn(metadata={"reference_only": True})`` gets the record without the download,
    for consumers that need only the key (publishing a 1 GB video must not copy it).
    """

    objects: ObjectStoreResource
    catalog: CatalogResource
    vault: VaultResource

    def handle_output(self, context: dg.OutputContext, obj: Artefact) -> None:
        with s3_not_retried_by_step():
            self._store_output(context, obj)

    def _store_output(self, context: dg.OutputContext, obj: Artefact) -> None:
        if not isinstance(obj, Artefact):
            raise TypeError(f"{context.asset_key.to_user_string()} must return an Artefact, not {type(obj).__name__}")
        size = obj.bytes
        uploaded = obj.path is not None
        if obj.path is not None:
            size = self.objects.get_store().put_file(obj.key, obj.path, content_type=obj.content_type).size
            obj.path.unlink(missing_ok=True)
        try:
            self._record(context, obj, size)
        except StorageError:
            if uploaded:  # an object the catalog does not know would look finished to nobody: take it back
                self.objects.get_store().delete(obj.key)
            raise

    def _record(self, context: dg.OutputContext, obj: Artefact, size: int) -> None:
        self.catalog.get_catalog().record_artefact(
            ArtefactRow(
                lecture_id=context.partition_key,
                kind=obj.kind,
                key=obj.key,
                sha256=obj.sha256,
                bytes=size,
                duration=obj.duration,
                input_hash=obj.input_hash,
                details={**obj.details, "encrypted": obj.encrypted, "content_type": obj.content_type},
            )
        )

    def load_input(self, context: dg.InputContext) -> Artefact:
        with s3_not_retried_by_step():
            return self._load(context)

    def _load(self, context: dg.InputContext) -> Artefact:
        lecture_id = context.asset_partition_key
        kind = context.upstream_output.asset_key.path[-1]
        row = self.catalog.get_catalog().get_artefact(lecture_id, kind)
        if row is None:
            raise StorageError(f"no {kind} artefact is recorded; materialise {kind} first", lecture_id=lecture_id)
        details = row.details or {}
        if (context.definition_metadata or {}).get("reference_only"):
            return _artefact_from_row(kind, row, None)
        dest = step_dir(kind) / row.key.rsplit("/", 1)[-1].replace(".enc", ".bin")
        store = self.objects.get_store()
        if details.get("encrypted"):
            self.vault.vault(store).get_file(row.key, dest)
        else:
            store.get_file(row.key, dest)
        return _artefact_from_row(kind, row, dest)


def _artefact_from_row(kind: str, row: ArtefactRow, path: Path | None) -> Artefact:
    details = row.details or {}
    return Artefact(
        kind=kind,
        key=row.key,
        sha256=row.sha256,
        bytes=row.bytes,
        input_hash=row.input_hash or "",
        duration=row.duration,
        path=path,
        encrypted=bool(details.get("encrypted")),
        content_type=details.get("content_type"),
        details=details,
    )


class CatalogIOManager(dg.ConfigurableIOManager):
    """Stores the script (TEXT) and the publication record in the lectures table, and reads the script back."""

    catalog: CatalogResource

    def handle_output(self, context: dg.OutputContext, obj: LectureScript | Publication) -> None:
        catalog = self.catalog.get_catalog()
        if isinstance(obj, LectureScript):
            catalog.upsert_lecture(
                obj.lecture_id,
                course=obj.course,
                title=obj.title,
                speaker=obj.speaker,
                language=obj.language,
                script=obj.text,
                script_sha256=obj.sha256,
                script_source=obj.source,
                script_input_hash=obj.input_hash,
                upload_sha256=obj.upload_sha256 or None,
                status=Status.RUNNING.value,
                stage=Kind.LECTURE_SCRIPT,
                error=None,
                run_id=context.run_id,
            )
        elif isinstance(obj, Publication):
            catalog.mark_published(obj.lecture_id, video_url=obj.url, run_id=context.run_id)
        else:
            raise TypeError(f"{context.asset_key.to_user_string()} returned {type(obj).__name__}; expected a script")

    def load_input(self, context: dg.InputContext) -> LectureScript:
        lecture_id = context.asset_partition_key
        row = self.catalog.get_catalog().get_lecture(lecture_id)
        if row is None or row.get("script") is None:
            raise StorageError("no script is stored; materialise lecture_script first", lecture_id=lecture_id)
        return LectureScript(
            lecture_id=lecture_id,
            course=row["course"],
            title=row["title"],
            speaker=row["speaker"],
            language=row["language"],
            text=row["script"],
            sha256=row["script_sha256"],
            source=row.get("script_source") or "text",
            input_hash=row.get("script_input_hash") or "",
            upload_sha256=row.get("upload_sha256") or "",
        )
