"""The project's hypothesis profiles (tests/conftest.py): CI derandomized, deadlines set."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import Phase, settings

from tests.conftest import PROFILE, PROFILES
from tests.peers import IN_CI

ROOT = Path(__file__).resolve().parents[2]


def test_profiles_are_explicit() -> None:
    ci, dev = settings.get_profile("ci"), settings.get_profile("dev")
    assert ci.derandomize and ci.database is None and ci.deadline is None
    assert not dev.derandomize and dev.deadline == timedelta(seconds=5)
    hunt = settings.get_profile("hunt")  # on demand: no shrinking, never loaded by CI
    assert Phase.shrink not in hunt.phases and Phase.generate in hunt.phases
    assert set(PROFILES) == {"ci", "dev", "hunt"}


def test_the_loaded_profile_follows_the_environment() -> None:
    wanted = os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if IN_CI else "dev")
    assert PROFILE == wanted
    assert settings.default.derandomize == (wanted == "ci")


def _collect(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("CI", "HYPOTHESIS_PROFILE")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-p", "no:cacheprovider",
         "tests/core/test_hypothesis_profiles.py"],
        cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("env, profile", [({"CI": "true"}, "ci"), ({}, "dev"),
                                          ({"CI": "true", "HYPOTHESIS_PROFILE": "dev"}, "dev"),
                                          ({"HYPOTHESIS_PROFILE": "ci"}, "ci")])
def test_ci_loads_the_ci_profile_and_the_variable_overrides(env, profile) -> None:
    result = _collect(env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"hypothesis profile: {profile} " in result.stdout


def test_an_unknown_profile_is_a_usage_error() -> None:
    result = _collect({"HYPOTHESIS_PROFILE": "fast"})
    assert result.returncode != 0
    assert "HYPOTHESIS_PROFILE='fast' is not a profile" in result.stdout + result.stderr
