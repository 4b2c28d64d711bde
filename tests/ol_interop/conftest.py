"""A real pipeline recorded in a fresh SQLite store, with a registered, evaluated, gated model."""

from __future__ import annotations

import os
import pickle
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class Consumer:
    """A loopback OpenLineage consumer: collects every POSTed event body."""

    def __init__(self) -> None:
        self.events: list[dict] = []
        consumer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                import json

                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                consumer.events.append(json.loads(body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def consumer():
    c = Consumer()
    yield c
    c.close()


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """Runs in a fresh SQLite store: a pipeline of a CSV-cleaning task, a training task that
    returns a model (registered, evaluated, gated) and a failing task."""
    import pandas as pd

    import trackline
    from trackline.client import configure, connect
    from trackline.config import clear_override

    home = tmp_path_factory.mktemp("ol-home")
    data = home / "raw.csv"
    pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "y": [0, 1, 0, 1]}).to_csv(data, index=False)
    url = f"sqlite:///{home / 'store.db'}"
    configure(store=url, home=str(home))
    client = connect()

    @trackline.tracked_task(name="clean")
    def clean(path: os.PathLike, threshold: float = 0.5):
        df = pd.read_csv(path)
        trackline.log_metric("rows", len(df))
        return df[df.x > threshold]

    @trackline.tracked_task(name="train")
    def train(df, lr: float = 0.1):
        for step, loss in enumerate([0.9, 0.5, 0.3]):
            trackline.log_metric("loss", loss, step=step)
        model_path = home / "model.pkl"
        model_path.write_bytes(pickle.dumps({"weights": [0.1, 0.2], "lr": lr}))
        return model_path

    @trackline.tracked_task(name="publish")
    def publish(model):
        raise RuntimeError("registry unreachable")

    with pytest.raises(RuntimeError):
        with trackline.pipeline_run("churn", team="ml") as pipe:
            frame = clean(data)
            model_path = train(frame)
            publish(model_path)
    mv = trackline.register_model("churn", model_path, store=client.store)
    holdout = home / "holdout.csv"
    holdout.write_text("x,y\n1,0\n2,1\n")
    trackline.log_evaluation(
        mv, dataset=holdout, dataset_name="holdout", metrics={"accuracy": 0.91}, store=client.store
    )
    policy = {"name": "prod", "rules": [{"metric": "accuracy", "dataset": "holdout", "min": 0.9}]}
    from trackline.gates.policy import parse_policy

    trackline.check_gate("churn", parse_policy(policy), mv.version, store=client.store)
    yield {"store": client.store, "url": url, "home": home, "pipeline_run": pipe.id}
    clear_override()
