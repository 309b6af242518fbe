"""Lint rules on the shape of the node graph and of each node: names, references,
cycles, reachability from Root, and GenApi schema element order / required elements."""

from __future__ import annotations

from collections import deque
from typing import Iterable, Iterator

from .findings import Finding
from .model import Document, Node, entry_node_name, local
from .schema import REQUIRED, rank_table

__all__ = ["RULES", "dependency_edges", "strongly_connected"]


def duplicate_names(doc: Document) -> Iterator[Finding]:
    for node in doc.duplicates:
        first = doc.nodes[node.name]
        if first.type == node.type:
            yield Finding("duplicate-name", "warning",
                          f"{node.type} {node.name!r} is defined again (first at line "
                          f"{first.line}): loaders disagree on which definition wins; "
                          "keep one", node.name, node.line)
        else:
            yield Finding("duplicate-name", "error",
                          f"{node.type} {node.name!r} reuses the name of the {first.type} at "
                          f"line {first.line}; rename one of them", node.name, node.line)


def missing_refs(doc: Document) -> Iterator[Finding]:
    for node in doc.order:
        for ref in node.refs():
            if doc.resolve(ref.target) is None:
                yield Finding("ref-missing", "error",
                              f"<{ref.element}> names {ref.target!r}, which is not defined",
                              node.name, ref.line)


def dependency_edges(doc: Document, kinds: Iterable[str]) -> dict[str, list[str]]:
    """``name -> [target names]`` over references of the given kinds (existing targets)."""
    wanted = set(kinds)
    edges: dict[str, list[str]] = {}
    for node in doc.nodes.values():
        out: list[str] = []
        for ref in node.refs():
            if ref.kind in wanted:
                target = doc.resolve(ref.target)
                if target is not None:
                    out.append(target.name)
        if node.type == "Enumeration":
            out.extend(entry_node_name(node.name, e.get("Name", "")) for e in node.element
                       if local(e) == "EnumEntry" and "entry" in wanted
                       and entry_node_name(node.name, e.get("Name", "")) in doc.nodes)
        edges[node.name] = out
    return edges


def strongly_connected(edges: dict[str, list[str]]) -> list[list[str]]:
    """Tarjan's SCCs (iterative), returning components with a cycle (size > 1 or self loop)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    result: list[list[str]] = []
    counter = 0
    for start in edges:
        if start in index:
            continue
        work = [(start, iter(edges.get(start, ())))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            vertex, successors = work[-1]
            advanced = False
            for succ in successors:
                if succ not in index:
                    index[succ] = low[succ] = counter
                    counter += 1
                    stack.append(succ)
                    on_stack.add(succ)
                    work.append((succ, iter(edges.get(succ, ()))))
                    advanced = True
                    break
                if succ in on_stack:
                    low[vertex] = min(low[vertex], index[succ])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[vertex])
            if low[vertex] == index[vertex]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == vertex:
                        break
                if len(component) > 1 or vertex in edges.get(vertex, ()):
                    result.append(component)
    return result


_CYCLE_GRAPHS = (("value/access", ("value", "access", "port")), ("category", ("feature",)),
                 ("selector", ("select",)))


def cycles(doc: Document) -> Iterator[Finding]:
    for label, kinds in _CYCLE_GRAPHS:
        edges = dependency_edges(doc, kinds)
        for component in strongly_connected(edges):
            ordered = sorted(component, key=lambda n: doc.nodes[n].line or 0)
            first = doc.nodes[ordered[0]]
            path = " -> ".join(ordered + [ordered[0]])
            yield Finding("ref-cycle", "error", f"{label} reference cycle: {path}",
                          first.name, first.line)


def unreachable(doc: Document) -> Iterator[Finding]:
    root = doc.nodes.get("Root")
    if root is None:
        yield Finding("unreachable", "error", "no node named 'Root': applications cannot "
                      "browse this description (add <Category Name=\"Root\">)", "", None)
        return
    seen = {"Root"}
    queue = deque(["Root"])
    while queue:
        node = doc.nodes[queue.popleft()]
        targets = [doc.resolve(ref.target) for ref in node.refs()]
        if node.type == "Enumeration":
            targets += [doc.nodes.get(entry_node_name(node.name, e.get("Name", "")))
                        for e in node.element if local(e) == "EnumEntry"]
        for target in targets:
            if target is not None and target.name not in seen:
                seen.add(target.name)
                queue.append(target.name)
    for node in doc.nodes.values():
        if node.name in seen or node.type in ("EnumEntry", "Port"):
            continue
        if node.type in _FEATURE_TYPES:
            yield Finding("unreachable", "warning",
                          f"{node.type} {node.name!r} is not reachable from Root: no category "
                          "lists it, so applications never see it (add it to a Category)",
                          node.name, node.line)
        else:
            yield Finding("unreachable", "info",
                          f"{node.type} {node.name!r} is not reachable from Root: nothing "
                          "refers to it (dead node)", node.name, node.line)


_FEATURE_TYPES = {"Integer", "Float", "Boolean", "Command", "Enumeration", "String",
                  "Category"}


def _schema_check(node: Node) -> Iterator[Finding]:
    ranks = rank_table(node.type)
    if ranks is None:
        return
    best_rank = -1
    best_tag = ""
    best_line: int | None = None
    present: set[str] = set()
    for child in node.children():
        tag = local(child)
        present.add(tag)
        rank = ranks.get(tag)
        if rank is None:
            yield Finding("schema-unknown", "warning",
                          f"<{tag}> is not a {node.type} element in GenApi schema 1.1 "
                          "(the reference refuses it)", node.name, child.sourceline)
            continue
        if rank < best_rank:
            yield Finding("schema-order", "error",
                          f"<{tag}> must come before <{best_tag}> (line {best_line}) in a "
                          f"{node.type}: the GenICam reference refuses this order "
                          "(nodemap lint --fix reorders)", node.name, child.sourceline)
        else:
            best_rank, best_tag, best_line = rank, tag, child.sourceline
    for alternatives in REQUIRED.get(node.type, ()):
        if not present.isdisjoint(alternatives):
            continue
        wanted = " or ".join(f"<{a}>" for a in alternatives)
        yield Finding("schema-required", "error",
                      f"{node.type} has no {wanted}, which the GenICam reference requires",
                      node.name, node.line)


def schema(doc: Document) -> Iterator[Finding]:
    for node in doc.order:
        yield from _schema_check(node)


RULES = [duplicate_names, missing_refs, cycles, unreachable, schema]
