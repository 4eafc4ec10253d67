"""The Dagster webserver's GraphQL endpoint as ``operations/backfill.py`` uses it, for tests that need only that: it
lists the lecture group's assets and partitions and records each backfill launched, answering with an ID. (The
tests that need the real webserver start it: ``standins/servers/dagster_services.py``.)"""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from lecturer_pipeline.kinds import LECTURE_GROUP, Kind


class WebserverStandIn(http.server.ThreadingHTTPServer):
    def __init__(self, partitions: list[str]) -> None:
        super().__init__(("127.0.0.1", 0), _GraphQLHandler)
        self.partitions = partitions
        self.launched: list[dict] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@contextmanager
def webserver_standin(partitions: list[str]) -> Iterator[WebserverStandIn]:
    server = WebserverStandIn(partitions)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


class _GraphQLHandler(http.server.BaseHTTPRequestHandler):
    server: WebserverStandIn

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if "launchPartitionBackfill" in body["query"]:
            self.server.launched.append(body["variables"]["params"])
            data = {"launchPartitionBackfill": {"__typename": "LaunchBackfillSuccess", "backfillId": "bf1"}}
        elif "assetNodes" in body["query"]:
            data = {"assetNodes": [{"assetKey": {"path": [kind.value]}, "groupName": LECTURE_GROUP} for kind in Kind]}
        else:
            data = {"assetNodeOrError": {"__typename": "AssetNode", "partitionKeys": self.server.partitions}}
        payload = json.dumps({"data": data}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        pass
