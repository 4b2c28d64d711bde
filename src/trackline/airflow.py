"""trackline for Apache Airflow 3: everything a DAG author imports.

    from trackline.airflow import TrackedPythonOperator, tracked, PromotionGateOperator

``@task.tracked`` needs no import (Airflow finds it through trackline's provider entry point),
and the listener needs only ``[trackline] capture_all_tasks = True``. Needs ``trackline[airflow]``.
"""

from __future__ import annotations

try:
    from .integrations.airflow.decorator import TrackedDecoratedOperator, tracked_python_task
    from .integrations.airflow.gate import PromotionGateOperator
    from .integrations.airflow.operators import TrackedOperatorMixin, TrackedPythonOperator, tracked
except ImportError as exc:  # pragma: no cover - exercised only without the extra installed
    if exc.name and exc.name.split(".")[0] == "airflow":
        raise ImportError(
            "trackline.airflow needs Apache Airflow 3 and its standard provider: "
            "pip install 'trackline[airflow]'"
        ) from exc
    raise

from .capture import (
    Kind,
    log_artifact,
    log_metric,
    log_metrics,
    log_param,
    log_params,
    tracked_task,
)

__all__ = [
    "TrackedPythonOperator",
    "TrackedOperatorMixin",
    "tracked",
    "tracked_python_task",
    "TrackedDecoratedOperator",
    "PromotionGateOperator",
    "tracked_task",
    "Kind",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "log_artifact",
]
