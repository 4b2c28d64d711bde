"""The Airflow plugin (entry point ``airflow.plugins``) that registers the listener.

Always loaded once trackline is installed; the listener itself does nothing unless
``[trackline] capture_all_tasks`` (or ``record_dag_runs``) is on.
"""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from .listener import listener

__all__ = ["TracklinePlugin"]


class TracklinePlugin(AirflowPlugin):
    name = "trackline"
    listeners = [listener]
