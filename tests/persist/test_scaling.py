"""Saving and loading a feature set grow near-linearly with the features (issue 14, class 13).

Measured without a clock: the number of Python function calls ``persist.render`` and
``persist.loads`` make is deterministic, so four times the features must cost well under
sixteen times the calls (what comparing every pair of features cost before).  The
generated descriptions are the benchmark's (``benchmarks/bench_persist.py``, which times
1,000 to 100,000 features on demand): dependency edges and selectors included.
"""

from __future__ import annotations

import cProfile
import importlib.util
import pstats
from pathlib import Path
from typing import Any, Callable

import nodemap
from nodemap import persist

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_persist.py"


def _generate(count: int) -> bytes:
    spec = importlib.util.spec_from_file_location("bench_persist", BENCH)
    assert spec is not None and spec.loader is not None, BENCH
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.generate(count)  # type: ignore[no-any-return]


def _camera(xml: bytes, count: int) -> nodemap.NodeMap:
    nm = nodemap.NodeMap.from_xml(xml)
    nm.connect(nodemap.MemoryPort(count * 16 + 64))
    return nm


def _calls(action: Callable[[], Any]) -> tuple[int, Any]:
    profile = cProfile.Profile()
    profile.enable()
    try:
        result = action()
    finally:
        profile.disable()
    return pstats.Stats(profile).total_calls, result   # type: ignore[attr-defined]


def _costs(count: int) -> tuple[int, int]:
    xml = _generate(count)
    camera = _camera(xml, count)
    saving, (text, report) = _calls(lambda: persist.render(camera))
    assert report.assignments >= count and not report.skipped
    fresh = _camera(xml, count)
    loading, loaded = _calls(lambda: persist.loads(fresh, text))
    assert loaded.ok, loaded.problems[:3]
    return saving, loading


def test_four_times_the_features_cost_about_four_times_the_work() -> None:
    small, large = _costs(300), _costs(1200)
    for what, a, b in (("save", small[0], large[0]), ("load", small[1], large[1])):
        # linear: 4; n log n: about 5; comparing every pair: 16
        assert b < 6 * a, f"{what}: {a} calls for 300 features, {b} for 1200"
        assert b > 3 * a, f"{what}: the larger set was not really saved ({a}, {b})"
