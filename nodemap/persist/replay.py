"""Restoring a feature set on a device: validate the whole file, replay, retry, verify.

1. **Validate first, apply nothing on failure.**  Every line is parsed and every value is
   read as its feature's kind before anything is written.  A line that cannot mean
   anything (not UTF-8, not ``NAME = VALUE``, ``Sel = 0xZZ`` for an integer, ``fast``
   for a float, a lone surrogate in a string) raises
   :class:`~nodemap.errors.FeatureSetError` listing every such line; the device is not
   touched.
2. **Per-feature problems do not stop the replay.**  A name the device does not have, an
   assignment to a Command or to a command's register (a feature set never executes
   commands), a value the device refuses (range, access mode, not executable in this
   mode): each is reported as a :class:`~nodemap.persist.model.Problem`, the rest is
   applied.
3. Replay top to bottom; each selected feature is written with the selector values it
   was saved under (the selectors above it, outermost first).  Failed assignments are
   retried until a pass makes no progress (so a region of interest restores whatever
   the device's current state).  A write the device still refuses is not a problem when
   the feature already holds the file's value (it is restored: a Sony FCB camera refuses
   ``Gain`` in auto exposure, but an untouched camera holds the saved value anyway).
   Then the selectors are put back to their last values in the file and every value is
   read back and compared.
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING, Any, Callable

import attrs

from ..errors import FeatureSetError, NodeMapError
from .model import Assignment, LoadReport, Problem
from .nmfs import summarise
from .selection import SKIP_KINDS, _Graph, ancestors, command_registers, selection_edges
from .values import format_value, parse_pfs_value, parse_value, same

if TYPE_CHECKING:
    from ..nodemap import NodeMap

__all__ = ["replay"]

MAX_PASSES = 4


def replay(nm: NodeMap, assignments: list[Assignment], file_format: str, *, verify: bool = True,
           source: str = "the feature set") -> LoadReport:
    """Apply parsed ``assignments`` to ``nm`` (see the module docstring)."""
    features = nm.features
    reader: Callable[[str, str], Any] = parse_pfs_value if file_format == "pfs" else parse_value
    graph = _Graph(nm)

    def kind_of(name: str) -> str | None:
        node = graph.node(name)
        return getattr(node, "kind", None) if node is not None else None

    # 1. validate every line against the device's kinds before touching anything
    values: dict[tuple[str, str], Any] = {}
    errors: list[tuple[int, str]] = []

    def value_of(name: str, text: str, line: int) -> None:
        kind = kind_of(name)
        if kind is None or kind in SKIP_KINDS or (name, text) in values:
            return
        try:
            values[(name, text)] = reader(kind, text)
        except ValueError as exc:
            errors.append((line, f"{name} = {text.strip()!r}: cannot be read as "
                                 f"{_article(kind)} {kind}: {exc}"))

    for a in assignments:
        if a.name in nm:
            value_of(a.name, a.text, a.line)
        for selector, text in a.context:
            if selector in nm:
                value_of(selector, text, a.line)
    if errors:
        raise FeatureSetError(f"{source}: {summarise(errors)}", problems=tuple(errors))

    problems: dict[int, Problem] = {}
    commands = command_registers(graph, (n for n in {a.name for a in assignments} if n in nm),
                                 kind_of)
    # names that cannot be assigned at all: reported, never applied
    usable: list[Assignment] = []
    for a in assignments:
        reason = _refusal(nm, graph, a.name, kind_of, commands)
        if reason is None:
            for selector, _ in a.context:
                reason = _refusal(nm, graph, selector, kind_of, commands)
                if reason is not None:
                    reason = f"its selector {selector}: {reason}"
                    break
        if reason is None:
            usable.append(a)
        else:
            problems[a.line] = Problem(a.name, a.text, reason, a.line, a.context)

    # 2. which names act as selectors here: the same cycle-broken graph a save uses
    position = {n: i for i, n in enumerate(nm.names)}
    names = list(dict.fromkeys(a.name for a in usable))

    def selected_of(name: str) -> list[str]:
        try:
            return list(features[name].selected or ())
        except (KeyError, NodeMapError, AttributeError):
            return []

    edges = selection_edges(selected_of, names, position)
    above = ancestors(edges)
    contextual: list[Assignment] = []
    state: dict[str, str] = {}
    first_seen = {name: i for i, name in enumerate(names)}
    outer_first: dict[str, list[str]] = {}
    for a in usable:
        is_selector = a.name in edges
        if a.context:
            context = a.context
        else:
            mine = outer_first.get(a.name)
            if mine is None:
                mine = outer_first[a.name] = sorted(above.get(a.name, ()),
                                                    key=first_seen.__getitem__)
            context = tuple((k, state[k]) for k in mine if k in state)
        if is_selector:
            state[a.name] = a.text
        contextual.append(attrs.evolve(a, context=context, is_selector=is_selector))

    applied = 0

    def apply(a: Assignment) -> str | None:
        try:
            for selector, selector_text in a.context:
                features[selector].value = values[(selector, selector_text)]
            features[a.name].value = values[(a.name, a.text)]
        except NodeMapError as exc:
            return f"{type(exc).__name__}: {exc}"
        return None

    with nm.lock:
        pending: list[Assignment] = []
        for a in contextual:
            reason = apply(a)
            if reason is None:
                applied += 1
            else:
                pending.append(a)
                problems[a.line] = Problem(a.name, a.text, reason, a.line, a.context)
        for _ in range(MAX_PASSES):
            if not pending:
                break
            progress = False
            still: list[Assignment] = []
            for a in pending:
                reason = apply(a)
                if reason is None:
                    applied += 1
                    progress = True
                    problems.pop(a.line, None)
                else:
                    problems[a.line] = Problem(a.name, a.text, reason, a.line, a.context)
                    still.append(a)
            pending = still
            if not progress:
                break
        # a write the device refused still restored the feature if it already holds the
        # value (e.g. a camera refusing FocusPosition in auto focus, left where it was)
        for a in pending:
            try:
                for selector, selector_text in a.context:
                    features[selector].value = values[(selector, selector_text)]
                held = features[a.name].value
            except NodeMapError:
                continue
            if same(features[a.name].kind, values[(a.name, a.text)], held):
                problems.pop(a.line, None)
        final: dict[str, Assignment] = {}
        for a in contextual:
            if a.is_selector:
                final[a.name] = attrs.evolve(a, context=())
        for a in final.values():
            apply(a)
        verified = 0
        if verify:
            verified = _verify(nm, contextual, values, problems)
            for a in final.values():
                apply(a)
    ordered = tuple(problems[k] for k in sorted(problems))
    return LoadReport(applied, verified, ordered, file_format)


def _refusal(nm: NodeMap, graph: _Graph, name: str, kind_of: Callable[[str], str | None],
             commands: dict[str, str]) -> str | None:
    if name not in nm:
        close = difflib.get_close_matches(name, nm.names, n=3, cutoff=0.6)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        return "the device has no such feature" + hint
    kind = kind_of(name)
    if kind == "Command":
        return "a Command: a feature set never executes commands"
    if kind is None or kind in SKIP_KINDS:
        return f"{_article(kind or 'Unknown')} {kind or 'Unknown'} node has no value to restore"
    command = next((commands[h] for h in graph.owned(name) if h in commands), None)
    if command is not None:
        return f"its value is the register of the command {command}: a feature set never " \
               f"executes commands"
    return None


def _verify(nm: NodeMap, assignments: list[Assignment], values: dict[tuple[str, str], Any],
            problems: dict[int, Problem]) -> int:
    features = nm.features
    verified = 0
    nm.invalidate()
    for a in assignments:
        if a.is_selector or a.line in problems:
            continue
        feature = features[a.name]
        try:
            for selector, selector_text in a.context:
                features[selector].value = values[(selector, selector_text)]
            actual = feature.value
        except NodeMapError as exc:
            problems[a.line] = Problem(a.name, a.text, f"could not read it back: {exc}",
                                       a.line, a.context)
            continue
        expected = values[(a.name, a.text)]
        if same(feature.kind, expected, actual):
            verified += 1
        else:
            try:
                shown = format_value(feature.kind, actual)
            except ValueError:
                shown = repr(actual)
            problems[a.line] = Problem(
                a.name, a.text, f"the device kept {shown} (a later feature changed it, or "
                                f"the device rounds it)", a.line, a.context)
    return verified


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"
