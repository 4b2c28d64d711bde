"""``@tracked_task``: bare or with options, on sync and async functions and methods."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, overload

from ..config import settings
from ..model.runs import RunStatus
from .recorder import RunRecorder, failure_status

__all__ = ["tracked_task", "Kind"]

F = TypeVar("F", bound=Callable[..., Any])


class Kind:
    """Annotation marker giving an argument or return value an artifact kind:
    ``def train(...) -> Annotated[Path, Kind("model")]``."""

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def __repr__(self) -> str:
        return f"Kind({self.kind!r})"


def _annotated_kinds(func: Callable[..., Any]) -> dict[str, str]:
    try:
        raw = inspect.get_annotations(func)
    except Exception:  # noqa: BLE001
        return {}
    kinds = {}
    for name, hint in raw.items():
        if isinstance(hint, str):  # one unresolvable annotation must not hide the others
            try:
                hint = eval(hint, getattr(func, "__globals__", {}))  # noqa: S307 - the user's own annotation
            except Exception:  # noqa: BLE001
                continue
        for meta in getattr(hint, "__metadata__", ()):
            if isinstance(meta, Kind):
                kinds["return" if name == "return" else name] = meta.kind
    return kinds


def _unwrap_partial(func: Any) -> Any:
    while isinstance(func, functools.partial):
        func = func.func
    return func


@overload
def tracked_task(func: F, /) -> F: ...
@overload
def tracked_task(
    *,
    name: str | None = ...,
    pipeline: str | None = ...,
    capture_args: bool = ...,
    capture_result: bool = ...,
    ignore: tuple[str, ...] = ...,
    kinds: Mapping[str, str] | None = ...,
    eager_start: bool = ...,
    profile: str | None = ...,
    keep: str | None = ...,
) -> Callable[[F], F]: ...


def tracked_task(
    func: Callable[..., Any] | None = None,
    /,
    *,
    name: str | None = None,
    pipeline: str | None = None,
    capture_args: bool = True,
    capture_result: bool = True,
    ignore: tuple[str, ...] = (),
    kinds: Mapping[str, str] | None = None,
    eager_start: bool = False,
    profile: str | None = None,
    keep: str | None = None,
) -> Any:
    """Record every call of the function as a task run (params, inputs, outputs, resources...).

    ``name`` defaults to the function's qualified name; ``ignore`` lists arguments not to record;
    ``kinds`` maps argument names / ``"return"`` / ``"return.<key>"`` to artifact kinds;
    ``profile`` ("off", "sampled", "full") overrides ``TRACKLINE_PROFILE`` for this task's data;
    ``keep`` ("models", "outputs", "all", "none") overrides ``TRACKLINE_KEEP``: which bytes the
    artifact store keeps (uploaded in the background).
    """
    if profile not in (None, "off", "sampled", "full"):
        raise ValueError(f"profile must be 'off', 'sampled' or 'full', not {profile!r}")
    if keep not in (None, "models", "outputs", "all", "none"):
        raise ValueError(f"keep must be 'models', 'outputs', 'all' or 'none', not {keep!r}")
    if func is None:
        return functools.partial(
            tracked_task,
            name=name,
            pipeline=pipeline,
            capture_args=capture_args,
            capture_result=capture_result,
            ignore=ignore,
            kinds=kinds,
            eager_start=eager_start,
            profile=profile,
            keep=keep,
        )
    if not callable(func):
        raise TypeError(
            f"@tracked_task decorates functions, got {type(func).__name__}; "
            "use @tracked_task or @tracked_task(name=...)"
        )
    if isinstance(func, (staticmethod, classmethod)):
        raise TypeError("put @tracked_task below @staticmethod/@classmethod, next to the function")

    target = _unwrap_partial(func)
    task_name = name or getattr(target, "__qualname__", None) or repr(target)
    sig = inspect.signature(func)
    params = list(sig.parameters.values())
    skip_first = bool(params) and params[0].name in ("self", "cls")
    ignored = set(ignore)
    kind_map: dict[str, str] | None = None

    def begin(args: tuple, kwargs: dict) -> RunRecorder | None:
        nonlocal kind_map
        cfg = settings()
        if cfg.disabled:
            return None
        if kind_map is None:
            kind_map = {**_annotated_kinds(target), **(kinds or {})}
        rec = RunRecorder(
            task_name,
            pipeline=pipeline,
            func=target,
            config=cfg,
            eager_start=eager_start,
            profile=profile,
            keep=keep,
        )
        rec.start()
        if capture_args:
            rec.record_arguments(_arguments(sig, args, kwargs, skip_first, ignored), kind_map)
        return rec

    def end(rec: RunRecorder | None, result: Any) -> None:
        if rec is None:
            return
        if capture_result:
            rec.record_result(result, kind_map)
        rec.finish(RunStatus.SUCCESS.value)

    def fail(rec: RunRecorder | None, exc: BaseException) -> None:
        if rec is not None:
            rec.finish(failure_status(exc), exc)

    if inspect.iscoroutinefunction(target):

        @functools.wraps(func)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            rec = begin(args, kwargs)
            try:
                result = await func(*args, **kwargs)
            except BaseException as exc:
                fail(rec, exc)
                raise
            end(rec, result)
            return result

        async_wrapper.__trackline_task__ = True  # type: ignore[attr-defined]
        return async_wrapper

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        rec = begin(args, kwargs)
        try:
            result = func(*args, **kwargs)
        except BaseException as exc:
            fail(rec, exc)
            raise
        end(rec, result)
        return result

    wrapper.__trackline_task__ = True  # type: ignore[attr-defined]
    return wrapper


def _arguments(
    sig: inspect.Signature, args: tuple, kwargs: dict, skip_first: bool, ignored: set[str]
) -> dict[str, Any]:
    try:
        bound = sig.bind(*args, **kwargs)
    except TypeError:
        return {}  # the call itself will raise the real error
    bound.apply_defaults()
    out: dict[str, Any] = {}
    for i, (name, value) in enumerate(bound.arguments.items()):
        if (i == 0 and skip_first) or name in ignored:
            continue
        kind = sig.parameters[name].kind
        if kind is inspect.Parameter.VAR_POSITIONAL:
            out.update({f"{name}[{j}]": v for j, v in enumerate(value)})
        elif kind is inspect.Parameter.VAR_KEYWORD:
            out.update(value)
        else:
            out[name] = value
    return out
