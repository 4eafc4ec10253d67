"""Course backfills through the Dagster webserver's GraphQL API (``launchPartitionBackfill``).

Going through the webserver, rather than writing to the instance directly, makes the backfill exactly what the UI
would launch: it appears on the backfills page, its runs go through the run queue and the concurrency pools, and
the daemon drives it. It selects the lecture asset group (``kinds.LECTURE_GROUP``, what ``lecture_job`` runs) as the
webserver lists it, so a backfill builds every asset a lecture has — the same as a run the upload sensor starts.
"""

from __future__ import annotations

import httpx

from lecturer_pipeline.errors import LecturerError
from lecturer_pipeline.kinds import LECTURE_GROUP, Kind

COURSE_TAG = "lecturer/course"

_GROUP_QUERY = """
query LectureAssets {
  assetNodes { assetKey { path } groupName }
}
"""

_PARTITIONS_QUERY = """
query LecturePartitions($path: [String!]!) {
  assetNodeOrError(assetKey: {path: $path}) {
    __typename
    ... on AssetNode { partitionKeys }
  }
}
"""

_LAUNCH_MUTATION = """
mutation LaunchCourseBackfill($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message }
    ... on PartitionKeysNotFoundError { message }
    ... on PartitionSetNotFoundError { message }
    ... on UnauthorizedError { message }
  }
}
"""


class BackfillError(LecturerError):
    """The webserver could not be reached or refused the backfill."""


class DagsterGraphQL:
    """A minimal client for the two GraphQL calls a course backfill needs."""

    def __init__(self, url: str, *, timeout: float = 30.0, transport: httpx.BaseTransport | None = None) -> None:
        self.url = url.rstrip("/")
        self._http = httpx.Client(timeout=timeout, transport=transport)

    def call(self, query: str, variables: dict) -> dict:
        try:
            response = self._http.post(f"{self.url}/graphql", json={"query": query, "variables": variables})
            response.raise_for_status()
            body = response.json()
        except httpx.HTTPError as error:
            raise BackfillError(
                f"cannot reach the Dagster webserver at {self.url} (LECTURER_DAGSTER_URL; start it with `make dev`): "
                f"{error}"
            ) from error
        if body.get("errors"):
            raise BackfillError(f"the Dagster webserver refused the request: {body['errors'][0].get('message')}")
        return body["data"]

    def lecture_assets(self) -> list[list[str]]:
        """The key paths of the assets in the lecture group (what ``lecture_job`` runs), as the webserver has them."""
        nodes = self.call(_GROUP_QUERY, {})["assetNodes"]
        paths = [node["assetKey"]["path"] for node in nodes if node["groupName"] == LECTURE_GROUP]
        if not paths:
            raise BackfillError(f"the webserver at {self.url} has no {LECTURE_GROUP!r} asset group to backfill")
        return paths

    def lecture_partitions(self) -> list[str]:
        node = self.call(_PARTITIONS_QUERY, {"path": [Kind.LECTURE_SCRIPT.value]})["assetNodeOrError"]
        if node["__typename"] != "AssetNode":
            raise BackfillError(f"the webserver at {self.url} does not serve the lecturer_pipeline code location")
        return list(node["partitionKeys"])

    def launch_backfill(self, partitions: list[str], *, tags: dict[str, str], title: str) -> str:
        params = {
            "partitionNames": partitions,
            "assetSelection": [{"path": path} for path in self.lecture_assets()],
            "tags": [{"key": key, "value": value} for key, value in tags.items()],
            "title": title,
        }
        result = self.call(_LAUNCH_MUTATION, {"params": params})["launchPartitionBackfill"]
        if result["__typename"] != "LaunchBackfillSuccess":
            raise BackfillError(f"the backfill was refused ({result['__typename']}): {result.get('message', '')}")
        return result["backfillId"]


def course_partitions(all_partitions: list[str], course: str, *, only: set[str] | None = None) -> list[str]:
    """The course's lecture partitions (``<course>--*``), optionally limited to ``only``."""
    chosen = [p for p in all_partitions if p.startswith(f"{course}--")]
    return sorted(p for p in chosen if only is None or p in only)


def launch_course_backfill(
    client: DagsterGraphQL, course: str, *, only: set[str] | None = None
) -> tuple[str, list[str]]:
    """Backfill every lecture of ``course`` (or those in ``only``); returns (backfill ID, partitions)."""
    partitions = course_partitions(client.lecture_partitions(), course, only=only)
    if not partitions:
        which = "failed lectures" if only is not None else "lectures"
        raise BackfillError(f"course {course} has no {which} to backfill")
    backfill_id = client.launch_backfill(partitions, tags={COURSE_TAG: course}, title=f"course {course}")
    return backfill_id, partitions
