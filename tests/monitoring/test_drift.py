"""Drift from stored profiles: known shifts are found, unshifted data is not, edge cases hold."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import trackline
from trackline.cli.main import cli
from trackline.monitoring.drift import DriftConfig, compare
from trackline.profiles.profile import profile_frame

CATS = np.array(["a", "b", "c", "d"])


def _batch(
    n: int, seed: int, shift: float = 0.0, scale: float = 1.0, new_share: float = 0.0
) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cats = CATS[rng.integers(0, 4, n)].astype(object)
    cats[rng.random(n) < new_share] = "brand-new"
    return pd.DataFrame(
        {
            "x": rng.normal(5 + shift * 2, 2 * scale, n),
            "y": rng.exponential(1.0, n),
            "c": cats,
        }
    )


def _by_column(report_columns):
    return {c.column: c for c in report_columns}


def test_unshifted_million_rows_are_not_flagged():
    ref, cur = profile_frame(_batch(1_000_000, 1)), profile_frame(_batch(1_000_000, 2))
    cols, added = compare(ref, cur)
    assert added == []
    for c in cols:
        assert not c.drifted, c
        assert c.scores["psi"] < 0.01 and c.scores["jensen_shannon"] < 0.02


@pytest.mark.parametrize("shift", [0.25, 0.5, 1.0])
def test_mean_shift_of_known_size_is_measured(shift):
    ref, cur = profile_frame(_batch(200_000, 1)), profile_frame(_batch(200_000, 2, shift=shift))
    x = _by_column(compare(ref, cur)[0])["x"]
    assert x.method == "wasserstein"
    assert x.score == pytest.approx(shift, abs=0.03)  # in reference standard deviations
    assert x.drifted
    assert x.scores["psi"] > 0.05


def test_scale_change_and_small_noise():
    ref = profile_frame(_batch(100_000, 1))
    wider = _by_column(compare(ref, profile_frame(_batch(100_000, 2, scale=1.6)))[0])["x"]
    assert wider.drifted and wider.scores["psi"] > 0.1
    tiny = _by_column(compare(ref, profile_frame(_batch(100_000, 3, shift=0.02)))[0])["x"]
    assert not tiny.drifted


def test_unseen_categories_are_detected():
    ref = profile_frame(_batch(50_000, 1))
    c = _by_column(compare(ref, profile_frame(_batch(50_000, 2, new_share=0.25)))[0])["c"]
    assert c.drifted and c.method == "jensen_shannon"
    assert c.detail["unseen"]["categories"] == ["brand-new"]
    assert c.detail["unseen"]["share"] == pytest.approx(0.25, abs=0.01)
    few = _by_column(compare(ref, profile_frame(_batch(50_000, 3, new_share=0.005)))[0])["c"]
    assert not few.drifted and few.detail["unseen"]["categories"] == ["brand-new"]


def test_nulls_empty_and_missing_columns():
    ref = profile_frame(_batch(20_000, 1))
    holes = _batch(20_000, 2)
    holes.loc[holes.index[:8_000], "y"] = np.nan
    assert _by_column(compare(ref, profile_frame(holes))[0])["y"].drifted  # 40 % missing now
    dead = _batch(1_000, 3).assign(x=np.nan)
    x = _by_column(compare(ref, profile_frame(dead))[0])["x"]
    assert x.method == "missing" and x.drifted and x.score == pytest.approx(1.0)
    empty = profile_frame(_batch(0, 4))
    assert not any(c.drifted for c in compare(ref, empty)[0])
    one = _by_column(compare(ref, profile_frame(_batch(1, 5)))[0])
    assert set(one) == {"x", "y", "c"}  # a single row compares without error
    cols, added = compare(ref, profile_frame(_batch(100, 6).drop(columns=["y"]).assign(z=1)))
    assert _by_column(cols)["y"].method == "missing_column" and added == ["z"]
    typed = compare(ref, profile_frame(_batch(100, 7).assign(x="text")))[0]
    assert _by_column(typed)["x"].method == "type_change"


def test_thresholds_global_per_column_and_ignore():
    ref, cur = profile_frame(_batch(50_000, 1)), profile_frame(_batch(50_000, 2, shift=0.3))
    assert _by_column(compare(ref, cur)[0])["x"].drifted
    loose = DriftConfig(thresholds={"wasserstein": 0.5})
    assert not _by_column(compare(ref, cur, loose)[0])["x"].drifted
    per_col = DriftConfig(columns={"x": {"threshold": 0.5}})
    x = _by_column(compare(ref, cur, per_col)[0])["x"]
    assert x.threshold == 0.5 and not x.drifted
    psi = DriftConfig(columns={"x": {"method": "psi", "threshold": 0.01}})
    assert _by_column(compare(ref, cur, psi)[0])["x"].method == "psi"
    ignored = compare(ref, cur, DriftConfig(columns={"x": {"ignore": True}}))[0]
    assert "x" not in _by_column(ignored)
    with pytest.raises(trackline.TracklineError, match="neither side has"):
        compare(ref, cur, DriftConfig(columns={"nope": {"threshold": 1}}))
    with pytest.raises(ValueError, match="unknown method"):
        DriftConfig(thresholds={"ks": 0.1})


@pytest.fixture
def scored(use_store):
    """A training run and three scoring runs (the last one shifted), tracked in a real store."""

    @trackline.tracked_task(name="train")
    def train(data: pd.DataFrame) -> int:
        return len(data)

    @trackline.tracked_task(name="score")
    def score(batch: pd.DataFrame) -> int:
        return len(batch)

    train(_batch(20_000, 1))
    score(_batch(5_000, 2))
    score(_batch(5_000, 3))
    score(_batch(5_000, 4, shift=1.0, new_share=0.3))
    return use_store


def test_check_drift_records_report_and_lineage(scored):
    report = trackline.check_drift("task:train/data", "task:score/batch@last")
    assert report.drifted and report.share >= 2 / 3
    client = trackline.connect()
    store = client.store.backend
    stored = store.get_drift_report(report.id)
    assert stored.drifted == report.drifted and stored.run_id == report.run_id
    batch_digest = report.current.digests[0]
    assert [r.id for r in store.list_drift_reports(batch_digest)] == [report.id]
    down = client.lineage(batch_digest, "downstream")
    assert report.report_digest in {n.id for n in down.nodes}
    assert client.artifact(report.report_digest).kind == "report"
    check_run = client.run(report.run_id)
    assert {i.name for i in check_run.inputs} == {"drift.reference", "drift.current"}

    calm = trackline.check_drift("task:train/data", "task:score/batch@last:3")
    assert len(calm.current.digests) == 3 and calm.current.rows == 15_000


def test_check_drift_inside_a_tracked_task(scored):
    @trackline.tracked_task(name="monitor")
    def monitor() -> bool:
        return trackline.check_drift("task:train/data", "task:score/batch").drifted

    assert monitor() is True
    client = trackline.connect()
    run = client.run(client.runs(name="monitor")[0].id)
    assert any(o.kind == "report" for o in run.outputs)
    assert {i.name for i in run.inputs} >= {"drift.reference", "drift.current"}


def test_window_refs_and_errors(scored):
    everything = trackline.check_drift(
        "task:score/batch@-1h..now", "task:score/batch@last:2", record=False
    )
    assert len(everything.reference.digests) == 3
    for bad, message in [
        ("task:score/batch@yesterday", "bad window"),
        ("task:score/batch@last:0", "last:N"),
        ("task:score/batch@now..-1h", "empty window"),
        ("task:nosuch/batch", "no profiled"),
        ("deadbeef", "no artifact"),
    ]:
        with pytest.raises(trackline.TracklineError, match=message):
            trackline.check_drift(bad, "task:score/batch", record=False)


def test_cli_exit_codes_and_json(scored, tmp_path):
    runner = CliRunner()
    drifted = runner.invoke(cli, ["drift", "task:train/data", "task:score/batch", "--json"])
    assert drifted.exit_code == 1, drifted.output
    data = json.loads(drifted.output)
    assert data["drifted"] is True and 0 < data["share"] <= 1
    assert {"column", "method", "score", "threshold", "drifted"} <= set(data["columns"][0])
    calm = runner.invoke(
        cli,
        [
            "drift",
            "task:train/data",
            "task:score/batch@last:3",
            "--threshold",
            "wasserstein=5",
            "--threshold",
            "jensen_shannon=0.9",
        ],
    )
    assert calm.exit_code == 0, calm.output
    assert calm.output.startswith(
        "dataset drift: no (0/3 columns < share 0.50) — no column drifted"
    )
    missing = runner.invoke(cli, ["drift", "task:nosuch/x", "task:score/batch"])
    assert missing.exit_code == 2 and "no profiled" in missing.output
    cfg = tmp_path / "drift.yaml"
    cfg.write_text("share: 2\n")
    bad = runner.invoke(cli, ["drift", "task:train/data", "task:score/batch", "--config", str(cfg)])
    assert bad.exit_code == 2 and "share" in bad.output
    listed = runner.invoke(cli, ["drift-reports", "--json"])
    assert listed.exit_code == 0 and len(json.loads(listed.output)) == 2


def test_csv_file_against_stored_reference(scored, tmp_path):
    path = tmp_path / "today.csv"
    _batch(3_000, 9, shift=1.0).to_csv(path, index=False)
    report = trackline.check_drift("task:train/data", str(path))
    assert _by_column(report.columns)["x"].drifted
    assert trackline.connect().artifact(report.current.digests[0]).profile["rows"] == 3_000


def test_profile_command(scored):
    runner = CliRunner()
    shown = runner.invoke(cli, ["profile", "task:score/batch@last:3"])
    assert shown.exit_code == 0, shown.output
    assert "15000 rows from 3 artifact(s)" in shown.output and "distinct ~5" in shown.output
    data = json.loads(runner.invoke(cli, ["profile", "task:train/data", "--json"]).output)
    assert (
        data["profile"]["rows"] == 20_000 and data["profile"]["columns"]["x"]["kind"] == "numeric"
    )


def test_headline_names_drifted_columns_and_fail_on(scored):
    runner = CliRunner()
    base = ["drift", "task:train/data", "task:score/batch", "--share", "0.9"]
    out = runner.invoke(cli, [*base, "--threshold", "jensen_shannon=0.9"])
    # x (and y) moved, c only within the loose threshold: not a dataset drift by share 0.9 ...
    first = out.output.splitlines()[0]
    assert first.startswith("dataset drift: no (") and "< share 0.90) — drifted columns: x" in first
    assert "no drift" not in out.output
    assert out.exit_code == 0  # --fail-on share (the default) follows the dataset rule
    lines = out.output.splitlines()
    table_start = next(i for i, line in enumerate(lines) if line.startswith("COLUMN"))
    assert lines[table_start + 1].split()[0] == "x"  # drifted columns come first
    assert "±" in out.output
    anyone = runner.invoke(cli, [*base, "--threshold", "jensen_shannon=0.9", "--fail-on", "any"])
    assert anyone.exit_code == 1
    only_c = runner.invoke(cli, [*base, "--threshold", "jensen_shannon=0.9", "--fail-on", "c"])
    assert only_c.exit_code == 0
    x_or_c = runner.invoke(cli, [*base, "--fail-on", "c,x", "--json"])
    data = json.loads(x_or_c.output)
    assert x_or_c.exit_code == 1 and data["failed"] is True and data["fail_on"] == "c,x"
    assert all("bound" in c and c["bound"] >= 0 for c in data["columns"])
    assert {"drifted", "share", "columns"} <= set(data)
    bad = runner.invoke(cli, [*base, "--fail-on", "nosuch"])
    assert bad.exit_code == 2 and "unknown: nosuch" in bad.output


def test_drift_check_runs_are_hidden_from_runs(scored):
    runner = CliRunner()
    trackline.check_drift("task:train/data", "task:score/batch")
    listed = json.loads(runner.invoke(cli, ["runs", "--json"]).output)
    assert {r["name"] for r in listed} == {"train", "score"}
    everything = json.loads(runner.invoke(cli, ["runs", "--all", "--json"]).output)
    assert "trackline.drift" in {r["name"] for r in everything}
    named = json.loads(runner.invoke(cli, ["runs", "--name", "trackline.drift", "--json"]).output)
    assert len(named) == 1
    assert len(trackline.connect().runs(monitoring=False)) == 4


def test_values_too_large_for_a_variance_are_said_not_reported_as_no_drift():
    """Their variance overflows a float: every score would come out 0 (W1 / inf)."""
    from trackline.errors import InvalidInput

    ref = pd.DataFrame({"x": np.linspace(-1e160, 1e160, 200), "ok": np.arange(200.0)})
    cur = pd.DataFrame({"x": np.full(200, 1e160), "ok": np.arange(200.0)})
    with pytest.raises(InvalidInput, match="column 'x'.*too large to measure drift"):
        trackline.check_drift(ref, cur)
    ok = trackline.check_drift(ref[["ok"]], cur[["ok"]])
    assert not ok.drifted
