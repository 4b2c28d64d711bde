"""What ``trackline drift`` compares: artifact references and time windows of a task's data.

Syntax (one string per side):

* ``DIGEST`` / unique digest prefix / artifact name: one stored artifact;
* ``task:NAME/SLOT@WINDOW``: the artifacts task ``NAME`` read in argument ``SLOT`` in the runs
  of ``WINDOW`` (``input:`` is a synonym; ``output:NAME/SLOT@WINDOW`` takes what it wrote, e.g.
  ``output:train/return``); their profiles are merged into one;
* ``WINDOW`` is ``last`` (the newest run, the default), ``last:N`` (the newest N runs), or
  ``SINCE..UNTIL`` with ISO dates/times (UTC unless they carry an offset), relative times such
  as ``-7d``, ``-12h``, ``-30m`` (from now), ``now``, or nothing for an open end;
* ``/SLOT`` may be left out when the task has exactly one profiled slot;
* a path to a local CSV/TSV/Parquet file is profiled on the spot (handy for a new batch).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ..errors import InvalidInput, NotFound
from ..model.monitoring import DataRef
from ..model.runs import Artifact
from ..profiles.profile import merge_profiles

__all__ = ["Side", "parse_task_ref", "parse_window", "resolve"]

_RELATIVE = re.compile(r"^-(\d+(?:\.\d+)?)([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_TASK = re.compile(
    r"^(task|input|output):(?P<name>[^/@]+)(?:/(?P<slot>[^@]+))?(?:@(?P<window>.*))?$"
)


@dataclass
class Side:
    """A resolved side: the merged profile and the artifacts it came from."""

    ref: str
    profile: dict[str, Any]
    artifacts: list[Artifact]
    label: str | None = None
    runs: list[str] = field(default_factory=list)

    def data_ref(self) -> DataRef:
        return DataRef(
            ref=self.ref,
            digests=[a.digest for a in self.artifacts],
            rows=int(self.profile.get("rows", 0)),
            label=self.label,
        )


def parse_time(text: str, now: datetime) -> datetime | None:
    text = text.strip()
    if not text:
        return None
    if text == "now":
        return now
    m = _RELATIVE.match(text)
    if m:
        return now - timedelta(**{_UNITS[m.group(2)]: float(m.group(1))})
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            f"bad time {text!r}: use an ISO date/time (2026-11-01, 2026-11-01T12:00), "
            "a relative time (-7d, -12h, -30m), or 'now'"
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def parse_window(text: str | None, now: datetime | None = None):
    """``('last', N)`` or ``('range', since, until)``."""
    now = now or datetime.now(UTC)
    if text is None or text == "" or text == "last":
        return ("last", 1)
    if text.startswith("last:"):
        try:
            n = int(text[5:])
        except ValueError:
            n = 0
        if n < 1:
            raise InvalidInput(f"bad window {text!r}: 'last:N' needs a whole number N >= 1")
        return ("last", n)
    if ".." not in text:
        raise InvalidInput(
            f"bad window {text!r}: use last, last:N, or SINCE..UNTIL (e.g. -7d..now)"
        )
    since_s, until_s = text.split("..", 1)
    since, until = parse_time(since_s, now), parse_time(until_s, now)
    if since and until and since >= until:
        raise InvalidInput(f"empty window {text!r}: its start is not before its end")
    return ("range", since, until)


def parse_task_ref(ref: str) -> tuple[str, str, str | None, tuple] | None:
    m = _TASK.match(ref)
    if not m:
        return None
    direction = "output" if m.group(1) == "output" else "input"
    return direction, m.group("name"), m.group("slot"), parse_window(m.group("window"))


def resolve(
    ref: Any, store: Any, *, profile_mode: str = "full", sample_rows: int = 100_000
) -> Side:
    """Turn a reference (string, path, DataFrame, Artifact or profile dict) into a ``Side``."""
    if isinstance(ref, Side):
        return ref
    if isinstance(ref, Artifact):
        return _from_artifacts(ref.name or ref.digest, [ref])
    if isinstance(ref, dict) and "columns" in ref:
        return Side(ref="<profile>", profile=ref, artifacts=[])
    if isinstance(ref, os.PathLike) or (isinstance(ref, str) and _looks_like_file(ref)):
        return _from_value(Path(ref), str(ref), profile_mode, sample_rows)
    if type(ref).__module__.startswith("pyspark"):  # profiled on the cluster, per partition
        from ..profiles.spark import profile_spark

        return Side(ref=f"<spark {type(ref).__name__}>", profile=profile_spark(ref), artifacts=[])
    if type(ref).__module__.split(".")[0] in ("pandas", "polars", "pyarrow"):
        return _from_value(ref, f"<{type(ref).__name__}>", profile_mode, sample_rows)
    if not isinstance(ref, str) or not ref.strip():
        raise InvalidInput(
            f"cannot compare {type(ref).__name__} values: give an artifact digest or "
            "name, a task:NAME/SLOT@WINDOW reference, a file path or a DataFrame"
        )
    parsed = parse_task_ref(ref.strip())
    if parsed is None:
        return _from_artifacts(ref, [store.get_artifact(ref.strip())])
    return _from_window(ref, store, *parsed)


def _looks_like_file(ref: str) -> bool:
    return ref.lower().endswith((".csv", ".tsv", ".parquet", ".pq")) and os.path.isfile(ref)


def _from_value(value: Any, label: str, mode: str, sample_rows: int) -> Side:
    from ..capture.artifacts import describe
    from ..profiles.profile import profile_frame, profile_path

    art = describe(value)
    if art.profile is None:  # profiling is off globally: this comparison still needs one
        if isinstance(value, Path):
            art.profile = profile_path(value, "full" if mode == "off" else mode, sample_rows)
        else:
            art.profile = profile_frame(value, "full" if mode == "off" else mode, sample_rows)
    return _from_artifacts(label, [art])


def _from_artifacts(ref: str, arts: list[Artifact]) -> Side:
    missing = [a for a in arts if not a.profile]
    if missing:
        a = missing[0]
        raise InvalidInput(
            f"artifact {a.name or a.digest[:12]} ({a.kind}) has no data profile: only tabular data "
            "(DataFrames, CSV/Parquet files) recorded with profiling on (TRACKLINE_PROFILE=sampled "
            "or full) can be compared"
        )
    label = arts[0].name if len(arts) == 1 else f"{len(arts)} artifacts"
    return Side(
        ref=ref, profile=merge_profiles([a.profile for a in arts]), artifacts=arts, label=label
    )


def _from_window(
    ref: str, store: Any, direction: str, task: str, slot: str | None, window: tuple
) -> Side:
    if window[0] == "range":
        items = store.window_artifacts(task, direction, slot, window[1], window[2])
    else:
        items = store.window_artifacts(task, direction, slot, None, None)
    items = [it for it in items if it[3].profile]
    if not items:
        what = f"slot {slot!r} of " if slot else ""
        raise NotFound(
            f"no profiled {direction}s in {what}runs of task {task!r} in {ref!r} "
            "(check the task name with `trackline runs --name`)"
        )
    slots = sorted({it[1] for it in items})
    if slot is None and len(slots) > 1:
        raise InvalidInput(
            f"task {task!r} has several profiled {direction} slots ({', '.join(slots)}): "
            f"pick one, e.g. {ref.split('@')[0]}/{slots[0]}"
        )
    if window[0] == "last":
        runs: list[str] = []
        for run_id, *_ in items:
            if run_id not in runs:
                runs.append(run_id)
        keep = set(runs[: window[1]])
        items = [it for it in items if it[0] in keep]
    unique: dict[str, Artifact] = {}
    for _, _, _, art in items:
        unique.setdefault(art.digest, art)
    side = _from_artifacts(ref, list(unique.values()))
    side.runs = list(dict.fromkeys(it[0] for it in items))
    side.label = f"{task}/{slots[0] if len(slots) == 1 else slot} ({len(side.runs)} run(s))"
    return side
