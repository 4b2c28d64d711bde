"""Validate events against the pinned OpenLineage 2-0-2 schema and trackline's facet schemas."""

from __future__ import annotations

import json
from pathlib import Path

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from trackline.openlineage.facets import FACET_NAMES, facet_schema

SPEC = Path(__file__).parent / "spec"


def _registry() -> Registry:
    docs = [
        json.loads((SPEC / n).read_text())
        for n in ("OpenLineage.json", "JobTypeJobFacet-2-0-4.json")
    ]
    docs += [facet_schema(name) for name in FACET_NAMES.values()]
    return Registry().with_resources((d["$id"], Resource.from_contents(d)) for d in docs)


REGISTRY = _registry()
CORE = "https://openlineage.io/spec/2-0-2/OpenLineage.json"


def validate_event(event: dict) -> None:
    """The whole event against the core spec, then every facet against the schema it names
    when that schema ships here (trackline's own facets, jobType)."""
    Draft202012Validator({"$ref": CORE}, registry=REGISTRY).validate(event)
    for facet in _facets(event):
        url = facet["_schemaURL"]
        base, _, pointer = url.partition("#")
        try:
            REGISTRY.get_or_retrieve(base)
        except Exception:  # noqa: BLE001 - a standard facet whose file is not shipped
            continue
        Draft202012Validator({"$ref": url}, registry=REGISTRY).validate(facet)


def custom_facets(event: dict) -> list[tuple[str, dict]]:
    return [(k, f) for k, f in _named_facets(event) if k.startswith("trackline_")]


def _named_facets(event: dict):
    yield from (event["run"].get("facets") or {}).items()
    yield from (event["job"].get("facets") or {}).items()
    for ds in [*event.get("inputs", []), *event.get("outputs", [])]:
        yield from (ds.get("facets") or {}).items()


def _facets(event: dict) -> list[dict]:
    return [f for _, f in _named_facets(event)]
