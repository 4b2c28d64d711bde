"""The search language's grammar: precedence, quoting, every operator, literals, errors, limits.

Pure parsing (no store): what each text becomes, and the message a bad text gets.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from trackline.errors import InvalidInput, QueryError
from trackline.query import (
    MAX_LENGTH,
    And,
    Compare,
    InList,
    IsNull,
    Like,
    Not,
    Or,
    parse_aggs,
    parse_columns,
    parse_order_by,
    parse_where,
)

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def test_and_binds_tighter_than_or_and_not_tighter_than_and():
    e = parse_where("name = 'a' or name = 'b' and not status = 'failed'")
    assert isinstance(e, Or)
    left, right = e.items
    assert isinstance(left, Compare) and left.value == "a"
    assert isinstance(right, And)
    assert isinstance(right.items[1], Not) and right.items[1].item.value == "failed"


def test_parentheses_override_precedence():
    e = parse_where("(name = 'a' or name = 'b') and status = 'x'")
    assert isinstance(e, And) and isinstance(e.items[0], Or)


def test_keywords_are_case_insensitive_field_names_are_not():
    e = parse_where("name = 'a' AND NOT status IN ('x') Or duration IS NOT NULL")
    assert isinstance(e, Or)
    with pytest.raises(QueryError, match="unknown field 'NAME'"):
        parse_where("NAME = 'a'")


@pytest.mark.parametrize("op", ["=", "!=", "<", "<=", ">", ">="])
def test_comparison_operators(op):
    e = parse_where(f"metrics.acc {op} 0.5")
    assert isinstance(e, Compare) and e.op == op and e.value == 0.5


def test_sql_style_not_equal_is_accepted():
    assert parse_where("duration <> 1").op == "!="


def test_in_not_in_like_not_like_is_null():
    assert parse_where("status in ('a', 'b')") == InList(
        parse_columns("status")[0], ("a", "b"), False
    )
    assert parse_where("status not in ('a')").negate is True
    like = parse_where("name like 'train*'")
    assert isinstance(like, Like) and like.pattern == "train*" and not like.negate
    assert parse_where("name not like '?x'").negate is True
    assert isinstance(parse_where("params.lr is null"), IsNull)
    assert parse_where("params.lr is not null").negate is True


def test_literals_numbers_strings_booleans():
    assert parse_where("params.x = 1").value == 1 and isinstance(
        parse_where("params.x = 1").value, int
    )
    assert parse_where("params.x = -2.5e-3").value == -0.0025
    assert parse_where("params.x = .5").value == 0.5
    assert parse_where("params.x = '0.1'").value == "0.1"
    assert parse_where('params.x = "say \\"hi\\""').value == 'say "hi"'
    assert parse_where("params.x = 'it\\'s'").value == "it's"
    assert parse_where("params.x = TRUE").value is True
    assert parse_where("params.x = false").value is False


def test_dates_and_relative_times():
    assert parse_where("started > 2026-01-02").value == datetime(2026, 1, 2, tzinfo=UTC)
    assert parse_where("started > 2026-01-02T03:04:05Z").value == datetime(
        2026, 1, 2, 3, 4, 5, tzinfo=UTC
    )
    assert parse_where("ended <= '2026-01-02 10:00'").value == datetime(2026, 1, 2, 10, tzinfo=UTC)
    assert parse_where("started > -7d", now=NOW).value == NOW - timedelta(days=7)
    assert parse_where("started > -90m", now=NOW).value == NOW - timedelta(minutes=90)
    assert parse_where("started > -2w", now=NOW).value == NOW - timedelta(weeks=2)


def test_quoted_keys_keep_dots_and_spaces():
    f = parse_where('params."model.depth" > 3').field
    assert (f.kind, f.name) == ("param", "model.depth")
    f = parse_where("params.'learning rate' > 3").field
    assert f.name == "learning rate"
    assert parse_where("params.model.depth > 3").field.name == "model.depth"


def test_metric_aggregates_and_quoted_escape():
    assert parse_where("metrics.loss.min < 1").field.agg == "min"
    assert parse_where("metrics.loss.max < 1").field.agg == "max"
    f = parse_where('metrics."loss.min" < 1').field
    assert (f.name, f.agg) == ("loss.min", "last")


def test_pipeline_scope_addresses_tasks():
    f = parse_where("metrics.evaluate.f1.max > 0.8", "pipelines").field
    assert (f.kind, f.task, f.name, f.agg) == ("metric", "evaluate", "f1", "max")
    f = parse_where('params.train."model.depth" = 3', "pipelines").field
    assert (f.task, f.name) == ("train", "model.depth")
    with pytest.raises(QueryError, match="names no task"):
        parse_where("params.lr > 1", "pipelines")


def test_resources_external_io_fields():
    assert parse_where("resources.peak_rss > 1").field.kind == "resource"
    assert parse_where("external.dag_id = 'x'").field.kind == "external"
    assert parse_where("inputs = 'abc'").field.kind == "io"


def test_order_columns_aggregates():
    keys = parse_order_by("metrics.val_acc desc, duration, name ASC")
    assert [(k.field.text, k.descending) for k in keys] == [
        ("metrics.val_acc", True),
        ("duration", False),
        ("name", False),
    ]
    assert [f.text for f in parse_columns("name,params.lr, metrics.acc")] == [
        "name",
        "params.lr",
        "metrics.acc",
    ]
    aggs = parse_aggs("count, avg(duration), p95(duration), max(resources.peak_rss)")
    assert [a.text for a in aggs] == [
        "count",
        "avg(duration)",
        "p95(duration)",
        "max(resources.peak_rss)",
    ]


@pytest.mark.parametrize(
    "text, message",
    [
        (
            "metric.acc > 0.9",
            "unknown field 'metric.acc' at column 1 (did you mean 'metrics.acc'?)",
        ),
        ("nmae = 'x'", "unknown field 'nmae' at column 1 (did you mean 'name'?)"),
        (
            "duration > 1 and resources.peak_rs > 1",
            "unknown field 'resources.peak_rs' at column 18 (did you mean 'resources.peak_rss'?)",
        ),
        ("(name = 'a'", "ends early at column 12 (expected ')')"),
        ("name = 'a')", "unexpected ')' at column 11"),
        ("((name = 'a')", "ends early"),
        ("", "the expression is empty"),
        ("   ", "the expression is empty"),
        ("name = ", "ends early at column 8"),
        ("name = 'a' and", "ends early"),
        ("name == 'a'", "unexpected '=' at column 7"),
        ("name = 'unterminated", "unexpected character"),
        ("duration > 'x'", "'duration' is a number"),
        ("name > 3", "'name' is text: quote 3"),
        ("started > 5", "'started' is a time"),
        ("started > 2026-13-40", "not an ISO date"),
        ("params = 1", "needs a key"),
        ('params."" = 1', "empty quoted key"),
        ("inputs > 'a'", "takes =, !=, in, not in, like or is null"),
        ("duration like '1*'", "needs text"),
        ("name = 'a' ; DROP TABLE task_runs", "unexpected character ';' at column 12"),
    ],
)
def test_errors_say_where(text, message):
    with pytest.raises(QueryError) as err:
        parse_where(text)
    assert message in str(err.value)
    assert isinstance(err.value, InvalidInput) and err.value.http_status == 422


def test_a_100kb_expression_is_refused_with_the_limit():
    text = " or ".join(f"name = 'run{i}'" for i in range(8000))
    assert len(text) > 100_000
    with pytest.raises(QueryError, match=f"the limit is {MAX_LENGTH:,} characters"):
        parse_where(text)


def test_deep_nesting_is_refused():
    with pytest.raises(QueryError, match="nests deeper than"):
        parse_where("(" * 100 + "name = 'a'" + ")" * 100)
    with pytest.raises(QueryError, match="nests deeper than"):
        parse_where("not " * 100 + "name = 'a'")


def test_aggregate_errors():
    with pytest.raises(QueryError, match="unknown aggregate 'median'"):
        parse_aggs("median(duration)")
    with pytest.raises(QueryError, match="needs a field"):
        parse_aggs("avg")
    with pytest.raises(QueryError, match="needs a numeric field"):
        parse_aggs("sum(name)")


def test_paging_a_grouped_search_is_refused_not_ignored():
    from trackline.query.spec import Search

    for extra in ({"offset": 10}, {"total": True}):
        with pytest.raises(QueryError, match="page through runs, not groups"):
            Search(group_by="name", **extra).parsed()
    assert Search(group_by="name", agg="count").parsed().offset == 0
