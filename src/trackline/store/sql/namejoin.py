"""Name-identified artifacts meet content-identified ones at the same location.

A table or a file known only by its location (an OpenLineage dataset, a URI logged without its
bytes) has ``digest == hash_uri(uri)``. When a trackline task read (or wrote) the bytes at that
location, its artifact is identified by content, with the same URI: the two are joined by a
``location`` edge, so a closure crosses from the SQL step that wrote a table to the Python step
that read it. The graph marks such edges (and edges of name-identified artifacts) ``by="name"``.

The location of a content artifact is, today, the URI it was first recorded with
(``artifacts.uri``). A table of every (digest, location, run) observation can feed
``same_location`` instead without changing the closure.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from ...model.canonical import hash_uri
from .dialect import chunks

__all__ = ["is_named", "same_location"]

_CHUNK = 900


def is_named(digest: str, uri: str | None) -> bool:
    return bool(uri) and digest == hash_uri(uri)


def _select(cur, mark: str, column: str, keys: list[str]) -> list[tuple]:
    out: list[tuple] = []
    for batch in chunks(keys, _CHUNK):
        if mark == "%s":
            cur.execute(
                f"SELECT digest, uri, created_at FROM artifacts WHERE {column} = ANY(%s)", [batch]
            )
        else:
            marks = ", ".join([mark] * len(batch))
            cur.execute(
                f"SELECT digest, uri, created_at FROM artifacts WHERE {column} IN ({marks})",
                batch,
            )
        out.extend(cur.fetchall())
    return out


def same_location(cur, mark: str, digests: Iterable[str]) -> list[tuple[str, str]]:
    """``(older, newer)`` artifact pairs at one location, one of each pair in ``digests`` and
    exactly one of them name-identified (two contents at one place are two versions: never
    joined). Ordered by when each was first recorded, which is the direction data flowed."""
    rows = [r for r in _select(cur, mark, "digest", sorted(set(digests))) if r[1]]
    named: dict[str, tuple[str, datetime | None]] = {}
    by_name: dict[str, list[tuple[str, datetime | None]]] = defaultdict(list)
    for digest, uri, created in rows:
        if is_named(digest, uri):
            named[uri] = (digest, created)
        else:
            by_name[hash_uri(uri)].append((digest, created))
    pairs: list[tuple[tuple[str, object], tuple[str, object]]] = []
    # content → the name-identified artifact of its location (primary-key lookups)
    for digest, uri, created in _select(cur, mark, "digest", sorted(by_name)):
        if is_named(digest, uri):
            pairs += [((d, c), (digest, created)) for d, c in by_name[digest]]
    # name → content artifacts recorded at that location (the uri index)
    for digest, uri, created in _select(cur, mark, "uri", sorted(named)):
        if not is_named(digest, uri):
            pairs.append((named[uri], (digest, created)))
    return [_ordered(a, b) for a, b in pairs]


def _ordered(a: tuple[str, object], b: tuple[str, object]) -> tuple[str, str]:
    (da, ta), (db, tb) = a, b
    if ta is not None and tb is not None and str(tb) < str(ta):
        return db, da
    return da, db
