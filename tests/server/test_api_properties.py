"""Property-based API testing: schemathesis generates requests for every route from the app's own
OpenAPI schema and sends them, with every role's token and without one, to the real app on SQLite
and on PostgreSQL. No answer may be a 5xx, every answer must match the schema, and after any
accepted write the main reads must still work (a stored value must never break a read).

The example count is bounded (``TRACKLINE_API_EXAMPLES``, default 10 per route) so the CI cost stays
at a few minutes; raise it locally to search harder.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from trackline.server.access import TokenStore
from trackline.server.app import create_app
from trackline.server.config import ServerConfig

EXAMPLES = int(os.environ.get("TRACKLINE_API_EXAMPLES", "10"))
ROLES = ("reader", "writer", "approver", "admin")
READS = ("/api/v1/runs", "/api/v1/pipeline-runs", "/api/v1/artifacts", "/api/v1/models")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def api(request, tmp_path_factory):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('props') / 'store.db'}"
    else:
        url = request.getfixturevalue("pg_database")()
    app = create_app(ServerConfig(store=url, allow_anonymous_read=True))
    tokens = TokenStore(app.state.ctx.store.engine)
    app.state.headers = [{}] + [
        {"Authorization": f"Bearer {tokens.create(f'{r}-prop', r)[0]}"} for r in ROLES
    ]
    yield app
    app.state.ctx.store.close()


def test_every_route_every_role(api):
    schema = schemathesis.openapi.from_asgi("/openapi.json", api)
    checks = [not_a_server_error, response_schema_conformance]
    admin = api.state.headers[-1]
    operations = [r.ok() for r in schema.get_all_operations()]
    reads = [schema[path]["GET"] for path in READS]
    assert len(operations) > 30  # every route of the API, not a sample of them

    for operation in operations:

        @given(case=operation.as_strategy(), who=st.integers(0, len(ROLES)))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def check(case, who):
            headers = api.state.headers[who]  # anonymous or one of the roles
            response = case.call_and_validate(headers=headers, checks=checks)
            if case.method != "GET" and response.status_code < 300:
                for read in reads:
                    got = read.Case(headers=admin).call()
                    assert got.status_code == 200, (case.method, case.path, read.path, got.text)

        check()
