"""What each alias of a model pointed at, and when: "what was in production on 3 March?"."""

from __future__ import annotations

from datetime import datetime

from ..model.registry import AliasEvent, ModelHistory
from ..model.runs import as_time
from ..store import StoreArg
from .refs import check_alias, check_name
from .store import registry_store

__all__ = ["model_history"]


def _held(events: list[AliasEvent]) -> dict[str, int]:
    """Which version each alias pointed at after the last of ``events``.

    Only ``alias.moved`` entries change an alias; refusals and lost races never did.
    """
    held: dict[str, int] = {}
    for e in events:
        if e.action == "alias.moved" and e.version is not None:
            held[e.alias] = e.version
    return held


def model_history(
    name: str,
    *,
    alias: str | None = None,
    at: datetime | None = None,
    store: StoreArg = None,
) -> ModelHistory:
    """Every alias move of ``name`` (or of one ``alias``) with time, actor and the gate decision
    it cited, refused and lost promotions included; with ``at``, only what happened up to then
    and which version held each alias at that moment."""
    check_name(name)
    if alias is not None:
        check_alias(alias)
    if at is not None:
        at = as_time(at, "at")
    events = registry_store(store).alias_events(name, alias)
    if at is not None:
        events = [e for e in events if e.at <= at]
    return ModelHistory(name=name, alias=alias, at=at, events=events, held=_held(events))
