"""Output helpers shared by every command: JSON for machines, aligned tables for people."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import click
from pydantic import BaseModel

from ..model.runs import json_float

__all__ = ["emit_json", "table", "fmt_time", "fmt_duration", "fail"]


def _plain(value: Any) -> Any:
    """``value`` as strict JSON values: NaN and the infinities as the strings records use
    (``ser_json_inf_nan="strings"``), since JSON has no literal for them."""
    if isinstance(value, BaseModel):
        return _plain(value.model_dump(mode="json"))
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, float):
        return json_float(value)
    return value


def emit_json(value: Any) -> None:
    click.echo(json.dumps(_plain(value), indent=2, default=str))


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    rows = [
        ["" if c is None else str(json_float(c) if type(c) is float else c) for c in r]
        for r in rows
    ]
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
    click.echo("  ".join(h.upper().ljust(w) for h, w in zip(headers, widths)).rstrip())
    for r in rows:
        click.echo("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())


def fmt_time(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else ""


def fmt_duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 1:
        return f"{seconds * 1000:.1f}ms"
    if seconds < 120:
        return f"{seconds:.2f}s"
    return f"{seconds / 60:.1f}m"


def fail(message: str, code: int = 1) -> None:
    """One clear line on stderr and a non-zero exit; never a traceback."""
    click.echo(f"error: {message}", err=True)
    sys.exit(code)
