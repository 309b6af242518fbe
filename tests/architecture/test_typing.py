"""mypy --strict over the installed sources: ``nodemap`` and ``nodemap.transports``.

The configuration is the project's (``[tool.mypy]`` in pyproject.toml): strict everywhere,
and a short list of ``[[tool.mypy.overrides]]`` naming the modules that are not strict yet
and what is relaxed for them.  Any error fails the test, with mypy's report in the message.

The ``transports/`` folder installs as ``nodemap.transports`` (a setuptools package-dir
mapping), which mypy cannot follow through an editable install: the test lays out the
installed package tree as mypy must see it (a copy, under a stable folder so mypy's cache
makes reruns quick) and checks that.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import nodemap
import nodemap.transports
from tests.peers import missing

REPO = Path(__file__).resolve().parents[2]
PYPROJECT = REPO / "pyproject.toml"


def _tree(root: Path) -> Path:
    """Copy the installed ``nodemap`` package (with ``nodemap.transports`` inside it)."""
    package = Path(nodemap.__file__).resolve().parent
    transports = Path(nodemap.transports.__file__).resolve().parent
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".mypy_cache")
    target = root / "nodemap"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(package, target, ignore=ignore)
    if transports.parent != package:            # editable install: transports/ lives apart
        shutil.copytree(transports, target / "transports", ignore=ignore)
    return target


def test_mypy_strict_on_nodemap_and_transports() -> None:
    if importlib.util.find_spec("mypy") is None:
        missing("mypy is not installed (pip install -e '.[test]')")
    assert "[tool.mypy]" in PYPROJECT.read_text(encoding="utf-8")
    tag = hashlib.sha1(str(REPO).encode()).hexdigest()[:12]
    work = Path(tempfile.gettempdir()) / f"nodemap-mypy-{getattr(os, 'getuid', lambda: 0)()}-{tag}"
    work.mkdir(parents=True, exist_ok=True)
    tree = _tree(work)
    assert (tree / "transports" / "gvcp" / "protocol.py").is_file()
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(PYPROJECT),
         "--cache-dir", str(work / ".mypy_cache"), "--no-color-output", "--no-error-summary",
         "-p", "nodemap"],
        cwd=work, capture_output=True, text=True, timeout=900, check=False)
    report = (result.stdout + result.stderr).strip()
    errors = [line for line in report.splitlines() if ": error:" in line]
    # Paths in the report are relative to the copy; name them as they are in the repository.
    shown = "\n".join(line.replace("nodemap/transports/", "transports/") for line in errors[:80])
    assert result.returncode == 0 and not errors, (
        f"mypy --strict found {len(errors)} error(s) (exit {result.returncode}):\n{shown}\n"
        f"{'' if errors else report}")


def test_every_override_names_modules_that_exist() -> None:
    """A stale override (a module renamed or made strict and deleted) must not linger."""
    tomllib = pytest.importorskip("tomllib")   # Python ≥ 3.11
    config = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["mypy"]
    package = Path(nodemap.__file__).resolve().parent
    transports = Path(nodemap.transports.__file__).resolve().parent
    for override in config.get("overrides", []):
        if override.get("ignore_missing_imports"):
            continue                      # third-party libraries without types
        modules = override["module"]
        for module in [modules] if isinstance(modules, str) else modules:
            parts = module.split(".")
            assert parts[0] == "nodemap", module
            base, rest = (transports, parts[2:]) if parts[1:2] == ["transports"] else (package, parts[1:])
            path = base.joinpath(*rest)
            assert path.with_suffix(".py").is_file() or (path / "__init__.py").is_file(), (
                f"[[tool.mypy.overrides]] names {module}, which does not exist: remove it")
