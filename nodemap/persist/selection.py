"""Which features a feature set holds, in which order, and how selectors are visited.

**Which features** (:func:`plan`).  GenApi's rule first (``CFeatureBag::StoreToBag``,
checked against the reference): every node marked ``<Streamable>Yes</Streamable>`` that is
reachable from the ``Root`` category — or anywhere, when a description has no Root
category (GenApi then saves nothing) — (selection ``streamable``).  A description that marks
nothing streamable (many serial-camera XMLs) gets the features of its category tree
(everything reachable from the ``Root`` category; without one, every node no other node
holds the value of) that are not ``Invisible`` (selection ``writable``).  In both cases a
feature is saved only if it is readable and writable *now*, and never:

* a Command, Category or Port;
* a node that holds another saved feature's value (``WidthReg`` behind ``Width``);
* a feature whose value is, through its ``pValue`` chain, the register of a Command
  (on serial cameras the command register *is* the command: writing it executes it);
* a write-only or read-only (locked) feature: it cannot be read back, or not written.

Every candidate left out is returned as a :class:`~nodemap.persist.model.Skipped` with
the reason; nothing is left out silently.

**Order.**  Dependencies first: a feature comes after every saved feature its value,
bounds or access modes depend on (PixelFormat before Width when Width's increment depends
on it; Width before OffsetX whose maximum depends on Width).  The dependency edges are
found by one memoised walk of the node graph that stops at other saved features'
registers, and the order is a topological sort (Kahn's algorithm, ties in document
order): near-linear in the size of the description.  A dependency cycle (Width ↔ OffsetX
bound each other) is broken by taking the earliest feature in document order.

**Selectors.**  A selector comes before what it selects; each of its values is visited
in turn and the features it selects are written under it; it is then put back to its
original value.  Features selecting each other are broken deterministically: within a
group of features that select each other (directly or round a longer loop), an edge
``A selects B`` is kept only when A comes before B in document order, and a feature
selecting itself ignores that edge.  So with A ↔ B (A first), B is saved under each value
of A, and A is saved as a selector.  A feature selected by several selectors is written
under the innermost one (the latest in the order), inside the loops of the selectors
enclosing it.  Nesting deeper than :data:`MAX_NESTING` selectors, and integer selectors
beyond :data:`MAX_SELECTOR_VALUES` values, are reported as skipped.
"""

from __future__ import annotations

import heapq
from typing import TYPE_CHECKING, Any, Callable, Iterable, TypeVar

import attrs

from ..errors import NodeMapError
from .model import Entry, Skipped

if TYPE_CHECKING:
    from ..nodemap import NodeMap
    from ..nodes.base import Node

__all__ = ["Plan", "plan", "selection_edges", "ancestors", "command_registers",
           "MAX_NESTING", "MAX_SELECTOR_VALUES", "SKIP_KINDS"]

SKIP_KINDS = frozenset({"Category", "Command", "Port", "EnumEntry", "Unknown"})
MAX_SELECTOR_VALUES = 256   # integer selectors: visit at most this many values
MAX_NESTING = 8             # selectors inside selectors


@attrs.frozen(slots=True)
class Plan:
    """The entries of a feature set, the selection rule used, and what was left out."""

    entries: tuple[Entry, ...]
    selection: str
    skipped: tuple[Skipped, ...]


def _safe(function: Callable[[], Any], default: Any) -> Any:
    try:
        return function()
    except (NodeMapError, KeyError, AttributeError, ValueError):
        return default


_T = TypeVar("_T")


def _about(node: Node | None, read: Callable[[Node], _T], default: _T) -> _T:
    """``read(node)``, or ``default`` when there is no such node or it cannot say."""
    if node is None:
        return default
    try:
        return read(node)
    except (NodeMapError, KeyError, ValueError):
        return default


class _Graph:
    """The node graph as plain name lists: dependencies and ``pValue`` chains."""

    def __init__(self, nm: NodeMap) -> None:
        self.nm = nm
        self._deps: dict[str, tuple[str, ...]] = {}
        self._owned: dict[str, tuple[str, ...]] = {}

    def node(self, name: str) -> Node | None:
        try:
            return self.nm.node(name)
        except (KeyError, NodeMapError):
            return None

    def deps(self, name: str) -> tuple[str, ...]:
        known = self._deps.get(name)
        if known is None:
            node = self.node(name)
            nm = self.nm
            known = tuple(d for d in node.dependencies if d in nm) if node is not None else ()
            self._deps[name] = known
        return known

    def owned(self, name: str) -> tuple[str, ...]:
        """The nodes holding ``name``'s own value: itself and its ``pValue`` chain."""
        known = self._owned.get(name)
        if known is not None:
            return known
        out = [name]
        current = name
        while len(out) < 64:
            node = self.node(current)
            current = (node.text("pValue") or "") if node is not None else ""
            if not current or current in out or current not in self.nm:
                break
            out.append(current)
        result = self._owned[name] = tuple(out)
        return result


