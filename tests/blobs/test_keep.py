"""Keep policy and the durable upload queue, with real pipeline processes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from tests.server.harness import free_port

from .conftest import HERE, child_env, run_py

BIN = Path(sys.executable).parent


def pipeline(outdir: Path, n: int = 500, *, noise: bool = False, **env: str) -> dict:
    args = [sys.executable, str(HERE / "keep_app.py"), str(outdir), str(n)]
    proc = subprocess.run(
        args + (["--noise"] if noise else []),
        env=child_env(**env),
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise AssertionError(f"pipeline failed: {proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def tl(*args: str, check: bool = True, **env: str) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [str(BIN / "trackline"), *args],
        env=child_env(**env),
        capture_output=True,
        text=True,
        check=False,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"trackline {args} failed ({proc.returncode}): {proc.stderr}")
    return proc


def blob_files(home: Path) -> list[Path]:
    return sorted(p for p in (home / "artifacts" / "sha256").rglob("*") if p.is_file())


def queued(home: Path) -> list[Path]:
    return sorted(p for p in (home / "uploads").glob("*/*.json") if not p.name.startswith("."))


def test_default_keeps_models_only(tmp_path, trackline_env):
    ids = pipeline(tmp_path / "run")
    from trackline import connect

    train = connect().run(ids["train"])
    model = next(o for o in train.outputs if o.name == "model_path")
    stored = {p.name for p in blob_files(trackline_env)}
    assert stored == {model.digest}  # the .pkl model file; not the CSV, not the frame
    assert queued(trackline_env) == []


def test_outputs_are_kept_once_across_runs_and_frames_as_parquet(tmp_path, trackline_env):
    a = pipeline(tmp_path / "a", TRACKLINE_KEEP="outputs")
    pipeline(tmp_path / "b", TRACKLINE_KEEP="outputs")  # identical bytes again
    from trackline import connect, load_dataframe

    run = connect().run(a["features"])
    csv = next(o for o in run.outputs if o.name == "out")
    stored = [p.name for p in blob_files(trackline_env)]
    assert stored.count(csv.digest) == 1
    # csv, frame (parquet), model, train's return value (json): each once, though two runs
    assert len(stored) == len(set(stored)) == 4
    frame = load_dataframe(f"{a['features']}/return")
    assert list(frame.columns) == ["x", "y"] and len(frame) == 500
    assert frame["y"].sum() == sum(i % 7 for i in range(500))
    assert queued(trackline_env) == []


def test_keep_none_and_size_cap(tmp_path, trackline_env):
    pipeline(tmp_path / "a", TRACKLINE_KEEP="none")
    assert blob_files(trackline_env) == []
    pipeline(tmp_path / "b", TRACKLINE_KEEP="all", TRACKLINE_KEEP_MAX_BYTES="200")
    # only the tiny JSON return value of train (and inputs under 200 bytes) fit the cap
    assert all(p.stat().st_size <= 200 for p in blob_files(trackline_env))
    assert blob_files(trackline_env)


def test_unreachable_object_store_task_succeeds_and_queue_holds(tmp_path, s3_url, trackline_env):
    dead = f"http://127.0.0.1:{free_port()}"
    ids = pipeline(
        tmp_path / "run",
        TRACKLINE_KEEP="outputs",
        TRACKLINE_ARTIFACTS=s3_url,
        FSSPEC_S3_ENDPOINT_URL=dead,
        AWS_ENDPOINT_URL=dead,
        AWS_MAX_ATTEMPTS="1",
    )
    assert ids["train"]  # the tasks succeeded and were recorded
    jobs = queued(trackline_env)
    assert len(jobs) >= 3  # csv, frame, model (and the json value) wait on disk
    first = tl("sync", "--json", TRACKLINE_ARTIFACTS=s3_url)
    result = json.loads(first.stdout)["uploads"]
    assert result["delivered"] == len(jobs) and result["remaining"] == 0
    again = json.loads(tl("sync", "--json", TRACKLINE_ARTIFACTS=s3_url).stdout)["uploads"]
    assert again["delivered"] == 0  # exactly once
    from trackline import connect, fetch_artifact
    from trackline.config import set_override

    set_override(artifacts=s3_url)
    run = connect().run(ids["train"])
    model = next(o for o in run.outputs if o.name == "model_path")
    got = fetch_artifact(model.digest, tmp_path / "model.pkl")
    assert got.read_bytes() == (tmp_path / "run" / "model.pkl").read_bytes()


KILLER = """
import os, signal, sys
from trackline.blobs import blob_store, queue_for
from trackline.config import settings
cfg = settings()
store = blob_store(cfg)
seen = [0]
def progress(n):
    seen[0] += n
    if seen[0] >= 4 << 20:  # killed for real, in the middle of a 24 MiB upload
        os.kill(os.getpid(), signal.SIGKILL)
