"""The one table of pointer elements: children whose text names another node.

``<pValue>Width</pValue>``, ``<pMin>``, ``<pIsLocked>``, ``<pVariable Name="X">`` ... Each
row says what kind of edge the pointer makes in the node graph, how its target is read,
and whether the node map tracks it.  The runtime (:mod:`nodemap.nodes`), the linter and
graph export (:mod:`nodemap.authoring`) and persistence (through the nodes) all take
their pointer sets from here, so a pointer added to the schema is added once.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["Pointer", "POINTERS", "EDGE_KINDS", "NUMBER_POINTERS", "VALUE_POINTERS",
           "TRACKED_POINTERS", "edge_kind", "is_pointer_tag",
           "pointer_target"]


class Pointer(NamedTuple):
    """One pointer element.

    ``edge``: "value" (the node's value depends on the target), "access" (its access
    mode does), "invalidate" (the target invalidates the node), "feature" (category
    membership), "select" (selector relation), "port" (where its bytes are), "meta" (the
    rest: aliases, errors, polling).  ``reads``: "number" (the target is read as a number
    and may name a value of a node, ``Width.Max``), "value" (where the node's own value
    lives), "node" (names a node).  ``tracked``: whether the node map follows it as a
    reference of the node (pInvalidator is followed by the node map's invalidation
    graph instead; the meta pointers are descriptive).
    """

    tag: str
    edge: str
    reads: str
    tracked: bool


#: Every pointer element of the GenApi schema, in the order the runtime walks them.
POINTERS: tuple[Pointer, ...] = (
    Pointer("pValue", "value", "value", True),
    Pointer("pMin", "value", "number", True),
    Pointer("pMax", "value", "number", True),
    Pointer("pInc", "value", "number", True),
    Pointer("pIndex", "value", "number", True),
    Pointer("pValueIndexed", "value", "value", True),
    Pointer("pValueDefault", "value", "value", True),
    Pointer("pAddress", "value", "number", True),
    Pointer("pLength", "value", "number", True),
    Pointer("pPort", "port", "node", True),
    Pointer("pCommandValue", "value", "number", True),
    Pointer("pIsImplemented", "access", "number", True),
    Pointer("pIsAvailable", "access", "number", True),
    Pointer("pIsLocked", "access", "number", True),
    Pointer("pVariable", "value", "number", True),
    Pointer("pOffset", "value", "number", True),
    Pointer("pValueCopy", "value", "value", True),
    Pointer("pFeature", "feature", "node", True),
    Pointer("pSelected", "select", "node", True),
    Pointer("pChunkID", "value", "node", False),
    Pointer("pInvalidator", "invalidate", "node", False),
    Pointer("pAlias", "meta", "node", False),
    Pointer("pCastAlias", "meta", "node", False),
    Pointer("pError", "meta", "node", False),
    Pointer("pBlockPolling", "meta", "node", False),
)

#: Pointer tag → its edge kind.
EDGE_KINDS: dict[str, str] = {p.tag: p.edge for p in POINTERS}
#: Pointers read as a number (through the node map's reader), which may name a value
#: of another node (``Width.Max``, ``Sel.Entry.On``); the other pointers name nodes.
NUMBER_POINTERS = frozenset(p.tag for p in POINTERS if p.reads == "number")
#: The pointers that name where a value node's value lives.
VALUE_POINTERS = frozenset(p.tag for p in POINTERS if p.reads == "value")
#: The pointers a node follows as its references, in table order.
TRACKED_POINTERS: tuple[str, ...] = tuple(p.tag for p in POINTERS if p.tracked)


def edge_kind(tag: str) -> str:
    """The edge kind of pointer ``tag``; "meta" for a pointer the table does not list."""
    return EDGE_KINDS.get(tag, "meta")


def is_pointer_tag(tag: str) -> bool:
    """``pValue``, ``pMin``, ``pVariable`` ...: an element whose text names a node (the
    schema's naming rule, so vendor pointers the table does not list count too)."""
    return len(tag) > 1 and tag[0] == "p" and tag[1].isupper()


def pointer_target(text: str) -> str:
    """``Width.Max`` → ``Width``; ``Sel.Entry.X`` → ``Sel``."""
    head, dot, _ = text.partition(".")
    return head if dot else text
