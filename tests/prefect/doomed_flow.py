"""A flow that never finishes on its own: the crash tests kill its process mid-task.

Usage: python doomed_flow.py MARKER_FILE
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from prefect import task
from trackline.prefect import tracked_flow, tracked_task


@task
def prepare(x: int) -> int:
    return x + 1


@task
@tracked_task
def train_forever(step: int, marker: str) -> None:
    Path(marker).write_text("training")
    time.sleep(600)


@tracked_flow(name="doomed-flow", settle_timeout=5)
def doomed_flow(marker: str) -> None:
    train_forever(prepare(1), marker)


if __name__ == "__main__":
    doomed_flow(sys.argv[1])