def command_registers(graph: _Graph, names: Iterable[str],
                      kind_of: Callable[[str], str | None]) -> dict[str, str]:
    """Register (or value node) → the Command whose ``pValue`` chain it is on."""
    out: dict[str, str] = {}
    for name in names:
        if kind_of(name) == "Command":
            for held in graph.owned(name)[1:]:
                out.setdefault(held, name)
    return out


def _category_tree(nm: NodeMap) -> list[str] | None:
    """Every non-category node reachable from the ``Root`` category (in category order),
    or None when there is no Root category."""
    root = _safe(lambda: nm.node("Root"), None) if "Root" in nm else None
    if root is None or getattr(root, "kind", "") != "Category":
        return None
    seen: set[str] = {"Root"}
    out: list[str] = []
    work = [iter(_safe(root.features, []))]
    while work:
        child = next(work[-1], None)
        if child is None:
            work.pop()
            continue
        if child in seen or child not in nm:
            continue
        seen.add(child)
        node = _safe(lambda: nm.node(child), None)
        if node is None:
            continue
        if node.kind == "Category":
            work.append(iter(_safe(node.features, [])))
        else:
            out.append(child)
    return out


# --------------------------------------------------------------------------- selectors

def selection_edges(selected_of: Callable[[str], Iterable[str]], names: Iterable[str],
                    position: dict[str, int]) -> dict[str, list[str]]:
    """``selector → [selected]`` among ``names``, cycles broken as the module says."""
    members = list(dict.fromkeys(names))
    member_set = set(members)
    raw: dict[str, list[str]] = {}
    for name in members:
        targets = [t for t in dict.fromkeys(selected_of(name)) if t in member_set and t != name]
        if targets:
            raw[name] = targets
    component = _components(members, raw)
    edges: dict[str, list[str]] = {}
    for source, targets in raw.items():
        kept = [t for t in targets if component[t] != component[source]
                or position.get(source, 0) < position.get(t, 0)]
        if kept:
            edges[source] = kept
    return edges


