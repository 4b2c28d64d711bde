"""The trackline demo: a small ML pipeline tracked into the embedded SQLite store.

files → DataFrame → features → model → evaluation → promotion gate, with no orchestrator and no
server. Run it
with ``scripts/demo.sh`` (or ``python examples/demo.py`` once trackline[examples] is installed).
Every step is a plain function with ``@tracked_task``; lineage links them by content digests.
"""

from __future__ import annotations

import os
import pickle
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score

import trackline
from trackline import log_metrics, pipeline_run, tracked_task
from trackline.cli.render import lineage_text

POLICY = """\
name: churn-demo-production
rules:
  - metric: accuracy
    dataset: holdout
    min: 0.75
  - metric: f1
    dataset: holdout
    compare_to: production
    max_regression: 0.01
  - require_lineage: true
  - max_evaluation_age: 7d
"""


def write_raw_files(folder: Path, days: int = 3, rows: int = 400, seed: int = 0) -> Path:
    """Stand-in for an upstream system dropping one CSV per day."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for day in range(days):
        tenure = rng.integers(1, 72, rows)
        charges = rng.normal(70, 20, rows).round(2)
        churn = (rng.random(rows) < 1 / (1 + np.exp(0.08 * tenure - 0.02 * charges))).astype(int)
        pd.DataFrame({"tenure": tenure, "monthly_charges": charges, "churn": churn}).to_csv(
            folder / f"day-{day}.csv", index=False
        )
    return folder


@tracked_task
def ingest(raw_dir: Path) -> pd.DataFrame:
    return pd.concat([pd.read_csv(p) for p in sorted(raw_dir.glob("*.csv"))], ignore_index=True)


@tracked_task
def featurize(raw: pd.DataFrame, train_out: Path, holdout_out: Path) -> tuple[Path, Path]:
    """Features, split once into a training set and a held-out set the model never sees."""
    feats = raw.assign(charges_per_month_of_tenure=raw.monthly_charges / raw.tenure)
    holdout = feats.sample(frac=0.25, random_state=0)
    feats.drop(index=holdout.index).to_csv(train_out, index=False)
    holdout.to_csv(holdout_out, index=False)
    return train_out, holdout_out


@tracked_task(kinds={"return": "model"})
def train(features: Path, model_path: Path, c: float = 1.0, max_iter: int = 200) -> Path:
    df = pd.read_csv(features)
    model = LogisticRegression(C=c, max_iter=max_iter).fit(df.drop(columns="churn"), df.churn)
    model_path.write_bytes(pickle.dumps(model))
    trackline.register_model("churn-demo", model_path)  # a new registry version, linked to this run
    return model_path


@tracked_task
def evaluate(model_path: Path, features: Path) -> dict:
    df = pd.read_csv(features)
    model = pickle.loads(model_path.read_bytes())
    pred = model.predict(df.drop(columns="churn"))
    metrics = {
        "accuracy": float(accuracy_score(df.churn, pred)),
        "f1": float(f1_score(df.churn, pred)),
    }
    log_metrics(metrics)
    trackline.log_evaluation(
        "churn-demo@latest", dataset=features, dataset_name="holdout", metrics=metrics
    )
    return metrics


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="trackline-demo-"))
    raw = write_raw_files(work / "raw")
    with pipeline_run("churn-demo", c=0.5) as run:
        train_set, holdout = featurize(ingest(raw), work / "train.csv", work / "holdout.csv")
        model = train(train_set, work / "model.pkl", c=0.5)
        metrics = evaluate(model, holdout)  # scored on rows the model was not trained on
    client = trackline.connect()
    print(f"store: {client.config.store_url}")
    print(f"pipeline run {run.id}: accuracy={metrics['accuracy']:.3f} f1={metrics['f1']:.3f}\n")
    steps = client.runs(pipeline_run_id=run.id, order="oldest")
    for step in steps:
        print(
            f"  {step.name:<10} {step.status:<8} {step.duration_s * 1000:8.1f} ms"
            f"   id {step.id[:12]}"
        )
    print()
    last = steps[-1]
    lineage_text(client.lineage(last.id, "upstream"))
    policy = work / "policy.yaml"
    policy.write_text(POLICY)
    decision = trackline.check_gate("churn-demo@latest", policy)
    print(
        f"\ngate {decision.policy_name!r} on churn-demo version {decision.model_version}: "
        f"{decision.verdict.upper()}"
    )
    for rule in decision.results:
        print(f"  {'pass' if rule.passed else 'FAIL'}  {rule.rule}: {rule.message}")
    cli = Path(sys.executable).parent / "trackline"
    cli = os.path.relpath(cli) if cli.exists() else "trackline"
    print(
        f"\nexplore: {cli} runs | {cli} show {last.id[:12]}"
        f" | {cli} lineage {last.id[:12]} --format mermaid"
        f" | {cli} models show churn-demo"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
