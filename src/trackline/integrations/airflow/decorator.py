"""``@task.tracked``: TaskFlow's ``@task`` whose operator is ``TrackedPythonOperator``.

Airflow finds it through the provider entry point (see ``provider.py``). It accepts everything
``@task`` accepts. The operator base TaskFlow uses (``DecoratedOperator`` + a Python operator,
mirrored from the standard provider's private ``_PythonDecoratedOperator``) is the one piece
here that tracks Airflow internals; it lives only in this module.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from airflow.sdk.bases.decorator import DecoratedOperator, task_decorator_factory

from .operators import TrackedPythonOperator

__all__ = ["tracked_python_task", "TrackedDecoratedOperator"]


class TrackedDecoratedOperator(DecoratedOperator, TrackedPythonOperator):
    template_fields: Sequence[str] = ("templates_dict", "op_args", "op_kwargs")
    template_fields_renderers = {"templates_dict": "json", "op_args": "py", "op_kwargs": "py"}
    custom_operator_name: str = "@task.tracked"

    def __init__(
        self, *, python_callable: Callable, op_args: Any, op_kwargs: Any, **kwargs: Any
    ) -> None:
        super().__init__(
            kwargs_to_upstream={
                "python_callable": python_callable,
                "op_args": op_args,
                "op_kwargs": op_kwargs,
            },
            python_callable=python_callable,
            op_args=op_args,
            op_kwargs=op_kwargs,
            **kwargs,
        )


def tracked_python_task(
    python_callable: Callable | None = None, multiple_outputs: bool | None = None, **kwargs: Any
) -> Any:
    """``@task.tracked`` / ``@task.tracked(retries=2, ...)``: a TaskFlow task recorded by
    trackline."""
    return task_decorator_factory(
        python_callable=python_callable,
        multiple_outputs=multiple_outputs,
        decorated_operator_class=TrackedDecoratedOperator,
        **kwargs,
    )
