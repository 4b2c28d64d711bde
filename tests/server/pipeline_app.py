"""A small real ML pipeline recorded through whatever TRACKLINE_STORE points at.

Run as a script by the server tests (in its own process, like a worker would):
``python pipeline_app.py OUT_DIR LR [--fail]``. Prints the pipeline run id and task run ids as JSON.
"""

from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path

import trackline
from trackline import log_metric, pipeline_run, tracked_task


@tracked_task
def prepare(rows: int, out: Path) -> Path:
    out.write_text("\n".join(f"{i},{(i * 7) % 13}" for i in range(rows)))
    return out


@tracked_task
def train(data: Path, lr: float, epochs: int, model_out: Path) -> Path:
    values = [int(line.split(",")[1]) for line in data.read_text().splitlines()]
    loss = 1.0
    for epoch in range(epochs):
        loss = loss * (1 - lr) + 0.01 * math.sin(epoch)
        log_metric("loss", loss, step=epoch)
        log_metric("accuracy", 1 - loss / 2, step=epoch)
        busy_until = time.monotonic() + 0.06  # burn CPU so resources get sampled
        while time.monotonic() < busy_until:
            sum(values)
    model_out.write_text(json.dumps({"lr": lr, "loss": loss}))
    return model_out


@tracked_task
def evaluate(model: Path, data: Path) -> dict:
    score = 1 - json.loads(model.read_text())["loss"]
    log_metric("score", score)
    return {"score": score}


@tracked_task
def publish(model: Path, target: str) -> None:
    raise RuntimeError(f"registry {target} refused the upload")


def main() -> None:
    out, lr, fail = Path(sys.argv[1]), float(sys.argv[2]), "--fail" in sys.argv
    out.mkdir(parents=True, exist_ok=True)
    ids: dict[str, object] = {}
    with pipeline_run("churn-model", lr=lr) as pipe:
        data = prepare(200, out / "data.csv")
        model = train(data, lr, 12, out / f"model-{lr}.json")
        evaluate(model, data)
        if fail:
            try:
                publish(model, "s3://models")
            except RuntimeError:
                pass
        ids["pipeline_run_id"] = pipe.id
    runs = trackline.connect().runs(pipeline_run_id=ids["pipeline_run_id"], limit=100)
    ids["task_runs"] = {r.name: r.id for r in runs}
    print(json.dumps(ids))


if __name__ == "__main__":
    main()
