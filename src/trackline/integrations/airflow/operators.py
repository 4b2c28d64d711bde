"""Drop-in tracked operators: ``TrackedPythonOperator`` and ``tracked(AnyOperator)``.

The mixin wraps ``execute``: it joins (or opens) the task instance's recorder, records the
return value (the XCom) as an output, and closes the run with Airflow's view of the outcome
(success, up_for_retry, failed, skipped). ``TrackedPythonOperator`` also records the
callable's arguments, through the same capture core as ``@tracked_task``.
"""

from __future__ import annotations

import functools
from typing import Any, TypeVar

from airflow.providers.standard.operators.python import PythonOperator

from ...config import settings
from ...model.runs import RunStatus
from . import recording
from .facts import record_call
from .identity import injected_context

__all__ = ["TrackedOperatorMixin", "TrackedPythonOperator", "tracked"]

OperatorClass = TypeVar("OperatorClass", bound=type)

# Control-flow exceptions that end ``execute`` without ending the task instance.
_NOT_AN_END = frozenset({"TaskDeferred", "AirflowRescheduleException"})


class TrackedOperatorMixin:
    """Put before an operator class (``class MyOp(TrackedOperatorMixin, BaseOperator)``)."""

    __trackline_task__ = True  # the listener leaves arguments and results to us

    def execute(self, context: Any, **kwargs: Any) -> Any:
        # ``kwargs`` carries Airflow's ExecutorSafeguard sentinel through to the real execute.
        if settings().disabled:
            return super().execute(context, **kwargs)
        ti = context["ti"]
        opened = recording.guarded("opening the task run", recording.open_recorder, ti, self)
        if opened is None:
            return super().execute(context, **kwargs)
        rec, owner = opened
        rec.injected.update(
            recording.guarded("reading the context", injected_context, context) or {}
        )
        try:
            result = super().execute(context, **kwargs)
        except BaseException as exc:
            if type(exc).__name__ in _NOT_AN_END:
                if owner:
                    recording.discard(ti)
            elif owner:
                recording.close(ti, recording.failure_status(ti, exc), exc)
            raise
        rec.record_result(result)
        if owner:
            recording.close(ti, RunStatus.SUCCESS.value)
        return result


class TrackedPythonOperator(TrackedOperatorMixin, PythonOperator):
    """``PythonOperator`` that records its callable's arguments, result, resources and status."""

    def execute_callable(self) -> Any:
        from airflow.sdk import get_current_context

        context = get_current_context()
        rec = recording.current(context["ti"])
        if rec is not None:
            # PythonOperator.execute merged more context (templates_dict) since the mixin looked.
            rec.injected.update(
                recording.guarded("reading the context", injected_context, context) or {}
            )
            recording.guarded(
                "recording arguments",
                record_call,
                rec,
                self.python_callable,
                self.op_args,
                self.op_kwargs,
            )
        return super().execute_callable()


@functools.cache
def tracked(operator_class: OperatorClass) -> OperatorClass:
    """A tracked subclass of any operator class: ``tracked(BashOperator)(task_id=..., ...)``."""
    if not (
        isinstance(operator_class, type) and callable(getattr(operator_class, "execute", None))
    ):
        raise TypeError(f"tracked() takes an operator class, got {operator_class!r}")
    if issubclass(operator_class, TrackedOperatorMixin):
        return operator_class
    name = f"Tracked{operator_class.__name__}"
    cls = type(
        name,
        (TrackedOperatorMixin, operator_class),
        {
            "__module__": __name__,
            "__qualname__": name,
            "__doc__": f"{operator_class.__name__}, recorded by trackline.",
        },
    )
    globals()[name] = cls  # importable by name, so it pickles like a hand-written subclass
    return cls  # type: ignore[return-value]
