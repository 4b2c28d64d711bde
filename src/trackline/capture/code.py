"""Code version of a tracked function: a digest of its source, plus its module's file digest."""

from __future__ import annotations

import hashlib
import inspect
import marshal
from typing import Any

from ..model.runs import CodeRef

__all__ = ["code_identity"]

_cache: dict[Any, tuple[str, CodeRef]] = {}


def code_identity(func: Any) -> tuple[str | None, CodeRef | None]:
    """(source digest, where it lives); computed once per function."""
    target = inspect.unwrap(func)
    hit = _cache.get(target)
    if hit is not None:
        return hit
    try:
        src = inspect.getsource(target).encode()
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
    )
    hit = (hashlib.sha256(src).hexdigest(), ref)
    _cache[target] = hit
    return hit
