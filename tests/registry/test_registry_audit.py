"""The audit chain detects edited, deleted and truncated entries (by direct SQL, as an intruder
would)."""

from __future__ import annotations

import sqlalchemy as sa

import trackline
from trackline.store.sql.engine import create_engine


def _history(train, policy):
    train(1)
    trackline.log_evaluation(
        "churn/1",
        dataset="holdout.csv",
        dataset_name="holdout",
        metrics={"accuracy": 0.9, "f1": 0.8},
    )
    trackline.promote("churn", 1, alias="production", policy=policy)
    return trackline.audit_log()


def _sql(url: str, statement: str, **params) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(statement), params)
    engine.dispose()


def test_intact_chain_and_cli(train, policy, invoke, use_store):
    entries = _history(train, policy)
    assert [e.action for e in entries] == [
        "model.registered",
        "evaluation.logged",
        "gate.decision",
        "alias.moved",
    ]
    assert all(b.prev_hash == a.hash for a, b in zip(entries, entries[1:], strict=False))
    res = invoke("audit", "verify")
    assert res.exit_code == 0 and "audit log intact: 4 entries" in res.output
    res = invoke("audit", "log", "--model", "churn", "--json")
    assert res.exit_code == 0 and '"action": "alias.moved"' in res.output
    assert "@production: empty -> 1" in invoke("audit", "log").output


def test_edited_entry_is_detected(train, policy, invoke, use_store):
    _history(train, policy)
    _sql(use_store, "UPDATE audit_log SET actor = 'someone-else' WHERE seq = 4")
    res = invoke("audit", "verify")
    assert (
        res.exit_code == 1
        and "entry 4 (alias.moved): content does not match its hash" in res.output
    )
    report = trackline.verify_audit()
    assert not report.ok and len(report.problems) == 1


def test_edited_data_with_rehash_breaks_the_next_link(train, policy, use_store):
    entries = _history(train, policy)
    from trackline.audit import entry_hash

    e = entries[2]
    assert e.action == "gate.decision"
    forged = {**e.data, "policy_name": "lenient"}
    new_hash = entry_hash(e.prev_hash, e.seq, e.at, e.actor, e.action, e.model, e.version, forged)
    engine = create_engine(use_store)
    table = sa.Table("audit_log", sa.MetaData(), autoload_with=engine)
    with engine.begin() as conn:
        conn.execute(table.update().where(table.c.seq == 3).values(data=forged, hash=new_hash))
    engine.dispose()
    report = trackline.verify_audit()
    assert not report.ok
    assert report.problems == ["entry 4: prev_hash does not match the hash of the entry before it"]


def test_deleted_entries_are_detected(train, policy, invoke, use_store):
    _history(train, policy)
    _sql(use_store, "DELETE FROM audit_log WHERE seq = 2")
    report = trackline.verify_audit()
    assert "entries 2..2 are missing (deleted?)" in report.problems
    assert invoke("audit", "verify", "--json").exit_code == 1


def test_truncated_tail_is_detected(train, policy, use_store):
    _history(train, policy)
    _sql(use_store, "DELETE FROM audit_log WHERE seq = 4")
    report = trackline.verify_audit()
    assert not report.ok and "entries deleted from the end?" in report.problems[0]


def test_rewritten_history_is_caught_by_an_anchor(train, policy, invoke, use_store):
    _history(train, policy)
    anchor = trackline.verify_audit()
    assert anchor.ok and anchor.head_seq == 4
    pin = f"{anchor.head_seq}:{anchor.head_hash}"
    assert invoke("audit", "verify", "--anchor", pin).exit_code == 0
    # An intruder deletes the last entry and rewrites the head so the chain itself looks intact.
    entries = trackline.audit_log()
    _sql(use_store, "DELETE FROM audit_log WHERE seq = 4")
    _sql(use_store, "UPDATE audit_head SET seq = 3, hash = :h WHERE id = 1", h=entries[2].hash)
    assert trackline.verify_audit().ok
    res = invoke("audit", "verify", "--anchor", pin)
    assert res.exit_code == 1 and "is not in the chain" in res.output
    assert invoke("audit", "verify", "--anchor", "4:abc").exit_code == 2