def _components(members: list[str], edges: dict[str, list[str]]) -> dict[str, int]:
    """Strongly connected components (Tarjan, iterative): name → component number."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    component: dict[str, int] = {}
    counter = 0

    def visit(name: str) -> None:
        nonlocal counter
        index[name] = low[name] = counter
        counter += 1
        stack.append(name)
        on_stack.add(name)

    for start in members:
        if start in index:
            continue
        visit(start)
        work = [(start, iter(edges.get(start, ())))]
        while work:
            node, targets = work[-1]
            descended = False
            for target in targets:
                if target not in index:
                    visit(target)
                    work.append((target, iter(edges.get(target, ()))))
                    descended = True
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            if descended:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                number = len(component)
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component[member] = number
                    if member == node:
                        break
    return component


def ancestors(edges: dict[str, list[str]]) -> dict[str, frozenset[str]]:
    """Every selector above each selected name (transitively), for an acyclic ``edges``."""
    parents: dict[str, list[str]] = {}
    for source, targets in edges.items():
        for target in targets:
            parents.setdefault(target, []).append(source)
    out: dict[str, frozenset[str]] = {}
    for name in parents:
        if name in out:
            continue
        work = [(name, False)]
        while work:
            current, expanded = work.pop()
            if current in out:
                continue
            mine = parents.get(current, ())
            if not expanded:
                work.append((current, True))
                work.extend((p, False) for p in mine if p not in out)
                continue
            collected: set[str] = set()
            for p in mine:
                collected.add(p)
                collected |= out.get(p, frozenset())
            out[current] = frozenset(collected)
    return out


# --------------------------------------------------------------------------- order

def _order(members: list[str], graph: _Graph, edges: dict[str, list[str]],
           position: dict[str, int]) -> list[str]:
    """Dependencies first, selectors before what they select, ties in document order."""
    owner: dict[str, str] = {}
    for member in members:
        for held in graph.owned(member):
            owner.setdefault(held, member)
    frontier: dict[str, frozenset[str]] = {}

    def reach(start: str) -> frozenset[str]:
        """The saved features whose values ``start`` depends on (memoised, iterative)."""
        work = [(start, False)]
        active: set[str] = set()
        while work:
            name, expanded = work.pop()
            if name in frontier:
                continue
            deps = graph.deps(name)
            if not expanded:
                active.add(name)
                work.append((name, True))
                work.extend((d, False) for d in deps
                            if d not in owner and d not in frontier and d not in active)
                continue
            found: set[str] = set()
            for d in deps:
                if d in owner:
                    found.add(owner[d])
                else:
                    found |= frontier.get(d, frozenset())  # a cycle contributes nothing
            frontier[name] = frozenset(found)
            active.discard(name)
        return frontier[start]

    before: dict[str, set[str]] = {m: set() for m in members}
    for member in members:
        for held in graph.owned(member):
            for d in graph.deps(held):
                found = {owner[d]} if d in owner else reach(d)
                before[member] |= found
        before[member].discard(member)
    for selector, targets in edges.items():
        for target in targets:
            before[target].add(selector)
            before[selector].discard(target)
    successors: dict[str, list[str]] = {m: [] for m in members}
    waiting = {m: len(before[m]) for m in members}
    for member, preds in before.items():
        for pred in preds:
            successors[pred].append(member)
    heap = [(position.get(m, 0), m) for m in members if waiting[m] == 0]
    heapq.heapify(heap)
    by_position = sorted(members, key=lambda m: position.get(m, 0))
    cursor = 0
    placed: set[str] = set()
    done: list[str] = []
    while len(done) < len(members):
        if heap:
            _, name = heapq.heappop(heap)
            if name in placed:
                continue
        else:  # a cycle: the earliest feature in document order goes first
            while by_position[cursor] in placed:
                cursor += 1
            name = by_position[cursor]
        placed.add(name)
        done.append(name)
        for successor in successors[name]:
            waiting[successor] -= 1
            if waiting[successor] == 0 and successor not in placed:
                heapq.heappush(heap, (position.get(successor, 0), successor))
    return done


# --------------------------------------------------------------------------- plan

def _selector_values(feature: Any) -> tuple[list[Any], int]:
    """The values a selector is visited with, and how many it has in all."""
    if feature.kind == "Enumeration":
        entries = list(feature.entries)
        return entries, len(entries)
    if feature.kind == "Integer":
        low, high, inc = int(feature.min), int(feature.max), max(int(feature.inc or 1), 1)
        total = max(0, (high - low) // inc + 1)
        return list(range(low, min(high, low + inc * (MAX_SELECTOR_VALUES - 1)) + 1, inc)), total
    if feature.kind == "Boolean":
        return [False, True], 2
    return [], 0


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def plan(nm: NodeMap) -> Plan:
    """Read the device and return what a feature set of it holds (see the module doc)."""
    features = nm.features
    names = list(nm.names)
    position = {n: i for i, n in enumerate(names)}
    graph = _Graph(nm)
    kinds: dict[str, str | None] = {}

    def kind_of(name: str) -> str | None:
        if name not in kinds:
            node = graph.node(name)
            kinds[name] = node.kind if node is not None else None
        return kinds[name]

    value_names = [n for n in names if kind_of(n) not in SKIP_KINDS and kind_of(n) is not None]
    skipped: list[Skipped] = []
    streamable = [n for n in names if _about(graph.node(n), lambda node: node.streamable, False)]
    tree = _category_tree(nm)
    if streamable:
        selection = "streamable"
        candidates = streamable
        if tree is not None:  # GenApi's StoreToBag walks the Root category tree only
            in_tree, marked = set(tree), set(streamable)
            candidates = [n for n in tree if n in marked]
            skipped.extend(Skipped(n, "marked streamable but not in the Root category "
                                      "tree (GenApi saves only features under Root)")
                           for n in streamable if n not in in_tree)
    else:
        selection = "writable"
        if tree is None:
            held = {h for n in value_names for h in graph.owned(n)[1:]}
            tree = [n for n in value_names if n not in held]
        candidates = [n for n in tree
                      if _about(graph.node(n), lambda node: node.visibility,
                                "Beginner") != "Invisible"]
    candidate_set = set(candidates)
    commands = command_registers(graph, names, kind_of)
    holder: dict[str, str] = {}
    for n in value_names:
        for member in graph.owned(n)[1:]:
            holder.setdefault(member, n)
    chosen: list[str] = []
    for n in candidates:
        kind = kind_of(n)
        if kind in ("Category", "Port", "EnumEntry"):
            continue
        if kind == "Command":  # listed when a description marks one streamable
            if selection == "streamable":
                skipped.append(Skipped(n, "a Command: a feature set never executes commands"))
            continue
        if kind is None or kind == "Unknown":
            skipped.append(Skipped(n, "not a value feature nodemap can save"))
            continue
        owner = holder.get(n)
        if owner is not None and owner in candidate_set and owner != n:
            skipped.append(Skipped(n, f"holds the value of {owner}, which is saved instead"))
            continue
        command = next((commands[h] for h in graph.owned(n) if h in commands), None)
        if command is not None:
            skipped.append(Skipped(n, f"its value is the register of the command {command}: "
                                      f"writing it would execute the command"))
            continue
        try:
            access = features[n].access
        except NodeMapError as exc:
            skipped.append(Skipped(n, f"its access mode cannot be read: {exc}"))
            continue
        if access != "RW":
            why = {"RO": "read-only now (locked in the current mode, or set only by the device)",
                   "WO": "write-only: it cannot be read back to be saved",
                   "NA": "not available now", "NI": "not implemented by this device"}
            skipped.append(Skipped(n, f"{why.get(access, access)} (access {access})"))
            continue
        chosen.append(n)

    # selectors needed to reach a chosen feature (transitively) join the set
    selects: dict[str, list[str]] = {}
    for n in value_names:
        targets: list[str] = _about(graph.node(n), lambda node: list(node.selected or ()), [])
        if targets:
            selects[n] = targets
    selected_by: dict[str, list[str]] = {}
    for selector, targets in selects.items():
        for target in targets:
            selected_by.setdefault(target, []).append(selector)
    wanted = set(chosen)
    work = list(chosen)
    while work:
        target = work.pop()
        for selector in selected_by.get(target, ()):
            if selector in wanted:
                continue
            ok = _safe(lambda: features[selector].access == "RW", False)
            if ok and kind_of(selector) not in SKIP_KINDS and selector not in commands:
                wanted.add(selector)
                work.append(selector)
            else:
                skipped.append(Skipped(target, f"saved only for the current value of its "
                                               f"selector {selector}, which cannot be "
                                               f"written now"))
    members = sorted(wanted, key=position.__getitem__)
    edges = selection_edges(lambda n: selects.get(n, ()), members, position)
    ordered = _order(members, graph, edges, position)
    rank = {n: i for i, n in enumerate(ordered)}
    parents: dict[str, list[str]] = {}
    for selector, targets in edges.items():
        for target in targets:
            parents.setdefault(target, []).append(selector)
    children: dict[str, list[str]] = {}
    for target, sources in parents.items():
        innermost = max(sources, key=rank.__getitem__)
        children.setdefault(innermost, []).append(target)
    for targets in children.values():
        targets.sort(key=rank.__getitem__)

    entries: list[Entry] = []

    def entry(name: str, kind: str, value: Any, context: tuple[tuple[str, Any], ...],
              is_selector: bool = False) -> Entry:
        node = graph.node(name)
        style: dict[str, Any] = {}
        if kind == "Float":
            style = {"notation": _about(node, lambda n: n.display_notation, "Automatic"),
                     "precision": _about(node, lambda n: n.display_precision, 6)}
        elif kind == "Integer":
            style = {"representation": _about(node, lambda n: n.representation, "")}
        return Entry(name, kind, value, context, is_selector, **style)

    def emit(name: str, context: tuple[tuple[str, Any], ...]) -> None:
        feature = features[name]
        kind = kind_of(name) or "Unknown"
        inner = children.get(name)
        context_text = tuple((k, _text(v)) for k, v in context)
        try:
            value = feature.value
        except NodeMapError as exc:
            skipped.append(Skipped(name, f"cannot be read: {exc}", context_text))
            return
        if not inner:
            entries.append(entry(name, kind, value, context))
            return
        if len(context) >= MAX_NESTING:
            entries.append(entry(name, kind, value, context))
            below = list(inner)
            while below:
                child = below.pop(0)
                skipped.append(Skipped(child, f"selected by {name}, which is nested inside "
                                              f"{MAX_NESTING} selectors already: selector "
                                              f"nesting deeper than {MAX_NESTING} is not "
                                              f"saved", context_text))
                below.extend(children.get(child, ()))
            return
        try:
            choices, total = _selector_values(feature)
        except NodeMapError as exc:
            skipped.append(Skipped(name, f"its values cannot be listed ({exc}); only its "
                                         f"current value is saved", context_text))
            entries.append(entry(name, kind, value, context))
            return
        if total > len(choices):
            skipped.append(Skipped(name, f"only its first {len(choices)} of {total} values are "
                                         f"visited", context_text))
        try:
            for choice in choices:
                try:
                    feature.value = choice
                except NodeMapError as exc:
                    skipped.append(Skipped(f"{name}={_text(choice)}",
                                           f"the selector refused this value ({exc}); what it "
                                           f"selects is not saved for it", context_text))
                    continue
                entries.append(entry(name, kind, choice, context, True))
                for child in inner:
                    emit(child, context + ((name, choice),))
        finally:
            feature.value = value
        entries.append(entry(name, kind, value, context, True))

    for name in ordered:
        if name not in parents:
            emit(name, ())
    return Plan(tuple(entries), selection, tuple(skipped))
