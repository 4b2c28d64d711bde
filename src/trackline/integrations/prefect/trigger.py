"""Start Prefect 3 work from a trigger: run a deployment, or emit an event a trigger listens for.

Prefect is imported only when one of these is called, so the core never needs it installed.
``run_deployment(..., timeout=0)`` returns as soon as the flow run is scheduled; the trigger's
idempotency key goes along, so Prefect itself refuses a second run for the same episode.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any

from ...errors import ConfigError, TracklineError
from ._ids import flow_run_key

__all__ = [
    "PrefectTriggerError",
    "emit_prefect_event",
    "perform_deployment",
    "perform_event",
    "run_prefect_deployment",
]


class PrefectTriggerError(TracklineError):
    code = "trigger_failed"
    http_status = 502


@contextmanager
def _api(api_url: str | None):
    try:
        from prefect.settings import PREFECT_API_URL, temporary_settings
    except ModuleNotFoundError as exc:
        raise ConfigError(
            "Prefect triggers need Prefect: pip install 'trackline[prefect]'"
        ) from exc
    if api_url is None:
        yield
        return
    with temporary_settings(updates={PREFECT_API_URL: api_url}):
        yield


def run_prefect_deployment(
    deployment: str, parameters: dict[str, Any], *, idempotency_key: str, api_url: str | None = None
) -> dict[str, Any]:
    with _api(api_url):
        from prefect.deployments import run_deployment

        try:
            run = run_deployment(
                name=deployment,
                parameters=parameters,
                timeout=0,
                idempotency_key=idempotency_key,
                tags=["trackline-trigger"],
            )
        except Exception as exc:  # noqa: BLE001 - Prefect raises many kinds; all mean "not started"
            raise PrefectTriggerError(
                f"Prefect could not run deployment {deployment!r}: {exc}"
            ) from exc
    return {
        "system": "prefect",
        "deployment": deployment,
        "flow_run_id": str(run.id),
        # The id trackline records this flow run under, so a firing links to what it produced.
        "pipeline_run_id": flow_run_key(run.id),
        "flow_run_name": run.name,
        "state": run.state.type.value if run.state else None,
    }


def emit_prefect_event(
    event: str,
    resource_id: str,
    payload: dict[str, Any],
    *,
    idempotency_key: str,
    api_url: str | None = None,
) -> dict[str, Any]:
    with _api(api_url):
        from prefect.events.clients import get_events_client
        from prefect.events.schemas.events import Event

        ev = Event(
            event=event,
            resource={
                "prefect.resource.id": resource_id,
                "trackline.idempotency-key": idempotency_key,
            },
            payload=payload,
        )
        # Sent and awaited here: ``emit_event`` would buffer it on a worker that may outlive us.
        try:
            _run(_send(get_events_client(), ev))
        except Exception as exc:  # noqa: BLE001 - any failure means the event was not delivered
            raise PrefectTriggerError(f"could not emit Prefect event {event!r}: {exc}") from exc
    return {"system": "prefect", "event": event, "event_id": str(ev.id), "resource_id": resource_id}


async def _send(client: Any, ev: Any) -> None:
    async with client as c:
        await c.emit(ev)


def _run(coro: Any) -> None:
    import asyncio
    import threading

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(coro)
        return
    # Called from async code (e.g. inside a flow): run on a private loop in a helper thread.
    errors: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(coro)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            errors.append(exc)

    worker = threading.Thread(target=target)
    worker.start()
    worker.join()
    if errors:
        raise errors[0]


def perform_deployment(action: Any, payload: dict[str, Any], key: str) -> dict[str, Any]:
    """The ``prefect_deployment`` trigger action (registered by entry point)."""
    params = dict(action.parameters)
    if action.evidence_parameter:
        params[action.evidence_parameter] = payload
    return run_prefect_deployment(
        action.deployment, params, idempotency_key=key, api_url=action.api_url
    )


def perform_event(action: Any, payload: dict[str, Any], key: str) -> dict[str, Any]:
    """The ``prefect_event`` trigger action (registered by entry point)."""
    return emit_prefect_event(
        action.event, action.resource_id, payload, idempotency_key=key, api_url=action.api_url
    )
