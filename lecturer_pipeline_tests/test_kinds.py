"""The artefact kinds are the lecture assets: one ``Kind`` per asset of the lecture group, named as the asset is."""

from __future__ import annotations

from pathlib import Path

from lecturer_pipeline.kinds import LECTURE_GROUP, UPLOAD_STAGE, VOICE_DERIVED_KINDS, Kind
from lecturer_pipeline.settings import Settings
from lecturer_pipeline.studio.explain import STAGE_WORDS
from lecturer_pipeline_tests.pipeline_helpers import definitions


def test_every_lecture_asset_is_a_kind_and_every_kind_an_asset(tmp_path: Path) -> None:
    defs = definitions(Settings(lecturer_home=tmp_path / "home"))
    graph = defs.resolve_asset_graph()
    lecture_assets = {
        key.to_user_string() for key in graph.get_all_asset_keys() if graph.get(key).group_name == LECTURE_GROUP
    }
    assert lecture_assets == {kind.value for kind in Kind}
    job_assets = {key.to_user_string() for key in defs.resolve_job_def("lecture_job").asset_layer.selected_asset_keys}
    assert job_assets == lecture_assets, "lecture_job runs exactly the lecture group, and a backfill selects it"


def test_kinds_compare_as_the_strings_the_catalog_stores() -> None:
    assert Kind.VIDEO_SEGMENTS == "video_segments" and str(Kind.VIDEO_SEGMENTS) == "video_segments"
    assert {"video_segments": 1}[Kind.VIDEO_SEGMENTS] == 1
    assert set(VOICE_DERIVED_KINDS) <= set(Kind) and Kind.CAPTIONS not in VOICE_DERIVED_KINDS


def test_the_studio_has_words_for_every_stage() -> None:
    assert set(STAGE_WORDS) == {*Kind, UPLOAD_STAGE}
    assert STAGE_WORDS[Kind.VIDEO_SEGMENTS] != STAGE_WORDS[Kind.VIDEO], "the two video steps are told apart"
