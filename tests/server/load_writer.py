"""One writer process of the load test: tracked tasks plus retried batches through the server.

``python load_writer.py INDEX TASKS BATCHED`` with TRACKLINE_STORE/TRACKLINE_TOKEN set.
"""

from __future__ import annotations

import sys
import threading
import uuid

import trackline
from trackline import log_metric, pipeline_run, tracked_task
from trackline.model.runs import Metric, TaskRun, utcnow
from trackline.store.http import HttpStore


@tracked_task
def work(i: int) -> int:
    for step in range(3):
        log_metric("m", i + step, step=step)
    return i


def main() -> None:
    index, tasks, batched = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    pipeline = f"load-{index}"
    with pipeline_run(pipeline):
        for i in range(tasks):
            work(i)
    # Explicit records sent twice at once from two threads: a retried request racing its original.
    store = HttpStore(trackline.config.settings().store_url)
    runs = []
    for i in range(batched):
        rid = uuid.uuid4().hex
        runs.append(
            TaskRun(
                id=rid,
                name="batched",
                pipeline=pipeline,
                status="success",
                ended_at=utcnow(),
                params={"i": i},
                metrics=[Metric(id=f"{rid}-{s}", key="m", value=s, step=s) for s in range(3)],
            )
        )
    threads = [
        threading.Thread(target=store.write_batch, kwargs={"task_runs": runs}) for _ in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


if __name__ == "__main__":
    main()
