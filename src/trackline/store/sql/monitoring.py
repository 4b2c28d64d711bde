"""SQL side of monitoring (mixed into ``SqlStore``): drift reports, windows, trigger bookkeeping.

Exactly-once firing rests on two single-row compare-and-set writes that work the same on SQLite
and PostgreSQL: opening an episode (``UPDATE … WHERE episode IS NULL``) and claiming a firing
(insert by unique idempotency key, or re-claim a failed one with ``UPDATE … WHERE status =
'failed'``). Whoever changes the row owns the action; everyone else sees rowcount 0.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ...errors import AmbiguousRef, NotFound
from ...model.limits import check_json
from ...model.monitoring import DriftReport, TriggerFiring
from ..protocols import MonitoringStore, WindowItem
from .dialect import insert_ignore, like_prefix, utc, valid_ref
from .monitoring_tables import (
    DriftReportArtifactRow,
    DriftReportRow,
    MonitorEpisodeRow,
    TriggerFiringRow,
)
from .rows import artifact_from_row
from .tables import ArtifactRow, EventRow, TaskRunRow

__all__ = ["SqlMonitoring"]

T_REPORTS = DriftReportRow.__table__
T_LINKS = DriftReportArtifactRow.__table__
T_EPISODES = MonitorEpisodeRow.__table__
T_FIRINGS = TriggerFiringRow.__table__


class SqlMonitoring(MonitoringStore):
    engine: sa.Engine  # and ``_write()``: both come from ``SqlStore``

    # -- drift reports ----------------------------------------------------------------------
    def write_drift_report(self, report: DriftReport) -> None:
        check_json(report.model_dump(mode="json"), "drift report", allow_nan=True)
        links = [
            {"report_id": report.id, "role": role, "artifact_digest": d}
            for role, side in (("reference", report.reference), ("current", report.current))
            for d in dict.fromkeys(side.digests)
        ]
        with self._write() as conn, conn.begin():
            conn.execute(
                insert_ignore(conn, T_REPORTS, ["id"]),
                {
                    "id": report.id,
                    "created_at": report.created_at,
                    "drifted": report.drifted,
                    "share": report.share,
                    "reference_ref": report.reference.ref[:1024],
                    "current_ref": report.current.ref[:1024],
                    "run_id": report.run_id,
                    "report_digest": report.report_digest,
                    "data": report.model_dump(mode="json"),
                },
            )
            if links:
                conn.execute(
                    insert_ignore(conn, T_LINKS, ["report_id", "role", "artifact_digest"]), links
                )

    def get_drift_report(self, ref: str) -> DriftReport:
        if not valid_ref(ref):
            raise NotFound(f"no drift report {ref!r}")
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(T_REPORTS.c.data)
                .where(
                    sa.or_(
                        T_REPORTS.c.id == ref, T_REPORTS.c.id.like(like_prefix(ref), escape="\\")
                    )
                )
                .limit(2)
            ).all()
        if not rows:
            raise NotFound(f"no drift report {ref!r}")
        if len(rows) > 1:
            exact = [r for r in rows if r.data.get("id") == ref]
            if not exact:
                raise AmbiguousRef(f"drift report prefix {ref!r} matches more than one")
            rows = exact
        return DriftReport.model_validate(rows[0].data)

    def list_drift_reports(
        self, artifact: str | None = None, limit: int = 100
    ) -> list[DriftReport]:
        stmt = sa.select(T_REPORTS.c.data).order_by(T_REPORTS.c.created_at.desc()).limit(limit)
        if artifact:
            linked = sa.select(T_LINKS.c.report_id).where(T_LINKS.c.artifact_digest == artifact)
            stmt = stmt.where(T_REPORTS.c.id.in_(linked))
        with self.engine.connect() as conn:
            return [DriftReport.model_validate(r.data) for r in conn.execute(stmt)]

    def window_artifacts(
        self,
        task: str,
        direction: str,
        slot: str | None,
        since: datetime | None,
        until: datetime | None,
        limit: int = 10_000,
    ) -> list[WindowItem]:
        runs, events, arts = TaskRunRow.__table__, EventRow.__table__, ArtifactRow.__table__
        stmt = (
            sa.select(
                runs.c.id.label("run_id"),
                events.c.slot,
                runs.c.started_at.label("run_started"),
                *[c for c in arts.c],
            )
            .join(events, events.c.task_run_id == runs.c.id)
            .join(arts, arts.c.digest == events.c.artifact_digest)
            .where(runs.c.name == task, events.c.direction == direction)
            .order_by(runs.c.started_at.desc(), events.c.slot)
            .limit(limit)
        )
        if slot:
            stmt = stmt.where(events.c.slot == slot)
        if since:
            stmt = stmt.where(runs.c.started_at >= since)
        if until:
            stmt = stmt.where(runs.c.started_at < until)
        out: list[WindowItem] = []
        with self.engine.connect() as conn:
            for row in conn.execute(stmt):
                m = dict(row._mapping)
                run_id, slot_, started = m.pop("run_id"), m.pop("slot"), m.pop("run_started")
                out.append((run_id, slot_, utc(started), artifact_from_row(m)))
        return out

    # -- trigger bookkeeping ---------------------------------------------------------------
    def open_episode(self, key: str, episode: str, at: datetime) -> bool:
        with self._write() as conn, conn.begin():
            conn.execute(insert_ignore(conn, T_EPISODES, ["key"]), {"key": key, "episode": None})
            changed = conn.execute(
                sa.update(T_EPISODES)
                .where(T_EPISODES.c.key == key, T_EPISODES.c.episode.is_(None))
                .values(episode=episode, opened_at=at, closed_at=None)
            ).rowcount
        return changed == 1

    def current_episode(self, key: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(
                sa.select(T_EPISODES.c.episode).where(T_EPISODES.c.key == key)
            ).scalar()

    def close_episode(self, key: str, at: datetime) -> bool:
        with self._write() as conn, conn.begin():
            return (
                conn.execute(
                    sa.update(T_EPISODES)
                    .where(T_EPISODES.c.key == key, T_EPISODES.c.episode.is_not(None))
                    .values(episode=None, closed_at=at)
                ).rowcount
                == 1
            )

    def claim_firing(self, firing: TriggerFiring) -> bool:
        check_json(firing.model_dump(mode="json"), "trigger firing", allow_nan=True)
        row = _firing_row(firing)
        with self._write() as conn, conn.begin():
            if _inserted(conn, row):
                return True
            values = {k: v for k, v in row.items() if k not in ("id", "key")}
            retaken = conn.execute(
                sa.update(T_FIRINGS)
                .where(T_FIRINGS.c.key == firing.key, T_FIRINGS.c.status == "failed")
                .values(**values)
            ).rowcount
            if retaken:
                firing.id = conn.execute(
                    sa.select(T_FIRINGS.c.id).where(T_FIRINGS.c.key == firing.key)
                ).scalar_one()
            return retaken == 1

    def get_firing(self, key: str) -> TriggerFiring | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(T_FIRINGS).where(T_FIRINGS.c.key == key)).first()
        return _firing(row._mapping) if row is not None else None

    def finish_firing(self, firing: TriggerFiring) -> None:
        check_json(firing.model_dump(mode="json"), "trigger firing", allow_nan=True)
        row = _firing_row(firing)
        with self._write() as conn, conn.begin():
            if not _inserted(conn, row):
                conn.execute(
                    sa.update(T_FIRINGS)
                    .where(T_FIRINGS.c.key == firing.key)
                    .values(status=row["status"], finished_at=row["finished_at"], data=row["data"])
                )

    def last_firing(
        self, policy: str, rule: str, statuses: tuple[str, ...] = ("fired",)
    ) -> TriggerFiring | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(T_FIRINGS)
                .where(
                    T_FIRINGS.c.policy == policy,
                    T_FIRINGS.c.rule == rule,
                    T_FIRINGS.c.status.in_(statuses),
                )
                .order_by(T_FIRINGS.c.created_at.desc())
                .limit(1)
            ).first()
        return _firing(row._mapping) if row is not None else None

    def list_firings(self, policy: str | None = None, limit: int = 100) -> list[TriggerFiring]:
        stmt = sa.select(T_FIRINGS).order_by(T_FIRINGS.c.created_at.desc()).limit(limit)
        if policy:
            stmt = stmt.where(T_FIRINGS.c.policy == policy)
        with self.engine.connect() as conn:
            return [_firing(r._mapping) for r in conn.execute(stmt)]


def _inserted(conn: sa.Connection, row: dict[str, Any]) -> bool:
    """Insert a firing unless its key exists (RETURNING: psycopg 3 reports rowcount -1 here)."""
    stmt = insert_ignore(conn, T_FIRINGS, ["key"]).returning(T_FIRINGS.c.id)
    return conn.execute(stmt, row).first() is not None


def _firing_row(f: TriggerFiring) -> dict[str, Any]:
    data = f.model_dump(mode="json", include={"action", "evidence", "started", "error"})
    return {
        "id": f.id,
        "key": f.key,
        "policy": f.policy,
        "rule": f.rule,
        "episode": f.episode,
        "status": f.status,
        "created_at": f.created_at,
        "finished_at": f.finished_at,
        "data": data,
    }


def _firing(m: Any) -> TriggerFiring:
    data = m["data"] or {}
    return TriggerFiring(
        id=m["id"],
        key=m["key"],
        policy=m["policy"],
        rule=m["rule"],
        episode=m["episode"],
        status=m["status"],
        created_at=utc(m["created_at"]),
        finished_at=utc(m["finished_at"]),
        **data,
    )
