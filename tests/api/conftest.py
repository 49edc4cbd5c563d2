"""Fixtures of the API's tests."""

from __future__ import annotations

import types

import pytest


@pytest.fixture
def fixed_links(monkeypatch: pytest.MonkeyPatch) -> None:
    """Download links signed at one moment: two requests a second apart sign alike (the
    differential tests compare both paths' answers byte for byte)."""
    from app.storage import local

    monkeypatch.setattr(local, "time", types.SimpleNamespace(time=lambda: 1_900_000_000.0))
