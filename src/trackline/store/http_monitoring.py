"""``MonitoringStore`` over the team server's REST API, mixed into ``HttpStore``.

One method, one endpoint (``trackline.server.routes.monitoring``), and the server calls the SQL
store's method of the same name, so the answers are the SQL store's. Drift reports and firing
outcomes are idempotent writes, retried like every write. The compare-and-set writes (open or
close an episode, claim a firing) are not replayed once sent: a replay after a lost answer would
turn the caller's own win into a loss (a claimed firing nobody performs); only connections that
failed before the request was sent are retried.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import quote

import requests

from ..model.monitoring import DriftReport, TriggerFiring, WindowArtifact
from .protocols import MonitoringStore, WindowItem

__all__ = ["HttpMonitoring"]


class HttpMonitoring(MonitoringStore):
    audits_firings = True  # the server audits each finished firing, with the token's name
    _call: Callable[..., requests.Response]  # HttpStore's: (method, path, *, json, params, replay)

    # -- drift reports --------------------------------------------------------------------------
    def write_drift_report(self, report: DriftReport) -> None:
        self._call("POST", "/drift-reports", json=report.model_dump(mode="json"))

    def get_drift_report(self, ref: str) -> DriftReport:
        resp = self._call("GET", f"/drift-reports/{quote(ref, safe='')}")
        return DriftReport.model_validate_json(resp.content)

    def list_drift_reports(
        self, artifact: str | None = None, limit: int = 100
    ) -> list[DriftReport]:
        params = {"limit": limit, **({"artifact": artifact} if artifact else {})}
        found = self._call("GET", "/drift-reports", params=params).json()
        return [DriftReport.model_validate(r) for r in found]

    def window_artifacts(
        self,
        task: str,
        direction: str,
        slot: str | None,
        since: datetime | None,
        until: datetime | None,
        limit: int = 10_000,
    ) -> list[WindowItem]:
        params: dict[str, Any] = {"task": task, "direction": direction, "limit": limit}
        for name, value in (("slot", slot), ("since", since), ("until", until)):
            if value:
                params[name] = value.isoformat() if isinstance(value, datetime) else value
        found = self._call("GET", "/window-artifacts", params=params).json()
        items = [WindowArtifact.model_validate(w) for w in found]
        return [(w.run_id, w.slot, w.run_started, w.artifact) for w in items]

    # -- trigger bookkeeping ----------------------------------------------------------------------
    def open_episode(self, key: str, episode: str, at: datetime) -> bool:
        body = {"key": key, "episode": episode, "at": at.isoformat()}
        return self._call("POST", "/trigger-episodes/open", json=body, replay=False).json()[
            "changed"
        ]

    def current_episode(self, key: str) -> str | None:
        return self._call("GET", "/trigger-episodes/current", params={"key": key}).json()["episode"]

    def close_episode(self, key: str, at: datetime) -> bool:
        body = {"key": key, "at": at.isoformat()}
        return self._call("POST", "/trigger-episodes/close", json=body, replay=False).json()[
            "changed"
        ]

    def claim_firing(self, firing: TriggerFiring) -> bool:
        out = self._call(
            "POST", "/trigger-firings/claim", json=firing.model_dump(mode="json"), replay=False
        ).json()
        if out["claimed"]:
            firing.id = out["id"]  # a re-claimed failed firing keeps its first id, as in SQL
        return out["claimed"]

    def get_firing(self, key: str) -> TriggerFiring | None:
        return _firing(self._call("GET", "/trigger-firings/by-key", params={"key": key}).json())

    def finish_firing(self, firing: TriggerFiring) -> None:
        self._call("POST", "/trigger-firings/finish", json=firing.model_dump(mode="json"))

    def last_firing(
        self, policy: str, rule: str, statuses: tuple[str, ...] = ("fired",)
    ) -> TriggerFiring | None:
        if not statuses:
            return None  # no status matches, as in SQL (the endpoint's default is "fired")
        params = {"policy": policy, "rule": rule, "status": list(statuses)}
        return _firing(self._call("GET", "/trigger-firings/last", params=params).json())

    def list_firings(self, policy: str | None = None, limit: int = 100) -> list[TriggerFiring]:
        params = {"limit": limit, **({"policy": policy} if policy else {})}
        found = self._call("GET", "/trigger-firings", params=params).json()
        return [TriggerFiring.model_validate(f) for f in found]


def _firing(data: Any) -> TriggerFiring | None:
    return None if data is None else TriggerFiring.model_validate(data)
