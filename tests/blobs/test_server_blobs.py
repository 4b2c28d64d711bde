"""Artifact bytes through a real team server: roles, a whole pipeline, and a 2 GiB file
streamed with bounded memory on both sides (peak RSS measured, not time)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from tests.server.harness import Server, free_port

from trackline.blobs.httpstore import HttpBlobStore
from trackline.errors import BlobMissing, PermissionDenied, Unauthenticated

from .conftest import HERE, child_env
from .test_keep import tl


@pytest.fixture(scope="module")
def blob_server(tmp_path_factory):
    from trackline.server.access import TokenStore

    home = tmp_path_factory.mktemp("blob-server")
    store = f"sqlite:///{home / 'server.db'}"
    srv = Server(url=f"http://127.0.0.1:{free_port()}", store=store, home=home)
    tokens = TokenStore.for_url(store)
    srv.tokens = {r: tokens.create(f"{r}-bot", r)[0] for r in ("reader", "writer")}
    tokens.engine.dispose()
    srv.start(workers=1)
    yield srv
    srv.stop()


def _client(srv: Server, role: str | None) -> HttpBlobStore:
    return HttpBlobStore(srv.url, srv.tokens[role] if role else None, retries=1)


def test_writers_upload_readers_download_no_token_is_refused(blob_server, tmp_path):
    data = b"\x00model\x01" * 50_000
    digest = __import__("hashlib").sha256(data).hexdigest()
    src = tmp_path / "m.bin"
    src.write_bytes(data)
    with pytest.raises(PermissionDenied, match="writer"):
        _client(blob_server, "reader").put_file(src, digest)
    with pytest.raises(Unauthenticated):
        _client(blob_server, None).put_file(src, digest)
    assert _client(blob_server, "writer").put_file(src, digest) is True
    assert _client(blob_server, "writer").put_file(src, digest) is False  # already there
    stored = blob_server.home / "artifacts" / "sha256" / digest[:2] / digest[2:4] / digest
    assert stored.read_bytes() == data  # the server's own artifact store

    reader = _client(blob_server, "reader")
    assert reader.get_file(digest, tmp_path / "back.bin") == len(data)
    assert (tmp_path / "back.bin").read_bytes() == data
    with pytest.raises(Unauthenticated):
        _client(blob_server, None).get_file(digest, tmp_path / "anon.bin")
    assert not (tmp_path / "anon.bin").exists()
    with pytest.raises(BlobMissing):
        reader.get_file("0" * 64, tmp_path / "none.bin")
    # bytes that do not match the digest in the URL are refused and never stored
    wrong = "1" * 64
    resp = requests.put(
        f"{blob_server.url}/api/v1/blobs/{wrong}",
        data=data,
        headers=blob_server.headers("writer"),
        timeout=30,
    )
    assert resp.status_code == 422 and resp.json()["error"]["code"] == "corrupt_blob"
    assert not reader.has(wrong)


def test_pipeline_through_the_server_then_get_with_reader_token(blob_server, tmp_path):
    env = dict(
        TRACKLINE_STORE=blob_server.url,
        TRACKLINE_TOKEN=blob_server.tokens["writer"],
        TRACKLINE_KEEP="outputs",
    )
    out = tmp_path / "work"
    proc = subprocess.run(
        [sys.executable, str(HERE / "keep_app.py"), str(out), "300"],
        env=child_env(**env),
        capture_output=True,
        text=True,
        check=True,
    )
    ids = json.loads(proc.stdout.strip().splitlines()[-1])
    want = (out / "features.csv").read_bytes()
    reader = dict(TRACKLINE_STORE=blob_server.url, TRACKLINE_TOKEN=blob_server.tokens["reader"])
    dest = tmp_path / "data.csv"
    tl("artifacts", "get", f"{ids['train']}/data", "-o", str(dest), **reader)
    assert dest.read_bytes() == want
    anon = tl(
        "artifacts",
        "get",
        f"{ids['train']}/data",
        "-o",
        str(tmp_path / "x"),
        check=False,
        TRACKLINE_STORE=blob_server.url,
    )
    assert anon.returncode == 2 and "token" in anon.stderr


BIG = """
import hashlib, json, os, sys
from trackline.blobs.httpstore import HttpBlobStore
url, token, path, back = sys.argv[1:5]
with open(path, "wb") as fh:
    fh.truncate(2 << 30)  # 2 GiB, sparse: instant to create, real bytes to stream
h = hashlib.sha256()
with open(path, "rb") as fh:
    while chunk := fh.read(1 << 20):
        h.update(chunk)
digest = h.hexdigest()
store = HttpBlobStore(url, token, timeout=600, retries=0)
assert store.put_file(path, digest) is True
os.unlink(path)
size = store.get_file(digest, back)
os.unlink(back)
# VmHWM is this process image's own peak. ru_maxrss is not: Linux carries the parent's peak
# across fork/vfork + exec, so a large pytest process would be charged to this client.
peak = next(int(l.split()[1]) * 1024 for l in open("/proc/self/status") if l.startswith("VmHWM:"))
print(json.dumps({"digest": digest, "size": size, "peak_rss": peak}))
"""


def _hwm(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_two_gib_streams_through_the_server_with_bounded_memory(blob_server, tmp_path):
    server_before = _hwm(blob_server.proc.pid)
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            BIG,
            blob_server.url,
            blob_server.tokens["writer"],
            str(tmp_path / "big.bin"),
            str(tmp_path / "back.bin"),
        ],
        env=child_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["size"] == 2 << 30
    server_growth = _hwm(blob_server.proc.pid) - server_before
    # 2 GiB went up and came back down: neither side held more than a few chunks of it.
    assert result["peak_rss"] < 300 * 2**20, result
    assert server_growth < 200 * 2**20, server_growth
    stored = blob_server.home / "artifacts" / "sha256" / result["digest"][:2]
    for p in stored.rglob(result["digest"]):
        p.unlink()  # 2 GiB less on the test machine's disk


def test_server_with_an_object_store_root(s3_url, tmp_path):
    """The server's own artifact root on the S3-protocol server: clients still stream through
    the server (no presigned URLs) and the bytes land in the bucket."""
    from trackline.blobs import open_blobs
    from trackline.server.access import TokenStore

    home = tmp_path / "srv"
    home.mkdir()
    store = f"sqlite:///{home / 'server.db'}"
    srv = Server(url=f"http://127.0.0.1:{free_port()}", store=store, home=home)
    tokens = TokenStore.for_url(store)
    srv.tokens = {r: tokens.create(f"{r}-bot", r)[0] for r in ("reader", "writer")}
    tokens.engine.dispose()
    srv.start("--artifacts", s3_url)
    try:
        data = b"bucket bytes" * 10_000
        digest = __import__("hashlib").sha256(data).hexdigest()
        (tmp_path / "f").write_bytes(data)
        assert _client(srv, "writer").put_file(tmp_path / "f", digest) is True
        assert open_blobs(s3_url).has(digest)  # in the bucket, not on the server's disk
        assert not (home / "artifacts" / "sha256").exists()
        assert _client(srv, "reader").get_file(digest, tmp_path / "back") == len(data)
        assert (tmp_path / "back").read_bytes() == data
    finally:
        srv.stop()
