"""The ``trackline`` command. Each concern adds its commands in its own module, registered below."""

from __future__ import annotations

from .main import cli, main

__all__ = ["cli", "main"]
