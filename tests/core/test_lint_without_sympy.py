"""``nodemap lint`` without sympy (the README's demo install): every other rule runs.

The Converter inverse check needs sympy; without it lint still reports every other
finding and says, in one warning line, how to enable the check.  sympy is hidden in a
fresh interpreter by a meta-path finder that refuses to import it, as on a machine
where it is not installed.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.peers import require_module

from nodemap.authoring.lint import lint

from .xmlkit import description

# A description with a bounds error, a formula syntax error and a Converter whose
# FormulaFrom is not the inverse of its FormulaTo (only sympy's rule sees that one).
BODY = (
    '<Category Name="Root"><pFeature>Gain</pFeature><pFeature>Bad</pFeature>'
    '<pFeature>Odd</pFeature></Category>'
    '<Integer Name="Bad"><Value>5</Value><Min>10</Min><Max>1</Max></Integer>'
    '<SwissKnife Name="Odd"><Formula>1 +* 2</Formula></SwissKnife>'
    '<Converter Name="Gain"><FormulaTo>FROM * 2</FormulaTo><FormulaFrom>TO * 2</FormulaFrom>'
    '<pValue>GainRaw</pValue></Converter>'
    '<IntReg Name="GainRaw"><Address>0</Address><Length>4</Length><AccessMode>RW</AccessMode>'
    '<pPort>Device</pPort><Endianess>LittleEndian</Endianess></IntReg>')

HIDE_SYMPY = textwrap.dedent('''
    import importlib.abc, sys

    class NoSympy(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name == "sympy" or name.startswith("sympy."):
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    sys.meta_path.insert(0, NoSympy())
    for loaded in [m for m in sys.modules if m == "sympy" or m.startswith("sympy.")]:
        del sys.modules[loaded]
''')


def run_without_sympy(entry: str, args: list[str]) -> subprocess.CompletedProcess[str]:
    """Run ``entry``'s click ``main`` with ``args`` in a fresh interpreter without sympy."""
    code = HIDE_SYMPY + textwrap.dedent(f'''
        from {entry} import main
        try:
            main({args!r}, prog_name="nodemap")
        finally:
            assert "sympy" not in sys.modules, "sympy was imported"
    ''')
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, cwd=Path(__file__).resolve().parents[2])


@pytest.fixture
def camera_xml(tmp_path: Path) -> Path:
    path = tmp_path / "camera.xml"
    path.write_bytes(description(BODY))
    return path


def test_with_sympy_the_inverse_check_runs(camera_xml: Path) -> None:
    require_module("sympy", "a test extra: pip install -e '.[test]'")
    rules = {(f.rule, f.severity) for f in lint(camera_xml)}
    assert ("converter-inverse", "error") in rules
    assert {("bounds-min-max", "error"), ("formula-syntax", "error")} <= rules


@pytest.mark.parametrize("entry", ["nodemap.app.cli", "nodemap.authoring.cli"])
def test_lint_without_sympy_runs_every_other_rule_and_says_how_to_enable(
        entry: str, camera_xml: Path) -> None:
    result = run_without_sympy(entry, ["lint", str(camera_xml)])
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 1, (result.stdout, result.stderr)   # the other errors
    lines = result.stdout.splitlines()
    assert any("bounds-min-max" in line and "[Bad]" in line for line in lines), lines
    assert any("formula-syntax" in line and "[Odd]" in line for line in lines), lines
    warnings = [line for line in lines if "converter-inverse" in line]
    assert len(warnings) == 1 and ": warning: " in warnings[0], lines
    assert "needs sympy" in warnings[0] and "pip install 'nodemap[authoring]'" in warnings[0]
    # bounds-min-max and formula-syntax errors; bounds-default and the sympy warnings
    assert lines[-1].endswith("2 error(s), 2 warning(s), 0 info"), lines


def test_lint_json_without_sympy_carries_the_warning(camera_xml: Path) -> None:
    result = run_without_sympy("nodemap.authoring.cli", ["lint", "--json", str(camera_xml)])
    assert "Traceback" not in result.stderr, result.stderr
    findings = json.loads(result.stdout)[str(camera_xml)]
    by_rule = {f["rule"]: f for f in findings}
    assert by_rule["converter-inverse"]["severity"] == "warning"
    assert by_rule["bounds-min-max"]["severity"] == "error"


def test_lint_without_sympy_and_without_converters_says_nothing_about_sympy(
        tmp_path: Path) -> None:
    path = tmp_path / "plain.xml"
    path.write_bytes(description('<Category Name="Root"><pFeature>A</pFeature></Category>'
                                 '<Integer Name="A"><Value>1</Value></Integer>'))
    result = run_without_sympy("nodemap.authoring.cli", ["lint", str(path)])
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert "converter-inverse" not in result.stdout and "needs sympy" not in result.stdout
