"""Direction by observation: look at a path before and after the call.

Bytes that were there and are unchanged after the call were read: an input. Bytes the call
created or changed are an output, and the bytes that were there before are *not* an input (an
overwritten model is not evidence of the new one) unless the task declares it reads them.

Cost: one ``stat`` per file path before the call (a folder: one ``stat`` per file), the same
after; the content hash only after, and through the stat cache when nothing changed.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import hashing

__all__ = ["PathWatch", "path_state", "INPUT", "OUTPUT"]

INPUT, OUTPUT = "input", "output"


def path_state(path: Path) -> Any:
    """What identifies the bytes at ``path`` without reading them (None: nothing there)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    if stat.S_ISDIR(st.st_mode):
        return ("dir", hashing.scan_tree(path))
    return ("file", st.st_size, st.st_mtime_ns, st.st_ino)


@dataclass
class PathWatch:
    slot: str
    path: Path
    before: Any
    kind: str | None = None
    declared: frozenset[str] = frozenset()  # {"input"}, {"output"} or both

    def directions(self, after: Any) -> list[str]:
        """Which directions the bytes now at the path take (the declared input, read before
        the call, is recorded separately)."""
        if after is None:
            return []
        if OUTPUT in self.declared:
            return [OUTPUT]
        if self.before is None or after != self.before:
            return [OUTPUT]
        return [] if INPUT in self.declared else [INPUT]
