"""@tracked_task and explicit logging, checked through the real default SQLite store."""

from __future__ import annotations

import asyncio
import hashlib
import threading
from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
import pytest

import trackline
from trackline import Kind, log_metric, pipeline_run, tracked_task
from trackline.errors import InvalidInput, NoActiveRun


def runs(**kw):
    return trackline.connect().runs(**kw)


def only_run(name: str):
    found = runs(name=name)
    assert len(found) == 1, found
    return trackline.connect().run(found[0].id)


def test_bare_and_configured_decorator_record_params_with_defaults():
    @tracked_task
    def bare(a, b=2, *rest, flag=True, **extra):
        return a + b

    @tracked_task(name="custom-name")
    def configured(x: int) -> int:
        return x * 2

    assert bare(1, 3, 9, flag=False, color="red") == 4
    assert configured(5) == 10
    run = only_run("test_bare_and_configured_decorator_record_params_with_defaults.<locals>.bare")
    assert run.params == {"a": 1, "b": 3, "rest[0]": 9, "flag": False, "color": "red"}
    assert run.status == "success" and run.duration_s >= 0 and run.ended_at >= run.started_at
    assert only_run("custom-name").params == {"x": 5}


def test_signature_and_metadata_preserved():
    import inspect

    @tracked_task
    def f(a: int, b: str = "x") -> str:
        """Doc."""
        return b * a

    assert inspect.signature(f) == inspect.signature(f.__wrapped__)
    assert f.__doc__ == "Doc." and f.__name__ == "f"


def test_files_directories_frames_arrays_bytes_and_objects(tmp_path: Path):
    data = tmp_path / "data.csv"
    data.write_text("a,b\n1,x\n2,y\n3,z\n")
    folder = tmp_path / "images"
    folder.mkdir()
    (folder / "1.bin").write_bytes(b"one")
    (folder / "sub").mkdir()
    (folder / "sub" / "2.bin").write_bytes(b"two")

    @tracked_task
    def load(path: Path, images: Path, arr, blob: bytes, config: dict):
        return pd.read_csv(path), {"model": object.__new__(_Model), "n": 3}

    frame, out = load(data, folder, np.arange(10), b"\x00" * 100, {"k": list(range(500))})
    run = only_run("test_files_directories_frames_arrays_bytes_and_objects.<locals>.load")
    ins = {r.name: r for r in run.inputs}
    assert ins["path"].kind == "dataset"
    assert ins["path"].digest == hashlib.sha256(data.read_bytes()).hexdigest()
    assert ins["path"].uri == data.resolve().as_uri()
    assert ins["images"].kind == "directory"
    assert ins["arr"].kind == "dataset" and ins["blob"].kind == "blob"
    assert ins["config"].kind == "value"  # too large for a param: recorded as an input artifact
    assert "config" not in run.params and run.params["path"] == str(data)
    outs = {r.name: r for r in run.outputs}
    assert set(outs) == {"return", "return.0", "return.1"}
    assert outs["return.0"].kind == "dataset"
    client = trackline.connect()
    csv = client.artifact(ins["path"].digest)
    assert csv.rows == 3 and [c.name for c in csv.columns] == ["a", "b"]
    frame_art = client.artifact(outs["return.0"].digest)
    assert frame_art.rows == 3 and frame_art.columns[0].dtype == "int64"


class _Model:
    def fit(self, X, y):
        return self

    def predict(self, X):
        return X


def test_directory_digest_is_a_merkle_of_contents(tmp_path: Path):
    from trackline.capture.hashing import hash_directory

    d = tmp_path / "d"
    d.mkdir()
    (d / "a").write_text("1")
    first = hash_directory(d).digest
    (d / "a").write_text("2")
    assert hash_directory(d).digest != first
    (d / "a").write_text("1")
    assert hash_directory(d).digest == first


def test_lineage_links_by_digest_across_calls(tmp_path: Path):
    @tracked_task
    def make(n: int) -> pd.DataFrame:
        return pd.DataFrame({"x": range(n)})

    @tracked_task
    def featurize(df: pd.DataFrame, out: Path) -> Path:
        df.assign(y=df.x * 2).to_csv(out, index=False)
        return out

    @tracked_task(kinds={"return": "model"})
    def train(path: Path) -> dict:
        return {"weights": pd.read_csv(path).y.sum()}

    with pipeline_run("three-steps", seed=1) as p:
        train(featurize(make(5), tmp_path / "features.csv"))
    client = trackline.connect()
    last = client.runs(name="test_lineage_links_by_digest_across_calls.<locals>.train")[0]
    assert last.pipeline == "three-steps" and last.pipeline_run_id == p.id
    graph = client.lineage(last.id, "upstream")
    names = {n.name for n in graph.nodes if n.type == "task_run"}
    assert {n.split(".")[-1] for n in names} == {"make", "featurize", "train"}
    feat = client.runs(name="test_lineage_links_by_digest_across_calls.<locals>.featurize")[0]
    feat = client.run(feat.id)
    # the path argument the call created is an output, and its digest links to train's input
    assert {r.name for r in feat.outputs} >= {"out", "return"}
    assert client.pipeline_run(p.id).config == {"seed": 1}
    assert client.pipeline_run(p.id).status == "success"


