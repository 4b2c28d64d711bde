"""Monitoring tests: environment capture (a package scan) is not what they test; skip it."""

import pytest


@pytest.fixture(autouse=True)
def _no_environment_capture(monkeypatch):
    monkeypatch.setenv("TRACKLINE_CAPTURE_ENVIRONMENT", "0")
