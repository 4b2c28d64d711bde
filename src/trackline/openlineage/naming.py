"""Dataset names per the OpenLineage naming spec, and back.

A location URI and an OpenLineage ``(namespace, name)`` pair are two spellings of one place:
``file:///data/x.csv`` ↔ ``("file", "/data/x.csv")``, ``s3://bucket/key`` ↔ ``("s3://bucket",
"key")``, ``postgres://host:5432/db.schema.table`` ↔ ``("postgres://host:5432",
"db.schema.table")``. Artifacts without a location (a DataFrame, a model object) are named by
their digest in the ``trackline`` namespace, so a consumer still sees one stable dataset each.

Pure functions: the ingest side (the team server) uses them without the OpenLineage client.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from ..model.canonical import hash_uri

__all__ = [
    "DIGEST_NAMESPACE",
    "dataset_of",
    "dataset_uri",
    "digest_of_name",
    "is_name_identified",
]

DIGEST_NAMESPACE = "trackline"
_DIGEST_PREFIX = "sha256:"
# Schemes whose authority (bucket, host:port, container) is the namespace and whose path is the
# name (object stores keep keys without the leading slash, per the naming spec).
_KEY_SCHEMES = {"s3", "s3a", "s3n", "gs", "gcs", "abfss", "wasbs", "hdfs", "az", "adl"}


def dataset_uri(namespace: str, name: str) -> str:
    """The location URI of an OpenLineage dataset (the inverse of ``dataset_of``)."""
    if namespace == "file":
        return "file://" + (name if name.startswith("/") else "/" + name)
    if "://" in namespace:
        return namespace.rstrip("/") + "/" + name.lstrip("/")
    return f"{namespace}:{name}"  # a namespace that is no URI (e.g. a bare scheduler name)


def dataset_of(uri: str | None, digest: str) -> tuple[str, str]:
    """``(namespace, name)`` of an artifact at ``uri`` (or of its digest when it has none)."""
    if not uri or "://" not in uri:
        return DIGEST_NAMESPACE, _DIGEST_PREFIX + digest
    parts = urlsplit(uri)
    scheme = parts.scheme.lower()
    if scheme == "file":
        host = parts.netloc if parts.netloc not in ("", "localhost") else ""
        path = unquote(parts.path)
        return ("file", path) if not host else (f"file://{host}", path)
    if scheme in _KEY_SCHEMES:
        return f"{scheme}://{parts.netloc}", unquote(parts.path).lstrip("/")
    # Databases and the rest: scheme://authority is the namespace, the path names the table.
    name = parts.path.lstrip("/")
    if parts.query:
        name += "?" + parts.query
    return f"{scheme}://{parts.netloc}", name


def digest_of_name(namespace: str, name: str) -> str | None:
    """The digest a ``trackline``-namespace dataset name carries (``None`` for other names)."""
    if namespace == DIGEST_NAMESPACE and name.startswith(_DIGEST_PREFIX):
        return name[len(_DIGEST_PREFIX) :] or None
    return None


def is_name_identified(digest: str, uri: str | None) -> bool:
    """True when an artifact's identity is its location, not its content (a table, a URI)."""
    return bool(uri) and digest == hash_uri(uri)
