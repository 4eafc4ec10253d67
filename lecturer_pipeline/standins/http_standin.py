"""What the HTTP stand-ins (Ollama, Zyphra) share: a threading HTTP server on a free 127.0.0.1 port that keeps its
handlers' unexpected errors for the tests, served from a daemon thread between ``start()`` and ``stop()``.

The wire — statuses, bodies, keep-alive or not — stays each stand-in's own handler's (``ollama_http.py``,
``zyphra_http.py``); this module only runs it. It imports neither Dagster nor pytest.
"""

from __future__ import annotations

import socketserver
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

from lecturer_pipeline.standins.switches import StandIn


class StandInHTTPServer(ThreadingHTTPServer):
    """The server of one stand-in: ``standin`` is what its ``handler`` answers from and records errors on."""

    daemon_threads = True
    handler: type[BaseHTTPRequestHandler]

    def __init__(self, standin: StandIn) -> None:
        self.standin = standin
        super().__init__(("127.0.0.1", 0), self.handler)

    def server_bind(self) -> None:
        """Bind without HTTPServer's reverse DNS lookup of the address, which can stall on some hosts."""
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet: a client that hung up is expected here; anything else is kept for tests to inspect."""
        exc = sys.exc_info()[1]
        if not isinstance(exc, OSError):
            self.standin._record_error(exc)


class HTTPStandIn(StandIn):
    """``start()`` serves ``_make_server()`` from a daemon thread; ``stop()`` shuts it down and closes its socket.

    ``service`` names the stand-in in its thread's name and in the error of asking a stopped one for its address.
    """

    service = "HTTP"
    _server: StandInHTTPServer | None = None
    _thread: threading.Thread | None = None
    _calls = 0

    @property
    def calls(self) -> int:
        """Every request counted by the stand-in's handler, failed ones too."""
        with self._lock:
            return self._calls

    def _make_server(self) -> StandInHTTPServer:
        raise NotImplementedError

    def _after_close(self) -> None:
        """Between closing the listening socket and joining the thread (e.g. cutting kept-alive connections)."""

    def start(self) -> Self:
        """Listen on a free 127.0.0.1 port; returns self so ``StandIn().start()`` reads naturally."""
        if self._server is None:
            self._server = self._make_server()
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"{self.service.lower()}-standin",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._after_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = self._thread = None

    def _address(self) -> str:
        """``http://127.0.0.1:<port>`` of the running server."""
        if self._server is None:
            raise RuntimeError(f"the {self.service} stand-in is not running; call start() first")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"
