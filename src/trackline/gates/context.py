"""What a gate check looks at: the candidate, its evaluations, and the incumbents it compares
with."""

from __future__ import annotations

from datetime import datetime

from ..errors import NotFound
from ..model.registry import Evaluation, ModelVersion
from ..model.runs import utcnow

__all__ = ["GateContext", "matches_dataset"]


def matches_dataset(ev: Evaluation, dataset: str) -> bool:
    """A policy names a dataset by the name it was logged under, or by (a prefix of) its digest."""
    if ev.dataset_name == dataset or ev.dataset_digest == dataset:
        return True
    return len(dataset) >= 8 and ev.dataset_digest.startswith(dataset.lower())


class GateContext:
    def __init__(self, store, candidate: ModelVersion, now: datetime | None = None) -> None:
        self.store = store
        self.candidate = candidate
        self.now = now or utcnow()
        self._evals: dict[str, list[Evaluation]] = {}
        self.incumbents: dict[str, int | None] = {}
        self._aliases: dict[str, int] | None = None
        self.used_evaluations: dict[str, Evaluation] = {}

    def evaluations(self, digest: str) -> list[Evaluation]:
        """Newest first."""
        if digest not in self._evals:
            self._evals[digest] = self.store.list_evaluations(model_digest=digest)
        return self._evals[digest]

    def latest(self, digest: str, dataset: str) -> Evaluation | None:
        return next((e for e in self.evaluations(digest) if matches_dataset(e, dataset)), None)

    def latest_on_digest(self, digest: str, dataset_digest: str) -> Evaluation | None:
        return next(
            (e for e in self.evaluations(digest) if e.dataset_digest == dataset_digest), None
        )

    def incumbent(self, alias: str) -> ModelVersion | None:
        """The version ``alias`` points at now (remembered, so the promotion can expect it)."""
        if self._aliases is None:
            self._aliases = self.store.get_aliases(self.candidate.name)
        version = self._aliases.get(alias)
        self.incumbents[alias] = version
        if version is None:
            return None
        try:
            return self.store.get_model_version(self.candidate.name, version)
        except NotFound:
            return None

    def use(self, ev: Evaluation) -> None:
        self.used_evaluations[ev.id] = ev
