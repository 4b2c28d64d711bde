"""A small real pipeline for the artifact-store tests: features (CSV + DataFrame), a model
file, and an optional nondeterministic step. Prints its run ids as JSON on the last line."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pandas as pd

from trackline import current_run, tracked_task


@tracked_task
def make_features(n: int, out: Path) -> pd.DataFrame:
    df = pd.DataFrame({"x": range(n), "y": [i % 7 for i in range(n)]})
    df.to_csv(out, index=False)
    return df


@tracked_task
def train(data: Path, model_path: Path, seed: int = 0) -> float:
    raw = data.read_bytes()
    model_path.write_bytes(raw[::-1] + bytes([seed % 256]) * 64)
    return round(len(raw) / 1000, 3)


@tracked_task
def noisy(data: Path, out: Path) -> None:
    out.write_bytes(data.read_bytes()[:100] + os.urandom(16))  # different bytes every call


def main(outdir: str, n: int, with_noise: bool) -> dict:
    d = Path(outdir)
    d.mkdir(parents=True, exist_ok=True)
    ids = {}
    make_features(n, d / "features.csv")
    ids["features"] = last_id()
    train(d / "features.csv", d / "model.pkl", seed=1)
    ids["train"] = last_id()
    if with_noise:
        noisy(d / "features.csv", d / "noise.bin")
        ids["noisy"] = last_id()
    return ids


def last_id() -> str:
    from trackline import connect

    return connect().runs(limit=1)[0].id


if __name__ == "__main__":
    assert current_run() is None
    print(json.dumps(main(sys.argv[1], int(sys.argv[2]), "--noise" in sys.argv)))
