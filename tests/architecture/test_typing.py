"""mypy --strict over the installed sources: ``nodemap`` and ``nodemap.transports``.

The configuration is the project's (``[tool.mypy]`` in pyproject.toml): strict everywhere,
and a short list of ``[[tool.mypy.overrides]]`` naming the modules that are not strict yet
and what is relaxed for them.  Any error fails the test, with mypy's report in the message;
and a module on that list that passes the strict checks fails the last test, so the list
always shows plainly what is left.

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


def _workdir() -> Path:
    if importlib.util.find_spec("mypy") is None:
        missing("mypy is not installed (pip install -e '.[test]')")
    tag = hashlib.sha1(str(REPO).encode()).hexdigest()[:12]
    work = Path(tempfile.gettempdir()) / f"nodemap-mypy-{getattr(os, 'getuid', lambda: 0)()}-{tag}"
    work.mkdir(parents=True, exist_ok=True)
    return work


def _mypy(work: Path, config: Path, cache: str, *targets: str) -> tuple[int, str, list[str]]:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(config),
         "--cache-dir", str(work / cache), "--no-color-output", "--no-error-summary",
         *targets],
        cwd=work, capture_output=True, text=True, timeout=900, check=False)
    report = (result.stdout + result.stderr).strip()
    return result.returncode, report, [line for line in report.splitlines() if ": error:" in line]


def test_mypy_strict_on_nodemap_and_transports() -> None:
    work = _workdir()
    assert "[tool.mypy]" in PYPROJECT.read_text(encoding="utf-8")
    tree = _tree(work)
    assert (tree / "transports" / "gvcp" / "protocol.py").is_file()
    returncode, report, errors = _mypy(work, PYPROJECT, ".mypy_cache", "-p", "nodemap")
    # Paths in the report are relative to the copy; name them as they are in the repository.
    shown = "\n".join(line.replace("nodemap/transports/", "transports/") for line in errors[:80])
    assert returncode == 0 and not errors, (
        f"mypy --strict found {len(errors)} error(s) (exit {returncode}):\n{shown}\n"
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


def _ini_value(value: object) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def test_every_relaxed_module_still_needs_it() -> None:
    """The override that relaxes strict checks lists only modules that still fail them:
    strict, each one has at least one error (else it belongs out of the list)."""
    tomllib = pytest.importorskip("tomllib")   # Python ≥ 3.11
    config = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["mypy"]
    relaxed: list[str] = []
    lines = ["[mypy]"] + [f"{key} = {_ini_value(value)}" for key, value in config.items()
                          if key != "overrides"]
    for override in config.get("overrides", []):
        modules = override["module"]
        modules = [modules] if isinstance(modules, str) else modules
        if set(override) <= {"module", "ignore_missing_imports"}:
            lines.append(f"[mypy-{','.join(modules)}]")
            lines += [f"{k} = {_ini_value(v)}" for k, v in override.items() if k != "module"]
        else:
            relaxed += modules
    if not relaxed:
        return
    work = _workdir()
    _tree(work)
    strict = work / "strict-everywhere.ini"
    strict.write_text("\n".join(lines) + "\n", encoding="utf-8")
    targets = [arg for module in relaxed for arg in ("-m", module)]
    _, report, errors = _mypy(work, strict, ".mypy_cache_strict", "--follow-imports=silent",
                              *targets)
    for module in relaxed:
        path = module.replace("nodemap.transports.", "nodemap/transports/").replace(".", "/")
        assert any(line.startswith((path + ".py:", path + "/__init__.py:")) for line in errors), (
            f"{module} is strict-clean now: take it out of the relaxed [[tool.mypy.overrides]] "
            f"in pyproject.toml\n{report[-2000:]}")
