"""HttpStore's transport against small real HTTP servers: retries with backoff on 503, one
reused connection, timeouts, and error bodies that are not trackline's."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from trackline.config import Settings
from trackline.errors import NotFound, StoreUnavailable, TracklineError
from trackline.store.http import HttpStore

from .records import task_run


class Flaky(BaseHTTPRequestHandler):
    """Answers 503 to the first ``failures`` requests, then 200; remembers every request."""

    protocol_version = "HTTP/1.1"  # keep-alive, so connection reuse is observable
    failures = 2
    delay = 0.0
    seen: list[tuple[str, str, tuple, str | None]] = []

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        Flaky.seen.append(
            (self.command, self.path, self.client_address, self.headers.get("Authorization"))
        )
        time.sleep(self.delay)
        if len(Flaky.seen) <= Flaky.failures:
            self._send(503, {"error": {"code": "store_unavailable", "message": "warming up"}})
        elif self.path.startswith("/api/v1/runs/"):
            self._send(404, b"<html>proxy says no</html>")
        else:
            self._send(200, {"kind": "task_run", "id": body["id"] if body else None})

    def _send(self, status: int, payload) -> None:
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header(
            "Content-Type", "application/json" if not isinstance(payload, bytes) else "text/html"
        )
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _answer

    def log_message(self, *args) -> None:  # keep test output clean
        pass


@pytest.fixture
def flaky():
    Flaky.seen = []
    Flaky.failures, Flaky.delay = 2, 0.0
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Flaky)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_503_is_retried_with_backoff_on_one_connection(flaky):
    store = HttpStore(flaky, Settings(token="tl_secret", http_retries=3))
    run = task_run()
    started = time.monotonic()
    store.write_task_run(run)
    assert [s[:2] for s in Flaky.seen] == [("POST", "/api/v1/task-runs")] * 3
    assert {s[3] for s in Flaky.seen} == {"Bearer tl_secret"}
    assert len({s[2] for s in Flaky.seen}) == 1  # the same client socket: the connection was reused
    assert time.monotonic() - started >= 0.2  # urllib3 backed off before the third try


def test_retries_exhausted_raise_store_unavailable(flaky):
    Flaky.failures = 10
    store = HttpStore(flaky, Settings(http_retries=1))
    with pytest.raises(StoreUnavailable, match="warming up"):
        store.write_task_run(task_run())
    assert len(Flaky.seen) == 2


def test_timeout_raises_store_unavailable(flaky):
    Flaky.failures, Flaky.delay = 0, 1.0
    store = HttpStore(flaky, Settings(http_timeout=0.2, http_retries=0))
    with pytest.raises(StoreUnavailable, match="unreachable"):
        store.write_task_run(task_run())


def test_foreign_error_bodies_map_by_status(flaky):
    Flaky.failures = 0
    store = HttpStore(flaky, Settings())
    with pytest.raises(NotFound, match="HTTP 404") as info:
        store.get_run("abc")
    assert isinstance(info.value, TracklineError)
