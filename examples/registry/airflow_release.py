"""Airflow: train → evaluate → gate → promote → deploy, with the deploy path skipped on a failing
gate.

Copy into your dags folder and trigger with a config, e.g.
``{"workdir": "/data/churn", "policy": "/opt/policies/churn.yaml", "accuracy": "0.9"}``
(``accuracy`` stands in for a real training job's result so the gate can be seen failing and
passing).
"""

import pickle
from pathlib import Path

from airflow.sdk import dag, task

import trackline
from trackline.integrations.airflow.gate import PromotionGateOperator

CONF = "{{ dag_run.conf['%s'] }}"


@dag(dag_id="tl_gate_release", schedule=None, catchup=False, tags=["trackline"])
def release():
    @task
    @trackline.tracked_task
    def train(workdir: str, accuracy: str) -> str:
        data = Path(workdir) / "holdout.csv"
        trackline.log_artifact(data, name="holdout", direction="input")
        model = Path(workdir) / f"model-{accuracy}.pkl"
        model.write_bytes(pickle.dumps({"accuracy": accuracy}))
        version = trackline.register_model("churn", model)
        trackline.log_evaluation(
            version, dataset=data, dataset_name="holdout", metrics={"accuracy": float(accuracy)}
        )
        return version.ref

    @task
    def deploy(workdir: str, ref: str) -> None:
        # A real deploy copies the promoted file and runs `trackline models verify` first.
        model = trackline.resolve_model("churn@production")
        target = Path(workdir, "deployed.pkl")
        target.write_bytes(Path(model.uri.removeprefix("file://")).read_bytes())
        if not trackline.verify_model("churn@production", target).ok:
            raise RuntimeError(f"{target} is not {model.ref}")
        Path(workdir, "deployed.txt").write_text(ref)

    ref = train(CONF % "workdir", CONF % "accuracy")
    gate = PromotionGateOperator(
        task_id="gate",
        model="churn",
        version=ref,
        policy=CONF % "policy",
        promote_to="production",
        on_fail="skip",
    )
    # The same check failing the task instead of skipping (for runs that must go red).
    strict = PromotionGateOperator(
        task_id="strict_gate", model="churn", version=ref, policy=CONF % "policy", on_fail="fail"
    )
    ref >> [gate, strict]
    gate >> deploy(CONF % "workdir", ref)


release_dag = release()
