"""A tracked pipeline run as its own process, emitting OpenLineage events live (test helper)."""

import sys

import trackline


@trackline.tracked_task(name="square")
def square(x: int) -> int:
    trackline.log_metric("x", x)
    return x * x


@trackline.tracked_task(name="total")
def total(values: list) -> int:
    return sum(values)


if __name__ == "__main__":
    with trackline.pipeline_run("numbers"):
        result = total([square(i) for i in range(3)])
    print(result)
    sys.exit(0 if result == 5 else 3)
