"""Lineage you can testify with: real files, frames and joblib models through real stores.

Every test asserts the exact edges: an overwritten output is never an input, each run keeps the
location it used, containers and folders are seen inside, versions find their producer.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Annotated

import joblib
import pandas as pd
from sklearn.linear_model import LogisticRegression

import trackline
from trackline import Output, pipeline_run, register_model, tracked_task
from trackline.capture.artifacts import describe_path


def client():
    return trackline.connect()


def last_run(name: str):
    c = client()
    found = c.runs(name=name)
    assert found, f"no run named {name}"
    return c.run(found[0].id)


def slots(refs) -> dict[str, str]:
    return {r.name: r.digest for r in refs}


def write_csv(path: Path, rows: int, offset: int = 0) -> Path:
    pd.DataFrame({"x": range(offset, offset + rows), "y": [i % 2 for i in range(rows)]}).to_csv(
        path, index=False
    )
    return path


@tracked_task(name="featurize")
def featurize(raw: Path, out: Path) -> Path:
    df = pd.read_csv(raw)
    df["x2"] = df["x"] ** 2
    df.to_parquet(out)
    return out


@tracked_task(name="train")
def train(feats: Path, model_path: Path, c: float = 1.0) -> Path:
    df = pd.read_parquet(feats)
    model = LogisticRegression(C=c).fit(df[["x", "x2"]], df["y"])
    joblib.dump(model, model_path)
    return model_path


def test_overwritten_output_is_not_an_input(use_store, tmp_path: Path):
    raw = write_csv(tmp_path / "data.csv", 40)
    feats, model = tmp_path / "feats.parquet", tmp_path / "model.joblib"
    featurize(raw, feats)
    train(feats, model, c=1.0)
    first_model = describe_path(model).digest
    train(feats, model, c=0.1)  # the path already holds the first model: it is overwritten
    run = last_run("train")
    assert set(slots(run.inputs)) == {"feats"}, run.inputs
    assert slots(run.outputs)["model_path"] != first_model
    # Upstream of the new model: exactly its own features, the data and the two runs.
    g = client().lineage(slots(run.outputs)["model_path"], "upstream")
    arts = {n.id for n in g.nodes if n.type == "artifact"}
    assert first_model not in arts
    assert arts == {
        slots(run.outputs)["model_path"],
        describe_path(feats).digest,
        describe_path(raw).digest,
    }
    names = sorted(n.name for n in g.nodes if n.type == "task_run")
    assert names == ["featurize", "train"]
    # Downstream of the old model: nothing read it, so no self-loop through "train".
    down = client().lineage(first_model, "downstream")
    assert [e for e in down.edges if e.type == "input"] == []


def test_read_modify_write_declared_and_output_declared(use_store, tmp_path: Path):
    state = tmp_path / "state.json"
    state.write_text('{"n": 1}')
    before = describe_path(state).digest

    @tracked_task(name="bump", inputs=("path",))
    def bump(path: Path) -> None:
        path.write_text('{"n": 2}')

    bump(state)
    run = last_run("bump")
    assert slots(run.inputs) == {"path": before}
    assert slots(run.outputs) == {"path": describe_path(state).digest}

    @tracked_task(name="rewrite")
    def rewrite(path: Annotated[Path, Output]) -> None:
        path.write_text(path.read_text())  # identical bytes, but written by this call

    os.utime(state, ns=(1, 1))  # even with a restored mtime the declaration decides
    rewrite(state)
    run = last_run("rewrite")
    assert run.inputs == [] and set(slots(run.outputs)) == {"path"}


def test_two_runs_same_bytes_different_paths_keep_their_own_locations(use_store, tmp_path):
    @tracked_task(name="emit")
    def emit(out: Path) -> None:
        out.write_text("same bytes\n")

    a, b = tmp_path / "a" / "out.txt", tmp_path / "b" / "out.txt"
    a.parent.mkdir()
    b.parent.mkdir()
    emit(a)
    emit(b)
    c = client()
    runs = c.runs(name="emit", order="oldest")
    uris = [c.run(r.id).outputs[0].uri for r in runs]
    assert uris == [a.resolve().as_uri(), b.resolve().as_uri()]
    locs = c.locations(c.run(runs[0].id).outputs[0].digest)
    assert [(x.uri, x.run_id, x.direction) for x in locs] == [
        (a.resolve().as_uri(), runs[0].id, "output"),
        (b.resolve().as_uri(), runs[1].id, "output"),
    ]


def test_moved_file_is_read_from_where_it_is_now(use_store, tmp_path: Path):
    raw = write_csv(tmp_path / "data.csv", 10)
    featurize(raw, tmp_path / "f1.parquet")
    moved = tmp_path / "moved.csv"
    raw.rename(moved)
    featurize(moved, tmp_path / "f2.parquet")
    run = last_run("featurize")
    raw_in = [r for r in run.inputs if r.name == "raw"][0]
    assert raw_in.uri == moved.resolve().as_uri()
    locs = client().locations(raw_in.digest)
    assert {x.uri for x in locs} == {raw.resolve().as_uri(), moved.resolve().as_uri()}


def test_folder_manifest_leads_from_a_file_to_the_runs_and_diff_names_the_file(
    use_store, tmp_path: Path
):
    data = tmp_path / "data"
    data.mkdir()
    for i in range(3):
        write_csv(data / f"part-{i}.csv", 10, offset=i * 10)

    @tracked_task(name="load")
    def load(folder: Path) -> pd.DataFrame:
        return pd.concat(pd.read_csv(p) for p in sorted(folder.glob("*.csv")))

    load(data)
    part1 = describe_path(data / "part-1.csv").digest
    g = client().lineage(part1, "downstream")
    assert any(e.type == "contains" and e.target == part1 for e in g.edges)
    assert "load" in {n.name for n in g.nodes if n.type == "task_run"}
    write_csv(data / "part-1.csv", 11, offset=100)  # one edited file
    (data / "part-3.csv").write_text("x,y\n1,0\n")
    load(data)
    c = client()
    a, b = c.runs(name="load", order="oldest")
    d = c.diff(a.id, b.id)
    folder = [x for x in d.data if x.key == "folder"][0]
    assert folder.files_changed == ["part-1.csv"]
    assert folder.files_added == ["part-3.csv"] and folder.files_removed == []


def test_list_of_frames_from_three_csvs_reaches_the_model(use_store, tmp_path: Path):
    paths = [write_csv(tmp_path / f"c{i}.csv", 20, offset=i) for i in range(3)]

    @tracked_task(name="read_all")
    def read_all(files: list[Path]) -> list[pd.DataFrame]:
        return [pd.read_csv(p) for p in files]

    @tracked_task(name="combine")
    def combine(dfs: list[pd.DataFrame], model_path: Path) -> Path:
        df = pd.concat(dfs)
        joblib.dump(LogisticRegression().fit(df[["x"]], df["y"]), model_path)
        return model_path

    with pipeline_run("frames"):
        dfs = read_all(paths)
        combine(dfs, tmp_path / "m.joblib")
    run = last_run("combine")
    assert {"dfs[0]", "dfs[1]", "dfs[2]"} <= set(slots(run.inputs))
    model = slots(run.outputs)["model_path"]
    for p in paths:
        g = client().lineage(describe_path(p).digest, "downstream")
        assert model in {n.id for n in g.nodes}, p


def test_register_outside_a_task_finds_the_producer_and_keeps_its_location(
    use_store, tmp_path: Path
):
    raw = write_csv(tmp_path / "data.csv", 40)
    with pipeline_run("churn"):
        featurize(raw, tmp_path / "f.parquet")
        path = train(tmp_path / "f.parquet", tmp_path / "model.joblib")
    mv = register_model("churn", path)
    producer = last_run("train")
    assert mv.run_id == producer.id and mv.producer_rule == "digest:newest-success-output"
    assert mv.uri == path.resolve().as_uri()
    copy = tmp_path / "copy.joblib"
    copy.write_bytes(path.read_bytes())
    mv2 = register_model("churn-copy", copy)
    assert mv2.uri == copy.resolve().as_uri() and mv2.run_id == producer.id


def test_register_inside_a_task_links_the_active_run(use_store, tmp_path: Path):
    @tracked_task(name="train_and_register")
    def train_and_register(model_path: Path):
        joblib.dump(LogisticRegression().fit([[0], [1]], [0, 1]), model_path)
        return register_model("inside", model_path)

    mv = train_and_register(tmp_path / "m.joblib")
    run = last_run("train_and_register")
    assert mv.run_id == run.id and mv.producer_rule == "active-run"
    assert run.status == "success"


def test_generators_are_recorded_when_consumed(use_store):
    @tracked_task(name="gen")
    def gen(n: int):
        yield from range(n)

    g = gen(5)
    assert client().runs(name="gen") == []  # created, not yet run
    assert list(g) == [0, 1, 2, 3, 4]
    run = last_run("gen")
    assert run.status == "success" and run.params["yielded"] == 5

    g = gen(5)
    next(g), next(g)
    g.close()
    runs = client().runs(name="gen")
    partial = client().run(runs[0].id)
    assert partial.params["yielded"] == 2 and partial.params["closed_early"] is True


def test_async_generators_and_async_call_objects(use_store):
    @tracked_task(name="agen")
    async def agen(n: int):
        for i in range(n):
            yield i

    class Scorer:
        async def __call__(self, x: int) -> int:
            await asyncio.sleep(0)
            return x * 2

    scorer = tracked_task(name="scorer")(Scorer())

    async def main():
        items = [i async for i in agen(3)]
        return items, await scorer(21)

    items, score = asyncio.run(main())
    assert items == [0, 1, 2] and score == 42
    assert last_run("agen").params["yielded"] == 3
    run = last_run("scorer")
    assert run.status == "success" and slots(run.outputs)  # the int result, not a coroutine


def test_bad_paths_never_break_the_task(use_store, tmp_path: Path):
    locked = tmp_path / "locked.csv"
    locked.write_text("x\n1\n")
    locked.chmod(0)
    loop = tmp_path / "loop"
    os.symlink(loop, loop)
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "ok.txt").write_text("fine")
    os.symlink(folder, folder / "self")  # a directory link loop inside the folder

    @tracked_task(name="tolerant")
    def tolerant(a: Path, b: Path, c: Path) -> int:
        return 1

    assert tolerant(locked, loop, folder) == 1
    run = last_run("tolerant")
    assert run.status == "success"
    assert run.params["a"] == str(locked) and run.params["b"] == str(loop)
    if os.geteuid() != 0:  # root reads anything
        assert "a" not in slots(run.inputs)
    assert "b" not in slots(run.inputs)
    assert "c" in slots(run.inputs)
    locked.chmod(0o600)


def test_a_suspended_generator_is_not_the_callers_current_run(use_store):
    from trackline.capture.context import current_run

    @tracked_task(name="gen_ctx")
    def gen():
        yield current_run().name
        yield current_run().name

    g = gen()
    assert next(g) == "gen_ctx"
    assert current_run() is None  # between steps the caller is not inside the generator's run
    assert next(g) == "gen_ctx"
    assert list(g) == []


def test_require_lineage_counts_only_true_inputs_after_an_overwrite(use_store, tmp_path: Path):
    from trackline.gates import check_gate
    from trackline.gates.policy import parse_policy

    raw = write_csv(tmp_path / "data.csv", 40)
    feats, model = tmp_path / "feats.parquet", tmp_path / "model.joblib"
    featurize(raw, feats)
    train(feats, model, c=1.0)
    old = describe_path(model).digest
    train(feats, model, c=0.1)
    mv = register_model("gated", model)  # outside a task: the producer is found by digest
    policy = parse_policy({"name": "lineage-only", "rules": [{"require_lineage": True}]})
    decision = check_gate("gated", policy, mv.version)
    assert decision.verdict == "pass"
    upstream = set(decision.results[0].observed["upstream_artifacts"])
    assert upstream == {describe_path(feats).digest, describe_path(raw).digest}
    assert old not in upstream


def test_a_file_that_keeps_changing_while_hashed_is_left_out(use_store, tmp_path, monkeypatch):
    from trackline.capture import hashing

    busy = tmp_path / "busy.log"
    busy.write_text("start\n")
    real = hashing._read_digest

    def read_while_appending(path, tabular):  # a writer appends during every read
        out = real(path, tabular)
        if path == str(busy):
            with open(path, "a") as fh:
                fh.write("more\n")
        return out

    monkeypatch.setattr(hashing, "_read_digest", read_while_appending)

    @tracked_task(name="reads_busy")
    def reads_busy(log: Path) -> int:
        return 7

    assert reads_busy(busy) == 7
    run = last_run("reads_busy")
    assert run.status == "success" and run.params["log"] == str(busy)
    assert run.inputs == [] and run.outputs[0].name == "return"


def test_a_folder_past_the_manifest_limit_is_one_digest(use_store, tmp_path, monkeypatch):
    from trackline.capture import artifacts

    monkeypatch.setattr(artifacts, "MANIFEST_MAX_FILES", 5)
    big = tmp_path / "big"
    big.mkdir()
    for i in range(12):
        (big / f"f{i}.txt").write_text(str(i))

    @tracked_task(name="reads_big")
    def reads_big(folder: Path) -> None:
        return None

    reads_big(big)
    run = last_run("reads_big")
    digest = slots(run.inputs)["folder"]
    assert client().folder_files(digest) == []  # bounded: no manifest kept
    art = describe_path(big)
    assert art.digest == digest and art.file_count == 12 and art.files is None
