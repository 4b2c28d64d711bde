"""The remote store: the ``RunStore`` interface over the trackline server's REST API.

``TRACKLINE_STORE=http://host:port`` (or ``https://``) plus ``TRACKLINE_TOKEN`` points every part
of trackline at a team server. One ``requests.Session`` per store reuses connections; failed
connections and 502/503/504 answers are retried with exponential backoff (writes too: they are
idempotent by record id). Errors come back as the same ``TracklineError`` classes the SQL store
raises, mapped by their stable code. Tracked writes do not come here one by one: the fail-safe
wrapper journals them (``journal.py``) and its sender hands them to ``write_records``, one
request per batch with an outcome per record.

The registry side (``RegistryStore``, ``AuditStore``) maps one method to one endpoint. Registry
writes are never spooled (``capability`` hands out the backend, not the fail-safe wrapper), and
the server records the token's name as actor whatever a client sends. As a ``RemoteRules`` store
it asks the server to apply the registry's rules: a gate check (``run_gate``), a promotion
(``promote_version``) and an evaluation's checks are one request each, evaluated by the server's
copy of the same library code against its own records.

Monitoring (``MonitoringStore``: drift reports, windows of a task's data, trigger episodes and
firings) comes from ``HttpMonitoring`` in ``http_monitoring.py``, so ``trackline drift`` and
``trackline monitor`` work against a server like against a SQL store.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote

import requests
from pydantic_core import to_json
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from .._version import __version__
from ..config import Settings
from ..config import settings as current_settings
from ..errors import (
    ConfigError,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    PromotionRefused,
    StoreUnavailable,
    TracklineError,
    Unauthenticated,
    error_for_code,
)
from ..model.registry import (
    AliasEvent,
    AliasMove,
    AuditEntry,
    Evaluation,
    Expectation,
    GateDecision,
    ModelSummary,
    ModelVersion,
)
from ..model.runs import (
    Artifact,
    ArtifactLocation,
    FolderFile,
    LineageGraph,
    PipelineRun,
    RunQuery,
    TaskRun,
)
from ..query.spec import Search, SearchResult
from .http_monitoring import HttpMonitoring
from .protocols import (
    AuditStore,
    BatchRunStore,
    LocationStore,
    RegistryStore,
    RemoteRules,
    RunStore,
    SearchStore,
)

__all__ = ["HttpStore"]

_BY_STATUS: dict[int, type[TracklineError]] = {
    401: Unauthenticated,
    403: PermissionDenied,
    404: NotFound,
    413: PayloadTooLarge,
}


_JSON_BODY = {"Content-Type": "application/json"}


def _session(retries: int, token: str | None, *, replay: bool = True) -> requests.Session:
    """With ``replay=False`` only connections that failed before the request went out are
    retried (for compare-and-set writes, whose answer a replay would change)."""
    session = requests.Session()
    again = retries if replay else 0
    retry = Retry(
        total=retries,
        connect=retries,
        read=again,
        status=again,
        other=0,
        backoff_factor=0.2,
        status_forcelist=(502, 503, 504) if replay else (),
        allowed_methods=None,
        raise_on_status=False,
        respect_retry_after_header=True,
    )
    adapter = HTTPAdapter(max_retries=retry, pool_connections=4, pool_maxsize=8)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = f"trackline/{__version__}"
    if token:
        session.headers["Authorization"] = f"Bearer {token}"
    return session


def _error(resp: requests.Response) -> TracklineError:
    try:
        body = resp.json()["error"]
        cls, message = error_for_code(body["code"]), body["message"]
    except (ValueError, KeyError, TypeError):
        cls = _BY_STATUS.get(
            resp.status_code, StoreUnavailable if resp.status_code >= 500 else TracklineError
        )
        message = f"HTTP {resp.status_code} from {resp.url}: {resp.text[:200]}"
    return cls(message)


class HttpStore(
    RunStore,
    BatchRunStore,
    SearchStore,
    RegistryStore,
    AuditStore,
    RemoteRules,
    LocationStore,
    HttpMonitoring,
):
    def __init__(
        self, url: str, settings: Settings | None = None, *, token: str | None = None
    ) -> None:
        cfg = settings or current_settings()
        if not url.startswith(("http://", "https://")):
            raise ConfigError(f"HttpStore needs an http:// or https:// URL, not {url!r}")
        self.url = url.rstrip("/")
        self._api = self.url + "/api/v1"
        secret = token or (cfg.token.get_secret_value() if cfg.token else None)
        self._timeout = (min(5.0, cfg.http_timeout), cfg.http_timeout)
        self._session = _session(cfg.http_retries, secret)
        self._once = _session(cfg.http_retries, secret, replay=False)
        self._series: bool | None = None  # the server stores metric series (``_takes_series``)

    def _call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict | None = None,
        replay: bool = True,
        root: bool = False,
    ) -> requests.Response:
        """``path`` under ``/api/v1`` (``root``: under the server's own URL, e.g. ``/healthz``)."""
        session = self._session if replay else self._once
        # NaN and the infinities as the strings pydantic reads back (records dumped with
        # mode="json" keep them as floats, which plain JSON cannot carry).
        body = None if json is None else to_json(json, inf_nan_mode="strings")
        headers = None if json is None else _JSON_BODY
        try:
            resp = session.request(
                method,
                (self.url if root else self._api) + path,
                data=body,
                headers=headers,
                params=params,
                timeout=self._timeout,
            )
        except requests.RequestException as exc:
            raise StoreUnavailable(f"trackline server {self.url} unreachable: {exc}") from exc
        if resp.status_code >= 400:
            raise _error(resp)
        return resp

    # -- writes ---------------------------------------------------------------------------
    def write_task_run(self, run: TaskRun) -> None:
        self._call("POST", "/task-runs", json=self._task_run_body(run))

    def _record_body(self, record: TaskRun | PipelineRun) -> dict[str, Any]:
        if isinstance(record, TaskRun):
            return {"kind": "task_run", "record": self._task_run_body(record)}
        return {"kind": "pipeline_run", "record": record.model_dump(mode="json")}

    def _task_run_body(self, run: TaskRun) -> dict[str, Any]:
        # ``artifacts`` is excluded from record dumps; the server needs the full artifact records.
        body = run.model_dump(mode="json")
        body["artifacts"] = [a.model_dump(mode="json") for a in run.artifacts]
        if run.metric_series and not self._takes_series():
            body["metrics"] += [
                m.model_dump(mode="json") for s in run.metric_series for m in s.points()
            ]
            body["metric_series"] = []
        return body

    def _takes_series(self) -> bool:
        """Whether the server stores ``metric_series``: a server from before them would ignore
        the field and store the run without those points, so it gets them as metric records.
        Asked once (``/healthz`` lists the server's features); unreachable means unavailable."""
        if self._series is None:
            health = self._call("GET", "/healthz", root=True)
            try:
                features = health.json().get("features")
            except (ValueError, AttributeError):  # not trackline's answer (a proxy's page)
                features = None
            self._series = "metric_series" in (features or [])
        return self._series

    def write_pipeline_run(self, run: PipelineRun) -> None:
        self._call("POST", "/pipeline-runs", json=run.model_dump(mode="json"))

    def write_batch(
        self, pipeline_runs: Sequence[PipelineRun] = (), task_runs: Sequence[TaskRun] = ()
    ) -> list[dict[str, str]]:
        """Several records in one request (pipeline runs first); returns ``[{kind, id}]`` in
        order."""
        body = {
            "pipeline_runs": [p.model_dump(mode="json") for p in pipeline_runs],
            "task_runs": [self._task_run_body(t) for t in task_runs],
        }
        return self._call("POST", "/batch", json=body).json()["written"]

    def write_records(self, records: Sequence[TaskRun | PipelineRun]) -> list[Exception | None]:
        body = {"records": [self._record_body(r) for r in records]}
        results = self._call("POST", "/records", json=body).json()["results"]
        return [
            None if r["ok"] else error_for_code(r["error"]["code"])(r["error"]["message"])
            for r in results
        ]

    def heartbeat(
        self, task_run_ids: Sequence[str], pipeline_run_ids: Sequence[str], at: datetime
    ) -> None:
        self._call(
            "POST",
            "/heartbeat",
            json={
                "task_run_ids": list(task_run_ids),
                "pipeline_run_ids": list(pipeline_run_ids),
                "at": at.isoformat(),
            },
        )

    def reap(self, stale_before: datetime) -> list[str]:
        return self._call("POST", "/reap", json={"stale_before": stale_before.isoformat()}).json()[
            "reaped"
        ]

    # -- reads ----------------------------------------------------------------------------
    def list_runs(self, query: RunQuery) -> list[TaskRun]:
        params = query.model_dump(mode="json", exclude_none=True)
        return [TaskRun.model_validate(r) for r in self._call("GET", "/runs", params=params).json()]

    def get_run(self, ref: str) -> TaskRun:
        return TaskRun.model_validate_json(self._call("GET", f"/runs/{_seg(ref)}").content)

    def list_pipeline_runs(
        self, pipeline: str | None = None, limit: int = 100
    ) -> list[PipelineRun]:
        params = {"limit": limit, **({"pipeline": pipeline} if pipeline else {})}
        return [
            PipelineRun.model_validate(p)
            for p in self._call("GET", "/pipeline-runs", params=params).json()
        ]

    def get_pipeline_run(self, ref: str) -> PipelineRun:
        return PipelineRun.model_validate_json(
            self._call("GET", f"/pipeline-runs/{_seg(ref)}").content
        )

    def list_artifacts(self, kind: str | None = None, limit: int = 100) -> list[Artifact]:
        params = {"limit": limit, **({"kind": kind} if kind else {})}
        return [
            Artifact.model_validate(a)
            for a in self._call("GET", "/artifacts", params=params).json()
        ]

    def get_artifact(self, ref: str) -> Artifact:
        return Artifact.model_validate_json(self._call("GET", f"/artifacts/{_seg(ref)}").content)

    def lineage(
        self, ref: str, direction: str = "upstream", depth: int | None = None
    ) -> LineageGraph:
        params: dict[str, Any] = {"direction": direction}
        if depth is not None:
            params["depth"] = depth
        return LineageGraph.model_validate_json(
            self._call("GET", f"/lineage/{_seg(ref)}", params=params).content
        )

    # -- locations ------------------------------------------------------------------------
    def artifact_locations(self, ref: str) -> list[ArtifactLocation]:
        found = self._call("GET", f"/artifacts/{_seg(ref)}/locations").json()
        return [ArtifactLocation.model_validate(x) for x in found]

    def locations_at(self, uri: str, limit: int = 20) -> list[ArtifactLocation]:
        found = self._call("GET", "/locations", params={"uri": uri, "limit": limit}).json()
        return [ArtifactLocation.model_validate(x) for x in found]

    def folder_manifest(self, digest: str) -> list[FolderFile]:
        found = self._call("GET", f"/artifacts/{_seg(digest)}/files").json()
        return [FolderFile.model_validate(x) for x in found]

    # -- registry -------------------------------------------------------------------------
    # -- search -----------------------------------------------------------------------------
    def search_runs(self, search: Search) -> SearchResult:
        return self._search("/runs", search)

    def search_pipelines(self, search: Search) -> SearchResult:
        return self._search("/pipeline-runs", search.model_copy(update={"scope": "pipelines"}))

    def _search(self, path: str, search: Search) -> SearchResult:
        # Parsed here first: a malformed search fails with the server's message without a round
        # trip, and an over-long expression never becomes an over-long URL.
        search.parsed()
        params: dict[str, Any] = {"limit": search.limit, "search": "1"}
        for key in ("where", "order_by", "columns", "group_by", "agg"):
            value = getattr(search, key)
            if value is not None:
                params[key] = value
        if search.offset:
            params["offset"] = search.offset
        if search.total:
            params["total"] = "1"
        return SearchResult.model_validate(self._call("GET", path, params=params).json())

    def add_model_version(
        self,
        name: str,
        artifact: Artifact,
        *,
        run_id: str | None,
        actor: str,
        description: str | None = None,
        tags: dict[str, str] | None = None,
        metadata: dict[str, Any] | None = None,
        producer_rule: str | None = None,
    ) -> ModelVersion:
        body = {
            "artifact": artifact.model_dump(mode="json", exclude={"files", "file_count"}),
            "run_id": run_id,
            "producer_rule": producer_rule,
            "description": description,
            "tags": tags or {},
            "metadata": metadata or {},
        }
        return ModelVersion.model_validate_json(
            self._call("POST", f"/models/{_seg(name)}/versions", json=body).content
        )

    def list_models(self) -> list[ModelSummary]:
        return [ModelSummary.model_validate(m) for m in self._call("GET", "/models").json()]

    def list_model_versions(self, name: str) -> list[ModelVersion]:
        return [
            ModelVersion.model_validate(v)
            for v in self._call("GET", f"/models/{_seg(name)}/versions").json()
        ]

    def model_versions_with_digest(self, digest: str) -> list[ModelVersion]:
        found = self._call("GET", "/model-versions", params={"digest": digest}).json()
        return [ModelVersion.model_validate(v) for v in found]

    def get_model_version(self, name: str, version: int) -> ModelVersion:
        return ModelVersion.model_validate_json(
            self._call("GET", f"/models/{_seg(name)}/versions/{int(version)}").content
        )

    def update_model_version(
        self,
        name: str,
        version: int,
        *,
        actor: str,
        description: str | None = None,
        tags: dict[str, str | None] | None = None,
    ) -> ModelVersion:
        return ModelVersion.model_validate_json(
            self._call(
                "PATCH",
                f"/models/{_seg(name)}/versions/{int(version)}",
                json={"description": description, "tags": tags or {}},
            ).content
        )

    def get_aliases(self, name: str) -> dict[str, int]:
        return self._call("GET", f"/models/{_seg(name)}/aliases").json()

    def move_alias(
        self,
        name: str,
        alias: str,
        version: int,
        *,
        actor: str,
        expected: Expectation = "any",
        decision_id: str | None = None,
        reason: str | None = None,
    ) -> AliasMove:
        if not decision_id:
            raise PromotionRefused(
                f"the server moves {name}@{alias} only on a passing gate decision; "
                "promote with `trackline models promote` (it finds one)"
            )
        body = {
            "version": int(version),
            "expected": expected,
            "decision_id": decision_id,
            "reason": reason,
        }
        return AliasMove.model_validate_json(
            self._call("PUT", f"/models/{_seg(name)}/aliases/{_seg(alias)}", json=body).content
        )

    def alias_events(self, name: str, alias: str | None = None) -> list[AliasEvent]:
        params = {"alias": alias} if alias else None
        body = self._call("GET", f"/models/{_seg(name)}/history", params=params).json()
        return [AliasEvent.model_validate(e) for e in body["events"]]

    def write_evaluation(self, evaluation: Evaluation, artifacts: list[Artifact]) -> None:
        self._call(
            "POST",
            "/evaluations",
            json={
                "evaluation": evaluation.model_dump(mode="json"),
                "artifacts": [a.model_dump(mode="json") for a in artifacts],
            },
        )

    def get_evaluation(self, evaluation_id: str) -> Evaluation:
        return Evaluation.model_validate_json(
            self._call("GET", f"/evaluations/{_seg(evaluation_id)}").content
        )

    def list_evaluations(
        self, *, model_digest: str | None = None, limit: int = 1000
    ) -> list[Evaluation]:
        params = {"limit": limit, **({"model_digest": model_digest} if model_digest else {})}
        return [
            Evaluation.model_validate(e)
            for e in self._call("GET", "/evaluations", params=params).json()
        ]

    def run_gate(
        self,
        name: str,
        version: int,
        policy: dict[str, Any],
        *,
        policy_file: str | None = None,
        decision_id: str | None = None,
    ) -> GateDecision:
        body = {"policy": policy, "policy_file": policy_file, "decision_id": decision_id}
        path = f"/models/{_seg(name)}/versions/{int(version)}/gate"
        return GateDecision.model_validate_json(self._call("POST", path, json=body).content)

    def promote_version(
        self,
        name: str,
        version: int,
        *,
        alias: str,
        policy: dict[str, Any] | None = None,
        decision_id: str | None = None,
        reason: str | None = None,
    ) -> AliasMove:
        body = {"alias": alias, "policy": policy, "decision_id": decision_id, "reason": reason}
        path = f"/models/{_seg(name)}/versions/{int(version)}/promote"
        # A promotion is compare-and-set: never replayed blindly after the request went out.
        return AliasMove.model_validate_json(
            self._call("POST", path, json=body, replay=False).content
        )

    def write_decision(self, decision: GateDecision) -> GateDecision:
        return GateDecision.model_validate_json(
            self._call("POST", "/gate-decisions", json=decision.model_dump(mode="json")).content
        )

    def get_decision(self, decision_id: str) -> GateDecision:
        return GateDecision.model_validate_json(
            self._call("GET", f"/gate-decisions/{_seg(decision_id)}").content
        )

    def list_decisions(
        self, *, model_digest: str | None = None, policy_digest: str | None = None, limit: int = 100
    ) -> list[GateDecision]:
        params: dict[str, Any] = {"limit": limit}
        if model_digest:
            params["model_digest"] = model_digest
        if policy_digest:
            params["policy_digest"] = policy_digest
        return [
            GateDecision.model_validate(d)
            for d in self._call("GET", "/gate-decisions", params=params).json()
        ]

    def append_audit(
        self,
        action: str,
        *,
        actor: str,
        model: str | None = None,
        version: int | None = None,
        data: dict[str, Any] | None = None,
    ) -> AuditEntry:
        body = {"action": action, "model": model, "version": version, "data": data or {}}
        return AuditEntry.model_validate_json(
            self._call("POST", "/audit/entries", json=body).content
        )

    def audit_entries(
        self,
        *,
        model: str | None = None,
        limit: int | None = None,
        actor: str | None = None,
        action: str | None = None,
        before: int | None = None,
    ) -> list[AuditEntry]:
        given = {"model": model, "limit": limit, "actor": actor, "action": action, "before": before}
        params = {k: v for k, v in given.items() if v is not None and v != ""}
        return [
            AuditEntry.model_validate(e)
            for e in self._call("GET", "/audit/entries", params=params).json()
        ]

    def audit_head(self) -> tuple[int, str]:
        head = self._call("GET", "/audit/head").json()
        return int(head["seq"]), head["hash"]

    def whoami(self) -> dict[str, Any]:
        """The token's name and role as the server sees them."""
        return self._call("GET", "/whoami").json()

    def close(self) -> None:
        self._session.close()
        self._once.close()


def _seg(ref: str) -> str:
    return quote(ref, safe="")
