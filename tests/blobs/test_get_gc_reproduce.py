"""``trackline artifacts get``, ``models download``, ``artifacts gc``, ``pin`` and
``reproduce --check`` as a user runs them: real pipeline processes, real CLI processes."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from .test_keep import blob_files, pipeline, tl

POLICY = "name: lineage-only\nrules:\n  - require_lineage: true\n"


def _register_and_promote(ids: dict, outdir: Path, tmp_path: Path) -> str:
    from trackline import connect, promote, register_model

    model = outdir / "model.pkl"
    mv = register_model("churn", model, run=ids["train"])
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    promote("churn", mv.version, alias="production", policy=policy)
    assert connect().run(ids["train"]).id == ids["train"]
    return mv.digest


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(params=["local", "s3"])
def artifacts_root(request, monkeypatch) -> str:
    """Local disk (the default root) or a bucket on the loopback S3 server, for this process
    and the pipeline and CLI processes it starts."""
    if request.param == "s3":
        url = request.getfixturevalue("s3_url")
        monkeypatch.setenv("TRACKLINE_ARTIFACTS", url)
        return url
    return "local"


def test_get_by_every_kind_of_reference_after_local_files_are_deleted(
    tmp_path, trackline_env, artifacts_root
):
    out = tmp_path / "work"
    ids = pipeline(out, TRACKLINE_KEEP="outputs")
    digest = _register_and_promote(ids, out, tmp_path)
    model_bytes, csv_bytes = (out / "model.pkl").read_bytes(), (out / "features.csv").read_bytes()
    shutil.rmtree(out)  # the user deletes their local files

    got = tmp_path / "got"
    tl("models", "download", "churn@production", "-o", str(got / "prod.pkl"))
    assert (got / "prod.pkl").read_bytes() == model_bytes
    tl("artifacts", "get", "churn/1", "-o", str(got / "v1.pkl"))
    tl("artifacts", "get", digest[:12], "-o", str(got / "prefix.pkl"))
    assert _sha(got / "v1.pkl") == _sha(got / "prefix.pkl") == digest
    res = json.loads(
        tl("artifacts", "get", f"{ids['train']}/data", "-o", str(got), "--json").stdout
    )
    assert Path(res["path"]) == got / "features.csv" and res["verified"] is True
    assert (got / "features.csv").read_bytes() == csv_bytes  # the exact training data
    frame = json.loads(tl("artifacts", "get", f"{ids['features']}/return", "--json").stdout)
    assert frame["format"] == "parquet" and Path(frame["path"]).exists()
    if artifacts_root != "local":  # the bytes are in the bucket, none on local disk
        from trackline.blobs import open_blobs

        assert open_blobs(artifacts_root).has(digest)
        assert not (trackline_env / "artifacts" / "sha256").exists()


def test_damaged_blob_is_exit_1_and_never_written(tmp_path, trackline_env):
    out = tmp_path / "work"
    ids = pipeline(out)
    digest = _register_and_promote(ids, out, tmp_path)
    blob = trackline_env / "artifacts" / "sha256" / digest[:2] / digest[2:4] / digest
    data = bytearray(blob.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped bit, as a failing disk would do it
    blob.write_bytes(bytes(data))
    dest = tmp_path / "prod.pkl"
    proc = tl("models", "download", "churn@production", "-o", str(dest), check=False)
    assert proc.returncode == 1
    assert "does not match" in proc.stderr and "damaged" in proc.stderr
    assert not dest.exists() and not list(tmp_path.glob(".prod.pkl*"))


def test_missing_bytes_are_exit_1_naming_where_they_were_last_seen(tmp_path, trackline_env):
    out = tmp_path / "work"
    ids = pipeline(out, TRACKLINE_KEEP="none")
    proc = tl("artifacts", "get", f"{ids['features']}/out", "-o", str(tmp_path / "x"), check=False)
    assert proc.returncode == 1
    assert "has no bytes" in proc.stderr
    assert (out / "features.csv").resolve().as_uri() in proc.stderr


def test_gc_keeps_model_and_pinned_bytes_and_deletes_the_rest(tmp_path, trackline_env):
    out = tmp_path / "work"
    ids = pipeline(out, TRACKLINE_KEEP="outputs")
    model_digest = _register_and_promote(ids, out, tmp_path)
    (tmp_path / "stray").write_bytes(b"nobody needs me" * 100)
    from trackline.blobs import blob_store

    stray = hashlib.sha256(b"nobody needs me" * 100).hexdigest()
    blob_store().put_file(tmp_path / "stray", stray)
    before = {p.name for p in blob_files(trackline_env)}

    kept = json.loads(tl("artifacts", "gc", "--json").stdout)  # default: older than 30 days
    assert kept["deleted"] == []
    dry = json.loads(tl("artifacts", "gc", "--older-than", "0s", "--dry-run", "--json").stdout)
    assert stray in dry["deleted"] and model_digest not in dry["deleted"]
    assert {p.name for p in blob_files(trackline_env)} == before  # a dry run deletes nothing

    tl("pin", ids["features"])
    proc = tl("artifacts", "gc", "--older-than", "0s")
    assert "freed" in proc.stdout
    after = {p.name for p in blob_files(trackline_env)}
    assert model_digest in after  # a model version's bytes are never deleted
    assert stray not in after
    from trackline import connect

    features = connect().run(ids["features"])
    assert {o.digest for o in features.outputs if o.name == "out"} <= after  # pinned run
    from trackline import audit_log

    gc_entries = [e for e in audit_log() if e.action == "artifacts.gc"]
    assert len(gc_entries) == 1 and stray in gc_entries[0].data["deleted"]

    tl("unpin", ids["features"])
    tl("artifacts", "gc", "--older-than", "0s")
    assert model_digest in {p.name for p in blob_files(trackline_env)}


def test_reproduce_check_says_yes_for_deterministic_and_names_the_difference(
    tmp_path, trackline_env
):
    out = tmp_path / "work"
    ids = pipeline(out, noise=True, TRACKLINE_KEEP="all")
    shutil.rmtree(out)
    repro = tmp_path / "repro"
    proc = tl("reproduce", ids["train"], "--dir", str(repro))
    assert "1 input(s)" in proc.stdout or "input(s)" in proc.stdout
    for name in ("params.json", "requirements.txt", "code.json", "README.md"):
        assert (repro / name).exists()
    assert json.loads((repro / "params.json").read_text())["seed"] == 1
    reqs = (repro / "requirements.txt").read_text()
    assert reqs.startswith("# Python ") and "pandas==" in reqs
    code = json.loads((repro / "code.json").read_text())
    assert code["function"] == "train" and "git_dirty" in code
    assert f"trackline reproduce {ids['train']}" in (repro / "README.md").read_text()

    yes = tl("reproduce", ids["train"], "--dir", str(tmp_path / "r1"), "--check")
    assert yes.stdout.startswith("reproducible: yes")
    no = tl("reproduce", ids["noisy"], "--dir", str(tmp_path / "r2"), "--check", check=False)
    assert no.returncode == 3
    assert no.stdout.startswith("reproducible: no") and "out:" in no.stdout
    as_json = json.loads(
        tl(
            "reproduce",
            ids["noisy"],
            "--dir",
            str(tmp_path / "r3"),
            "--check",
            "--json",
            check=False,
        ).stdout
    )
    assert as_json["reproducible"] is False
    assert [d["slot"] for d in as_json["differences"]] == ["out"]


@pytest.mark.parametrize("ref", ["nonsense-ref", "churn@nowhere"])
def test_unknown_references_are_clear_errors(ref, trackline_env):
    proc = tl("artifacts", "get", ref, check=False)
    assert proc.returncode == 2 and proc.stderr.startswith("error:")
