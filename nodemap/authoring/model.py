"""The authoring tools' view of a GenApi description: its nodes with lines and references.

Built on the loader's document (:func:`nodemap.loader.parse_document`, ``editable=True``):
the same hardened parser (no entities, no network, no DTD, no huge trees), the same
one unzip with its bomb limits, the same handling of text before ``<?xml`` with line
numbers kept true.  On top of it this view indexes every node definition the linter and
graph need — duplicates, EnumEntry and StructEntry sub-nodes, StructReg holders — and
the references between them (the pointer table of :mod:`nodemap.pointers`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator, Union

import attrs
from lxml import etree

from .. import loader
from ..pointers import EDGE_KINDS, edge_kind, is_pointer_tag

__all__ = ["entry_node_name", "Document", "Node", "Ref", "parse_document", "Source", "local",
           "REF_KIND"]

Source = Union[str, Path, bytes]

#: Reference elements and the kind of edge they make (the one pointer table, see
#: :mod:`nodemap.pointers`): "value", "access", "invalidate", "feature", "select",
#: "port", "meta".
REF_KIND: dict[str, str] = EDGE_KINDS

#: Elements that may contain the node types (directly or through Group nesting).
CONTAINERS = {"RegisterDescription", "Group"}


def local(element: etree._Element) -> str:
    """The element's tag without namespace ('' for comments and processing instructions)."""
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2]


@attrs.frozen(slots=True)
class Ref:
    """One reference from a node (or one of its sub-elements) to another node."""

    element: str          # e.g. "pValue", "pVariable"
    target: str           # the referenced node name (suffixes like ".Max" removed)
    line: int | None
    variable: str | None = None  # pVariable's Name attribute
    raw: str = ""

    @property
    def kind(self) -> str:
        return edge_kind(self.element)


@attrs.define(slots=True)
class Node:
    """A named node: its type (tag), element and line; refs are computed on demand."""

    name: str
    type: str
    element: etree._Element
    parent: "Node | None" = None  # EnumEntry -> Enumeration, StructEntry -> StructReg
    _refs: "list[Ref] | None" = attrs.field(default=None, repr=False, eq=False)

    @property
    def line(self) -> int | None:
        return self.element.sourceline

    def children(self) -> Iterator[etree._Element]:
        for child in self.element:
            if local(child):
                yield child

    def text_of(self, tag: str) -> str | None:
        for child in self.children():
            if local(child) == tag:
                return (child.text or "").strip()
        return None

    def all_text(self, tag: str) -> list[etree._Element]:
        return [c for c in self.children() if local(c) == tag]

    def refs(self) -> list[Ref]:
        """Every node reference in this node, including an embedded IntSwissKnife's."""
        if self._refs is None:
            self._refs = self._collect_refs()
        return self._refs

    def _collect_refs(self) -> list[Ref]:
        out: list[Ref] = []
        for child in self.element.iter():
            tag = local(child)
            if child is self.element or not tag or not is_pointer_tag(tag):
                continue
            # Sub-nodes (EnumEntry/StructEntry) carry their own references.
            owner = child.getparent()
            if owner is not None and owner is not self.element and \
                    local(owner) in ("EnumEntry", "StructEntry"):
                continue
            raw = (child.text or "").strip()
            if not raw:
                continue
            out.append(Ref(element=tag, target=raw, line=child.sourceline,
                           variable=child.get("Name"), raw=raw))
        return out


@attrs.define(slots=True)
class Document:
    """The parsed description: the loader's document, and every node definition in it
    (duplicates kept apart) for the linter and graph."""

    base: loader.Document        # the loader's parsed, hardened document
    nodes: dict[str, Node]
    duplicates: list[Node]
    order: list[Node]            # every node in document order (sub-nodes included)

    @property
    def root(self) -> etree._Element:
        return self.base.root

    @property
    def schema_minor(self) -> int:
        try:
            return int(self.root.get("SchemaMinorVersion", "1"))
        except ValueError:
            return 1

    def resolve(self, target: str) -> Node | None:
        """The node a reference names, tolerating GenApi suffixes (``X.Max``)."""
        node = self.nodes.get(target)
        if node is None and "." in target:
            node = self.nodes.get(target.split(".", 1)[0])
        return node


def entry_node_name(enumeration: str, symbolic: str) -> str:
    """GenApi's node name of an EnumEntry: ``EnumEntry_<Enumeration>_<Symbolic>``."""
    return f"EnumEntry_{enumeration}_{symbolic}"


def _source(source: Source) -> loader.Source:
    """XML text (a str holding ``<``) as bytes; paths and bytes as they are."""
    if isinstance(source, str) and "<" in source:
        return source.encode("utf-8")
    return source


def parse_document(source: Source) -> Document:
    """Parse and index a description (a path, XML text, bytes of XML or a zip): the
    loader's parse, comments and layout kept.  Raises :class:`XmlError` with a line."""
    base = loader.parse_document(_source(source), editable=True)
    nodes: dict[str, Node] = {}
    duplicates: list[Node] = []
    order: list[Node] = []

    def add(node: Node) -> None:
        order.append(node)
        existing = nodes.get(node.name)
        if existing is None:
            nodes[node.name] = node
        elif existing.type == "EnumEntry" and node.type != "EnumEntry":
            nodes[node.name] = node  # entry names are scoped: a real node wins
        elif node.type != "EnumEntry":
            duplicates.append(node)

    for element in loader.named_children(base.root):
        tag = local(element)
        if tag == "StructReg":
            # StructReg has no name: each StructEntry is a node of its own.
            holder = Node(name=f"StructReg@{element.sourceline}", type="StructReg",
                          element=element)
            order.append(holder)
            for entry in element:
                field = entry.get("Name")
                if local(entry) == "StructEntry" and field:
                    add(Node(name=field, type="StructEntry", element=entry, parent=holder))
            continue
        name = element.get("Name")
        if not name:
            continue
        node = Node(name=name, type=tag, element=element)
        add(node)
        if tag == "Enumeration":
            for entry in element:
                symbolic = entry.get("Name")
                if local(entry) == "EnumEntry" and symbolic:
                    add(Node(name=entry_node_name(name, symbolic), type="EnumEntry",
                             element=entry, parent=node))
    return Document(base=base, nodes=nodes, duplicates=duplicates, order=order)
