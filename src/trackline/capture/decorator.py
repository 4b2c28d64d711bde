"""``@tracked_task``: bare or with options, on sync and async functions and methods."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, overload

from ..config import settings
from ..model.runs import RunStatus
from .context import RUN
from .recorder import RunRecorder, failure_status

__all__ = ["tracked_task", "Kind", "Input", "Output"]

F = TypeVar("F", bound=Callable[..., Any])


class Kind:
    """Annotation marker giving an argument or return value an artifact kind:
    ``def train(...) -> Annotated[Path, Kind("model")]``."""

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def __repr__(self) -> str:
        return f"Kind({self.kind!r})"


class Input:
    """Annotation marker: the bytes at this path argument before the call are an input, even
    when the call changes them (read-modify-write): ``state: Annotated[Path, Input, Output]``."""


class Output:
    """Annotation marker: the bytes at this path argument after the call are an output, even
    when they are identical to what was there: ``model_path: Annotated[Path, Output]``."""


def _annotated_roles(func: Callable[..., Any]) -> dict[str, frozenset[str]]:
    roles: dict[str, set[str]] = {}
    for name, meta in _annotation_metadata(func):
        if meta is Input or isinstance(meta, Input):
            roles.setdefault(name, set()).add("input")
        elif meta is Output or isinstance(meta, Output):
            roles.setdefault(name, set()).add("output")
    return {k: frozenset(v) for k, v in roles.items()}


def _annotation_metadata(func: Callable[..., Any]):
    try:
        raw = inspect.get_annotations(func)
    except Exception:  # noqa: BLE001
        return
    for name, hint in raw.items():
        if isinstance(hint, str):  # one unresolvable annotation must not hide the others
            try:
                hint = eval(hint, getattr(func, "__globals__", {}))  # noqa: S307 - the user's own annotation
            except Exception:  # noqa: BLE001
                continue
        for meta in getattr(hint, "__metadata__", ()):
            yield name, meta


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
    inputs: tuple[str, ...] = ...,
    outputs: tuple[str, ...] = ...,
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
    inputs: tuple[str, ...] = (),
    outputs: tuple[str, ...] = (),
    keep: str | None = None,
) -> Any:
    """Record every call of the function as a task run (params, inputs, outputs, resources...).

    ``name`` defaults to the function's qualified name; ``ignore`` lists arguments not to record;
    ``kinds`` maps argument names / ``"return"`` / ``"return.<key>"`` to artifact kinds;
    ``profile`` ("off", "sampled", "full") overrides ``TRACKLINE_PROFILE`` for this task's data.

    Path arguments are input or output by observation (unchanged bytes: input; created or
    changed bytes: output, and the old bytes are not an input). ``outputs`` names path arguments
    whose bytes after the call are outputs even when unchanged; ``inputs`` names those whose
    bytes before the call are inputs even when the call changes them (read-modify-write). The
    ``Input`` / ``Output`` annotation markers say the same.

    Generator functions are recorded when the generator is exhausted or closed (with the
    number of items it yielded), async generators likewise; objects whose ``__call__`` is
    ``async`` are awaited like coroutine functions.
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
            inputs=inputs,
            outputs=outputs,
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
    role_map: dict[str, frozenset[str]] | None = None
    bind = _fast_binder(params, skip_first, ignored)

    def begin(args: tuple, kwargs: dict) -> RunRecorder | None:
        nonlocal kind_map, role_map
        cfg = settings()
        if cfg.disabled:
            return None
        if kind_map is None:
            kind_map = {**_annotated_kinds(target), **(kinds or {})}
        if role_map is None:
            declared: dict[str, set[str]] = {k: set(v) for k, v in _annotated_roles(target).items()}
            for arg in inputs:
                declared.setdefault(arg, set()).add("input")
            for arg in outputs:
                declared.setdefault(arg, set()).add("output")
            role_map = {k: frozenset(v) for k, v in declared.items()}
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
            arguments = bind(args, kwargs) if bind is not None else None
            if arguments is None:
                arguments = _arguments(sig, args, kwargs, skip_first, ignored)
            rec.record_arguments(arguments, kind_map, role_map)
        rec.announce()
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

    if inspect.isasyncgenfunction(target):

        @functools.wraps(func)
        async def agen_wrapper(*args: Any, **kwargs: Any) -> Any:
            rec = begin(args, kwargs)
            count = 0
            if rec is not None:
                rec.detach()
            try:
                inner = func(*args, **kwargs).__aiter__()
                while True:
                    token = RUN.set(rec) if rec is not None else None
                    try:
                        item = await inner.__anext__()
                    except StopAsyncIteration:
                        break
                    finally:
                        if token is not None:
                            RUN.reset(token)
                    count += 1
                    yield item
            except BaseException as exc:
                if isinstance(exc, GeneratorExit):  # closed early by the consumer: not a failure
                    _yielded(rec, count, closed=True)
                    end(rec, None)
                else:
                    _yielded(rec, count)
                    fail(rec, exc)
                raise
            _yielded(rec, count)
            end(rec, None)

        agen_wrapper.__trackline_task__ = True  # type: ignore[attr-defined]
        return agen_wrapper

    if inspect.isgeneratorfunction(target):

        @functools.wraps(func)
        def gen_wrapper(*args: Any, **kwargs: Any) -> Any:
            rec = begin(args, kwargs)
            count = 0
            if rec is not None:
                rec.detach()  # the run is current only while a step runs
            try:
                inner = iter(func(*args, **kwargs))
                while True:
                    token = RUN.set(rec) if rec is not None else None
                    try:
                        item = next(inner)
                    except StopIteration:
                        break
                    finally:
                        if token is not None:
                            RUN.reset(token)
                    count += 1
                    yield item
            except BaseException as exc:
                if isinstance(exc, GeneratorExit):
                    _yielded(rec, count, closed=True)
                    end(rec, None)
                else:
                    _yielded(rec, count)
                    fail(rec, exc)
                raise
            _yielded(rec, count)
            end(rec, None)

        gen_wrapper.__trackline_task__ = True  # type: ignore[attr-defined]
        return gen_wrapper

    if inspect.iscoroutinefunction(target) or _async_call(target):

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


