"""The ``[trackline]`` section of Airflow's configuration (``AIRFLOW__TRACKLINE__*`` env vars).

Where trackline writes is trackline's own setting (``TRACKLINE_STORE``), the same for every
entry point; Airflow's config only switches the zero-code listener on.
"""

from __future__ import annotations

__all__ = ["capture_all_tasks", "record_dag_runs"]


def _conf():
    try:
        from airflow.sdk.configuration import conf
    except ImportError:  # pragma: no cover - older layouts
        from airflow.configuration import conf
    return conf


def capture_all_tasks() -> bool:
    """``[trackline] capture_all_tasks``: record every task instance (default off)."""
    return _conf().getboolean("trackline", "capture_all_tasks", fallback=False)


def record_dag_runs() -> bool:
    """``[trackline] record_dag_runs``: dag runs as pipeline runs (default: as
    capture_all_tasks)."""
    return _conf().getboolean("trackline", "record_dag_runs", fallback=capture_all_tasks())
