"""The environment a run executed in, captured once per process and deduplicated by digest."""

from __future__ import annotations

import functools
import os
import platform
import socket
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import psutil

from ..model import canonical
from ..model.runs import Environment
from . import gpu

__all__ = ["capture_environment", "git_info"]


@functools.lru_cache(maxsize=1)
def _packages() -> tuple[dict[str, str], str]:
    pkgs: dict[str, str] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            pkgs[name.lower().replace("_", "-")] = dist.version
    pkgs = dict(sorted(pkgs.items()))
    return pkgs, canonical.hash_json(pkgs)


@functools.lru_cache(maxsize=64)
def git_info(directory: str) -> tuple[str | None, str | None, bool | None, str | None]:
    """(commit, branch, dirty, root) of the repository holding ``directory``, or Nones."""

    def git(*args: str) -> str | None:
        try:
            out = subprocess.run(
                ["git", "-C", directory, *args],
                capture_output=True,
                text=True,
                timeout=5,
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return out.stdout.strip() if out.returncode == 0 else None

    root = git("rev-parse", "--show-toplevel")
    if root is None:
        return None, None, None, None
    commit = git("rev-parse", "HEAD")
    branch = git("rev-parse", "--abbrev-ref", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no")
    return commit, branch, (bool(status) if status is not None else None), root


@functools.lru_cache(maxsize=64)
def _capture(code_dir: str | None, allowlist: tuple[str, ...]) -> Environment:
    pkgs, pkgs_digest = _packages()
    commit, branch, dirty, root = git_info(code_dir) if code_dir else (None, None, None, None)
    mem = psutil.virtual_memory().total
    data = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "hostname": socket.gethostname(),
        "cpu_count": os.cpu_count(),
        "memory_bytes": mem,
        "packages": pkgs,
        "packages_digest": pkgs_digest,
        "git_commit": commit,
        "git_branch": branch,
        "git_dirty": dirty,
        "git_root": root,
        "env_vars": {k: os.environ[k] for k in allowlist if k in os.environ},
        "accelerators": gpu.devices(),
        "executable": sys.executable,
    }
    digest = canonical.hash_json({k: v for k, v in data.items() if k != "packages"})
    data.pop("executable")
    return Environment(digest=digest, **data)


@functools.lru_cache(maxsize=256)
def capture_environment(code_file: str | None, allowlist: tuple[str, ...]) -> Environment:
    """The environment of code in ``code_file`` (its git repository), once per process and file."""
    code_dir = str(Path(code_file).resolve().parent) if code_file else os.getcwd()
    return _capture(code_dir, allowlist)