def _async_call(obj: Any) -> bool:
    """An object (not a function) whose ``__call__`` is ``async def``."""
    if inspect.isfunction(obj) or inspect.ismethod(obj) or isinstance(obj, type):
        return False
    return callable(obj) and inspect.iscoroutinefunction(type(obj).__call__)


def _yielded(rec: RunRecorder | None, count: int, closed: bool = False) -> None:
    if rec is not None:
        rec.log_param("yielded", count)
        if closed:
            rec.log_param("closed_early", True)


def _fast_binder(
    params: list[inspect.Parameter], skip_first: bool, ignored: set[str]
) -> Callable[[tuple, dict], dict[str, Any] | None] | None:
    """``Signature.bind`` for the common signature (named parameters, no ``*args``/``**kw``,
    no positional-only), at a fifth of its cost; None (use ``_arguments``) for any other
    signature, and the binder answers None for any call it cannot bind plainly."""
    P = inspect.Parameter
    if any(p.kind not in (P.POSITIONAL_OR_KEYWORD, P.KEYWORD_ONLY) for p in params):
        return None
    positional = [p.name for p in params if p.kind is P.POSITIONAL_OR_KEYWORD]
    names = {p.name for p in params}
    defaults = {p.name: p.default for p in params if p.default is not P.empty}
    keep = [
        p.name
        for i, p in enumerate(params)
        if not (i == 0 and skip_first) and p.name not in ignored
    ]

    def bind(args: tuple, kwargs: dict) -> dict[str, Any] | None:
        if len(args) > len(positional):
            return None
        values = dict(zip(positional, args))
        for key, value in kwargs.items():
            if key in values or key not in names:
                return None
            values[key] = value
        out = {}
        for name in keep:
            if name in values:
                out[name] = values[name]
            elif name in defaults:
                out[name] = defaults[name]
            else:
                return None
        return out

    return bind


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
