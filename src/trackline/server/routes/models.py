"""The model registry over REST: models and versions, aliases, tags, evaluations, gate decisions,
promotion. ``HttpStore`` implements ``RegistryStore`` over these endpoints.

Roles: readers read; writers register versions, edit tags and log evaluations; approvers record
gate decisions and move aliases. The server never trusts a client's say-so where it matters: the
actor is always the token's name, a gate decision is re-checked here against the recorded
evaluations, and an alias moves only on a passing decision for exactly the version's bytes.
Every change lands in the hash-chained audit log (the SQL store appends in the same transaction).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from ...errors import Conflict, InvalidInput, NotFound
from ...gates.check import check_gate
from ...gates.policy import parse_policy
from ...gates.promotion import promote
from ...model.limits import INT32_MAX
from ...model.registry import (
    AliasMove,
    Evaluation,
    GateDecision,
    ModelHistory,
    ModelSummary,
    ModelVersion,
)
from ...registry.evaluations import record_evaluation
from ...registry.history import model_history
from ...registry.refs import check_name
from ...store.protocols import RegistryStore
from ..access import Principal, Role
from ..auth import require
from ..context import get_ctx
from ..schemas import ErrorBody
from ..schemas_registry import (
    AliasMoveIn,
    EvaluationIn,
    GateCheckIn,
    ModelVersionIn,
    ModelVersionPatch,
    PromoteIn,
)

router = APIRouter(
    tags=["models"],
    responses={401: {"model": ErrorBody}, 403: {"model": ErrorBody}, 404: {"model": ErrorBody}},
)
READ = require(Role.READER, anonymous_read=True)
WRITE = require(Role.WRITER)
APPROVE = require(Role.APPROVER)
Name = Annotated[str, Path(min_length=1, max_length=255)]
Version = Annotated[int, Path(ge=1, le=INT32_MAX)]
Digest = Annotated[str | None, Query(pattern=r"^[0-9a-f]{8,128}$")]


def _reg(request: Request) -> RegistryStore:
    return get_ctx(request).store


# -- models and versions ----------------------------------------------------------------------
@router.get("/models", response_model=list[ModelSummary])
def list_models(request: Request, _=READ) -> list[ModelSummary]:
    return _reg(request).list_models()


@router.get("/models/{name}/versions", response_model=list[ModelVersion])
def list_versions(name: Name, request: Request, _=READ) -> list[ModelVersion]:
    """All versions, oldest first."""
    return _reg(request).list_model_versions(check_name(name))


@router.get("/models/{name}/versions/{version}", response_model=ModelVersion)
def get_version(name: Name, version: Version, request: Request, _=READ) -> ModelVersion:
    return _reg(request).get_model_version(check_name(name), version)


@router.get("/model-versions", response_model=list[ModelVersion])
def versions_of_digest(
    request: Request, digest: Annotated[str, Query(pattern=r"^[0-9a-f]{8,128}$")], _=READ
) -> list[ModelVersion]:
    """The versions (of any model) whose artifact is these bytes: from lineage to the registry."""
    return _reg(request).model_versions_with_digest(digest)


@router.post("/models/{name}/versions", response_model=ModelVersion, status_code=201)
def register(
    name: Name, body: ModelVersionIn, request: Request, principal: Principal = WRITE
) -> ModelVersion:
    """The next version of ``name`` (idempotent by digest: the same bytes return their version)."""
    reg, store = _reg(request), get_ctx(request).store
    if body.run_id:
        store.get_run(body.run_id)  # NotFound before anything is written
    return reg.add_model_version(
        check_name(name),
        body.artifact,
        run_id=body.run_id,
        producer_rule=body.producer_rule,
        actor=principal.name,
        description=body.description,
        tags=body.tags,
        metadata=body.metadata,
    )


@router.patch("/models/{name}/versions/{version}", response_model=ModelVersion)
def update_version(
    name: Name,
    version: Version,
    body: ModelVersionPatch,
    request: Request,
    principal: Principal = WRITE,
) -> ModelVersion:
    """Description and tags (a tag set to ``null`` is removed)."""
    return _reg(request).update_model_version(
        check_name(name),
        version,
        actor=principal.name,
        description=body.description,
        tags=body.tags,
    )


# -- aliases and promotion ----------------------------------------------------------------------
@router.get("/models/{name}/aliases", response_model=dict[str, int])
def aliases(name: Name, request: Request, _=READ) -> dict[str, int]:
    return _reg(request).get_aliases(check_name(name))


@router.get("/models/{name}/history", response_model=ModelHistory)
def history(
    name: Name,
    request: Request,
    _=READ,
    alias: Annotated[str | None, Query(min_length=1, max_length=255)] = None,
    at: datetime | None = None,
) -> ModelHistory:
    """Every alias move, refusal and lost race (oldest first), each with the decision it cited;
    ``at`` (ISO time) keeps what happened up to then and says which version held each alias."""
    return model_history(name, alias=alias, at=at, store=_reg(request))


@router.put(
    "/models/{name}/aliases/{alias}",
    response_model=AliasMove,
    responses={409: {"model": ErrorBody}},
)
def move_alias(
    name: Name, alias: Name, body: AliasMoveIn, request: Request, principal: Principal = APPROVE
) -> AliasMove:
    """Compare-and-swap an alias onto a version that has a passing decision for its digest.

    Of two racing moves exactly one wins; the loser gets 409 and both are in the audit log.
    """
    return promote(
        check_name(name),
        body.version,
        alias=alias,
        decision=body.decision_id,
        expected=body.expected,
        reason=body.reason,
        store=_reg(request),
        actor=principal.name,
    )


@router.post(
    "/models/{name}/versions/{version}/promote",
    response_model=AliasMove,
    responses={409: {"model": ErrorBody}},
)
def promote_version(
    name: Name, version: Version, body: PromoteIn, request: Request, principal: Principal = APPROVE
) -> AliasMove:
    """``trackline models promote`` in one request (for CI jobs that only have curl)."""
    if body.policy is not None and body.decision_id:
        raise InvalidInput("give a policy (run the gate now) or a decision_id, not both")
    policy = parse_policy(body.policy, "<request policy>") if body.policy is not None else None
    return promote(
        check_name(name),
        version,
        alias=body.alias,
        policy=policy,
        decision=body.decision_id,
        reason=body.reason,
        store=_reg(request),
        actor=principal.name,
    )


# -- evaluations ------------------------------------------------------------------------------
@router.get("/evaluations", response_model=list[Evaluation])
def list_evaluations(
    request: Request,
    _=READ,
    model_digest: Digest = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> list[Evaluation]:
    """Newest first."""
    return _reg(request).list_evaluations(model_digest=model_digest, limit=limit)


@router.get("/evaluations/{evaluation_id}", response_model=Evaluation)
def get_evaluation(
    evaluation_id: Annotated[str, Path(min_length=1, max_length=64)], request: Request, _=READ
) -> Evaluation:
    return _reg(request).get_evaluation(evaluation_id)


@router.post("/evaluations", response_model=Evaluation, status_code=201)
def log_evaluation(
    body: EvaluationIn, request: Request, principal: Principal = WRITE
) -> Evaluation:
    """Record an evaluation; its model must be a registered version with exactly that digest."""
    evaluation = body.evaluation.model_copy(update={"actor": principal.name})
    return record_evaluation(evaluation, body.artifacts, store=_reg(request))


# -- gate decisions ---------------------------------------------------------------------------
def _run_gate(
    reg: RegistryStore,
    name: str,
    version: int,
    body: GateCheckIn,
    actor: str,
    decision_id: str | None = None,
) -> GateDecision:
    if decision_id:  # a retried request returns the decision the first one recorded
        try:
            found = reg.get_decision(decision_id)
            if found.id == decision_id:
                return found
        except NotFound:
            pass
    policy = parse_policy(body.policy, body.policy_file or "<request policy>")
    return check_gate(
        reg.get_model_version(check_name(name), version),
        policy,
        store=reg,
        actor=actor,
        decision_id=decision_id,
        policy_file=body.policy_file,
    )


@router.post("/models/{name}/versions/{version}/gate", response_model=GateDecision, status_code=201)
def gate_check(
    name: Name,
    version: Version,
    body: GateCheckIn,
    request: Request,
    principal: Principal = APPROVE,
) -> GateDecision:
    """Check a policy against the version here and record the decision (pass or fail)."""
    return _run_gate(_reg(request), name, version, body, principal.name, body.decision_id)


@router.post("/gate-decisions", response_model=GateDecision, status_code=201)
def record_decision(
    body: GateDecision, request: Request, principal: Principal = APPROVE
) -> GateDecision:
    """What ``HttpStore.write_decision`` sends: a client's decision, re-checked here.

    The policy it carries is run again against the server's own records, and the server's
    result is recorded under the client's id (a retried request returns the same decision).
    """
    reg = _reg(request)
    try:
        existing = reg.get_decision(body.id)
        if existing.id == body.id:
            return existing
    except NotFound:
        pass
    mv = reg.get_model_version(check_name(body.model_name), body.model_version)
    if mv.digest != body.model_digest:
        raise Conflict(
            f"the decision is about digest {body.model_digest[:16]},"
            f" but {mv.ref} is {mv.digest[:16]}"
        )
    policy = parse_policy(body.policy, body.policy_file or "<decision policy>")
    if policy.digest != body.policy_digest:
        raise InvalidInput("the decision's policy does not have its policy_digest")
    return _run_gate(
        reg,
        mv.name,
        mv.version,
        GateCheckIn(policy=body.policy, policy_file=body.policy_file),
        principal.name,
        decision_id=body.id,
    )


@router.get("/gate-decisions", response_model=list[GateDecision])
def list_decisions(
    request: Request,
    _=READ,
    model_digest: Digest = None,
    policy_digest: Digest = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
) -> list[GateDecision]:
    """Newest first."""
    return _reg(request).list_decisions(
        model_digest=model_digest, policy_digest=policy_digest, limit=limit
    )


@router.get("/gate-decisions/{decision_id}", response_model=GateDecision)
def get_decision(
    decision_id: Annotated[str, Path(min_length=1, max_length=64)], request: Request, _=READ
) -> GateDecision:
    """One decision by id or unique id prefix, with per-rule results and evidence."""
    return _reg(request).get_decision(decision_id)
