"""Shared pytest configuration: the repository on sys.path, and the hypothesis profiles.

Hypothesis runs under a profile set here, never under the library's defaults:

* ``ci`` (loaded when ``CI=true``): derandomized (the same examples on every run, so
  a red CI reproduces), no example database, and no deadline — the suite never times
  itself (pytest-timeout bounds every test; a per-example deadline on a loaded CI
  machine would turn load into failures);
* ``dev`` (otherwise): random examples with the local database, and an explicit,
  generous per-example deadline that flags a pathologically slow example;
* ``HYPOTHESIS_PROFILE=ci|dev`` overrides the choice (e.g. reproduce CI locally).

A test's own ``@settings(...)`` still wins for what it sets (most set ``max_examples``).
"""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, settings

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.aravis import _fake_camera_home, fake_camera  # noqa: E402,F401 - shared fixtures
from tests.peers import IN_CI  # noqa: E402 - needs ROOT on sys.path

# Built on the library's "default" profile, not on whatever is loaded now, so that
# importing this module again (tests import PROFILES) gives the same profiles.
_BASE = settings.get_profile("default")
PROFILES = {
    "ci": settings(_BASE, derandomize=True, database=None, deadline=None, print_blob=True,
                   suppress_health_check=[HealthCheck.too_slow]),
    "dev": settings(_BASE, derandomize=False, deadline=timedelta(seconds=5)),
    # on-demand class hunting: the first failing example as drawn, not shrunk (shrinking a
    # generated node map can take many minutes)
    "hunt": settings(_BASE, derandomize=False, deadline=None,
                     phases=[Phase.explicit, Phase.reuse, Phase.generate]),
}
for _name, _profile in PROFILES.items():
    settings.register_profile(_name, _profile)

PROFILE = os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if IN_CI else "dev")
if PROFILE not in PROFILES:
    raise pytest.UsageError(f"HYPOTHESIS_PROFILE={PROFILE!r} is not a profile of this "
                            f"project; use one of {', '.join(sorted(PROFILES))}")
settings.load_profile(PROFILE)


def pytest_report_header(config: pytest.Config) -> str:
    return f"hypothesis profile: {PROFILE} (set HYPOTHESIS_PROFILE to override)"
