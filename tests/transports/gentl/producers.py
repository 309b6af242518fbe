"""Where the GenTL producers of the test peers are: viky.cti (``genicam`` wheel) and
TLSimu.cti (``genicam2`` wheel); skip (or fail in CI) when a wheel is missing."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from tests.peers import missing

#: name → (wheel, file inside it)
PRODUCERS = {"viky": ("genicam", "viky.cti"), "tlsimu": ("genicam2", "TLSimu.cti")}


def producer_file(name: str) -> Path | None:
    wheel, filename = PRODUCERS[name]
    spec = importlib.util.find_spec(wheel)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / filename
    return path if path.is_file() else None


def require_producer(name: str) -> Path:
    path = producer_file(name)
    if path is None:
        wheel, filename = PRODUCERS[name]
        missing(f"GenTL producer {filename} not found: pip install {wheel}")
    return path  # type: ignore[return-value]
