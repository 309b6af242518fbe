"""A minimal node-map description model and its schema-ordered XML.

A :class:`NodeSpec` is a node element: its tag, its ``Name`` and its children, each a
:class:`Child` (element name, attributes, and either text or a nested :class:`NodeSpec`
for an inline node).  :func:`to_xml` writes a :class:`MapSpec` with every node's children
sorted into GenApi schema order (stable: repeated or interleavable elements keep the order
they were given), because the reference's parser refuses out-of-order elements.
"""

from __future__ import annotations

from typing import Union
from xml.sax.saxutils import escape, quoteattr

import attrs

from nodemap.authoring.schema import sort_key

__all__ = ["Child", "NodeSpec", "MapSpec", "to_xml", "HEADER", "FOOTER", "INVALIDATE"]

HEADER = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<RegisterDescription ModelName="Gen" VendorName="Hypothesis" ToolTip="generated" '
    'StandardNameSpace="None" SchemaMajorVersion="1" SchemaMinorVersion="1" '
    'SchemaSubMinorVersion="0" MajorVersion="1" MinorVersion="0" SubMinorVersion="0" '
    'ProductGuid="0e1b7c2a-5d3f-4c1e-9a8b-7f6e5d4c3b2a" '
    'VersionGuid="1e1b7c2a-5d3f-4c1e-9a8b-7f6e5d4c3b2a" '
    'xmlns="http://www.genicam.org/GenApi/Version_1_1" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xsi:schemaLocation="http://www.genicam.org/GenApi/Version_1_1 '
    'http://www.genicam.org/GenApi/GenApiSchema_Version_1_1.xsd">\n')
FOOTER = "</RegisterDescription>\n"


@attrs.frozen(slots=True)
class NodeSpec:
    """One node element (also an EnumEntry / StructEntry / inline node)."""

    tag: str
    name: str | None
    children: tuple["Child", ...] = ()
    #: Extra attributes of the element (e.g. ``Comment`` of a nameless StructReg).
    attributes: tuple[tuple[str, str], ...] = ()

    def child_text(self, element: str) -> str | None:
        for child in self.children:
            if child.element == element and isinstance(child.body, str):
                return child.body
        return None


@attrs.frozen(slots=True)
class Child:
    element: str
    body: Union[str, NodeSpec]
    attributes: tuple[tuple[str, str], ...] = ()


@attrs.frozen(slots=True)
class Invalidate:
    """A scenario step that is not a write: invalidate the node (``Feature.invalidate()``
    on nodemap, ``INode.invalidate_node()`` on the reference)."""

    def __repr__(self) -> str:
        return "INVALIDATE"


INVALIDATE = Invalidate()


@attrs.frozen(slots=True)
class MapSpec:
    """A whole description plus what the scenario does with it."""

    nodes: tuple[NodeSpec, ...]
    #: Memory base profile ("zero" | "pattern") and its seed.
    profile: str = "zero"
    seed: int = 0
    #: Bytes placed in memory before both node maps load: (address, bytes).
    presets: tuple[tuple[int, bytes], ...] = ()
    #: The write scenario: (feature name, value); an ``execute`` is (name, None), an
    #: invalidation of the node (name, INVALIDATE).
    writes: tuple[tuple[str, object], ...] = ()
    #: Selectors swept after the writes (names of Integer/Enumeration nodes).
    selectors: tuple[str, ...] = ()

    def xml(self) -> bytes:
        return to_xml(self.nodes)


def _attrs(pairs: tuple[tuple[str, str], ...]) -> str:
    return "".join(f" {key}={quoteattr(value)}" for key, value in pairs)


#: The reference's XML parser reads its input in 4 KiB chunks and misreads a number
#: split across two of them ("-1e6" at offset 4095 became "invalid double value", or
#: -0.0): text elements are kept off those boundaries with a little padding.
CHUNK = 4096


class _Out(list):  # type: ignore[type-arg]
    """The output pieces and their length in bytes so far."""

    size = 0

    def add(self, piece: str) -> None:
        self.append(piece)
        self.size += len(piece.encode("utf-8"))

    def add_text_element(self, open_tag: str, text: str, close_tag: str) -> None:
        start = self.size + len(open_tag.encode("utf-8"))
        end = start + len(text.encode("utf-8"))
        if start // CHUNK != end // CHUNK or end % CHUNK == 0:
            self.add(" " * (CHUNK - self.size % CHUNK))
        self.add(open_tag + text + close_tag)


def _node_xml(node: NodeSpec, out: "_Out") -> None:
    name = f" Name={quoteattr(node.name)}" if node.name is not None else ""
    out.add(f"<{node.tag}{name}{_attrs(node.attributes)}>")
    for child in sorted(node.children, key=lambda c: sort_key(node.tag, c.element)):
        if isinstance(child.body, NodeSpec):
            if child.body.tag == child.element:   # an inline node is its own element
                _node_xml(child.body, out)
                continue
            out.add(f"<{child.element}{_attrs(child.attributes)}>")
            _node_xml(child.body, out)
            out.add(f"</{child.element}>")
        else:
            out.add_text_element(f"<{child.element}{_attrs(child.attributes)}>",
                                 escape(child.body), f"</{child.element}>")
    out.add(f"</{node.tag}>\n")


def to_xml(nodes: tuple[NodeSpec, ...]) -> bytes:
    out = _Out()
    out.add(HEADER)
    for node in nodes:
        _node_xml(node, out)
    out.append(FOOTER)
    return "".join(out).encode("utf-8")
