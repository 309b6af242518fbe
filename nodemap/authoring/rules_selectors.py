"""The stale-value rule: a cached register whose address depends on a selector must be
invalidated by it.

The reference invalidates implicitly through the dependency graph, but Aravis does not
(Aravis #795): it serves the value cached for the previous selector.  A register is at
risk when its address (Address/pAddress/pIndex/embedded IntSwissKnife, transitively
through formulas) depends on a selector (a node with ``pSelected``, or a ``pIndex``
target), the register is cacheable, and none of its ``pInvalidator`` entries is the
selector or a node the selector's value comes from.
"""

from __future__ import annotations

from typing import Iterator

from .findings import Finding
from .model import Document, Node, local
from .rules_structure import dependency_edges

__all__ = ["RULES"]

_ADDRESS_ELEMENTS = ("pAddress", "pIndex")


def _closure(start: list[str], edges: dict[str, list[str]]) -> set[str]:
    seen: set[str] = set()
    stack = list(start)
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        stack.extend(edges.get(name, ()))
    return seen


def _address_sources(node: Node, doc: Document) -> list[str]:
    sources: list[str] = []
    for child in node.children():
        tag = local(child)
        if tag in _ADDRESS_ELEMENTS:
            target = doc.resolve((child.text or "").strip())
            if target is not None:
                sources.append(target.name)
        elif tag == "IntSwissKnife":
            for var in child.iter():
                if local(var) == "pVariable":
                    target = doc.resolve((var.text or "").strip())
                    if target is not None:
                        sources.append(target.name)
    return sources


def stale_selectors(doc: Document) -> Iterator[Finding]:
    selectors = {n.name for n in doc.nodes.values() if n.all_text("pSelected")}
    for node in doc.order:
        for child in node.children():
            if local(child) == "pIndex":
                target = doc.resolve((child.text or "").strip())
                if target is not None:
                    selectors.add(target.name)
    if not selectors:
        return
    edges = dependency_edges(doc, ("value",))
    for node in doc.order:
        if node.type not in ("Register", "IntReg", "MaskedIntReg", "FloatReg", "StringReg",
                             "StructReg"):
            continue
        if (node.text_of("Cachable") or "WriteThrough") == "NoCache":
            continue
        sources = _address_sources(node, doc)
        if not sources:
            continue
        depends = _closure(sources, edges)
        involved = sorted(depends & selectors)
        if not involved:
            continue
        invalidators = [doc.resolve((e.text or "").strip()) for e in node.all_text("pInvalidator")]
        covered: set[str] = set()
        for selector in involved:
            selector_chain = _closure([selector], edges)
            if any(inv is not None and inv.name in selector_chain for inv in invalidators):
                covered.add(selector)
        for selector in involved:
            if selector in covered:
                continue
            label = node.name if not node.name.startswith("StructReg@") else "StructReg"
            yield Finding("selector-stale", "warning",
                          f"cached {node.type} address depends on selector {selector!r} but "
                          f"has no <pInvalidator>{selector}</pInvalidator> (or one on the "
                          "selector's register): Aravis serves stale values after the "
                          "selector changes; add the pInvalidator or <Cachable>NoCache",
                          label, node.line)


RULES = [stale_selectors]
