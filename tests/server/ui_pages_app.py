"""Real tracked pipelines for the UI page tests, recorded through whatever TRACKLINE_STORE points
at (run as a script with an approver token: ``python ui_pages_app.py OUT_DIR``).

``fraud-features``: 30 shards loaded and featurized (a lineage of more than 100 nodes) and one
deterministic ``normalize`` step run 12 times (identical producers to fold). ``fraud-train``:
three versions of model ``fraud`` trained, evaluated with slices, gated (v1 passes and is
promoted, v2 fails and its promotion is refused, v3 passes and replaces v1), then three scoring
batches each checked for drift against the training data (the last one shifted). Prints ids.
"""

from __future__ import annotations

import json
import pickle
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pandas as pd

import trackline
from trackline import log_metric, pipeline_run, tracked_task
from trackline.errors import PromotionRefused
from trackline.monitoring.triggers import evaluate_policy, parse_policy

SHARDS = 30
POLICY = """\
name: fraud-production
rules:
  - metric: accuracy
    dataset: holdout
    min: 0.8
  - metric: accuracy
    dataset: holdout
    compare_to: production
    max_regression: 0.05
  - metric: accuracy
    dataset: holdout
    slices: all
    min: 0.7
  - require_lineage: true
"""


def batch(n: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 90, n).astype(float)
    age[rng.random(n) < 0.1] = np.nan  # a null share to show
    merchants = ["grocery", "fuel", "travel", "online"]
    weights = [0.4, 0.3, 0.1, 0.2] if not shift else [0.1, 0.1, 0.3, 0.5]
    return pd.DataFrame(
        {
            "amount": rng.lognormal(3 + shift, 1, n),
            "merchant": rng.choice(merchants, n, p=weights),
            "age": age,
        }
    )


@tracked_task
def load_shard(shard: int, out: Path) -> Path:
    out.write_text("".join(f"{shard},{i},{(i * shard) % 17}\n" for i in range(50)))
    return out


@tracked_task
def featurize(raw: Path, out: Path) -> Path:
    out.write_text("".join(f"{line},f\n" for line in raw.read_text().splitlines()))
    return out


@tracked_task
def normalize(schema: str, out: Path) -> Path:
    out.write_text(f"schema={schema}\n")  # the same bytes every time
    return out


@tracked_task
def train(data: pd.DataFrame, depth: int, out: Path) -> str:
    for step in range(5):
        log_metric("loss", 1.0 / (depth + step + 1), step=step)
    out.write_bytes(pickle.dumps({"depth": depth, "rows": len(data)}))
    return trackline.register_model("fraud", out, depth=depth).ref


@tracked_task
def evaluate(model_ref: str, holdout: pd.DataFrame, accuracy: float) -> float:
    low = accuracy if accuracy < 0.8 else accuracy - 0.05
    trackline.log_evaluation(
        model_ref,
        dataset=holdout,
        dataset_name="holdout",
        metrics={"accuracy": accuracy, "f1": accuracy - 0.02},
        slices={"online": {"accuracy": low}, "grocery": {"accuracy": accuracy + 0.01}},
    )
    log_metric("accuracy", accuracy)
    return accuracy


@tracked_task
def score(batch: pd.DataFrame) -> int:
    return len(batch)


@tracked_task
def retrain(reason: str) -> int:
    return len(reason)


class Retrainer(BaseHTTPRequestHandler):
    """A retraining service behind a webhook: it runs a (tracked) retraining pipeline and answers
    with that pipeline run's id, which the firing keeps."""

    def do_POST(self):  # noqa: N802 - http.server's naming
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with pipeline_run("fraud-retrain") as pr:
            retrain(body["reason"])
        out = json.dumps({"accepted": True, "pipeline_run_id": pr.id}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *args):
        pass


def fire_retraining() -> list[str]:
    hook = ThreadingHTTPServer(("127.0.0.1", 0), Retrainer)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{hook.server_address[1]}/retrain"
    policy = parse_policy(
        {
            "name": "fraud-retrain",
            "rules": [
                {
                    "name": "drift",
                    "when": {
                        "drift": {
                            "reference": "task:train/data",
                            "current": "task:score/batch@last",
                        }
                    },
                    "action": {"type": "webhook", "url": url},
                }
            ],
        }
    )
    try:
        return [o.status for o in evaluate_policy(policy)]
    finally:
        hook.shutdown()
        hook.server_close()


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    policy = out / "policy.yaml"
    policy.write_text(POLICY)
    ids: dict = {}
    with pipeline_run("fraud-features") as pr:
        for i in range(SHARDS):
            featurize(load_shard(i, out / f"shard-{i:02d}.csv"), out / f"features-{i:02d}.csv")
        for _ in range(12):
            normalize("v1", out / "schema.txt")
        ids["features"] = pr.id
    training = batch(3000, 1)
    holdout = batch(500, 2)
    decisions, refused = {}, []
    with pipeline_run("fraud-train") as pr:
        for depth, accuracy in ((1, 0.85), (2, 0.7), (3, 0.9)):
            ref = train(training, depth, out / f"fraud-depth{depth}.pkl")
            evaluate(ref, holdout, accuracy)
            decision = trackline.check_gate(ref, policy)
            decisions[ref] = {"id": decision.id, "passed": decision.passed}
            try:
                trackline.promote(ref, alias="production", decision=decision.id)
            except PromotionRefused:
                refused.append(ref)
        reports = []
        for seed, shift in ((3, 0.0), (4, 0.0), (5, 1.5)):
            score(batch(1000, seed, shift))
            reports.append(trackline.check_drift("task:train/data", "task:score/batch@last").id)
        ids["train"] = pr.id
    ids.update(decisions=decisions, refused=refused, reports=reports)
    ids["trigger"] = fire_retraining()
    print(json.dumps(ids))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
