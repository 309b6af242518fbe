"""A node's definition: what its description says, read once from the XML element.

:class:`Definition` is frozen and slotted.  It is built when the node is first used,
from the node's element (and, for a ``StructEntry``, the defaults its ``StructReg``
gives); after that nothing reads the XML text again: metadata, pointers and literals
come from here, and the node's compiled behaviour (readers, formulas, address terms)
is worked out from it once.  What changes at run time (values, cached results,
validity) never lives here but in the node map's store (:mod:`nodemap.cache`).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping

from lxml import etree

from ..loader import localname

__all__ = ["Definition", "children_by_tag"]

_EMPTY: tuple[str, ...] = ()


def children_by_tag(element: etree._Element, parent: etree._Element | None = None
                    ) -> dict[str, list[etree._Element]]:
    """The child elements of ``element`` by local tag, document order; for a
    ``StructEntry`` the children of its ``StructReg`` (``parent``) come first as
    defaults, each tag the entry gives itself replacing them."""
    found: dict[str, list[etree._Element]] = {}
    if parent is not None:
        for child in parent:
            tag = localname(child.tag)
            if tag and tag != "StructEntry":
                found.setdefault(tag, []).append(child)
        own: dict[str, list[etree._Element]] = {}
        for child in element:
            tag = localname(child.tag)
            if tag:
                own.setdefault(tag, []).append(child)
        found.update(own)
        return found
    for child in element:
        tag = localname(child.tag)
        if tag:
            found.setdefault(tag, []).append(child)
    return found


@dataclass(frozen=True, slots=True)
class Definition:
    """One node as the description defines it (never changes)."""

    #: the node's name
    name: str
    #: the element type (``IntReg``, ``Enumeration``, ``StructEntry`` ...)
    type: str
    #: the element's line in its file (None when unknown)
    line: int | None
    #: ``Standard`` or ``Custom``
    namespace: str
    #: child element tag → the stripped texts of those children, in document order
    texts: Mapping[str, tuple[str, ...]]

    @classmethod
    def parse(cls, name: str, element: etree._Element,
              children: Mapping[str, list[etree._Element]]) -> "Definition":
        texts = {tag: tuple((child.text or "").strip() for child in elements)
                 for tag, elements in children.items()}
        return cls(name=name, type=localname(element.tag) or "Node",
                   line=element.sourceline, namespace=element.get("NameSpace", "Custom"),
                   texts=MappingProxyType(texts))

    def text(self, tag: str, default: str | None = None) -> str | None:
        """The text of the first ``tag`` child, or ``default`` when there is none."""
        found = self.texts.get(tag)
        return found[0] if found else default

    def all(self, tag: str) -> tuple[str, ...]:
        """The texts of every ``tag`` child."""
        return self.texts.get(tag, _EMPTY)
