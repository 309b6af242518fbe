"""Dependency graph export (DOT, SVG/PNG through Graphviz) and the lint/graph commands."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from nodemap.authoring.cli import graph_command, lint_command
from nodemap.authoring.graph import build_graph, render, to_dot
from tests.authoring.test_builder import demo_device
from tests.authoring.test_lint_rules import CASES
from tests.authoring.helpers import description
from tests.peers import REPO, require_executable


@pytest.fixture
def demo_xml(tmp_path):
    path = tmp_path / "demo.xml"
    path.write_bytes(demo_device().to_xml())
    return path


def test_feature_graph_has_dependencies_and_invalidations(demo_xml) -> None:
    graph = build_graph(demo_xml, "Gain")
    edges = {(e.source, e.target, e.kind) for e in graph.edges}
    assert ("Gain", "GainReg", "depends") in edges
    assert ("GainReg", "GainSelector", "depends") in edges        # pIndex
    assert ("GainReg", "Device", "depends") in edges              # pPort
    assert ("GainSelector", "GainReg", "invalidates") in edges     # pInvalidator
    assert graph.focus == "Gain" and "Width" not in graph.nodes
    selector = build_graph(demo_xml, "GainSelector")
    assert ("GainSelector", "Gain", "selects") in {(e.source, e.target, e.kind)
                                                   for e in selector.edges}
    dot = to_dot(graph, title="Gain")
    assert dot.startswith('digraph "Gain" {') and '"Gain" -> "GainReg"' in dot
    assert 'style="dashed"' in dot and to_dot(graph, title="Gain") == dot  # deterministic


def test_unknown_feature_names_close_matches(demo_xml) -> None:
    with pytest.raises(KeyError, match="Width"):
        build_graph(demo_xml, "Widht")


@pytest.mark.parametrize("fmt,magic", [("svg", b"<svg"), ("png", b"\x89PNG")])
def test_render_with_graphviz(demo_xml, tmp_path, fmt: str, magic: bytes) -> None:
    require_executable("dot", "apt install graphviz")
    target = render(to_dot(build_graph(demo_xml, "Exposure")), tmp_path / f"g.{fmt}")
    assert magic in target.read_bytes()[:400]


def test_graph_command(demo_xml, tmp_path) -> None:
    runner = CliRunner()
    done = runner.invoke(graph_command, [str(demo_xml), "Temperature"])
    assert done.exit_code == 0 and '"TempSK" -> "TempReg"' in done.output
    require_executable("dot", "apt install graphviz")
    done = runner.invoke(graph_command, [str(demo_xml), "-o", str(tmp_path / "all.svg")])
    assert done.exit_code == 0, done.output
    assert (tmp_path / "all.svg").read_bytes().lstrip().startswith((b"<?xml", b"<svg"))
    done = runner.invoke(graph_command, [str(demo_xml), "Nope"])
    assert done.exit_code != 0 and "Nope" in done.output


def test_lint_command_text_json_exit_status(tmp_path, demo_xml) -> None:
    runner = CliRunner()
    clean = runner.invoke(lint_command, [str(demo_xml)])
    assert clean.exit_code == 0, clean.output
    assert "0 error(s)" in clean.output
    bad = tmp_path / "bad.xml"
    bad.write_text(description(CASES[[c[0] for c in CASES].index("bounds-min-max")][1]))
    done = runner.invoke(lint_command, [str(bad)])
    assert done.exit_code == 1 and "bounds-min-max" in done.output and ":4:" not in done.output
    assert "line 4: error: bounds-min-max: [X]" in done.output
    done = runner.invoke(lint_command, ["--json", str(bad)])
    assert done.exit_code == 1
    report = json.loads(done.output)
    (finding,) = [f for f in report[str(bad)] if f["rule"] == "bounds-min-max"]
    assert finding == {"rule": "bounds-min-max", "severity": "error", "node": "X", "line": 4,
                       "message": finding["message"]}


def test_lint_fix_writes_a_reordered_file(tmp_path) -> None:
    bad = tmp_path / "order.xml"
    bad.write_text(description('<Integer Name="X"><Value>1</Value><ToolTip>t</ToolTip>'
                               '</Integer>'))
    runner = CliRunner()
    assert runner.invoke(lint_command, [str(bad)]).exit_code == 1
    done = runner.invoke(lint_command, ["--fix", str(bad)])
    assert done.exit_code == 0, done.output
    fixed = tmp_path / "order.fixed.xml"
    assert fixed.exists() and b"<ToolTip>t</ToolTip><Value>1</Value>" in fixed.read_bytes()
    done = runner.invoke(lint_command, ["--fix", "--in-place", str(bad)])
    assert done.exit_code == 0 and bad.read_bytes() == fixed.read_bytes()


def _imports(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys\n"
                          "print(' '.join(sorted(sys.modules)))"], capture_output=True,
                         text=True, timeout=120, cwd=REPO, check=True).stdout
    return set(out.split())


def test_sympy_is_imported_lazily_and_nodemap_does_not_import_authoring() -> None:
    assert "sympy" not in _imports("import nodemap")
    assert not {m for m in _imports("import nodemap") if m.startswith("nodemap.authoring")}
    sample = description('<Integer Name="X"><Value>1</Value></Integer>')
    linted = _imports("from nodemap.authoring.lint import lint\n"
                      "from nodemap.authoring import builder, graph, cli\n"
                      f"lint({sample!r})")
    assert "nodemap.authoring.lint" in linted and "sympy" not in linted
