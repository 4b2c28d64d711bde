"""Tables of the model registry, evaluations, gate decisions and the audit log (migration 0002)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, DateTime, Index, Integer, Text
from sqlmodel import Field, SQLModel

__all__ = [
    "ModelVersionRow",
    "ModelAliasRow",
    "EvaluationRow",
    "GateDecisionRow",
    "AuditRow",
    "AuditHeadRow",
]


def _ts(**kw: Any) -> Any:
    return Field(default=None, sa_column=Column(DateTime(timezone=True), **kw))


def _json(**kw: Any) -> Any:
    return Field(default=None, sa_column=Column(JSON, **kw))


class ModelVersionRow(SQLModel, table=True):
    __tablename__ = "model_versions"
    __table_args__ = (Index("ix_model_versions_digest", "digest"),)
    name: str = Field(primary_key=True, max_length=255)
    version: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    digest: str = Field(max_length=128)
    run_id: str | None = Field(default=None, max_length=64)
    # Where the registered bytes were read from, and which rule linked the producing run.
    uri: str | None = Field(default=None, sa_column=Column(Text))
    producer_rule: str | None = Field(default=None, max_length=64)
    description: str | None = Field(default=None, sa_column=Column(Text))
    tags: dict | None = _json()
    meta: dict | None = _json()
    created_at: datetime | None = _ts()
    actor: str | None = Field(default=None, max_length=255)


class ModelAliasRow(SQLModel, table=True):
    __tablename__ = "model_aliases"
    name: str = Field(primary_key=True, max_length=255)
    alias: str = Field(primary_key=True, max_length=255)
    version: int
    decision_id: str | None = Field(default=None, max_length=64)
    updated_at: datetime | None = _ts()
    actor: str | None = Field(default=None, max_length=255)


class EvaluationRow(SQLModel, table=True):
    __tablename__ = "evaluations"
    __table_args__ = (
        Index("ix_evaluations_model_dataset", "model_digest", "dataset_digest"),
        Index("ix_evaluations_created", "created_at"),
    )
    id: str = Field(primary_key=True, max_length=64)
    model_digest: str = Field(max_length=128)
    model_name: str | None = Field(default=None, max_length=255)
    model_version: int | None = None
    dataset_digest: str = Field(max_length=128)
    dataset_name: str | None = Field(default=None, max_length=512)
    metrics: dict | None = _json()
    slices: dict | None = _json()
    run_id: str | None = Field(default=None, max_length=64)
    created_at: datetime | None = _ts()
    actor: str | None = Field(default=None, max_length=255)


class GateDecisionRow(SQLModel, table=True):
    __tablename__ = "gate_decisions"
    __table_args__ = (
        Index("ix_gate_decisions_model_policy", "model_digest", "policy_digest"),
        Index("ix_gate_decisions_created", "created_at"),
    )
    id: str = Field(primary_key=True, max_length=64)
    policy_name: str = Field(max_length=255)
    policy_digest: str = Field(max_length=128)
    policy: dict | None = _json()
    policy_file: str | None = Field(default=None, sa_column=Column(Text))
    model_name: str = Field(max_length=255)
    model_version: int
    model_digest: str = Field(max_length=128)
    verdict: str = Field(max_length=16)
    results: list | None = _json()
    incumbents: dict | None = _json()
    created_at: datetime | None = _ts()
    actor: str | None = Field(default=None, max_length=255)


class AuditRow(SQLModel, table=True):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_model", "model", "seq"),)
    seq: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    at: datetime | None = _ts(nullable=False)
    actor: str = Field(max_length=255)
    action: str = Field(max_length=64)
    model: str | None = Field(default=None, max_length=255)
    version: int | None = None
    data: dict | None = _json()
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class AuditHeadRow(SQLModel, table=True):
    """One row (id 1): the newest entry's seq and hash. Appends lock it, so they serialize."""

    __tablename__ = "audit_head"
    id: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    seq: int = Field(sa_column=Column(BigInteger, nullable=False))
    hash: str = Field(max_length=64)
