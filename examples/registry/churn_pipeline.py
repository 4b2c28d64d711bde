"""A tracked churn pipeline: prepare data → train → register → evaluate.

    python examples/registry/churn_pipeline.py --workdir /tmp/churn --max-depth 2

Each step is a ``@tracked_task``, so the registered model version links to the run that trained
it, and that run to the exact training data (by content digest) — what ``require_lineage`` checks.
"""

from __future__ import annotations

import argparse
import pickle
from pathlib import Path

import pandas as pd
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import accuracy_score, f1_score

import trackline

FEATURES = [f"f{i}" for i in range(12)]


@trackline.tracked_task
def prepare(workdir: Path) -> tuple[Path, Path]:
    X, y = make_classification(
        n_samples=3000, n_features=12, n_informative=6, flip_y=0.03, random_state=7
    )
    df = pd.DataFrame(X, columns=FEATURES)
    df["churned"] = y
    workdir.mkdir(parents=True, exist_ok=True)
    train, holdout = workdir / "train.csv", workdir / "holdout.csv"
    df.iloc[:2400].to_csv(train, index=False)
    df.iloc[2400:].to_csv(holdout, index=False)
    return train, holdout


@trackline.tracked_task
def train(train_csv: Path, model_path: Path, max_depth: int) -> str:
    df = pd.read_csv(train_csv)
    model = RandomForestClassifier(n_estimators=50, max_depth=max_depth, random_state=0)
    model.fit(df[FEATURES], df["churned"])
    model_path.write_bytes(pickle.dumps(model))
    version = trackline.register_model("churn", model_path, max_depth=max_depth)
    return version.ref


@trackline.tracked_task
def evaluate(model_ref: str, holdout_csv: Path) -> dict:
    version = trackline.resolve_model(model_ref)
    model = pickle.loads(Path(version.uri.removeprefix("file://")).read_bytes())
    df = pd.read_csv(holdout_csv)
    predicted = model.predict(df[FEATURES])

    def scores(mask) -> dict:
        return {
            "accuracy": float(accuracy_score(df["churned"][mask], predicted[mask])),
            "f1": float(f1_score(df["churned"][mask], predicted[mask])),
        }

    segment = df["f0"] > 0
    metrics = scores(slice(None))
    trackline.log_evaluation(
        model_ref,
        dataset=holdout_csv,
        dataset_name="holdout",
        metrics=metrics,
        slices={"high_f0": scores(segment), "low_f0": scores(~segment)},
    )
    return metrics


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=Path("churn-work"))
    parser.add_argument("--max-depth", type=int, default=8)
    args = parser.parse_args()
    with trackline.pipeline_run("churn-training", max_depth=args.max_depth):
        train_csv, holdout_csv = prepare(args.workdir)
        ref = train(train_csv, args.workdir / f"model-depth{args.max_depth}.pkl", args.max_depth)
        metrics = evaluate(ref, holdout_csv)
    print(f"registered {ref}: " + ", ".join(f"{k}={v:.3f}" for k, v in metrics.items()))


if __name__ == "__main__":
    main()
