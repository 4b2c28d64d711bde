"""Flows the Prefect tests run (importable, so process-pool workers can unpickle their tasks)."""

from __future__ import annotations

import threading

from prefect.cache_policies import NO_CACHE
from prefect.context import TaskRunContext
from prefect.task_runners import ProcessPoolTaskRunner

import trackline
from prefect import flow, task
from trackline.prefect import flow_hooks, tracked_flow, tracked_task

CALLS: list[str] = []


@task
def load(n: int) -> list[int]:
    """Undecorated: recorded by the task hooks a tracked flow adds, and from the Prefect API."""
    return list(range(n))


@task
@tracked_task
def scale(values: list[int], factor: int = 2) -> list[int]:
    return [v * factor for v in values]


@task
def square(x: int) -> int:
    return x * x


@task(retries=2, retry_delay_seconds=0)
@tracked_task
def flaky_sum(values: list[int], squares: list[int]) -> int:
    """Fails on its first attempt, succeeds on the second."""
    if TaskRunContext.get().task_run.run_count < 2:
        raise ConnectionError("transient outage")
    trackline.log_metric("total", sum(values) + sum(squares))
    return sum(values) + sum(squares)


@task
def make_lock() -> threading.Lock:
    """Returns a value trackline cannot hash: lineage still comes from Prefect's task inputs."""
    return threading.Lock()


@task(cache_policy=NO_CACHE)  # Prefect itself cannot hash a lock for its cache key
def use_lock(lock: threading.Lock, total: int) -> str:
    return f"{total}:{lock.locked()}"


@tracked_flow(name="acceptance-flow")
def acceptance_flow(n: int = 4, factor: int = 3) -> str:
    values = load(n)
    scaled = scale.submit(values, factor)
    squares = square.map(values)
    total = flaky_sum.submit(scaled, squares)
    return use_lock(make_lock(), total)


@task(retries=1, retry_delay_seconds=0)
@tracked_task
def always_fails(x: int) -> int:
    raise ValueError(f"bad input {x}")


@task(retries=1, retry_delay_seconds=0)
def plain_always_fails(x: int) -> int:
    raise ValueError(f"bad plain input {x}")


@tracked_flow(name="failing-flow", retries=0)
def failing_flow(x: int = 7) -> int:
    first = plain_always_fails.submit(x)
    return always_fails(x) + first.result()


def _user_hook(flow, flow_run, state) -> None:
    CALLS.append(f"{flow.name}:{state.type.value}")


@flow(name="hooked-flow", **flow_hooks(on_completion=[_user_hook]))
def hooked_flow(word: str = "hi") -> int:
    return square(len(word))


@flow(name="untracked-flow")
def untracked_flow() -> int:
    return square(2)


@tracked_flow(name="tracked-with-hooks", on_completion=[_user_hook], log_prints=True)
def tracked_with_hooks() -> int:
    return square(3)


@task
@tracked_task
def cube(x: int) -> dict[str, int]:
    return {"x": x, "cube": x**3}


@task
@tracked_task
def plus_one(row: dict[str, int]) -> int:
    return row["cube"] + 1


@task
def count(values: list[int]) -> int:
    return len(values)


@tracked_flow(name="pool-flow", task_runner=ProcessPoolTaskRunner(max_workers=2))
def pool_flow(xs: list[int]) -> list[int]:
    # The process pool resolves futures before shipping a task, so Prefect records no upstream
    # task_inputs here: these links come from content digests (decorated tasks) alone.
    cubes = cube.map(xs)
    results = [f.result() for f in plus_one.map(cubes)]
    count(results)
    square.map(xs).wait()  # undecorated, in the workers: recorded there by the task hooks
    return results


@task(persist_result=True)
def make_rows(n: int) -> list[dict]:
    """Undecorated, but Prefect persists its result: trackline reads it back and hashes it."""
    return [{"i": i, "square": i * i} for i in range(n)]


@task
@tracked_task
def sum_squares(rows: list[dict]) -> int:
    return sum(r["square"] for r in rows)


@tracked_flow(name="persisted-flow")
def persisted_flow(n: int = 5) -> int:
    return sum_squares(make_rows(n))


@task
@tracked_task
async def fetch(n: int) -> list[int]:
    return list(range(n))


@tracked_flow(name="async-flow")
async def async_flow(n: int = 3) -> int:
    values = await fetch(n)
    return square(len(values))
