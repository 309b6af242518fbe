"""Feature sets: save a camera's configuration to a text file and restore it later.

    from nodemap import persist
    persist.save(cam, "camera.nmfs")           # or persist.dumps(cam) -> str
    report = persist.load(cam, "camera.nmfs")  # or persist.loads(cam, text)
    for problem in report.problems: print(problem)

What is saved: every *streamable* feature (``<Streamable>Yes</Streamable>``) that is
readable and writable now, plus the selectors needed to reach them.  A description
that marks no feature streamable (many serial-camera XMLs) gets every readable-and-
writable, non-invisible value feature instead; the file's header says which rule
was used.  Commands, categories, ports and read-only features are never saved.

Order: features are sorted by dependency — a feature comes after every feature its
value, bounds or availability depend on (PixelFormat before Width when Width's
increment depends on the pixel format; Width before OffsetX), and a selector comes
before what it selects.  Each selector value is visited in turn (``GainSelector =
Red`` then the Gain for red, ``GainSelector = Blue`` …) and the selector is put back
to its original value at the end.  Cycles (Width ↔ OffsetX bound each other) are broken
in document order, and loading retries what failed until nothing more succeeds, so
a region of interest restores whatever the device's current state.

The file format (UTF-8 text, one assignment per line, replayed top to bottom)::

    # nodemap feature set 1
    # device: nodemap NM-Demo-1300
    # selection: streamable
    PixelFormat = Mono8
    Width = 640
    ExposureTime = 5000.0
    GainSelector = All
    Gain = 10
    GainSelector = Red
    Gain = 33
    GainSelector = All
    DeviceUserLabel = "line 3 camera"

* ``#`` starts a comment line; blank lines are ignored.
* ``NAME = VALUE``; the value is read according to the feature's kind:
  Integer as a decimal (``0x`` hex accepted), Float in Python ``repr`` form (exact
  round trip), Boolean ``true``/``false``, Enumeration the entry's symbolic name,
  String a JSON string (double quotes, backslash escapes), Register hex bytes.

Loading replays the assignments in order, retries failed ones (with the selector
values they were saved under), then re-reads every value and compares; each feature
that could not be restored is reported with the reason (:class:`Problem`).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Iterable, TextIO

import attrs

from .errors import NodeMapError

__all__ = ["FORMAT_VERSION", "Assignment", "Problem", "LoadReport", "plan", "dumps", "save",
           "loads", "load", "parse", "format_value", "parse_value"]

FORMAT_VERSION = 1
HEADER = f"# nodemap feature set {FORMAT_VERSION}"
_SKIP_KINDS = {"Category", "Command", "Port", "EnumEntry", "Unknown"}
_MAX_SELECTOR_VALUES = 256      # integer selectors: visit at most this many values
_MAX_PASSES = 4                 # load: retries of failed assignments


@attrs.frozen(slots=True)
class Assignment:
    """One ``NAME = VALUE`` line; ``context`` = the selector assignments in force."""

    name: str
    text: str
    line: int = 0
    context: tuple[tuple[str, str], ...] = ()
    is_selector: bool = False


@attrs.frozen(slots=True)
class Problem:
    """A feature that could not be restored, and why."""

    name: str
    value: str
    reason: str
    line: int = 0
    context: tuple[tuple[str, str], ...] = ()

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        under = ""
        if self.context:
            under = " (with " + ", ".join(f"{k}={v}" for k, v in self.context) + ")"
        return f"{where}{self.name} = {self.value}{under}: {self.reason}"


@attrs.frozen(slots=True)
class LoadReport:
    """What :func:`load` did: how many assignments succeeded, and every problem."""

    applied: int
    verified: int
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


# --------------------------------------------------------------------------- values

def format_value(kind: str, value: Any) -> str:
    """The text of ``value`` for a feature of ``kind`` (see the module docstring)."""
    if kind == "Boolean":
        return "true" if value else "false"
    if kind == "Float":
        return repr(float(value))
    if kind == "Integer":
        return str(int(value))
    if kind == "String":
        return json.dumps(str(value), ensure_ascii=False)
    if kind == "Register" or isinstance(value, (bytes, bytearray)):
        return bytes(value).hex()
    return str(value)


def parse_value(kind: str, text: str) -> Any:
    """The value ``text`` means for a feature of ``kind``; ValueError if it cannot."""
    text = text.strip()
    if kind == "Boolean":
        lowered = text.lower()
        if lowered in ("true", "1", "yes", "on"):
            return True
        if lowered in ("false", "0", "no", "off"):
            return False
        raise ValueError(f"{text!r} is not true or false")
    if kind == "Integer":
        return int(text, 0)
    if kind == "Float":
        return float(text)
    if kind == "String":
        if text.startswith('"'):
            value = json.loads(text)
            if not isinstance(value, str):
                raise ValueError(f"{text!r} is not a JSON string")
            return value
        return text
    if kind == "Register":
        return bytes.fromhex(text.removeprefix("0x"))
    return text  # Enumeration: the symbolic name


def _same(kind: str, expected: Any, actual: Any) -> bool:
    if kind == "Float":
        return math.isclose(float(expected), float(actual), rel_tol=1e-6, abs_tol=1e-9)
    if kind == "String":
        return str(expected).rstrip("\0") == str(actual).rstrip("\0")
    return expected == actual


# --------------------------------------------------------------------------- planning

def _nodemap(target: Any) -> Any:
    """Accept a Camera, a NodeMap or a Features mapping."""
    if hasattr(target, "nodemap"):
        return target.nodemap
    if hasattr(target, "_nodemap") and not hasattr(target, "names"):
        return target._nodemap
    return target


def _feature_ok(feature: Any) -> bool:
    try:
        return feature.kind not in _SKIP_KINDS and feature.access == "RW"
    except NodeMapError:
        return False


class _Graph:
    """Dependencies between features, from the nodes' ``dependencies``."""

    def __init__(self, nm: Any) -> None:
        self.nm = nm
        self._closure: dict[str, frozenset[str]] = {}
        self._owned: dict[str, frozenset[str]] = {}

    def _deps(self, name: str) -> tuple[str, ...]:
        try:
            return tuple(d for d in self.nm.node(name).dependencies if d in self.nm)
        except (KeyError, NodeMapError):
            return ()

    def closure(self, name: str) -> frozenset[str]:
        """Every node ``name``'s value, bounds or access depends on (transitively)."""
        known = self._closure.get(name)
        if known is not None:
            return known
        seen: set[str] = set()
        stack = list(self._deps(name))
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            stack.extend(self._deps(current))
        result = self._closure[name] = frozenset(seen)
        return result

    def owned(self, name: str) -> frozenset[str]:
        """The nodes holding ``name``'s own value: itself and its pValue chain."""
        known = self._owned.get(name)
        if known is not None:
            return known
        out = {name}
        current = name
        for _ in range(32):
            try:
                node = self.nm.node(current)
            except (KeyError, NodeMapError):
                break
            pointers = getattr(node, "props", {}).get("pValue", ())
            if not pointers:
                break
            current = (pointers[0].text or "").strip()
            if not current or current in out or current not in self.nm:
                break
            out.add(current)
        result = self._owned[name] = frozenset(out)
        return result


