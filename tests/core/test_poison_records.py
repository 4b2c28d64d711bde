"""A record the database refuses for a limit of one statement (not because it is down) is
quarantined like any refused record: the records around it are stored, nothing waits behind it,
and the store is not taken for unavailable. Before, such an error counted as an outage: the
whole batch went into the spool and every replay stopped at the same record."""

from __future__ import annotations

import random
import sqlite3

import pytest
import sqlalchemy as sa

import trackline
from trackline.config import settings
from trackline.store.quarantine import describe, is_refusal, list_quarantined
from trackline.store.sql.searchindex import typed_param
from trackline.store.sql.store import SqlStore


def _random_text(n: int, seed: int = 1) -> str:
    rnd = random.Random(seed)  # incompressible: PostgreSQL cannot shrink the index entry
    return "".join(chr(rnd.randint(0x1D400, 0x1D7FF)) for _ in range(n))


def test_statement_limits_are_refusals_and_outages_are_not(pg_database, tmp_path):
    pg = sa.create_engine(pg_database().replace("postgresql://", "postgresql+psycopg://"))
    with pg.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x text)")
        conn.exec_driver_sql("CREATE INDEX ix_t ON t (x)")
    with pytest.raises(sa.exc.OperationalError) as too_big, pg.begin() as conn:
        conn.execute(sa.text("INSERT INTO t VALUES (:x)"), {"x": _random_text(2000)})
    assert is_refusal(too_big.value)  # index row size over the btree maximum: SQLSTATE 54000
    text = describe(too_big.value)
    assert "index row" in text and "INSERT" not in text and len(text) <= 1000
    pg.dispose()

    down = sa.create_engine("postgresql+psycopg://postgres@127.0.0.1:1/none")
    with pytest.raises(sa.exc.OperationalError) as refused_connection:
        down.connect()
    assert not is_refusal(refused_connection.value)

    lite = sa.create_engine(f"sqlite:///{tmp_path / 'limits.db'}")

    @sa.event.listens_for(lite, "connect")
    def _limit(dbapi_conn, _record):
        dbapi_conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 5)

    with pytest.raises(sa.exc.OperationalError) as too_many, lite.connect() as conn:
        conn.execute(
            sa.text("SELECT 1 WHERE 1 IN :xs").bindparams(sa.bindparam("xs", expanding=True)),
            {"xs": list(range(9))},
        )
    assert is_refusal(too_many.value)
    holder = sqlite3.connect(tmp_path / "limits.db", isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN IMMEDIATE")
    locked = sa.create_engine(f"sqlite:///{tmp_path / 'limits.db'}", connect_args={"timeout": 0})
    with pytest.raises(sa.exc.OperationalError) as busy, locked.begin() as conn:
        conn.exec_driver_sql("INSERT INTO t VALUES (1)")
    assert "locked" in str(busy.value) and not is_refusal(busy.value)
    holder.execute("ROLLBACK")


def test_a_record_over_a_database_limit_never_holds_up_the_others(pg_database, monkeypatch):
    """A DBA's extra index makes one run's param value impossible to store on PostgreSQL."""
    url = pg_database()
    monkeypatch.setenv("TRACKLINE_STORE", url)
    store = SqlStore(url)
    with store.engine.begin() as conn:
        conn.exec_driver_sql("CREATE INDEX ix_dba_param_text ON params ((value::text))")
    store.close()

    def step(i: int, note: str | None = None) -> None:
        with trackline.task_run("step", i=i):
            if note:
                trackline.log_param("note", note)

    step(1)
    step(2, note=_random_text(1500))  # the whole batch failed with it, and was spooled
    step(3)
    client = trackline.connect()  # a read: delivers what this process journaled
    runs = {r.params.get("i"): r for r in map(client.run, (s.id for s in client.runs()))}
    assert set(runs) == {1, 3, None}  # the refused run's reduced record carries no params
    refused = runs[None]
    assert "refused" in refused.error.message and "index row" in refused.error.message
    [held] = list_quarantined(settings().spool_path)
    assert held.record_id == refused.id and "index row" in held.reason
    step(4)  # the store was never taken for down: the next call is stored as usual
    client = trackline.connect()
    assert {client.run(s.id).params.get("i") for s in client.runs()} == {1, 3, 4, None}


def test_params_too_long_to_index_are_stored_but_not_searchable_by_value():
    ascii_value, wide_value = "a" * 512, _random_text(200)  # 512 bytes; 800 bytes in UTF-8
    assert typed_param(ascii_value)[1] == ascii_value
    assert typed_param(wide_value)[1] is None
    assert typed_param(_random_text(128))[1] is not None


def test_wide_params_and_long_uris_are_stored_on_postgresql(pg_database, monkeypatch):
    """512-character keys and values of 4-byte characters, and an 8 kB URI: PostgreSQL's btree
    entries hold ~2.7 kB, so these once failed as 'index row size exceeds maximum'."""
    monkeypatch.setenv("TRACKLINE_STORE", pg_database())
    key, value = _random_text(512, seed=2), _random_text(512, seed=3)
    uri = "s3://bucket/" + "".join(random.Random(4).choice("abcdef0123456789") for _ in range(8000))
    with trackline.task_run("wide") as rec:
        trackline.log_param(key, value)
        trackline.log_artifact(uri, direction="input")
    stored = trackline.connect().run(rec.id)
    assert stored.params[key] == value
    assert [r.uri for r in stored.inputs] == [uri]
    assert list_quarantined(settings().spool_path) == []
