"""Register model versions and resolve references to them."""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Any

from ..audit.actor import current_actor
from ..capture.artifacts import describe, describe_path
from ..capture.context import current_run
from ..capture.keep import keep_now
from ..capture.recorder import RunRecorder
from ..config import settings
from ..errors import InvalidInput, NotFound
from ..model.plain import plain_mapping
from ..model.registry import ModelSummary, ModelVersion
from ..model.runs import Artifact
from ..store import RunStore, StoreArg, capability
from .refs import check_name, parse_ref
from .store import registry_store

__all__ = ["register_model", "resolve_model", "list_models", "model_versions", "update_model"]

log = logging.getLogger("trackline")
_DIGEST_LIKE = re.compile(r"^[0-9a-f]{8,128}$")


def _model_artifact(model: Any, store: RunStore) -> Artifact:
    if isinstance(model, Artifact):
        return model
    cfg = settings()
    if isinstance(model, os.PathLike) or (isinstance(model, str) and os.path.exists(model)):
        path = Path(model)
        if not path.exists():
            raise InvalidInput(f"model path {os.fspath(model)!r} does not exist")
        return describe_path(path, home=cfg.home, use_cache=cfg.hash_cache).model_copy(
            update={"kind": "model"}
        )
    if isinstance(model, str):
        if _DIGEST_LIKE.match(model):
            return store.get_artifact(model)
        raise InvalidInput(
            f"model {model!r} is neither an existing path nor an artifact digest; pass a path, "
            "the model object itself, or the digest of a recorded artifact"
        )
    return describe(model, kind="model", home=cfg.home, use_cache=cfg.hash_cache)


def _run_id(run: Any, store: RunStore) -> tuple[str | None, RunRecorder | None]:
    active = current_run()
    if run is None:
        return (active.id, active) if active is not None else (None, None)
    if isinstance(run, RunRecorder):
        return run.id, run
    if isinstance(run, str):
        if active is not None and active.id == run:
            return run, active
        return store.get_run(run).id, None
    raise InvalidInput(f"run must be a run id or a RunRecorder, not {type(run).__name__}")


def register_model(
    name: str,
    model: Any,
    run: Any = None,
    *,
    description: str | None = None,
    tags: dict[str, str] | None = None,
    store: StoreArg = None,
    actor: str | None = None,
    **metadata: Any,
) -> ModelVersion:
    """Register ``model`` (a path, an object, or an artifact digest) as the next version of
    ``name``.

    Inside a tracked task the version links to the current run, and the model becomes an output
    of that run, so the version's lineage (training data, code, params) is one query away.
    Outside a task the version links to the newest successful run that output exactly these
    bytes (``producer_rule`` says which rule found it). The version keeps the location it was
    registered from. Registering the same bytes again returns the existing version.

    The model's bytes are stored in the artifact store (``TRACKLINE_ARTIFACTS``) before the
    version is created, so every version can be downloaded again (``trackline models download``);
    if they cannot be stored, nothing is registered.
    """
    check_name(name)
    s = registry_store(store)
    runs = capability(s, RunStore)
    art = _model_artifact(model, runs)
    by_digest = isinstance(model, Artifact) or (
        isinstance(model, str) and not os.path.exists(model)
    )
    value = None if isinstance(model, (str, os.PathLike, Artifact)) else model
    try:
        if not keep_now(art, value) and value is not None:
            # An object whose bytes cannot be written (a lambda, a generator): a version of it
            # could never be downloaded or verified again, so none is made.
            raise InvalidInput(
                f"cannot register {name}: the {type(model).__name__} object cannot be "
                "serialised to keep its bytes; save the model to a file and register the file"
            )
    except InvalidInput as exc:
        # A recorded artifact named by digest whose bytes are nowhere any more: it can still be
        # registered (its lineage is known), but it cannot be downloaded; strict mode refuses.
        if not by_digest or settings().strict:
            raise
        log.warning("trackline: registering %s without its bytes: %s", name, exc)
    run_id, recorder = _run_id(run, runs)
    rule = None
    if recorder is not None:
        recorder.add_artifact("output", f"model:{name}", art)
        # The run is otherwise written when the task ends; a team server only links a version
        # to a run it knows, so the running run (with what it has seen so far) goes first.
        recorder.write_running()
        rule = "active-run" if run is None else "explicit"
    elif run_id is not None:
        rule = "explicit"
    clean_tags = {str(k): str(v) for k, v in (tags or {}).items()}
    return s.add_model_version(
        name,
        art,
        run_id=run_id,
        producer_rule=rule,
        actor=current_actor(actor),
        description=description,
        tags=clean_tags,
        metadata=plain_mapping(metadata),  # numpy values, dates, sets: as params are
    )


def resolve_model(
    ref: str | ModelVersion, version: int | str | None = None, *, store: StoreArg = None
) -> ModelVersion:
    """``"churn/3"``, ``"churn@production"`` or ``"churn"`` (latest) → the model version."""
    if isinstance(ref, ModelVersion):
        return ref
    r = parse_ref(ref, version)
    s = registry_store(store)
    if r.version is not None:
        return s.get_model_version(r.name, r.version)
    if r.alias is not None:
        aliases = s.get_aliases(r.name)
        if r.alias not in aliases:
            s.list_model_versions(r.name)  # an unknown model says so first
            known = ", ".join(sorted(aliases)) or "none"
            raise NotFound(
                f"{r.name}@{r.alias} points at no version (aliases of {r.name}: {known})"
            )
        return s.get_model_version(r.name, aliases[r.alias])
    return s.list_model_versions(r.name)[-1]


def list_models(store: StoreArg = None) -> list[ModelSummary]:
    return registry_store(store).list_models()


def model_versions(name: str, store: StoreArg = None) -> list[ModelVersion]:
    return registry_store(store).list_model_versions(check_name(name))


def update_model(
    ref: str | ModelVersion,
    *,
    description: str | None = None,
    tags: dict[str, str | None] | None = None,
    store: StoreArg = None,
    actor: str | None = None,
) -> ModelVersion:
    """Change a version's description or tags (``None`` as a tag value removes the tag)."""
    s = registry_store(store)
    mv = resolve_model(ref, store=s)
    clean = {str(k): (None if v is None else str(v)) for k, v in (tags or {}).items()}
    return s.update_model_version(
        mv.name, mv.version, actor=current_actor(actor), description=description, tags=clean
    )