def _order(names: list[str], graph: _Graph, selects: dict[str, list[str]],
           position: dict[str, int]) -> list[str]:
    """Topological order (dependencies first), ties and cycles broken in document order."""
    members = set(names)
    before: dict[str, set[str]] = {n: set() for n in names}
    for a in names:
        reach = graph.closure(a)
        for b in names:
            if a != b and reach & graph.owned(b):
                before[a].add(b)
    for selector, selected in selects.items():
        for target in selected:
            if target in members and selector in members and target != selector:
                before[target].add(selector)
                before[selector].discard(target)
    done: list[str] = []
    placed: set[str] = set()
    remaining = sorted(names, key=lambda n: position.get(n, 0))
    while remaining:
        for n in remaining:
            if before[n] <= placed:
                break
        else:
            n = remaining[0]  # a cycle: document order decides
        remaining.remove(n)
        placed.add(n)
        done.append(n)
    return done


def _selector_values(feature: Any) -> list[Any]:
    if feature.kind == "Enumeration":
        return list(feature.entries)
    if feature.kind == "Integer":
        low, high, inc = int(feature.min), int(feature.max), int(feature.inc or 1)
        return list(range(low, high + 1, max(inc, 1)))[:_MAX_SELECTOR_VALUES]
    if feature.kind == "Boolean":
        return [False, True]
    return []


