"""Write a node map back as GenApi XML (``NodeMap.to_xml()``).

One description is written as it was loaded; layered descriptions are merged into the
first one (names defined earlier win, categories of the same name are merged), so the
result loads to the same features and values.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from lxml import etree

from .loader import localname

if TYPE_CHECKING:  # pragma: no cover
    from .nodemap import NodeMap

__all__ = ["to_xml"]


def to_xml(nodemap: "NodeMap") -> bytes:
    first = nodemap.documents[0]
    root = copy.deepcopy(first.root)
    if len(nodemap.documents) > 1:
        _merge_layers(nodemap, root)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)


def _merge_layers(nodemap: "NodeMap", root: etree._Element) -> None:
    namespace = nodemap.documents[0].namespace
    defined = set(nodemap.documents[0].elements)
    categories = {el.get("Name"): el for el in root.iter()
                  if isinstance(el.tag, str) and localname(el.tag) == "Category"}
    insert_at = _port_position(root)
    for document in nodemap.documents[1:]:
        for child in document.root:
            if not isinstance(child.tag, str):
                continue
            name = child.get("Name")
            tag = localname(child.tag)
            if tag == "Category" and name in categories:
                present = {(c.text or "").strip() for c in categories[name]
                           if localname(c.tag) == "pFeature"}
                for feature in child:
                    if localname(feature.tag) == "pFeature" and \
                            (feature.text or "").strip() not in present:
                        categories[name].append(_renamespaced(feature, namespace))
                continue
            if name and name in defined:
                continue
            names = {name} | {e.get("Name") for e in child.iter() if isinstance(e.tag, str)}
            defined |= {n for n in names if n}
            root.insert(insert_at, _renamespaced(child, namespace))
            insert_at += 1


def _port_position(root: etree._Element) -> int:
    """Insert merged nodes before the first Port (GenApi lists Ports last)."""
    for index, child in enumerate(root):
        if isinstance(child.tag, str) and localname(child.tag) == "Port":
            return index
    return len(root)


def _renamespaced(element: etree._Element, namespace: str) -> etree._Element:
    clone = copy.deepcopy(element)
    for el in clone.iter():
        if isinstance(el.tag, str):
            el.tag = f"{{{namespace}}}{localname(el.tag)}" if namespace else localname(el.tag)
    return clone