def test_exception_recorded_and_reraised_unchanged():
    class Boom(Exception):
        pass

    err = Boom("bad input")

    @tracked_task
    def explode():
        raise err

    with pytest.raises(Boom) as info:
        explode()
    assert info.value is err
    run = only_run("test_exception_recorded_and_reraised_unchanged.<locals>.explode")
    assert run.status == "failed"
    assert run.error.type.endswith("Boom") and run.error.message == "bad input"
    assert "raise err" in run.error.traceback


def test_nested_calls_record_parent():
    @tracked_task
    def inner(x):
        return x

    @tracked_task
    def outer():
        return inner(1) + inner(2)

    outer()
    o = runs(name="test_nested_calls_record_parent.<locals>.outer")[0]
    kids = runs(name="test_nested_calls_record_parent.<locals>.inner")
    assert len(kids) == 2 and all(k.parent_id == o.id for k in kids)


def test_async_functions_and_methods():
    class Trainer:
        @tracked_task
        def fit(self, epochs: int = 3):
            log_metric("loss", 0.5, step=epochs)
            return epochs

    @tracked_task
    async def fetch(n: int):
        await asyncio.sleep(0)
        return n + 1

    assert asyncio.run(fetch(1)) == 2
    assert Trainer().fit() == 3
    assert only_run("test_async_functions_and_methods.<locals>.fetch").params == {"n": 1}
    fit = only_run("test_async_functions_and_methods.<locals>.Trainer.fit")
    assert fit.params == {"epochs": 3}  # self is not a param
    assert [(m.key, m.value, m.step) for m in fit.metrics] == [("loss", 0.5, 3)]


def test_threads_each_have_their_own_run():
    @tracked_task
    def work(i: int):
        log_metric("i", i)
        return i

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    found = runs(name="test_threads_each_have_their_own_run.<locals>.work")
    assert len(found) == 8
    client = trackline.connect()
    for r in found:
        detail = client.run(r.id)
        assert [m.value for m in detail.metrics] == [detail.params["i"]]


def test_code_digest_changes_with_source():
    ns: dict = {}
    exec("from trackline import tracked_task\n@tracked_task\ndef f():\n    return 1\n", ns)
    ns["f"]()
    ns2: dict = {}
    exec("from trackline import tracked_task\n@tracked_task\ndef f():\n    return 2\n", ns2)
    ns2["f"]()
    a, b = runs(name="f")
    assert a.code_digest and b.code_digest and a.code_digest != b.code_digest


def test_environment_and_resources():
    @tracked_task
    def busy():
        return sum(i * i for i in range(200_000))

    busy()
    run = only_run("test_environment_and_resources.<locals>.busy")
    env = run.environment
    assert env.python and env.platform and env.packages_digest and env.hostname
    assert "pandas" in env.packages
    assert env.git_commit is None or len(env.git_commit) == 40
    res = run.resources
    assert res.cpu_user_s + res.cpu_system_s > 0 and res.peak_rss_bytes > 0
    assert res.gpu == {"available": False}


def test_long_calls_get_resource_samples_and_a_running_record(monkeypatch):
    monkeypatch.setenv("TRACKLINE_SAMPLE_INTERVAL", "0.05")
    monkeypatch.setenv("TRACKLINE_SAMPLE_AFTER", "0")
    monkeypatch.setenv("TRACKLINE_HEARTBEAT_INTERVAL", "0.1")
    seen = {}

    @tracked_task
    def slow():
        import time

        deadline = time.monotonic() + 0.6
        while time.monotonic() < deadline:
            if "status" not in seen:
                live = runs(
                    name="test_long_calls_get_resource_samples_and_a_running_record.<locals>.slow"
                )
                if live:
                    seen["status"] = live[0].status
            time.sleep(0.02)

    slow()
    assert seen["status"] == "running"  # visible while it ran
    run = only_run("test_long_calls_get_resource_samples_and_a_running_record.<locals>.slow")
    assert run.status == "success" and len(run.resources.samples) >= 3


def test_logging_outside_a_task_is_a_clear_error():
    for call in (
        lambda: log_metric("a", 1),
        lambda: trackline.log_param("a", 1),
        lambda: trackline.log_artifact(b"x"),
        lambda: trackline.log_metrics({"a": 1}),
    ):
        with pytest.raises(NoActiveRun, match="outside a tracked task"):
            call()


