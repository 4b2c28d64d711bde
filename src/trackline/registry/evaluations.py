"""Record evaluations: metrics of one model artifact on one dataset artifact, plus slices."""

from __future__ import annotations

import math
import numbers
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..audit.actor import current_actor
from ..capture.artifacts import describe, describe_path
from ..capture.context import current_run
from ..config import settings
from ..errors import InvalidInput, NotFound, expect
from ..model.ids import new_id
from ..model.registry import Evaluation, ModelVersion
from ..model.runs import Artifact
from ..store import RemoteRules, RunStore, StoreArg, capability
from .models import resolve_model
from .refs import check_name
from .store import registry_store

__all__ = ["evaluations", "log_evaluation", "record_evaluation", "validate_metrics"]

_DIGEST_LIKE = re.compile(r"^[0-9a-f]{8,128}$")


def validate_metrics(values: Any, where: str) -> dict[str, float]:
    """Evaluation metrics: a non-empty mapping of names to finite numbers, else ``InvalidInput``."""
    if not isinstance(values, Mapping) or not values:
        raise InvalidInput(f"{where} must be a non-empty mapping of metric name to number")
    out: dict[str, float] = {}
    for key, value in values.items():
        if not isinstance(key, str) or not key:
            raise InvalidInput(f"{where}: metric names must be non-empty strings, not {key!r}")
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise InvalidInput(
                f"{where}[{key!r}] = {value!r}: evaluation metrics must be numbers, "
                f"not {type(value).__name__}"
            )
        try:
            number = float(value)
        except OverflowError:  # 10**400
            raise InvalidInput(f"{where}[{key!r}] is beyond the range of a float") from None
        if not math.isfinite(number):
            raise InvalidInput(
                f"{where}[{key!r}] = {number}: evaluation metrics must be finite "
                "(NaN and infinity cannot pass or fail a gate)"
            )
        out[key] = number
    return out


def _slices(values: Any) -> dict[str, dict[str, float]]:
    if values is None:
        return {}
    if not isinstance(values, Mapping):
        raise InvalidInput("slices must map a slice name to a mapping of metrics")
    out: dict[str, dict[str, float]] = {}
    for name, metrics in values.items():
        if not isinstance(name, str) or not name:
            raise InvalidInput(f"slice names must be non-empty strings, not {name!r}")
        out[name] = validate_metrics(metrics, f"slices[{name!r}]")
    return out


def _dataset(dataset: Any, name: str | None, store: RunStore) -> Artifact:
    cfg = settings()
    if isinstance(dataset, Artifact):
        art = dataset
    elif isinstance(dataset, os.PathLike) or (isinstance(dataset, str) and os.path.exists(dataset)):
        path = Path(dataset)
        if not path.exists():
            raise InvalidInput(f"dataset path {os.fspath(dataset)!r} does not exist")
        art = describe_path(path, home=cfg.home, use_cache=cfg.hash_cache)
        art = art.model_copy(update={"name": name or art.name or path.stem})
    elif isinstance(dataset, str):
        try:
            art = store.get_artifact(dataset)
        except NotFound:
            raise NotFound(
                f"no dataset artifact {dataset!r}: pass a path or a DataFrame, or record the "
                f"dataset first with trackline.log_artifact(data, name={dataset!r})"
            ) from None
        if name or not art.name:
            art = art.model_copy(
                update={"name": name or (None if _DIGEST_LIKE.match(dataset) else dataset)}
            )
    elif dataset is None:
        raise InvalidInput(
            "log_evaluation needs dataset=: a dataset name, path, DataFrame or digest"
        )
    else:
        art = describe(dataset, kind="dataset", name=name, home=cfg.home, use_cache=cfg.hash_cache)
        if name:
            art = art.model_copy(update={"name": name})
    return art


def log_evaluation(
    model_ref: str | ModelVersion,
    dataset: Any = None,
    metrics: Mapping[str, float] | None = None,
    slices: Mapping[str, Mapping[str, float]] | None = None,
    *,
    dataset_name: str | None = None,
    run: Any = None,
    store: StoreArg = None,
    actor: str | None = None,
) -> Evaluation:
    """Record ``metrics`` of the model ``model_ref`` (e.g. ``"churn/3"``) on ``dataset``.

    ``dataset`` is the name of a recorded dataset artifact, a path, a DataFrame (give it a
    ``dataset_name`` so gate policies can refer to it) or a digest. Inside a tracked task the
    evaluation links to that run and the model and dataset become its inputs.
    """
    clean, clean_slices = validate_metrics(metrics, "metrics"), _slices(slices)
    expect(dataset_name, str, "dataset_name")
    if (
        run is not None
        and not isinstance(run, str)
        and not isinstance(getattr(run, "id", None), str)
    ):
        raise InvalidInput(f"run must be a run id or a run (with an id), not {type(run).__name__}")
    s = registry_store(store)
    mv = resolve_model(model_ref, store=s)
    data = _dataset(dataset, dataset_name, capability(s, RunStore))
    recorder = current_run()
    run_id = (
        run
        if isinstance(run, str)
        else (getattr(run, "id", None) or (recorder.id if recorder else None))
    )
    if recorder is not None and recorder.id == run_id:
        recorder.add_artifact(
            "input", "model", Artifact(digest=mv.digest, kind=mv.kind or "model", uri=mv.uri)
        )
        recorder.add_artifact("input", f"dataset:{data.name or data.digest[:12]}", data)
    ev = Evaluation(
        id=new_id(),
        model_name=mv.name,
        model_version=mv.version,
        model_digest=mv.digest,
        dataset_digest=data.digest,
        dataset_name=data.name,
        metrics=clean,
        slices=clean_slices,
        run_id=run_id,
        actor=current_actor(actor),
    )
    return record_evaluation(ev, [data], store=s)


def record_evaluation(
    evaluation: Evaluation,
    artifacts: list[Artifact],
    *,
    store: StoreArg = None,
) -> Evaluation:
    """Check an evaluation against the store's records and write it (idempotent by id).

    Its metrics must be finite numbers, its model a registered version with exactly that digest,
    its dataset among ``artifacts`` or already recorded. A retried write returns what the first
    one stored. Against a team server the server applies these checks (one request).
    """
    e = evaluation.model_copy(
        update={
            "metrics": validate_metrics(evaluation.metrics, "metrics"),
            "slices": _slices(evaluation.slices),
        }
    )
    s = registry_store(store)
    if isinstance(s, RemoteRules):
        s.write_evaluation(e, artifacts)
        return e
    if e.model_name is not None and e.model_version is not None:
        mv = s.get_model_version(check_name(e.model_name), e.model_version)
        if mv.digest != e.model_digest:
            raise InvalidInput(
                f"evaluation of {mv.ref} names digest {e.model_digest[:16]}, "
                f"but {mv.ref} is {mv.digest[:16]}"
            )
    if e.dataset_digest not in {a.digest for a in artifacts}:
        capability(s, RunStore).get_artifact(e.dataset_digest)  # an unknown dataset: NotFound
    try:
        return s.get_evaluation(e.id)
    except NotFound:
        pass
    s.write_evaluation(e, artifacts)
    return e


def evaluations(model_ref: str | ModelVersion, *, store: StoreArg = None) -> list[Evaluation]:
    """Evaluations of the model's artifact (by digest), newest first."""
    s = registry_store(store)
    return s.list_evaluations(model_digest=resolve_model(model_ref, store=s).digest)