def plan(target: Any) -> tuple[list[Assignment], str]:
    """Read the device and return the assignments a feature set holds, and the
    selection rule used ("streamable" or "writable")."""
    nm = _nodemap(target)
    features = nm.features
    names = [n for n in nm.names]
    position = {n: i for i, n in enumerate(names)}
    value_names = []
    for n in names:
        try:
            if features[n].kind not in _SKIP_KINDS:
                value_names.append(n)
        except (KeyError, NodeMapError):
            continue
    selection = "streamable"
    chosen = [n for n in value_names if _safe(lambda: features[n].streamable, False)]
    if not chosen:
        selection = "writable"
        chosen = [n for n in value_names
                  if _safe(lambda: features[n].visibility, "Beginner") != "Invisible"]
    graph = _Graph(nm)
    behind: set[str] = set()   # registers/values that hold another feature's value
    for n in value_names:
        behind |= graph.owned(n) - {n}
    chosen = [n for n in chosen if n not in behind and _feature_ok(features[n])]
    selects: dict[str, list[str]] = {}
    for n in value_names:
        selected = _safe(lambda: list(features[n].selected or ()), [])
        if selected:
            selects[n] = selected
    # selectors needed to reach a chosen feature (transitively) join the set
    wanted = set(chosen)
    changed = True
    while changed:
        changed = False
        for selector, selected in selects.items():
            if selector not in wanted and wanted & set(selected) and _feature_ok(features[selector]):
                wanted.add(selector)
                changed = True
    ordered = _order(sorted(wanted, key=position.__getitem__), graph, selects, position)
    selected_by: dict[str, list[str]] = {}
    for selector, selected in selects.items():
        if selector in wanted:
            for target_name in selected:
                selected_by.setdefault(target_name, []).append(selector)
    out: list[Assignment] = []

    def emit(name: str, context: tuple[tuple[str, str], ...]) -> None:
        feature = features[name]
        children = [c for c in ordered if c in set(selects.get(name, ())) and c != name]
        if not children:
            try:
                if feature.access != "RW":
                    return
                out.append(Assignment(name, format_value(feature.kind, feature.value),
                                      context=context))
            except NodeMapError:
                return
            return
        original = feature.value
        original_text = format_value(feature.kind, original)
        try:
            for value in _selector_values(feature):
                try:
                    feature.value = value
                except NodeMapError:
                    continue
                text = format_value(feature.kind, value)
                out.append(Assignment(name, text, context=context, is_selector=True))
                inner = context + ((name, text),)
                for child in children:
                    emit(child, inner)
        finally:
            feature.value = original
        out.append(Assignment(name, original_text, context=context, is_selector=True))

    for name in ordered:
        if name in selected_by:
            continue  # written while its selector is visited
        emit(name, ())
    return out, selection


def _safe(function: Any, default: Any) -> Any:
    try:
        return function()
    except (NodeMapError, KeyError, AttributeError):
        return default


def _device_label(nm: Any) -> str:
    parts = []
    for name in ("DeviceVendorName", "DeviceModelName", "DeviceSerialNumber"):
        if name in nm:
            value = _safe(lambda: nm.features[name].value, None)
            if value:
                parts.append(str(value).strip("\0 "))
    if not parts:
        root = nm.documents[0].root if hasattr(nm.documents[0], "root") else None
        if root is not None:
            parts = [root.get("VendorName", ""), root.get("ModelName", "")]
    return " ".join(p for p in parts if p) or "unknown"


def dumps(target: Any) -> str:
    """The feature set of ``target`` (Camera/NodeMap) as text."""
    nm = _nodemap(target)
    with nm.lock:
        assignments, selection = plan(nm)
        lines = [HEADER, f"# device: {_device_label(nm)}", f"# selection: {selection}",
                 "# one assignment per line, replayed in order; see nodemap.persist"]
        lines += [f"{a.name} = {a.text}" for a in assignments]
    return "\n".join(lines) + "\n"


def save(target: Any, destination: str | Path | TextIO) -> int:
    """Write the feature set to a path or text file; returns the number of assignments."""
    text = dumps(target)
    if hasattr(destination, "write"):
        destination.write(text)  # type: ignore[union-attr]
    else:
        Path(destination).write_text(text, encoding="utf-8")
    return sum(1 for line in text.splitlines() if line and not line.startswith("#"))


