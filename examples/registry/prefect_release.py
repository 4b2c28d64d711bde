"""Prefect: train → evaluate → gate → promote, the gate raising (or returning) a failing verdict.

    python examples/registry/prefect_release.py WORKDIR POLICY ACCURACY

(``ACCURACY`` stands in for a real training job's result so the gate can be seen failing and
passing.)
"""

import pickle
import sys
from pathlib import Path

import trackline
from prefect import flow, task
from trackline.integrations.prefect.gate import gate


@task
@trackline.tracked_task
def train(workdir: str, accuracy: float) -> str:
    data = Path(workdir) / "holdout.csv"
    trackline.log_artifact(data, name="holdout", direction="input")
    model = Path(workdir) / f"model-{accuracy}.pkl"
    model.write_bytes(pickle.dumps({"accuracy": accuracy}))
    version = trackline.register_model("churn", model)
    trackline.log_evaluation(
        version, dataset=data, dataset_name="holdout", metrics={"accuracy": accuracy}
    )
    return version.ref


@flow
def release(workdir: str, accuracy: float, policy: str, strict: bool = True) -> dict:
    ref = train(workdir, accuracy)
    return gate("churn", policy, version=ref, promote_to="production", raise_on_fail=strict)


if __name__ == "__main__":
    print(release(sys.argv[1], float(sys.argv[3]), sys.argv[2]))
