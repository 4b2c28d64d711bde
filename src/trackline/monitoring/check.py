"""``check_drift``: compare two sides, put the verdict on the record, return the report.

The check itself is a task run in lineage: it reads the reference and current artifacts and
writes a ``report`` artifact. Inside a tracked task the current run is that run; elsewhere (the
CLI, a notebook) a ``trackline.drift`` run is recorded. The report is also stored in the drift
report table, linked to every artifact on both sides.
"""

from __future__ import annotations

import logging
from typing import Any

from ..config import settings
from ..model.monitoring import DriftReport
from ..model.runs import MONITORING_PREFIX, ArtifactKind
from ..store import MonitoringStore, StoreArg, capability
from .drift import DriftConfig, compare
from .refs import Side, resolve

__all__ = ["check_drift", "monitoring_store"]

log = logging.getLogger("trackline")
DRIFT_RUN = f"{MONITORING_PREFIX}drift"  # hidden from `trackline runs` unless --all


def monitoring_store(store: StoreArg) -> MonitoringStore:
    """The monitoring side of a store (SQL stores and the HTTP store have one)."""
    return capability(store, MonitoringStore)  # type: ignore[type-abstract]


def check_drift(
    reference: Any,
    current: Any,
    *,
    config: DriftConfig | dict | None = None,
    record: bool = True,
    store: StoreArg = None,
) -> DriftReport:
    """Per-column and dataset drift of ``current`` against ``reference``.

    Either side may be an artifact digest or name, a ``task:NAME/SLOT@WINDOW`` reference, a
    path to a CSV/Parquet file, a pandas DataFrame, an ``Artifact`` or a profile dict.
    """
    from ..capture.artifacts import describe
    from ..capture.context import current_run
    from ..capture.recorder import RunRecorder
    from ..model.ids import new_id
    from ..store import get_store

    cfg = settings()
    drift_cfg = (
        config if isinstance(config, DriftConfig) else DriftConfig.model_validate(config or {})
    )
    base = store or get_store(cfg)
    mstore = monitoring_store(base)
    ref_side = resolve(
        reference, mstore, profile_mode=cfg.profile, sample_rows=cfg.profile_sample_rows
    )
    cur_side = resolve(
        current, mstore, profile_mode=cfg.profile, sample_rows=cfg.profile_sample_rows
    )
    columns, added = compare(ref_side.profile, cur_side.profile, drift_cfg)
    flagged = sum(c.drifted for c in columns)
    share = flagged / len(columns) if columns else 0.0
    report = DriftReport(
        id=new_id(),
        reference=ref_side.data_ref(),
        current=cur_side.data_ref(),
        drifted=bool(columns) and share >= drift_cfg.share,
        share=round(share, 6),
        share_threshold=drift_cfg.share,
        columns=columns,
        new_columns=added,
        config=drift_cfg.model_dump(mode="json"),
    )
    if not record:
        return report
    run = current_run()
    own = None
    if run is None:
        own = run = RunRecorder(DRIFT_RUN, config=cfg, store=base, use_ambient=False).start()
        run.log_params({"reference": ref_side.ref, "current": cur_side.ref})
    _link(run, ref_side, "drift.reference")
    _link(run, cur_side, "drift.current")
    art = describe(
        report.summary(), kind=ArtifactKind.REPORT, name=f"drift-report-{report.id[:12]}"
    )
    run.add_artifact("output", f"drift_report.{report.id[:12]}", art)
    report.run_id, report.report_digest = run.id, art.digest
    if own is not None:
        run.log_metric("drift.share", report.share)
        own.finish()
    try:
        mstore.write_drift_report(report)
    except Exception as exc:  # noqa: BLE001 - the verdict is still returned; the run has the report
        if cfg.strict:
            raise
        log.warning("trackline: could not store drift report %s: %s", report.id, exc)
    return report


def _link(run: Any, side: Side, slot: str) -> None:
    many = len(side.artifacts) > 1
    for i, art in enumerate(side.artifacts):
        run.add_artifact("input", f"{slot}.{i}" if many else slot, art)