# --------------------------------------------------------------------------- loading

def parse(text: str) -> list[Assignment]:
    """The assignments of a feature-set text; ValueError names a malformed line."""
    out: list[Assignment] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.partition("=")
        name = name.strip()
        if not sep or not name or any(c.isspace() for c in name):
            raise ValueError(f"line {number}: {raw!r} is not NAME = VALUE")
        out.append(Assignment(name, value.strip(), number))
    return out


def loads(target: Any, text: str, *, verify: bool = True) -> LoadReport:
    """Replay a feature-set text on ``target`` and report what could not be restored."""
    nm = _nodemap(target)
    features = nm.features
    assignments = parse(text)
    # Which names act as selectors here: those with a `selected` list.
    selects = {a.name: set(_safe(lambda: list(features[a.name].selected or ()), []))
               for a in assignments if a.name in nm}
    selectors = {name for name, selected in selects.items() if selected}
    # Attach each assignment's selector context (the selector values in force).
    contextual: list[Assignment] = []
    state: dict[str, str] = {}
    for a in assignments:
        if a.name in selectors:
            state[a.name] = a.text
            contextual.append(attrs.evolve(a, is_selector=True))
        else:
            context = tuple((k, v) for k, v in state.items() if a.name in selects[k])
            contextual.append(attrs.evolve(a, context=context))
    problems: dict[int, Problem] = {}
    applied = 0

    def apply(a: Assignment) -> str | None:
        if a.name not in nm:
            return "the device has no such feature" + _close(nm, a.name)
        feature = features[a.name]
        try:
            value = parse_value(feature.kind, a.text)
        except ValueError as exc:
            return f"cannot read the value as {feature.kind}: {exc}"
        try:
            for selector, selector_text in a.context:
                sel = features[selector]
                sel.value = parse_value(sel.kind, selector_text)
            feature.value = value
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
        for _ in range(_MAX_PASSES):
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
        # put every selector back to its final value in the file
        final: dict[str, Assignment] = {}
        for a in contextual:
            if a.is_selector:
                final[a.name] = a
        for a in final.values():
            apply(attrs.evolve(a, context=()))
        verified = 0
        if verify:
            verified = _verify(nm, contextual, problems)
            for a in final.values():
                apply(attrs.evolve(a, context=()))
    ordered = tuple(problems[k] for k in sorted(problems))
    return LoadReport(applied, verified, ordered)


def _verify(nm: Any, assignments: list[Assignment], problems: dict[int, Problem]) -> int:
    features = nm.features
    verified = 0
    nm.invalidate()
    for a in assignments:
        if a.is_selector or a.line in problems or a.name not in nm:
            continue
        feature = features[a.name]
        try:
            for selector, selector_text in a.context:
                sel = features[selector]
                sel.value = parse_value(sel.kind, selector_text)
            expected = parse_value(feature.kind, a.text)
            actual = feature.value
        except (NodeMapError, ValueError) as exc:
            problems[a.line] = Problem(a.name, a.text, f"could not read it back: {exc}",
                                       a.line, a.context)
            continue
        if _same(feature.kind, expected, actual):
            verified += 1
        else:
            problems[a.line] = Problem(
                a.name, a.text, f"the device kept {format_value(feature.kind, actual)} "
                f"(a later feature changed it, or the device rounds it)", a.line, a.context)
    return verified


def _close(nm: Any, name: str) -> str:
    import difflib

    close = difflib.get_close_matches(name, nm.names, n=3, cutoff=0.6)
    return f" (did you mean {', '.join(close)}?)" if close else ""


def load(target: Any, source: str | Path | TextIO, *, verify: bool = True) -> LoadReport:
    """Restore a feature set from a path or text file; see :func:`loads`."""
    if hasattr(source, "read"):
        text = source.read()  # type: ignore[union-attr]
    else:
        text = Path(source).read_text(encoding="utf-8")
    return loads(target, text, verify=verify)


def names(assignments: Iterable[Assignment]) -> list[str]:
    """The distinct feature names of some assignments, first appearance order."""
    return list(dict.fromkeys(a.name for a in assignments))
