"""What an operator tells us without running it: template fields, inlets/outlets, its class.

Shared by the listener and the tracked operators so both record the same facts the same way.
"""

from __future__ import annotations

from typing import Any

from ...capture.artifacts import is_json_value, json_size
from ...capture.recorder import RunRecorder

__all__ = ["record_operator_facts", "asset_uri", "operator_path"]

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
    for direction, items in (("input", getattr(task, "inlets", None)), ("output", getattr(task, "outlets", None))):
        for item in items or ():
            found = asset_uri(item)
            if found is not None:
                uri, name = found
                rec.log_artifact(uri, name=name or uri, kind="uri", direction=direction)
