"""Prefect 3 adapter: ``tracked_flow``, ``flow_hooks`` and the ambient task identity.

``@tracked_task`` from the core works under ``@task`` unchanged; this package adds what only
Prefect knows: flow runs as pipeline runs, task run ids, and runs of undecorated tasks.
Importing it does not import Prefect (the ambient provider is loaded in every environment).
"""

from __future__ import annotations

from ...capture.decorator import tracked_task
from .flow import flow_hooks, tracked_flow

__all__ = ["tracked_flow", "flow_hooks", "tracked_task"]
