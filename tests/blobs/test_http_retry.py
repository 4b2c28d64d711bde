"""A download cut short is retried from the start and never leaves a partial file: a real
HTTP server on loopback that breaks its first answer mid-stream."""

from __future__ import annotations

import hashlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from trackline.blobs.httpstore import HttpBlobStore
from trackline.errors import CorruptBlob

DATA = bytes(range(256)) * 8192  # 2 MiB
DIGEST = hashlib.sha256(DATA).hexdigest()


def _serve(answers: list[bytes]):
    served: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's naming
            body = answers[min(len(served), len(answers) - 1)]
            served.append(len(body))
            self.send_response(200)
            self.send_header("Content-Length", str(len(DATA)))  # always promises all of it
            self.end_headers()
            self.wfile.write(body)
            self.close_connection = True

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, served


def test_truncated_download_is_retried_from_the_start(tmp_path):
    httpd, served = _serve([DATA[: len(DATA) // 3], DATA])
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}"
        store = HttpBlobStore(url, None, timeout=30, retries=2)
        assert store.get_file(DIGEST, tmp_path / "out.bin") == len(DATA)
        assert (tmp_path / "out.bin").read_bytes() == DATA
        assert served == [len(DATA) // 3, len(DATA)]  # two requests, the second from byte 0
    finally:
        httpd.shutdown()


def test_bytes_damaged_every_time_are_refused_and_nothing_is_written(tmp_path):
    damaged = bytearray(DATA)
    damaged[1000] ^= 1
    httpd, served = _serve([bytes(damaged)])
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}"
        store = HttpBlobStore(url, None, timeout=30, retries=1)
        with pytest.raises(CorruptBlob, match="does not match"):
            store.get_file(DIGEST, tmp_path / "out.bin")
        assert len(served) == 2 and list(tmp_path.iterdir()) == []
    finally:
        httpd.shutdown()
