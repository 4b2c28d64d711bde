"""OpenLineage events in at POST /api/v1/lineage on a real server (PostgreSQL, two workers):
runs and artifacts from events, idempotency, out-of-order and repeated events, refusals, and a
name-identified table joined to the trackline task that read it."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import requests

from trackline.model.canonical import hash_uri
from trackline.model.runs import Artifact, ArtifactRef, TaskRun
from trackline.store.http import HttpStore
from trackline.store.sql.store import SqlStore

PRODUCER = "https://github.com/apache/airflow/tree/providers-openlineage/2.20.3"
T0 = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)


def _event(run_id, event_type, at, *, job="etl.build_orders", outputs=(), inputs=(), **run_facets):
    return {
        "eventType": event_type,
        "eventTime": at.isoformat(),
        "producer": PRODUCER,
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": run_id, "facets": run_facets},
        "job": {
            "namespace": "airflow-prod",
            "name": job,
            "facets": {
                "jobType": {
                    "_producer": PRODUCER,
                    "_schemaURL": "https://openlineage.io/spec/facets/2-0-4/JobTypeJobFacet.json",
                    "processingType": "BATCH",
                    "integration": "AIRFLOW",
                    "jobType": "TASK",
                }
            },
        },
        "inputs": list(inputs),
        "outputs": list(outputs),
    }


def _table(name, **facets):
    return {"namespace": "postgres://warehouse:5432", "name": name, "facets": facets}


def _post(server, body, role="writer"):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return requests.post(
        server.url + "/api/v1/lineage",
        data=data,
        headers={**server.headers(role), "Content-Type": "application/json"},
        timeout=30,
    )


def _parent(dag_run_id):
    return {
        "_producer": PRODUCER,
        "_schemaURL": "https://openlineage.io/spec/facets/1-2-0/ParentRunFacet.json",
        "run": {"runId": dag_run_id},
        "job": {"namespace": "airflow-prod", "name": "etl"},
    }


def test_start_and_complete_become_one_task_run_with_name_identified_tables(server):
    rid, dag_rid = str(uuid.uuid4()), str(uuid.uuid4())
    custom = {"_producer": PRODUCER, "_schemaURL": "https://example.com/x.json", "rows": 7}
    start = _event(rid, "START", T0, inputs=[_table("shop.public.raw")], parent=_parent(dag_rid))
    done = _event(
        rid,
        "COMPLETE",
        T0 + timedelta(seconds=42),
        inputs=[_table("shop.public.raw")],
        outputs=[
            _table(
                "shop.public.orders",
                schema={
                    "_producer": PRODUCER,
                    "_schemaURL": "https://openlineage.io/spec/facets/1-2-0/SchemaDatasetFacet.json",
                    "fields": [
                        {"name": "id", "type": "integer"},
                        {"name": "total", "type": "numeric"},
                    ],
                },
            )
        ],
        parent=_parent(dag_rid),
        acme_rowcount=custom,
    )
    first = _post(server, start)
    assert first.status_code == 201, first.text
    assert _post(server, done).status_code == 201
    tid = first.json()["id"]
    run = HttpStore(server.url, token=server.tokens["reader"]).get_run(tid)
    assert run.name == "build_orders" and run.pipeline == "etl" and run.status == "success"
    assert run.started_at == T0 and run.duration_s == 42
    assert run.external_ids["openlineage_run_id"] == rid
    assert run.pipeline_run_id == uuid.UUID(dag_rid).hex
    (out,) = run.outputs
    uri = "postgres://warehouse:5432/shop.public.orders"
    assert out.uri == uri and out.digest == hash_uri(uri) and out.kind == "table"
    art = HttpStore(server.url, token=server.tokens["reader"]).get_artifact(out.digest)
    assert [c.name for c in art.columns] == ["id", "total"]
    # unknown facets are kept, whole
    kept = SqlStore(server.store).openlineage_events(rid)
    assert [e["eventType"] for e in kept] == ["START", "COMPLETE"]
    assert kept[1]["run"]["facets"]["acme_rowcount"]["rows"] == 7


def test_a_repeated_event_is_kept_once(server):
    rid = str(uuid.uuid4())
    ev = _event(rid, "START", T0, outputs=[_table("shop.public.dup")])
    assert _post(server, ev).status_code == 201
    again = _post(server, ev)
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert len(SqlStore(server.store).openlineage_events(rid)) == 1


def test_complete_before_start_gives_the_orderly_record(server):
    rid = str(uuid.uuid4())
    reader = HttpStore(server.url, token=server.tokens["reader"])
    end = _event(rid, "COMPLETE", T0 + timedelta(minutes=5), outputs=[_table("shop.public.late")])
    tid = _post(server, end).json()["id"]
    assert reader.get_run(tid).status == "success"
    assert _post(server, _event(rid, "START", T0)).status_code == 201
    run = reader.get_run(tid)
    assert run.status == "success" and run.started_at == T0 and run.duration_s == 300
    assert [o.uri for o in run.outputs] == ["postgres://warehouse:5432/shop.public.late"]


def test_a_failed_run_keeps_its_error(server):
    rid = str(uuid.uuid4())
    err = {
        "_producer": PRODUCER,
        "_schemaURL": "https://openlineage.io/spec/facets/1-0-1/ErrorMessageRunFacet.json",
        "message": "relation does not exist",
        "programmingLanguage": "SQL",
    }
    _post(server, _event(rid, "START", T0))
    tid = _post(server, _event(rid, "FAIL", T0 + timedelta(seconds=1), errorMessage=err)).json()[
        "id"
    ]
    run = HttpStore(server.url, token=server.tokens["reader"]).get_run(tid)
    assert run.status == "failed" and run.error.message == "relation does not exist"


def test_refusals_say_why_and_keep_nothing(server):
    rid = str(uuid.uuid4())
    assert _post(server, b"{not json").status_code == 422
    no_run = _event(rid, "START", T0)
    del no_run["run"]
    assert _post(server, no_run).status_code == 422
    bad_time = _event(rid, "START", T0)
    bad_time["eventTime"] = "yesterday"
    r = _post(server, bad_time)
    assert r.status_code == 422 and "eventTime" in r.text
    dataset_event = {"eventTime": T0.isoformat(), "producer": PRODUCER, "dataset": _table("x")}
    assert "only RunEvents" in _post(server, dataset_event).text
    huge = _event(
        rid, "START", T0, blob={"_producer": PRODUCER, "_schemaURL": "u", "x": "a" * 2_000_000}
    )
    r = _post(server, huge)
    assert r.status_code == 413 and r.json()["error"]["code"] == "payload_too_large"
    assert _post(server, _event(rid, "START", T0), role="reader").status_code == 403
    assert SqlStore(server.store).openlineage_events(rid) == []


def test_a_version_facet_digest_identifies_the_dataset_by_content(server):
    digest = "ab" * 32
    version = {
        "_producer": PRODUCER,
        "_schemaURL": "https://openlineage.io/spec/facets/1-0-1/DatasetVersionDatasetFacet.json",
        "datasetVersion": f"sha256:{digest}",
    }
    ds = {
        "namespace": "s3://lake",
        "name": "features/2026-03-01.parquet",
        "facets": {"version": version},
    }
    tid = _post(server, _event(str(uuid.uuid4()), "COMPLETE", T0, outputs=[ds])).json()["id"]
    (out,) = HttpStore(server.url, token=server.tokens["reader"]).get_run(tid).outputs
    assert out.digest == digest and out.uri == "s3://lake/features/2026-03-01.parquet"


def test_sql_step_joins_the_python_step_that_read_its_table_by_name_and_by_location(
    server, tmp_path
):
    """A table an OpenLineage job wrote (by name) and a file it wrote: a trackline task that
    logs the table's URI shares its artifact; one that read the file's bytes (by content) is
    joined through a location edge. The graph says which edges are by name."""
    writer = HttpStore(server.url, token=server.tokens["writer"])
    table_uri = "postgres://warehouse:5432/shop.public.training"
    export = tmp_path / "export.csv"
    export.write_text("a,b\n1,2\n")
    file_uri = export.resolve().as_uri()
    ol = _post(
        server,
        _event(
            str(uuid.uuid4()),
            "COMPLETE",
            T0,
            job="etl.build_training",
            outputs=[
                _table("shop.public.training"),
                {"namespace": "file", "name": str(export.resolve())},
            ],
        ),
    ).json()["id"]
    content = "cd" * 32  # the bytes a trackline task hashed at that location
    model = "ef" * 32
    task = TaskRun(
        id=uuid.uuid4().hex,
        name="train",
        status="success",
        inputs=[
            ArtifactRef(name="table", digest=hash_uri(table_uri), kind="uri", uri=table_uri),
            ArtifactRef(name="export", digest=content, kind="dataset", uri=file_uri),
        ],
        outputs=[ArtifactRef(name="return", digest=model, kind="model")],
        artifacts=[
            Artifact(digest=hash_uri(table_uri), kind="uri", uri=table_uri),
            Artifact(digest=content, kind="dataset", uri=file_uri),
            Artifact(digest=model, kind="model"),
        ],
    )
    writer.write_task_run(task)
    graph = writer.lineage(model, "upstream")
    assert ol in {n.id for n in graph.nodes if n.type == "task_run"}
    edges = {(e.source, e.target, e.type): e.by for e in graph.edges}
    assert edges[(hash_uri(table_uri), task.id, "input")] == "name"
    assert edges[(ol, hash_uri(table_uri), "output")] == "name"
    assert edges[(hash_uri(file_uri), content, "location")] == "name"
    assert edges[(content, task.id, "input")] == "digest"
    assert edges[(task.id, model, "output")] == "digest"
    # and downstream from the SQL step reaches the model
    down = writer.lineage(ol, "downstream")
    assert model in {n.id for n in down.nodes}


def test_dag_level_events_fold_into_the_pipeline_run_trackline_recorded(server):
    """A pipeline run trackline recorded with another producer's run id takes that producer's
    DAG-level events; its tasks' parent facets point at it too."""
    from trackline.model.runs import PipelineRun

    writer = HttpStore(server.url, token=server.tokens["writer"])
    dag_rid = str(uuid.uuid4())
    mine = PipelineRun(
        id=uuid.uuid4().hex,
        pipeline="etl",
        status="running",
        started_at=T0,
        external_ids={"orchestrator": "airflow", "openlineage_run_id": dag_rid},
    )
    writer.write_pipeline_run(mine)
    dag_event = _event(dag_rid, "COMPLETE", T0 + timedelta(minutes=1), job="etl")
    dag_event["job"]["facets"]["jobType"]["jobType"] = "DAG"
    r = _post(server, dag_event)
    assert r.json() == {
        "status": "created",
        "kind": "pipeline_run",
        "id": mine.id,
        "run_id": dag_rid,
    }
    assert writer.get_pipeline_run(mine.id).status == "success"
    task = _post(server, _event(str(uuid.uuid4()), "START", T0, parent=_parent(dag_rid))).json()
    assert writer.get_run(task["id"]).pipeline_run_id == mine.id
