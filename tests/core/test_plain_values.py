"""Whatever a user hands over as a param, pipeline config or external id is recorded as plain
JSON: the record can always be written, spooled and read back, and the runs around it are never
held up. Before, a set, numpy scalar, bytes or 10**400 made the store look down (the batch went
into the spool and stayed there), lost the run without a trace, or raised into user code."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import glob
import math
from decimal import Decimal

import numpy as np
import pytest
from pydantic import BaseModel

import trackline
from trackline.config import settings
from trackline.errors import InvalidInput
from trackline.model.plain import plain_json
from trackline.model.runs import TaskRun
from trackline.store.quarantine import is_refusal
from trackline.store.spool import Spool


class Color(enum.Enum):
    RED = "red"


class Level(enum.IntEnum):
    HIGH = 3


@dataclasses.dataclass
class Point:
    x: int
    y: set


class Cfg(BaseModel):
    lr: float = 0.1


class Nasty:
    def __repr__(self) -> str:
        raise RuntimeError("no repr")


def _recursive() -> list:
    loop: list = [1]
    loop.append(loop)
    return loop


CASES = [
    ({3, 1, 2}, [1, 2, 3]),
    (frozenset({"b", 1}), ["b", 1]),  # unorderable together: ordered by repr
    ((1, (2, 3)), [1, [2, 3]]),
    (b"ok", "ok"),
    (bytearray(b"x\xff"), "x\\xff"),
    (1 + 2j, "(1+2j)"),
    (Decimal("1.10"), "1.10"),
    (dt.datetime(2026, 1, 2, 3, 4, 5), "2026-01-02T03:04:05"),
    (dt.date(2026, 1, 2), "2026-01-02"),
    (np.int64(3), 3),
    (np.float32(0.5), 0.5),
    (np.float64("nan"), "nan"),
    (np.arange(3), [0, 1, 2]),
    ({(1, 2): 3, None: 4, True: 5}, {"(1, 2)": 3, "null": 4, "true": 5}),
    ({1: "a", "1": "b"}, {"1": "a", "'1'": "b"}),  # both kept
    ([float("inf"), {"a": float("nan")}], ["inf", {"a": "nan"}]),
    (2**64, "18446744073709551616"),  # past int64: SQLite would round it to a float
    (-(2**63), -(2**63)),
    (Color.RED, "red"),
    (Level.HIGH, 3),
    (Point(1, {2}), {"x": 1, "y": [2]}),
    (Cfg(), {"lr": 0.1}),
    (_recursive(), [1, "<recursive list>"]),
]


@pytest.mark.parametrize(("value", "expected"), CASES, ids=[repr(c[1])[:30] for c in CASES])
def test_plain_json(value, expected):
    assert plain_json(value) == expected


def test_plain_values_are_returned_as_they_are_and_odd_ones_never_raise():
    plain = {"a": [1, 2.5, "x", None, True, {"b": []}]}
    assert plain_json(plain) is plain  # no copy on the hot path
    deep: list = []
    node = deep
    for _ in range(100_000):  # plain but deep: kept (limits refuse it with its path later)
        node.append([])
        node = node[0]
    assert plain_json(deep) is deep
    node.append({1, 2})  # not plain at the bottom: converted, and cut one level past the limit
    cut = plain_json(deep)  # (so that the limits still refuse it as too deep, as from any client)
    for _ in range(65):
        cut = cut[0]
    assert cut == "<cut: nested deeper than 64 levels>"
    assert plain_json(Nasty()) == f"<{Nasty.__module__}.Nasty>"
    gen = (i for i in range(3))
    assert plain_json(gen).startswith("<generator object")
    assert list(gen) == [0, 1, 2]  # not consumed
    assert plain_json(10**5000) == "<int of 16610 bits>"
    assert plain_json(object()).startswith("<object object at")


def test_odd_params_config_and_external_ids_are_recorded_and_hold_nothing_up(use_store):
    odd = {
        "a_set": {3, 1, 2},
        "numpy": np.int64(7),
        "bytes": b"\xff\xfe",
        "huge": 10**400,
        "tuple_keys": {(1, 2): 3},
        "recursive": _recursive(),
        "nan_list": [float("nan")],
        "obj": Nasty(),
    }
    with trackline.pipeline_run(
        "odd", blob=b"\xff", when=dt.date(2026, 1, 2), external_ids={"x": object(), "n": 2**70}
    ) as pipe:
        with trackline.task_run("good_a"):
            pass
        with trackline.task_run("odd") as rec:
            for key, value in odd.items():
                trackline.log_param(key, value)
        with trackline.task_run("good_c"):
            pass
    client = trackline.connect()
    assert sorted(r.name for r in client.runs()) == ["good_a", "good_c", "odd"]
    params = client.run(rec.id).params
    assert params["a_set"] == [1, 2, 3] and params["numpy"] == 7
    assert params["bytes"] == "\\xff\\xfe" and params["huge"] == str(10**400)
    assert params["tuple_keys"] == {"(1, 2)": 3}
    assert params["recursive"] == [1, "<recursive list>"] and params["nan_list"] == ["nan"]
    assert params["obj"] == f"<{Nasty.__module__}.Nasty>"
    stored = client.pipeline_run(pipe.id)
    assert stored.config == {"blob": "\\xff", "when": "2026-01-02"}
    assert stored.external_ids["n"] == str(2**70)
    assert stored.external_ids["x"].startswith("<object object at")
    spool = settings().spool_path
    assert glob.glob(f"{spool}/*.json") == [] and glob.glob(f"{spool}/quarantine/*") == []


def test_a_metric_past_float_range_is_refused_in_the_call():
    with trackline.task_run("m"):
        with pytest.raises(InvalidInput, match="beyond the range of a float"):
            trackline.log_metric("loss", 10**400)
        trackline.log_metric("loss", 1.0)  # the run goes on


def test_a_hand_built_record_the_store_cannot_take_is_spooled_plain_and_delivered(tmp_path):
    """Records built without the recorder (an adapter, a script) may still hold such values:
    the store refuses them (a refusal, not an outage) and the spool keeps them in plain form."""
    assert is_refusal(TypeError("Object of type set is not JSON serializable"))
    assert is_refusal(OverflowError("int too large to convert to float"))
    run = TaskRun(id="hand", name="hand", status="success", params={"s": {1, 2}, "b": b"\xff"})
    spool = Spool(tmp_path / "spool")
    path = spool.put(run)
    assert path.exists()
    store = trackline.connect().store
    result = spool.replay(store)
    assert result.delivered == 1 and result.error is None
    assert store.get_run("hand").params == {"s": [1, 2], "b": "\\xff"}
    assert math.isclose(plain_json(np.float32(0.5)), 0.5)
