"""Dependency graph export: what a feature depends on and what it invalidates.

``build_graph(source, feature)`` collects, from the XML alone, the nodes a feature reads
through (pValue, formulas' pVariable, pIndex, pAddress, access pointers, ports), the
features it selects (pSelected), and the nodes it invalidates (every node whose
``pInvalidator`` names the feature or one of its dependencies).  ``to_dot`` writes
Graphviz DOT; ``render`` runs Graphviz ``dot`` for SVG/PNG when it is installed.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Iterable

import attrs

from ..errors import NodeMapError
from .model import Document, Source, local, parse_document

__all__ = ["Graph", "Edge", "build_graph", "to_dot", "render", "GraphvizMissing"]


class GraphvizMissing(NodeMapError):
    """Graphviz ``dot`` is not installed (Debian/Ubuntu: apt install graphviz)."""


@attrs.frozen(slots=True)
class Edge:
    """``source -> target``; kind is depends / invalidates / selects / feature."""

    source: str
    target: str
    kind: str
    label: str = ""


@attrs.frozen(slots=True)
class Graph:
    nodes: dict[str, str]           # name -> node type
    edges: tuple[Edge, ...]
    focus: str | None = None


_DEPENDS = {"value", "access", "port"}

_SHAPES = {
    "Category": "folder", "Integer": "box", "Float": "box", "Boolean": "box",
    "Command": "box", "Enumeration": "box", "String": "box", "EnumEntry": "note",
    "IntReg": "cylinder", "MaskedIntReg": "cylinder", "FloatReg": "cylinder",
    "StringReg": "cylinder", "Register": "cylinder", "StructEntry": "cylinder",
    "SwissKnife": "hexagon", "IntSwissKnife": "hexagon", "Converter": "hexagon",
    "IntConverter": "hexagon", "Port": "component",
}
_EDGE_STYLE = {
    "depends": 'color="black"',
    "invalidates": 'color="red", style="dashed"',
    "selects": 'color="blue", style="dotted"',
    "feature": 'color="gray60"',
}


def _all_edges(doc: Document) -> list[Edge]:
    edges: list[Edge] = []
    for node in doc.nodes.values():
        for ref in node.refs():
            target = doc.resolve(ref.target)
            if target is None:
                continue
            label = ref.element if ref.variable is None else f"{ref.element} {ref.variable}"
            if ref.kind in _DEPENDS:
                edges.append(Edge(node.name, target.name, "depends", label))
            elif ref.kind == "invalidate":
                # target's change invalidates node: draw it from the cause to the effect
                edges.append(Edge(target.name, node.name, "invalidates", "pInvalidator"))
            elif ref.kind == "select":
                edges.append(Edge(node.name, target.name, "selects", "pSelected"))
            elif ref.kind == "feature":
                edges.append(Edge(node.name, target.name, "feature", ""))
    return edges


def build_graph(source: Source | Document, feature: str | None = None) -> Graph:
    """The whole description's graph, or the neighbourhood of one feature."""
    doc = source if isinstance(source, Document) else parse_document(source)
    edges = _all_edges(doc)
    if feature is None:
        return Graph({n.name: n.type for n in doc.nodes.values()}, tuple(edges))
    if feature not in doc.nodes:
        import difflib

        close = difflib.get_close_matches(feature, list(doc.nodes), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise KeyError(f"no node named {feature!r} in this description{hint}")
    depends: dict[str, list[Edge]] = {}
    invalidates: dict[str, list[Edge]] = {}
    for edge in edges:
        if edge.kind == "depends":
            depends.setdefault(edge.source, []).append(edge)
        elif edge.kind == "invalidates":
            invalidates.setdefault(edge.source, []).append(edge)
    keep: list[Edge] = []
    seen = {feature}
    stack = [feature]
    while stack:  # downstream: everything the feature reads through
        name = stack.pop()
        for edge in depends.get(name, ()):
            keep.append(edge)
            if edge.target not in seen:
                seen.add(edge.target)
                stack.append(edge.target)
    upstream = set(seen)
    for name in sorted(upstream):  # what changing the feature (or its sources) invalidates
        for edge in invalidates.get(name, ()):
            keep.append(edge)
            seen.add(edge.target)
    for edge in edges:
        if edge.kind == "selects" and edge.source == feature:
            keep.append(edge)
            seen.add(edge.target)
    nodes = {name: doc.nodes[name].type for name in seen if name in doc.nodes}
    return Graph(nodes, tuple(dict.fromkeys(keep)), focus=feature)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_dot(graph: Graph, *, title: str = "nodemap") -> str:
    """Graphviz DOT text for a graph (deterministic: sorted nodes and edges)."""
    lines = [f"digraph {_quote(title)} {{", "  rankdir=LR;",
             '  node [fontname="Helvetica", fontsize=10];',
             '  edge [fontname="Helvetica", fontsize=8];']
    for name in sorted(graph.nodes):
        kind = graph.nodes[name]
        extra = ', style="filled", fillcolor="gold"' if name == graph.focus else ""
        lines.append(f"  {_quote(name)} [shape={_SHAPES.get(kind, 'box')}, "
                     f"label={_quote(name + chr(10) + kind)}{extra}];")
    for edge in sorted(graph.edges, key=lambda e: (e.source, e.target, e.kind, e.label)):
        label = f", label={_quote(edge.label)}" if edge.label else ""
        lines.append(f"  {_quote(edge.source)} -> {_quote(edge.target)} "
                     f"[{_EDGE_STYLE[edge.kind]}{label}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render(dot_text: str, output: str | Path, fmt: str | None = None, *,
           timeout: float = 120.0) -> Path:
    """Write ``dot_text`` to ``output`` as DOT, SVG or PNG (by suffix or ``fmt``)."""
    target = Path(output)
    fmt = (fmt or target.suffix.lstrip(".") or "dot").lower()
    if fmt in ("dot", "gv"):
        target.write_text(dot_text, encoding="utf-8")
        return target
    if fmt not in ("svg", "png", "pdf"):
        raise ValueError(f"unsupported graph format {fmt!r}: use dot, svg, png or pdf")
    executable = shutil.which("dot")
    if executable is None:
        raise GraphvizMissing("Graphviz 'dot' is not installed: install it (Debian/Ubuntu: "
                              "apt install graphviz; macOS: brew install graphviz; Windows: "
                              "winget install graphviz) or write .dot instead")
    done = subprocess.run([executable, f"-T{fmt}", "-o", str(target)], input=dot_text.encode(),
                          capture_output=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise NodeMapError(f"Graphviz dot failed ({done.returncode}): "
                           f"{done.stderr.decode(errors='replace')[:500]}")
    return target


def feature_names(doc: Document) -> Iterable[str]:
    return (n.name for n in doc.nodes.values() if local(n.element))
