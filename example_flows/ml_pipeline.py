"""A small, real ML pipeline on Prefect 3, tracked by trackline.

ingest → validate → featurize → train → evaluate, with pandas and scikit-learn. Every step reads
and writes files, so trackline links them by content digest: ask `trackline lineage` where the
model came from and it walks back to the raw CSV.

    pip install 'trackline[prefect,examples]'
    python example_flows/ml_pipeline.py --data-dir /tmp/tl-example
    trackline pipelines; trackline runs; trackline lineage <evaluate run id>

``validate`` is left undecorated on purpose: inside a tracked flow it is still recorded (state,
times, parameters from the flow, links to its neighbours) from the Prefect API.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Annotated

import joblib
import pandas as pd
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import trackline
from prefect import task
from trackline import Kind
from trackline.prefect import tracked_flow, tracked_task


@task
@tracked_task
def ingest(data_dir: str) -> Annotated[Path, Kind("dataset")]:
    """Land the raw data as a CSV (a bundled dataset stands in for a warehouse extract)."""
    out = Path(data_dir) / "raw.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    frame = load_breast_cancer(as_frame=True).frame
    frame.to_csv(out, index=False)
    return out


@task
def validate(raw: Path, min_rows: int) -> Path:
    """Fail the run early on data that cannot be trained on."""
    frame = pd.read_csv(raw)
    if len(frame) < min_rows:
        raise ValueError(f"only {len(frame)} rows, need {min_rows}")
    if frame.isna().any().any():
        raise ValueError("raw data has missing values")
    if set(frame["target"].unique()) != {0, 1}:
        raise ValueError("target must be binary")
    return raw


@task
@tracked_task
def featurize(raw: Path, data_dir: str, test_size: float, seed: int) -> dict[str, Path]:
    frame = pd.read_csv(raw)
    train, test = train_test_split(
        frame, test_size=test_size, random_state=seed, stratify=frame["target"]
    )
    features = [c for c in frame.columns if c != "target"]
    scaler = StandardScaler().fit(train[features])
    out = {}
    for name, part in (("train", train), ("test", test)):
        scaled = pd.DataFrame(scaler.transform(part[features]), columns=features)
        scaled["target"] = part["target"].to_numpy()
        out[name] = Path(data_dir) / f"{name}.parquet"
        scaled.to_parquet(out[name], index=False)
    trackline.log_param("n_features", len(features))
    return out


@task
@tracked_task
def train(
    train_path: Path, data_dir: str, c: float, max_iter: int
) -> Annotated[Path, Kind("model")]:
    frame = pd.read_parquet(train_path)
    model = LogisticRegression(C=c, max_iter=max_iter).fit(
        frame.drop(columns="target"), frame["target"]
    )
    out = Path(data_dir) / "model.joblib"
    joblib.dump(model, out)
    trackline.log_metric(
        "train_accuracy", model.score(frame.drop(columns="target"), frame["target"])
    )
    return out


@task
@tracked_task
def evaluate(model_path: Path, test_path: Path, data_dir: str) -> Annotated[Path, Kind("metrics")]:
    model = joblib.load(model_path)
    frame = pd.read_parquet(test_path)
    x, y = frame.drop(columns="target"), frame["target"]
    scores = {
        "accuracy": accuracy_score(y, model.predict(x)),
        "f1": f1_score(y, model.predict(x)),
        "roc_auc": roc_auc_score(y, model.predict_proba(x)[:, 1]),
    }
    trackline.log_metrics(scores)
    out = Path(data_dir) / "metrics.json"
    out.write_text(json.dumps(scores, indent=2))
    return out


@tracked_flow(name="breast-cancer-classifier")
def ml_pipeline(
    data_dir: str = "trackline-example-data",
    test_size: float = 0.25,
    seed: int = 7,
    c: float = 1.0,
    max_iter: int = 500,
    min_rows: int = 100,
) -> dict[str, float]:
    raw = ingest(data_dir)
    checked = validate(raw, min_rows)
    splits = featurize(checked, data_dir, test_size, seed)
    model = train(splits["train"], data_dir, c, max_iter)
    report = evaluate(model, splits["test"], data_dir)
    return json.loads(Path(report).read_text())


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="trackline-example-data")
    parser.add_argument("--c", type=float, default=1.0)
    args = parser.parse_args()
    print(ml_pipeline(data_dir=args.data_dir, c=args.c))
