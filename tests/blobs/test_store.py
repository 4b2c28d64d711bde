"""The artifact store itself, on real local disk and on a real S3-protocol server (moto)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from trackline.blobs import blobs_of, deliver, describe_stored, materialize, open_blobs
from trackline.capture.artifacts import describe_path
from trackline.capture.keep import job_for
from trackline.errors import BlobMissing, ConfigError, CorruptBlob


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path):
    if request.param == "local":
        return open_blobs(str(tmp_path / "artifacts"))
    return open_blobs(request.getfixturevalue("s3_url"))


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_round_trip_and_layout(store, tmp_path):
    data = b"model weights " * 10_000
    digest = _sha(data)
    src = tmp_path / "w.bin"
    src.write_bytes(data)
    assert store.put_file(src, digest) is True
    assert store.has(digest)
    key = store.path(f"sha256/{digest[:2]}/{digest[2:4]}/{digest}")
    assert store.fs.exists(key)
    out, meta = materialize(store, digest, tmp_path / "back" / "w.bin")
    assert out.read_bytes() == data and meta["format"] == "file"
    assert not list(store.fs.find(store.path("tmp")))  # nothing left half-written


def test_identical_bytes_are_stored_once(store, tmp_path):
    data = b"same bytes"
    digest = _sha(data)
    for i in range(3):
        (tmp_path / f"f{i}").write_bytes(data)
        assert store.put_file(tmp_path / f"f{i}", digest) is (i == 0)
    assert [b.digest for b in store.iter_blobs()] == [digest]


def test_wrong_bytes_are_refused_and_leave_nothing(store, tmp_path):
    (tmp_path / "f").write_bytes(b"these are not the bytes")
    digest = _sha(b"the bytes")
    with pytest.raises(CorruptBlob, match="does not match"):
        store.put_file(tmp_path / "f", digest)
    assert not store.has(digest)


def test_corrupted_blob_is_detected_on_read_and_never_returned(store, tmp_path):
    data = b"precious" * 1000
    digest = _sha(data)
    store.put_bytes(data, digest)
    key = store.path(f"sha256/{digest[:2]}/{digest[2:4]}/{digest}")
    store.fs.pipe_file(key, b"precious" * 999 + b"PRECIOUS")  # damaged at rest, same size
    dest = tmp_path / "out.bin"
    with pytest.raises(CorruptBlob, match="damaged"):
        materialize(store, digest, dest)
    assert not dest.exists() and not list(tmp_path.glob(".out.bin*"))


def test_missing_blob(store, tmp_path):
    with pytest.raises(BlobMissing):
        materialize(store, _sha(b"never stored"), tmp_path / "x")


def _folder(root: Path, weights: bytes) -> Path:
    root.mkdir(parents=True)
    (root / "weights.bin").write_bytes(weights)
    (root / "sub").mkdir()
    (root / "sub" / "vocab.txt").write_text("a\nb\nc\n" * 1000)
    (root / "config.json").write_text('{"layers": 3}')
    return root


def test_folder_versions_share_unchanged_files(store, tmp_path):
    v1 = _folder(tmp_path / "v1", b"w1" * 5000)
    v2 = _folder(tmp_path / "v2", b"w2" * 5000)
    arts = [describe_path(v) for v in (v1, v2)]
    for art, path in zip(arts, (v1, v2)):
        deliver(store, job_for(art, path, home=None, use_cache=False))
    # two manifests + vocab + config (shared) + two different weights = 6 blobs, not 8
    assert len(list(store.iter_blobs())) == 6
    assert describe_stored(store, arts[0].digest)["format"] == "directory"
    shared = blobs_of(store, arts[0].digest) & blobs_of(store, arts[1].digest)
    assert len(shared) == 2
    out, _ = materialize(store, arts[1].digest, tmp_path / "restored")
    assert (out / "weights.bin").read_bytes() == b"w2" * 5000
    assert (out / "sub" / "vocab.txt").read_text() == (v2 / "sub" / "vocab.txt").read_text()
    assert describe_path(out).digest == arts[1].digest  # same folder, byte for byte


def test_missing_fsspec_package_gets_an_install_hint():
    pytest.importorskip("s3fs")  # the dev extra has s3fs but not gcsfs
    try:
        import gcsfs  # noqa: F401
    except ImportError:
        with pytest.raises(ConfigError, match=r"needs gcsfs \(pip install gcsfs\)"):
            open_blobs("gs://bucket/x")
    with pytest.raises(ConfigError, match="needs the fsspec implementation of 'nosuchfs'"):
        open_blobs("nosuchfs://bucket/x")
