"""OpenLineage in and out.

Out: finished runs become ``RunEvent``s (spec 2-0-2) with trackline's ML facets, sent through
the openlineage-python client (``trackline.openlineage.emitter``, ``export``). In: the team
server turns events of other producers into runs and artifacts (``trackline.openlineage.ingest``).

Submodules that need the openlineage-python client (``events``, ``facets``, ``emitter`` when
sending) are imported on use, so ingestion works on a server without it.
"""

from __future__ import annotations

from .ids import run_uuid, trackline_id_of
from .naming import dataset_of, dataset_uri, digest_of_name, is_name_identified

__all__ = [
    "dataset_of",
    "dataset_uri",
    "digest_of_name",
    "is_name_identified",
    "run_uuid",
    "trackline_id_of",
]
