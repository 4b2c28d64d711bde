"""connect() opens a store to look at; configure() chooses where tracked tasks write; backends
plug in by URL scheme with one constructor contract."""

from __future__ import annotations

import pytest

import trackline
from trackline.config import clear_override
from trackline.errors import ConfigError
from trackline.store import capability, register_backend
from trackline.store.factory import open_store
from trackline.store.protocols import RegistryStore
from trackline.store.sql.store import SqlStore


@trackline.tracked_task
def step(x: int) -> int:
    return x + 1


def test_connect_looks_at_a_store_without_redirecting_tracked_writes(tmp_path):
    other = f"sqlite:///{tmp_path / 'other.db'}"
    side = trackline.connect(other)  # a notebook opening a second store to query it
    step(1)
    assert side.runs() == []
    assert [r.name for r in trackline.connect().runs()] == [step.__qualname__]
    assert side.store.url == other


def test_configure_chooses_where_tracked_tasks_write(tmp_path):
    chosen = f"sqlite:///{tmp_path / 'chosen.db'}"
    try:
        trackline.configure(store=chosen)
        step(2)
        assert trackline.connect().store.url == chosen
        assert len(trackline.connect(chosen).runs()) == 1
    finally:
        clear_override()
    assert trackline.connect().runs() == []  # the default store saw nothing


class MemoryBackedSql(SqlStore):
    """A third-party backend: an in-memory SQLite database behind its own scheme."""

    def __init__(self, url: str, settings=None) -> None:
        self.seen_settings = settings
        super().__init__("sqlite://", settings)
        self.url = url


def test_a_registered_backend_is_built_with_the_url_and_settings(tmp_path):
    register_backend("mem", f"{__name__}:MemoryBackedSql", replace=True)
    cfg = trackline.connect().config
    store = open_store("mem://scratch", cfg)
    assert isinstance(store, MemoryBackedSql) and store.seen_settings is cfg
    assert capability(store, RegistryStore) is store  # capabilities come with the class
    side = trackline.connect("mem://scratch")
    assert side.runs() == []


def test_registering_a_taken_scheme_needs_replace():
    with pytest.raises(ConfigError, match="'sqlite' is taken"):
        register_backend("sqlite", f"{__name__}:MemoryBackedSql")


def test_a_store_without_a_capability_says_which(monkeypatch):
    monkeypatch.setenv("TRACKLINE_DISABLED", "1")
    with pytest.raises(ConfigError, match="has no model registry"):
        trackline.list_models()
