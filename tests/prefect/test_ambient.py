"""The ambient identity provider: Prefect's run context, or nothing."""

from __future__ import annotations

from prefect import flow, task
from trackline import tracked_task
from trackline.capture.ambient import ambient_identity
from trackline.integrations.prefect.ambient import identity


def test_no_prefect_context_means_no_identity():
    assert identity() is None
    assert ambient_identity() is None


def test_identity_inside_a_task_and_nested_helpers_are_children():
    seen: dict = {}

    @tracked_task
    def helper() -> int:
        from trackline import current_run

        seen["helper"] = (current_run().id, current_run().parent_id, current_run().name)
        return 1

    @task(name="outer-task")
    @tracked_task
    def outer() -> int:
        from trackline import current_run

        seen["identity"] = identity()
        seen["outer"] = current_run().id
        return helper()

    @flow(name="ambient-flow")
    def ambient_flow() -> int:
        return outer()

    assert ambient_flow() == 1
    ident = seen["identity"]
    assert ident is None  # the decorator's own run is already open: not handed out twice
    helper_id, parent_id, name = seen["helper"]
    assert parent_id == seen["outer"] and helper_id != seen["outer"]
    assert name.endswith("helper")
