"""What an operator tells us without running it: template fields, inlets/outlets, its class.

Shared by the listener and the tracked operators so both record the same facts the same way.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

from ...capture.artifacts import is_json_value, json_size
from ...capture.recorder import RunRecorder

__all__ = ["record_operator_facts", "record_call", "is_tracked", "asset_uri", "operator_path"]

# Recorded as call arguments by the tracked Python operators, never as template params.
_ARGUMENT_FIELDS = frozenset({"op_args", "op_kwargs", "templates_dict"})


def operator_path(task: Any) -> str:
    cls = type(task)
    return f"{cls.__module__}.{cls.__qualname__}"


def asset_uri(obj: Any) -> tuple[str, str | None] | None:
    """(URI, name) of an inlet/outlet: an ``Asset``, anything with a ``uri``, or a URI string."""
    uri = getattr(obj, "uri", None) if not isinstance(obj, str) else obj
    if not uri:
        return None
    uri = str(uri)
    if "://" not in uri:  # a name-only Asset: still a URI artifact, never a value or a path
        uri = f"airflow-asset://{uri}"
    name = getattr(obj, "name", None)
    return uri, (str(name) if name else None)


def record_operator_facts(rec: RunRecorder, task: Any) -> None:
    """Rendered template fields become params; inlets/outlets become URI artifacts."""
    rec.external_ids.setdefault("operator", operator_path(task))
    limit = rec.config.max_param_bytes
    for field in getattr(task, "template_fields", ()) or ():
        if field in _ARGUMENT_FIELDS:
            continue
        value = getattr(task, field, None)
        if value is None or value == "" or value == {} or value == []:
            continue
        if not is_json_value(value):
            value = str(value)
        if json_size(value) <= limit:
            rec.log_param(field, value)
    for direction, items in (
        ("input", getattr(task, "inlets", None)),
        ("output", getattr(task, "outlets", None)),
    ):
        for item in items or ():
            found = asset_uri(item)
            if found is not None:
                uri, name = found
                rec.log_artifact(uri, name=name or uri, kind="uri", direction=direction)


def is_tracked(task: Any) -> bool:
    """A tracked operator or a ``@tracked_task`` callable records its own arguments and result."""
    return bool(
        getattr(task, "__trackline_task__", False)
        or getattr(getattr(task, "python_callable", None), "__trackline_task__", False)
    )


def record_call(rec: RunRecorder, fn: Any, op_args: Any, op_kwargs: Any) -> None:
    """The arguments a Python operator passes to its callable, as the recorder's inputs/params.

    Bound partially: before ``execute`` Airflow has not yet added the context arguments a
    callable may ask for (``ti``, ``ds``...), and those are not inputs anyway.
    """
    bound = inspect.signature(fn).bind_partial(*(op_args or ()), **(op_kwargs or {}))
    bound.apply_defaults()
    args: dict[str, Any] = {}
    for name, value in bound.arguments.items():
        kind = bound.signature.parameters[name].kind
        if kind is inspect.Parameter.VAR_POSITIONAL:
            args.update({f"{name}[{i}]": v for i, v in enumerate(value)})
        elif kind is inspect.Parameter.VAR_KEYWORD:
            args.update(value)
        elif _is_lazy_sequence(value):
            # The results of a mapped task: one input per element, so each links to its producer.
            args.update({f"{name}[{i}]": item for i, item in enumerate(value)})
        else:
            args[name] = value
    rec.record_arguments(args)


def _is_lazy_sequence(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(
        value, (str, bytes, bytearray, list, tuple)
    )