def test_metric_values():
    @tracked_task
    def m():
        log_metric("nan", float("nan"))
        log_metric("inf", float("inf"))
        log_metric("np", np.float32(0.25), step=np.int64(2))
        with pytest.raises(InvalidInput, match="real number"):
            log_metric("bad", "0.9")

    m()
    run = only_run("test_metric_values.<locals>.m")
    vals = {x.key: x.value for x in run.metrics}
    assert vals["nan"] != vals["nan"] and vals["inf"] == float("inf") and vals["np"] == 0.25
    dumped = run.model_dump(mode="json")
    assert {x["key"]: x["value"] for x in dumped["metrics"]}["nan"] == "NaN"


def test_unhashable_objects_become_opaque_artifacts():
    lock = threading.Lock()

    @tracked_task
    def uses(lock_obj, gen):
        return lock_obj

    uses(lock, (i for i in range(3)))
    run = only_run("test_unhashable_objects_become_opaque_artifacts.<locals>.uses")
    kinds = {r.name: r.kind for r in run.inputs}
    assert kinds == {"lock_obj": "opaque", "gen": "opaque"}
    lock_ref = next(r for r in run.inputs if r.name == "lock_obj")
    assert trackline.connect().artifact(lock_ref.digest).name.endswith("lock")


def test_registered_hasher_and_annotations(tmp_path: Path):
    class Point:
        def __init__(self, x):
            self.x = x

    trackline.register_hasher(
        Point, lambda p: (hashlib.sha256(str(p.x).encode()).hexdigest(), "value")
    )

    @tracked_task
    def save(p: Point, out: Path) -> Annotated[Path, Kind("model")]:
        out.write_text(f"model of {p.x}")
        return out

    save(Point(7), tmp_path / "m.txt")
    run = only_run("test_registered_hasher_and_annotations.<locals>.save")
    assert {r.name: r.digest for r in run.inputs}["p"] == hashlib.sha256(b"7").hexdigest()
    assert {r.name: r.kind for r in run.outputs}["return"] == "model"


def test_log_artifact_paths_uris_and_values(tmp_path: Path):
    f = tmp_path / "report.txt"
    f.write_text("hi")

    @tracked_task
    def step():
        a = trackline.log_artifact(str(f), name="report", kind="report")
        b = trackline.log_artifact("s3://bucket/table", name="warehouse", direction="input")
        return a.digest, b.digest

    step()
    run = only_run("test_log_artifact_paths_uris_and_values.<locals>.step")
    assert {(r.name, r.kind) for r in run.outputs} >= {("report", "report")}
    assert [(r.name, r.kind, r.uri) for r in run.inputs] == [
        ("warehouse", "uri", "s3://bucket/table")
    ]


def test_task_run_context_manager():
    with trackline.task_run("manual", rows=10) as run:
        trackline.log_metric("m", 1.0)
    detail = trackline.connect().run(run.id)
    assert detail.params == {"rows": 10} and detail.metrics[0].value == 1.0
    with pytest.raises(KeyError):
        with trackline.task_run("manual-fail"):
            raise KeyError("x")
    assert only_run("manual-fail").status == "failed"


def test_disabled_kill_switch(monkeypatch):
    monkeypatch.setenv("TRACKLINE_DISABLED", "1")

    @tracked_task
    def f(x):
        return x

    assert f(1) == 1
    monkeypatch.delenv("TRACKLINE_DISABLED")
    assert runs() == []


def test_misuse_errors():
    with pytest.raises(TypeError, match="decorates functions"):
        tracked_task(42)


def test_a_snapshot_built_without_validation_equals_a_validated_one():
    """The recorder builds its records without pydantic validation when the caller-given fields
    have their declared types: every field is set, and the record is what validation builds."""
    from trackline.capture.recorder import RunRecorder
    from trackline.model.runs import TaskRun

    rec = RunRecorder("snap", pipeline="p", func=test_signature_and_metadata_preserved)
    rec.start()
    rec.log_params({"lr": 0.1, "layers": [1, 2]})
    rec.log_metric("loss", 0.5, step=1)
    record = rec.snapshot()
    assert set(record.__dict__) == set(TaskRun.model_fields)
    assert record == TaskRun.model_validate(record.model_dump())
    assert record.model_dump_json() == TaskRun(**record.__dict__).model_dump_json()
    rec.finish()


def test_a_name_of_the_wrong_type_is_refused_as_before(caplog):
    """A task name that is not text takes the validating path: tracking fails (logged), the
    user's call does not."""

    @tracked_task(name=12345)
    def odd(x):
        return x + 1

    with caplog.at_level("WARNING"):
        assert odd(1) == 2
    assert "name" in caplog.text and "string" in caplog.text  # pydantic's refusal, logged
    assert runs() == []
