"""Fixtures for the gentl: transport tests: the producers' paths and their device URLs."""

from __future__ import annotations

from pathlib import Path

import pytest

from .producers import require_producer


@pytest.fixture
def viky() -> Path:
    return require_producer("viky")


@pytest.fixture
def tlsimu() -> Path:
    return require_producer("tlsimu")


@pytest.fixture
def gentl_path(monkeypatch: pytest.MonkeyPatch, viky: Path, tlsimu: Path) -> str:
    """GENICAM_GENTL64_PATH naming both producers' folders."""
    from nodemap.transports.gentl.api import producer_path_variable

    value = ":".join(str(p.parent) for p in (viky, tlsimu))
    monkeypatch.setenv(producer_path_variable(), value)
    return value