queue_for(cfg, store).drain(store, progress)
print("not killed")
"""


def test_upload_killed_midway_is_delivered_after_restart_exactly_once(
    tmp_path, s3_url, trackline_env
):
    dead = f"http://127.0.0.1:{free_port()}"
    out = tmp_path / "run"
    out.mkdir()
    big = out / "weights.bin"
    big.write_bytes(bytes(range(256)) * (24 * 4096))  # 24 MiB
    code = (
        "from pathlib import Path\nfrom trackline import tracked_task\n"
        "@tracked_task(keep='outputs')\n"
        "def export(out: Path) -> None:\n"
        "    out.write_bytes(out.read_bytes()[::-1])\n"
        f"export(Path({str(big)!r}))\n"
    )
    unreachable = dict(
        TRACKLINE_ARTIFACTS=s3_url, FSSPEC_S3_ENDPOINT_URL=dead, AWS_ENDPOINT_URL=dead
    )
    run_py(code, child_env(AWS_MAX_ATTEMPTS="1", **unreachable))
    assert len(queued(trackline_env)) == 1
    killed = run_py(KILLER, child_env(TRACKLINE_ARTIFACTS=s3_url), check=False)
    assert killed.returncode == -9 and "not killed" not in killed.stdout
    claims = list((trackline_env / "uploads").glob("*/.claim-*"))
    assert len(claims) == 1 and queued(trackline_env) == []  # claimed by the dead process
    from trackline.blobs import open_blobs

    store = open_blobs(s3_url)
    digest = __import__("hashlib").sha256(big.read_bytes()).hexdigest()
    assert not store.has(digest)  # the interrupted upload never became visible
    result = json.loads(tl("sync", "--json", TRACKLINE_ARTIFACTS=s3_url).stdout)["uploads"]
    assert result["delivered"] == 1 and result["remaining"] == 0
    assert [b.digest for b in store.iter_blobs()] == [digest]
    assert not list((trackline_env / "uploads").glob("*/.claim-*"))
    again = json.loads(tl("sync", "--json", TRACKLINE_ARTIFACTS=s3_url).stdout)["uploads"]
    assert again["delivered"] == 0


def test_registering_a_model_stores_its_bytes_before_returning(tmp_path, trackline_env):
    from trackline import register_model
    from trackline.blobs import blob_store, describe_stored

    path = tmp_path / "model.onnx"
    path.write_bytes(b"onnx" * 1000)
    mv = register_model("churn", path)
    assert describe_stored(blob_store(), mv.digest) == {"format": "file", "blob": mv.digest}


def test_registering_fails_and_registers_nothing_when_bytes_cannot_be_stored(
    tmp_path, trackline_env, monkeypatch
):
    from trackline import register_model
    from trackline.config import set_override
    from trackline.errors import NotFound
    from trackline.registry import resolve_model

    target = tmp_path / "not-a-folder"
    target.write_text("a file where the artifact store should be")
    set_override(artifacts=str(target / "artifacts"))
    path = tmp_path / "model.onnx"
    path.write_bytes(b"onnx" * 1000)
    with pytest.raises(Exception):  # noqa: B017 - the file system's own error
        register_model("churn", path)
    set_override(artifacts=str(tmp_path / "ok"))
    with pytest.raises(NotFound):
        resolve_model("churn@latest")
