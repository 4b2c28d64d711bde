"""Record ids: random for new records, name-based for orchestrator identities."""

from __future__ import annotations

import itertools
import os
import random
import uuid

__all__ = ["new_id", "deterministic_id", "next_id"]

# A version-4 UUID from a generator seeded from the OS once per process (again in a forked
# child): ``uuid4`` asks the OS for 16 bytes on every call, which costs a tenth of a tracked call.
_V4_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_V4_SET = (0x4000 << 64) | (0x8000 << 48)
_random = random.Random(os.urandom(32))


def new_id() -> str:
    return f"{(_random.getrandbits(128) & _V4_CLEAR) | _V4_SET:032x}"


_prefix = uuid.uuid4().hex
_counter = itertools.count(1)


def next_id() -> str:
    """A unique id for many small records (metrics): a random 128-bit prefix drawn once per
    process (again in a forked child) and a fixed-width counter — a tenth of ``new_id``'s cost,
    and a process's ids ascend, so a primary-key index appends instead of splitting pages."""
    return f"{_prefix}{next(_counter):012x}"


def _reseed() -> None:
    global _prefix, _counter
    _prefix, _counter = uuid.uuid4().hex, itertools.count(1)
    _random.seed(os.urandom(32))


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reseed)


def deterministic_id(*parts: object) -> str:
    """Stable id from orchestrator identities, so two recorders of one task run agree."""
    return uuid.uuid5(uuid.NAMESPACE_URL, "trackline:" + "/".join(map(str, parts))).hex
