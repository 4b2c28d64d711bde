"""Airflow provider metadata (entry point ``apache_airflow_provider``): registers ``@task.tracked``.

``package-name`` must equal the distribution name or Airflow's discovery raises; the runtime
reads the decorator's dotted path from ``class-name`` (the schema documents ``path``: both given).
"""

from __future__ import annotations

from typing import Any

from ..._version import __version__

__all__ = ["get_provider_info"]

_DECORATOR = "trackline.integrations.airflow.decorator.tracked_python_task"


def get_provider_info() -> dict[str, Any]:
    return {
        "package-name": "trackline",
        "name": "trackline",
        "description": (
            "Run records, content-addressed lineage and promotion gates for ML pipelines."
        ),
        "versions": [__version__],
        "task-decorators": [{"name": "tracked", "class-name": _DECORATOR, "path": _DECORATOR}],
    }
