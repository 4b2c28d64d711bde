"""An ML pipeline recorded by trackline: ingest → validate → featurize → train → evaluate → publish.

It shows the three levels of effort side by side (a real project would pick one):

* ``ingest``: a plain ``@tracked_task`` stacked under ``@task``;
* ``validate``, ``featurize``, ``evaluate``: ``@task.tracked`` (registered by trackline's provider);
* ``train``: ``TrackedPythonOperator``, a drop-in for ``PythonOperator``;
* ``archive_model``: ``tracked(BashOperator)``, any operator class made tracked;
* ``publish_report``: an untouched ``BashOperator``, recorded by the listener alone
  (``AIRFLOW__TRACKLINE__CAPTURE_ALL_TASKS=True``).

Data frames travel through XCom, so trackline links the tasks by content digest; the model and
the metrics file are files (linked by their digest) and the metrics file is also an Asset
(linked by URI to the task that reads it). Data lands under ``$TRACKLINE_EXAMPLE_DATA``.
"""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path

import pendulum
from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import Asset, dag, task

from trackline import log_artifact, log_metric, log_param, tracked_task
from trackline.airflow import TrackedPythonOperator, tracked

DATA_DIR = Path(os.environ.get("TRACKLINE_EXAMPLE_DATA", "/tmp/trackline-example-data"))
METRICS = Asset(name="ml_pipeline_metrics", uri=f"file://{DATA_DIR / 'metrics.json'}")
TARGET = "target"


def train_model(train, C: float = 1.0, max_iter: int = 500) -> str:
    """Fit a logistic regression; the model file is the output (linked by its digest)."""
    import joblib
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=C, max_iter=max_iter)
    model.fit(train.drop(columns=[TARGET]), train[TARGET])
    path = DATA_DIR / "model.joblib"
    joblib.dump(model, path)
    log_artifact(path, name="model.joblib", kind="model")
    return str(path)


@dag(
    schedule=None,
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    tags=["trackline", "example"],
)
def trackline_ml_pipeline():
    @task
    @tracked_task
    def ingest():
        from sklearn.datasets import load_breast_cancer

        frame = load_breast_cancer(as_frame=True).frame
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        path = DATA_DIR / "raw.csv"
        frame.to_csv(path, index=False)
        log_artifact(path, name="raw.csv")
        return frame

    @task.tracked(retries=2, retry_delay=timedelta(seconds=0))
    def validate(frame, max_missing_fraction: float = 0.0):
        missing = float(frame.isna().mean().max())
        log_metric("rows", len(frame))
        log_metric("missing_fraction", missing)
        if missing > max_missing_fraction:
            raise ValueError(f"{missing:.1%} missing values, more than {max_missing_fraction:.1%}")
        if sorted(frame[TARGET].unique()) != [0, 1]:
            raise ValueError("target must be binary")
        return frame

    @task.tracked(multiple_outputs=True)
    def featurize(frame, test_size: float = 0.25, seed: int = 42):
        from sklearn.model_selection import train_test_split
        from sklearn.preprocessing import StandardScaler

        train, test = train_test_split(
            frame, test_size=test_size, random_state=seed, stratify=frame[TARGET]
        )
        features = [c for c in frame.columns if c != TARGET]
        scaler = StandardScaler().fit(train[features])
        train, test = train.copy(), test.copy()
        train[features] = scaler.transform(train[features])
        test[features] = scaler.transform(test[features])
        log_param("n_features", len(features))
        return {"train": train.reset_index(drop=True), "test": test.reset_index(drop=True)}

    @task.tracked(outlets=[METRICS])
    def evaluate(model_path: str, test):
        import joblib
        from sklearn.metrics import accuracy_score, f1_score, roc_auc_score

        log_artifact(model_path, name="model.joblib", kind="model", direction="input")
        model = joblib.load(model_path)
        x, y = test.drop(columns=[TARGET]), test[TARGET]
        scores = {
            "accuracy": float(accuracy_score(y, model.predict(x))),
            "f1": float(f1_score(y, model.predict(x))),
            "roc_auc": float(roc_auc_score(y, model.predict_proba(x)[:, 1])),
        }
        for key, value in scores.items():
            log_metric(key, value)
        path = DATA_DIR / "metrics.json"
        path.write_text(json.dumps(scores, indent=2))
        log_artifact(path, name="metrics.json", kind="metrics")
        return scores

    frame = validate(ingest())
    split = featurize(frame)
    train = TrackedPythonOperator(
        task_id="train", python_callable=train_model, op_kwargs={"train": split["train"], "C": 0.5}
    )
    scores = evaluate(train.output, split["test"])
    archive = tracked(BashOperator)(
        task_id="archive_model",
        bash_command=f"cp {DATA_DIR}/model.joblib {DATA_DIR}/model-{{{{ ds_nodash }}}}.joblib",
    )
    publish = BashOperator(
        task_id="publish_report", inlets=[METRICS], bash_command=f"cat {DATA_DIR}/metrics.json"
    )
    scores >> [archive, publish]


ml_pipeline = trackline_ml_pipeline()
