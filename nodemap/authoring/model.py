"""A light, line-preserving view of a GenApi XML document for the linter and graph.

Parses with a hardened lxml parser (no entities, no network, no DTD, no huge trees),
tolerates text before ``<?xml`` (arv-tool dumps) and zip files, and indexes every
named node (including EnumEntry and StructEntry) with its element and line number.
Knows which child elements are node references and which kind of edge each is.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator, Union

import attrs
from lxml import etree

from ..errors import XmlError
from ..loader import is_zip, unzip

__all__ = ["entry_node_name", "Document", "Node", "Ref", "parse_document", "Source", "local", "REF_KIND"]

Source = Union[str, Path, bytes]

#: Reference elements and the kind of edge they make (used by cycle/graph logic).
#: "value": the node's value depends on the target; "invalidate": target invalidates
#: the node; "feature": category membership; "select": selector relation; "meta": the
#: rest (access, aliases, errors, polling, port).
REF_KIND: dict[str, str] = {
    "pValue": "value", "pValueCopy": "value", "pIndex": "value", "pValueIndexed": "value",
    "pValueDefault": "value", "pMin": "value", "pMax": "value", "pInc": "value",
    "pAddress": "value", "pLength": "value", "pCommandValue": "value", "pVariable": "value",
    "pChunkID": "value", "pOffset": "value",
    "pIsImplemented": "access", "pIsAvailable": "access", "pIsLocked": "access",
    "pInvalidator": "invalidate", "pFeature": "feature", "pSelected": "select",
    "pPort": "port", "pAlias": "meta", "pCastAlias": "meta", "pError": "meta",
    "pBlockPolling": "meta",
}

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
        return REF_KIND.get(self.element, "meta")


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
            if child is self.element or not tag or tag not in REF_KIND and not (
                    tag.startswith("p") and tag[1:2].isupper()):
                continue
            # Sub-nodes (EnumEntry/StructEntry) carry their own references.
            owner = child.getparent()
            if owner is not None and owner is not self.element and local(owner) in ("EnumEntry", "StructEntry"):
                continue
            raw = (child.text or "").strip()
            if not raw:
                continue
            out.append(Ref(element=tag, target=raw, line=child.sourceline,
                           variable=child.get("Name"), raw=raw))
        return out


@attrs.define(slots=True)
class Document:
    """The parsed description: root element, named nodes, and duplicate names."""

    root: etree._Element
    nodes: dict[str, Node]
    duplicates: list[Node]
    order: list[Node]            # every node in document order (sub-nodes included)
    data: bytes

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


def read_source(source: Source) -> bytes:
    """Bytes of an XML description from a path, XML text or bytes (zip accepted)."""
    name = "zipped description"
    if isinstance(source, Path) or (isinstance(source, str) and "<" not in source):
        name = str(source)
        data = Path(source).read_bytes()
    elif isinstance(source, str):
        data = source.encode("utf-8")
    else:
        data = bytes(source)
    if is_zip(data):  # the loader's hardened unzip: bombs, corrupt archives -> XmlError
        data = unzip(data, name)
    start = data.find(b"<?xml")
    if start > 0 and data[:start].strip():
        # arv-tool dumps start with a header line.  Drop it with the XML declaration
        # (which must come first) and keep the line count so line numbers stay true.
        end = data.find(b"?>", start)
        declaration = data[start:end]
        match = re.search(rb"encoding=[\"']([A-Za-z0-9._-]+)", declaration)
        encoding = match.group(1).decode("ascii") if match else "utf-8"
        newlines = data[:end + 2].count(b"\n")
        body = data[end + 2:]
        if encoding.lower().replace("_", "-") not in ("utf-8", "utf8", "us-ascii", "ascii"):
            try:
                body = body.decode(encoding, errors="replace").encode("utf-8")
            except LookupError:
                raise XmlError(f"the XML declaration names an unknown encoding "
                               f"{encoding!r}", line=newlines + 1) from None
        data = b"\n" * newlines + body
    return data


def parse_document(source: Source) -> Document:
    """Parse and index a description; raises :class:`XmlError` with a line number."""
    data = read_source(source)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             huge_tree=False, remove_comments=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise XmlError(f"malformed XML: {exc.msg}", line=exc.lineno) from exc
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

    def walk(container: etree._Element) -> None:
        for element in container:
            tag = local(element)
            if not tag:
                continue
            if tag == "Group":
                walk(element)
                continue
            name = element.get("Name")
            if tag == "StructReg":
                # StructReg has no name: each StructEntry is a node of its own.
                holder = Node(name=f"StructReg@{element.sourceline}", type="StructReg",
                              element=element)
                order.append(holder)
                for entry in element:
                    field = entry.get("Name")
                    if local(entry) == "StructEntry" and field:
                        add(Node(name=field, type="StructEntry", element=entry,
                                 parent=holder))
                continue
            if name is None:
                continue
            node = Node(name=name, type=tag, element=element)
            add(node)
            if tag == "Enumeration":
                for entry in element:
                    symbolic = entry.get("Name")
                    if local(entry) == "EnumEntry" and symbolic:
                        add(Node(name=entry_node_name(name, symbolic),
                                 type="EnumEntry", element=entry,
                                 parent=node))

    walk(root)
    return Document(root=root, nodes=nodes, duplicates=duplicates, order=order, data=data)
