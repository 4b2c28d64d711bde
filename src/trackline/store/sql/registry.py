"""The SQL side of the registry: versions, aliases, evaluations, decisions and the audit chain.

Every registry write transaction starts by locking the audit chain head (``BEGIN IMMEDIATE`` on
SQLite already serializes writers; PostgreSQL takes ``FOR UPDATE`` on the head row). That one
lock makes version numbering gap-free, alias compare-and-swap exact, and the chain linear.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from ...errors import Conflict, NotFound
from ...model.audit import entry_hash
from ...model.limits import (
    INT32_MAX,
    SHORT_LEN,
    TEXT_LEN,
    Checker,
    check_artifact,
    repair_json,
)
from ...model.registry import (
    AliasEvent,
    AliasMove,
    AuditEntry,
    Evaluation,
    Expectation,
    GateDecision,
    ModelSummary,
    ModelVersion,
)
from ...model.runs import utcnow
from ..protocols import AuditStore, RegistryStore
from .dialect import like_prefix, utc, valid_ref
from .keys import insert_artifacts, insert_events
from .locations import registered_location
from .registry_tables import (
    AuditHeadRow,
    AuditRow,
    EvaluationRow,
    GateDecisionRow,
    ModelAliasRow,
    ModelVersionRow,
)
from .rows import artifact_row
from .tables import ArtifactRow, EventRow, TaskRunRow

__all__ = ["SqlRegistry", "newest_producer", "PRODUCER_BY_DIGEST"]

# The rule a version records when its producing run was found by the bytes alone.
PRODUCER_BY_DIGEST = "digest:newest-success-output"

T_VERSIONS = ModelVersionRow.__table__
T_ALIASES = ModelAliasRow.__table__
T_EVALS = EvaluationRow.__table__
T_DECISIONS = GateDecisionRow.__table__
T_AUDIT = AuditRow.__table__
T_HEAD = AuditHeadRow.__table__
T_ARTIFACTS = ArtifactRow.__table__
T_EVENTS = EventRow.__table__


def newest_producer(conn: sa.Connection, digest: str) -> str | None:
    """The newest successful run that output exactly these bytes (None: no run did)."""
    runs = TaskRunRow.__table__
    return conn.execute(
        sa.select(runs.c.id)
        .join(T_EVENTS, T_EVENTS.c.task_run_id == runs.c.id)
        .where(
            T_EVENTS.c.artifact_digest == digest,
            T_EVENTS.c.direction == "output",
            runs.c.status == "success",
        )
        .order_by(runs.c.ended_at.desc(), runs.c.id)
        .limit(1)
    ).scalar()


class SqlRegistry(RegistryStore, AuditStore):
    """Mixed into ``SqlStore``; uses its ``engine`` and ``_write()`` connection factory."""

    engine: sa.Engine
    _write: Callable[[], sa.Connection]

    # -- audit chain ----------------------------------------------------------------------
    def _lock(self, conn: sa.Connection) -> Any:
        stmt = sa.select(T_HEAD).where(T_HEAD.c.id == 1)
        if conn.dialect.name == "postgresql":
            stmt = stmt.with_for_update()
        return conn.execute(stmt).one()

    def _append(
        self,
        conn: sa.Connection,
        action: str,
        actor: str,
        model: str | None,
        version: int | None,
        data: dict[str, Any],
    ) -> AuditEntry:
        # Checked here, for every action that appends (a promotion's reason, an actor): a value
        # the column would store repaired (a NUL) would no longer match the entry's hash.
        c = Checker()
        c.text(("action",), action, 64, required=True)
        c.text(("actor",), actor, SHORT_LEN, required=True)
        c.text(("model",), model, SHORT_LEN)
        c.integer(("version",), version, 1, INT32_MAX)
        c.json(("data",), data)
        c.raise_if_any("audit entry")
        head = self._lock(conn)
        seq, at = head.seq + 1, utcnow()
        digest = entry_hash(head.hash, seq, at, actor, action, model, version, data)
        row = {
            "seq": seq,
            "at": at,
            "actor": actor,
            "action": action,
            "model": model,
            "version": version,
            "data": data,
            "prev_hash": head.hash,
            "hash": digest,
        }
        conn.execute(sa.insert(T_AUDIT).values(**row))
        conn.execute(sa.update(T_HEAD).where(T_HEAD.c.id == 1).values(seq=seq, hash=digest))
        return AuditEntry(**row)

    def append_audit(self, action, *, actor, model=None, version=None, data=None) -> AuditEntry:
        with self._write() as conn, conn.begin():
            return self._append(conn, action, actor, model, version, dict(data or {}))

    def audit_entries(
        self, *, model=None, limit=None, actor=None, action=None, before=None
    ) -> list[AuditEntry]:
        stmt = sa.select(T_AUDIT)
        for column, value in (("model", model), ("actor", actor), ("action", action)):
            if value:
                stmt = stmt.where(T_AUDIT.c[column] == value)
        if before is not None:
            stmt = stmt.where(T_AUDIT.c.seq < before)
        stmt = stmt.order_by(T_AUDIT.c.seq.desc() if limit else T_AUDIT.c.seq)
        if limit:
            stmt = stmt.limit(limit)
        with self.engine.connect() as conn:
            rows = [_audit(r._mapping) for r in conn.execute(stmt)]
        return rows[::-1] if limit else rows

    def audit_head(self) -> tuple[int, str]:
        with self.engine.connect() as conn:
            head = conn.execute(sa.select(T_HEAD).where(T_HEAD.c.id == 1)).one()
        return int(head.seq), head.hash

    # -- models ---------------------------------------------------------------------------
    def add_model_version(
        self,
        name,
        artifact,
        *,
        run_id,
        actor,
        description=None,
        tags=None,
        metadata=None,
        producer_rule=None,
    ) -> ModelVersion:
        c = Checker()
        c.text(("name",), name, SHORT_LEN, required=True)
        c.text(("run_id",), run_id, 64)
        c.text(("description",), description, TEXT_LEN)
        c.json(("tags",), tags)
        c.json(("metadata",), metadata)
        check_artifact(c, ("artifact",), artifact)
        c.raise_if_any(f"model version of {str(name)[:80]!r}")
        with self._write() as conn, conn.begin():
            self._lock(conn)
            existing = conn.execute(
                sa.select(T_VERSIONS.c.version).where(
                    T_VERSIONS.c.name == name, T_VERSIONS.c.digest == artifact.digest
                )
            ).scalar()
            if existing is not None:
                version = int(existing)
            else:
                insert_artifacts(conn, [artifact_row(artifact)])
                if run_id:
                    producer_rule = producer_rule or "explicit"
                    insert_events(
                        conn,
                        [
                            {
                                "task_run_id": run_id,
                                "direction": "output",
                                "artifact_digest": artifact.digest,
                                "slot": f"model:{name}",
                            }
                        ],
                    )
                else:
                    run_id = newest_producer(conn, artifact.digest)
                    producer_rule = PRODUCER_BY_DIGEST if run_id else None
                if artifact.uri:
                    registered_location(conn, artifact.digest, artifact.uri)
                latest = conn.execute(
                    sa.select(sa.func.max(T_VERSIONS.c.version)).where(T_VERSIONS.c.name == name)
                ).scalar()
                version = int(latest or 0) + 1
                conn.execute(
                    sa.insert(T_VERSIONS).values(
                        name=name,
                        version=version,
                        digest=artifact.digest,
                        run_id=run_id,
                        uri=artifact.uri,
                        producer_rule=producer_rule,
                        description=description,
                        tags=dict(tags or {}),
                        meta=dict(metadata or {}),
                        created_at=utcnow(),
                        actor=actor,
                    )
                )
                self._append(
                    conn,
                    "model.registered",
                    actor,
                    name,
                    version,
                    {
                        "digest": artifact.digest,
                        "run_id": run_id,
                        "uri": artifact.uri,
                        "producer_rule": producer_rule,
                    },
                )
        return self.get_model_version(name, version)

    def _versions(self, conn: sa.Connection, *where: Any) -> list[ModelVersion]:
        rows = conn.execute(
            sa.select(
                T_VERSIONS,
                T_VERSIONS.c.uri.label("registered_uri"),
                T_ARTIFACTS.c.uri,
                T_ARTIFACTS.c.kind,
            )
            .join(T_ARTIFACTS, T_ARTIFACTS.c.digest == T_VERSIONS.c.digest, isouter=True)
            .where(*where)
            .order_by(T_VERSIONS.c.name, T_VERSIONS.c.version)
        ).all()
        if not rows:
            return []
        names = {r.name for r in rows}
        aliases: dict[tuple[str, int], list[str]] = {}
        for a in conn.execute(
            sa.select(T_ALIASES).where(T_ALIASES.c.name.in_(names)).order_by(T_ALIASES.c.alias)
        ):
            aliases.setdefault((a.name, a.version), []).append(a.alias)
        return [
            ModelVersion(
                name=r.name,
                version=r.version,
                digest=r.digest,
                uri=r.registered_uri or r.uri,
                kind=r.kind,
                run_id=r.run_id,
                producer_rule=r.producer_rule,
                description=r.description,
                tags=r.tags or {},
                metadata=repair_json(r.meta) or {},
                aliases=aliases.get((r.name, r.version), []),
                created_at=utc(r.created_at),
                actor=r.actor,
            )
            for r in rows
        ]

    def list_models(self) -> list[ModelSummary]:
        v = T_VERSIONS
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(
                    v.c.name, sa.func.count(), sa.func.max(v.c.version), sa.func.max(v.c.created_at)
                )
                .group_by(v.c.name)
                .order_by(v.c.name)
            ).all()
            aliases: dict[str, dict[str, int]] = {}
            for a in conn.execute(sa.select(T_ALIASES).order_by(T_ALIASES.c.alias)):
                aliases.setdefault(a.name, {})[a.alias] = a.version
        return [
            ModelSummary(
                name=n, versions=c, latest_version=m, aliases=aliases.get(n, {}), updated_at=utc(t)
            )
            for n, c, m, t in rows
        ]

    def list_model_versions(self, name) -> list[ModelVersion]:
        with self.engine.connect() as conn:
            found = self._versions(conn, T_VERSIONS.c.name == name)
        if not found:
            raise NotFound(f"no model named {name!r}")
        return found

    def model_versions_with_digest(self, digest) -> list[ModelVersion]:
        column = T_VERSIONS.c.digest
        match = (
            column == digest if len(digest) >= 64 else column.startswith(digest, autoescape=True)
        )
        with self.engine.connect() as conn:
            return self._versions(conn, match)

    def get_model_version(self, name, version) -> ModelVersion:
        with self.engine.connect() as conn:
            found = self._versions(
                conn, T_VERSIONS.c.name == name, T_VERSIONS.c.version == int(version)
            )
            if not found:
                known = conn.execute(
                    sa.select(sa.func.max(T_VERSIONS.c.version)).where(T_VERSIONS.c.name == name)
                ).scalar()
        if not found:
            raise NotFound(
                f"model {name!r} has no version {version}" if known else f"no model named {name!r}"
            )
        return found[0]

    def update_model_version(
        self, name, version, *, actor, description=None, tags=None
    ) -> ModelVersion:
        c = Checker()
        c.text(("description",), description, TEXT_LEN)
        c.json(("tags",), tags)
        c.raise_if_any(f"update of {str(name)[:80]}/{version}")
        current = self.get_model_version(name, version)
        values: dict[str, Any] = {}
        if description is not None:
            values["description"] = description
        if tags:
            merged = {**current.tags, **tags}
            values["tags"] = {k: v for k, v in merged.items() if v is not None}
        if values:
            with self._write() as conn, conn.begin():
                self._lock(conn)
                conn.execute(
                    sa.update(T_VERSIONS)
                    .where(T_VERSIONS.c.name == name, T_VERSIONS.c.version == int(version))
                    .values(**values)
                )
                self._append(conn, "model.updated", actor, name, int(version), values)
        return self.get_model_version(name, version)

    # -- aliases --------------------------------------------------------------------------
    def get_aliases(self, name) -> dict[str, int]:
        with self.engine.connect() as conn:
            return {
                a.alias: a.version
                for a in conn.execute(
                    sa.select(T_ALIASES).where(T_ALIASES.c.name == name).order_by(T_ALIASES.c.alias)
                )
            }

    def move_alias(
        self,
        name,
        alias,
        version,
        *,
        actor,
        expected: Expectation = "any",
        decision_id=None,
        reason=None,
    ) -> AliasMove:
        version = int(version)
        self.get_model_version(name, version)  # NotFound before anything is written
        with self._write() as conn, conn.begin():
            self._lock(conn)
            current = conn.execute(
                sa.select(T_ALIASES.c.version).where(
                    T_ALIASES.c.name == name, T_ALIASES.c.alias == alias
                )
            ).scalar()
            lost = expected != "any" and current != expected
            if not lost:
                row = {
                    "name": name,
                    "alias": alias,
                    "version": version,
                    "decision_id": decision_id,
                    "updated_at": utcnow(),
                    "actor": actor,
                }
                if current is None:
                    conn.execute(sa.insert(T_ALIASES).values(**row))
                else:
                    conn.execute(
                        sa.update(T_ALIASES)
                        .where(T_ALIASES.c.name == name, T_ALIASES.c.alias == alias)
                        .values(**row)
                    )
                entry = self._append(
                    conn,
                    "alias.moved",
                    actor,
                    name,
                    version,
                    {
                        "alias": alias,
                        "from": current,
                        "to": version,
                        "decision_id": decision_id,
                        "reason": reason,
                    },
                )
                return AliasMove(
                    name=name,
                    alias=alias,
                    version=version,
                    previous=current,
                    decision_id=decision_id,
                    actor=actor,
                    at=entry.at,
                    audit_seq=entry.seq,
                )
        self.append_audit(
            "promotion.conflict",
            actor=actor,
            model=name,
            version=version,
            data={
                "alias": alias,
                "expected": expected,
                "found": current,
                "decision_id": decision_id,
            },
        )
        raise Conflict(
            f"{name}@{alias} moved to version {current} while this promotion expected "
            f"{'it empty' if expected is None else f'version {expected}'}: another promotion won; "
            "re-run the gate against the new incumbent"
        )

    def alias_events(self, name, alias=None) -> list[AliasEvent]:
        with self.engine.connect() as conn:
            if (
                conn.execute(sa.select(T_VERSIONS.c.name).where(T_VERSIONS.c.name == name)).first()
                is None
            ):
                raise NotFound(f"no model named {name!r}")
            rows = conn.execute(
                sa.select(T_AUDIT)
                .where(T_AUDIT.c.model == name, T_AUDIT.c.action.in_(ALIAS_ACTIONS))
                .order_by(T_AUDIT.c.seq)
            ).all()
            # The alias lives in the entry's JSON, which SQLite and PostgreSQL query differently;
            # one model's moves are few, so they are filtered here.
            entries = [_audit(r._mapping) for r in rows]
            entries = [e for e in entries if alias is None or e.data.get("alias") == alias]
            ids = {e.data["decision_id"] for e in entries if e.data.get("decision_id")}
            decisions = {
                d.id: d
                for d in conn.execute(
                    sa.select(
                        T_DECISIONS.c.id,
                        T_DECISIONS.c.policy_name,
                        T_DECISIONS.c.verdict,
                        T_DECISIONS.c.results,
                    ).where(T_DECISIONS.c.id.in_(ids))
                )
            }
        return [alias_event(e, decisions.get(e.data.get("decision_id"))) for e in entries]

    # -- evaluations and decisions ----------------------------------------------------------
    def write_evaluation(self, evaluation, artifacts) -> None:
        e = evaluation
        c = Checker()
        c.text(("id",), e.id, 64, required=True)
        c.text(("model_name",), e.model_name, SHORT_LEN)
        c.integer(("model_version",), e.model_version, 1, INT32_MAX)
        c.text(("model_digest",), e.model_digest, 128, required=True)
        c.text(("dataset_digest",), e.dataset_digest, 128, required=True)
        c.text(("dataset_name",), e.dataset_name, 512)
        c.text(("run_id",), e.run_id, 64)
        c.text(("actor",), e.actor, SHORT_LEN)
        for i, a in enumerate(artifacts or ()):
            check_artifact(c, ("artifacts", i), a)
        c.raise_if_any(f"evaluation {str(e.id)[:80]!r}")
        with self._write() as conn, conn.begin():
            self._lock(conn)
            if artifacts:
                insert_artifacts(conn, [artifact_row(a) for a in artifacts])
                for a in artifacts:  # as in task runs: the first name an artifact is given sticks
                    if a.name:
                        conn.execute(
                            sa.update(T_ARTIFACTS)
                            .where(T_ARTIFACTS.c.digest == a.digest, T_ARTIFACTS.c.name.is_(None))
                            .values(name=a.name)
                        )
            conn.execute(sa.insert(T_EVALS).values(**e.model_dump()))
            self._append(
                conn,
                "evaluation.logged",
                e.actor or "unknown",
                e.model_name,
                e.model_version,
                {
                    "evaluation_id": e.id,
                    "model_digest": e.model_digest,
                    "dataset_digest": e.dataset_digest,
                    "dataset_name": e.dataset_name,
                    "metrics": e.metrics,
                    "slices": sorted(e.slices),
                    "run_id": e.run_id,
                },
            )

    def get_evaluation(self, evaluation_id: str) -> Evaluation:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(T_EVALS).where(T_EVALS.c.id == evaluation_id)).first()
        if row is None:
            raise NotFound(f"no evaluation {evaluation_id!r}")
        return _evaluation(row._mapping)

    def list_evaluations(self, *, model_digest=None, limit=1000) -> list[Evaluation]:
        stmt = sa.select(T_EVALS).order_by(T_EVALS.c.created_at.desc(), T_EVALS.c.id).limit(limit)
        if model_digest:
            stmt = stmt.where(T_EVALS.c.model_digest == model_digest)
        with self.engine.connect() as conn:
            return [_evaluation(r._mapping) for r in conn.execute(stmt)]

    def write_decision(self, decision) -> None:
        d = decision
        row = d.model_dump(mode="json")
        row["created_at"] = d.created_at
        with self._write() as conn, conn.begin():
            # The audit entry first: its checks refuse an actor the tables cannot hold (a NUL)
            # as InvalidInput before the decision row meets the database.
            self._append(
                conn,
                "gate.decision",
                d.actor,
                d.model_name,
                d.model_version,
                {
                    "decision_id": d.id,
                    "policy_name": d.policy_name,
                    "policy_digest": d.policy_digest,
                    "model_digest": d.model_digest,
                    "verdict": d.verdict,
                    "failed_rules": [r.index for r in d.results if not r.passed],
                    "incumbents": d.incumbents,
                },
            )
            conn.execute(sa.insert(T_DECISIONS).values(**row))

    def get_decision(self, decision_id) -> GateDecision:
        if not valid_ref(decision_id):
            raise NotFound(f"no gate decision {decision_id!r}")
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(T_DECISIONS)
                .where(T_DECISIONS.c.id.like(like_prefix(decision_id), escape="\\"))
                .limit(2)
            ).all()
        exact = [r for r in rows if r.id == decision_id]
        if exact:
            return _decision(exact[0]._mapping)
        if len(rows) != 1:
            raise NotFound(
                f"no gate decision {decision_id!r}"
                if not rows
                else f"gate decision prefix {decision_id!r} is ambiguous"
            )
        return _decision(rows[0]._mapping)

    def list_decisions(
        self, *, model_digest=None, policy_digest=None, limit=100
    ) -> list[GateDecision]:
        stmt = sa.select(T_DECISIONS).order_by(T_DECISIONS.c.created_at.desc()).limit(limit)
        if model_digest:
            stmt = stmt.where(T_DECISIONS.c.model_digest == model_digest)
        if policy_digest:
            stmt = stmt.where(T_DECISIONS.c.policy_digest == policy_digest)
        with self.engine.connect() as conn:
            return [_decision(r._mapping) for r in conn.execute(stmt)]


ALIAS_ACTIONS = ("alias.moved", "promotion.refused", "promotion.conflict")


def alias_event(e: AuditEntry, decision: Any) -> AliasEvent:
    """An audit entry about an alias as an event; ``decision`` has the cited decision's id,
    policy_name, verdict and results (None: no decision, or an unknown id)."""
    d = e.data
    previous = d.get("from") if e.action == "alias.moved" else d.get("found")
    results = (decision.results or []) if decision is not None else []
    return AliasEvent(
        seq=e.seq,
        at=e.at,
        actor=e.actor,
        action=e.action,
        alias=str(d.get("alias", "")),
        version=e.version,
        previous=previous if isinstance(previous, int) else None,
        decision_id=d.get("decision_id") if isinstance(d.get("decision_id"), str) else None,
        reason=d.get("reason") if isinstance(d.get("reason"), str) else None,
        policy_name=decision.policy_name if decision is not None else None,
        verdict=decision.verdict if decision is not None else None,
        failed_rules=[int(r["index"]) for r in results if not r.get("passed")],
    )


def _audit(m: Any) -> AuditEntry:
    data = dict(m)
    data["at"] = utc(data["at"])
    # An entry stored before the limits may be too deep to serialise: shown repaired (verify
    # then reports that entry, which is the truth: its data cannot be shown as recorded).
    data["data"] = repair_json(data["data"]) or {}
    return AuditEntry.model_validate(data)


def _evaluation(m: Any) -> Evaluation:
    data = dict(m)
    data["created_at"] = utc(data["created_at"])
    data["slices"] = data["slices"] or {}
    return Evaluation.model_validate(data)


def _decision(m: Any) -> GateDecision:
    data = dict(m)
    data["created_at"] = utc(data["created_at"])
    data["incumbents"] = data["incumbents"] or {}
    data["policy"] = data["policy"] or {}
    return GateDecision.model_validate(data)
