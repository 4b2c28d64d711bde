"""Concurrent registry writers (threads with their own connections): gap-free versions, intact
chain."""

from __future__ import annotations

import threading

import trackline
from trackline.registry.store import registry_store


def test_concurrent_registrations_get_distinct_versions_and_one_chain(use_store):
    store = registry_store()
    errors: list[BaseException] = []
    barrier = threading.Barrier(6)

    def register(i: int) -> None:
        try:
            barrier.wait()
            for j in range(3):
                trackline.register_model("busy", {"thread": i, "n": j}, store=store)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=register, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    versions = [v.version for v in trackline.registry.model_versions("busy")]
    assert versions == list(range(1, 19))
    assert len({v.digest for v in trackline.registry.model_versions("busy")}) == 18
    report = trackline.verify_audit()
    assert report.ok and report.entries == 18


def test_register_links_an_earlier_run_by_id(use_store, workdir, invoke):
    with trackline.task_run("train") as rec:
        trackline.log_artifact(workdir / "train.csv", name="train", direction="input")
        (workdir / "m.pkl").write_bytes(b"model")
        trackline.log_artifact(workdir / "m.pkl", direction="output")
    res = invoke("models", "register", "later", "m.pkl", "--run", rec.id[:10], "--json")
    assert res.exit_code == 0, res.output
    mv = trackline.resolve_model("later/1")
    assert mv.run_id == rec.id
    graph = trackline.connect().lineage(mv.digest, "upstream")
    assert rec.id in {n.id for n in graph.nodes}
