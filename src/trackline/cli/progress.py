"""A progress bar with bytes and rate, on a terminal only: quiet in pipes and under ``--json``."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["byte_progress"]


@contextmanager
def byte_progress(
    label: str, total: int | None, *, quiet: bool = False
) -> Iterator[Callable[[int], None] | None]:
    """Yields a ``progress(n_bytes)`` callback, or None when no bar is shown."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    try:
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )
    except ImportError:  # rich is optional (pip install 'trackline[progress]')
        yield None
        return
    from rich.console import Console

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)
