"""Differential-test plumbing: the per-file agreement table printed at session end."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.peers import SHARED

from .manifest import require_shared_file

#: Rows appended by the differential tests: dicts with file, profile and counts.
SUMMARY: list[dict[str, Any]] = []


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not SUMMARY:
        return
    write = terminalreporter.write_line
    terminalreporter.section("GenApi reference agreement (readable values+bounds / access / errors)")
    write(f"{'file':42} {'memory':8} {'feat':>5} {'readable':>17} {'access':>11} {'errors':>11} "
          f"{'known':>5} {'unexpl':>6}")
    for row in sorted(SUMMARY, key=lambda r: (r["file"], r["profile"])):
        readable = f"{row['readable_ok']}/{row['readable']} {row['percent']:6.2f}%"
        write(f"{row['file'][:42]:42} {row['profile']:8} {row['features']:>5} {readable:>17} "
              f"{row['access_ok']:>5}/{row['access']:<5} {row['errors_ok']:>5}/{row['errors']:<5} "
              f"{row['known']:>5} {row['unexplained']:>6}")
    for row in SUMMARY:
        if row.get("note"):
            write(f"  {row['file']}: {row['note']}")


@pytest.fixture
def summary() -> list[dict[str, Any]]:
    return SUMMARY


@pytest.fixture(autouse=True)
def _shared_files_present(request: pytest.FixtureRequest) -> None:
    """A test parametrised with a shared file skips (outside CI) or fails (in CI) by
    name when that file is missing, before it runs."""
    callspec = getattr(request.node, "callspec", None)
    for value in (callspec.params.values() if callspec is not None else ()):
        if isinstance(value, Path) and SHARED in value.parents:
            require_shared_file(value)
