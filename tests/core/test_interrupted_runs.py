"""A run stopped from outside (a signal, Ctrl-C) is crashed; an exception in its code is failed."""

from __future__ import annotations

import pytest

import trackline
from trackline import tracked_task


class _Terminated(BaseException):
    """What orchestrators raise on SIGTERM (Prefect's TerminationSignal is a BaseException)."""


@pytest.mark.parametrize(
    ("exc", "status"),
    [
        (ValueError("bad"), "failed"),
        (KeyboardInterrupt(), "crashed"),
        (_Terminated(), "crashed"),
    ],
)
def test_status_of_a_run_that_raised(exc, status):
    @tracked_task
    def step() -> None:
        raise exc

    with pytest.raises(type(exc)):
        step()
    [run] = trackline.connect().runs()
    assert run.status == status
    assert trackline.connect().run(run.id).error is not None
