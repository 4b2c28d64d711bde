"""Code version of a tracked function: a digest of its source, plus its module's file digest."""

from __future__ import annotations

import hashlib
import inspect
import marshal
from typing import Any

from ..model.runs import CodeRef

__all__ = ["code_identity", "MAX_SOURCE_CHARS"]

MAX_SOURCE_CHARS = 64 * 1024  # a longer function keeps its digest, not its text

_cache: dict[Any, tuple[str, CodeRef]] = {}
_bare: dict[Any, CodeRef] = {}  # the same without its source (TRACKLINE_CAPTURE_SOURCE=0)


def code_identity(func: Any, with_source: bool = True) -> tuple[str | None, CodeRef | None]:
    """(source digest, where it lives, and its text unless ``with_source`` is False);
    computed once per function."""
    target = inspect.unwrap(func)
    hit = _cache.get(target)
    if hit is None:
        hit = _identity(target)
        _cache[target] = hit
    digest, ref = hit
    if ref is not None and not with_source and ref.source is not None:
        bare = _bare.get(target)
        if bare is None:  # one object per function, as with its source
            bare = _bare[target] = ref.model_copy(update={"source": None})
        ref = bare
    return digest, ref


def _identity(target: Any) -> tuple[str | None, CodeRef | None]:
    text = None
    try:
        text = inspect.getsource(target)
        src = text.encode()
    except (OSError, TypeError):
        code = getattr(target, "__code__", None)
        if code is None:
            return None, None
        src = marshal.dumps(code)
    file = (
        inspect.getsourcefile(target)
        if inspect.isfunction(target) or inspect.ismethod(target)
        else None
    )
    module_digest = None
    if file:
        try:
            with open(file, "rb") as fh:
                module_digest = hashlib.sha256(fh.read()).hexdigest()
        except OSError:
            pass
    ref = CodeRef(
        module=getattr(target, "__module__", None),
        qualname=getattr(target, "__qualname__", None),
        file=file,
        module_digest=module_digest,
        source=text if text is not None and len(text) <= MAX_SOURCE_CHARS else None,
    )
    return hashlib.sha256(src).hexdigest(), ref
