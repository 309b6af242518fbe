"""What every GenApi node shares: its element's properties, metadata, access mode and cache.

A node is built from its XML element on first use.  Its definition (the element's
children, read once into ``props``) never changes; what changes (cached values, access
modes, bounds) lives in the ``cache`` dict, which the node map clears when anything
the node depends on changes (see :meth:`nodemap.nodemap.NodeMap.changed`).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Callable, Iterable

from lxml import etree

from ..errors import AccessError, RangeError, XmlError
from ..loader import localname

if TYPE_CHECKING:  # pragma: no cover
    from ..nodemap import NodeMap

__all__ = ["Node", "parse_int", "parse_float", "combine_access", "READABLE", "WRITABLE",
           "as_int", "round_half_away",
           "INT64_MIN", "INT64_MAX"]

INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1
READABLE = frozenset(("RW", "RO"))
WRITABLE = frozenset(("RW", "WO"))
_MISSING = object()


def parse_int(text: str, *, where: str = "") -> int:
    """A GenApi integer literal: decimal (leading zeros stay decimal), ``0x`` hex, sign."""
    t = text.strip()
    try:
        sign = 1
        if t[:1] in "+-":
            sign = -1 if t[0] == "-" else 1
            t = t[1:].strip()
        if t[:2].lower() == "0x":
            return sign * int(t[2:], 16)
        if t[:2].lower() == "0b":
            return sign * int(t[2:], 2)
        return sign * int(t, 10)
    except (ValueError, IndexError):
        try:  # "4.0" where an integer belongs: lenient, as real files need
            value = float(text)
            if value.is_integer():
                return int(value)
        except ValueError:
            pass
        raise XmlError(f"{where or 'value'}: {text!r} is not an integer") from None


def parse_float(text: str, *, where: str = "") -> float:
    t = text.strip()
    try:
        if t[:2].lower() in ("0x", "-0x", "+0"):
            return float(parse_int(t, where=where))
        return float(t)
    except ValueError:
        lowered = t.lower()
        if lowered in ("inf", "+inf", "infinity"):
            return math.inf
        if lowered in ("-inf", "-infinity"):
            return -math.inf
        raise XmlError(f"{where or 'value'}: {text!r} is not a number") from None


_ORDER = {"NI": 0, "NA": 1, "WO": 2, "RO": 2, "RW": 3}


def combine_access(a: str, b: str) -> str:
    """The intersection of two access modes (RO ∩ WO = NA; NI beats NA beats the rest)."""
    if a == b:
        return a
    if a == "NI" or b == "NI":
        return "NI"
    if a == "NA" or b == "NA":
        return "NA"
    if a == "RW":
        return b
    if b == "RW":
        return a
    return "NA"


class Node:
    """Base of every node.  Subclasses set ``kind`` and implement what they support."""

    kind = "Node"
    #: child elements whose text names another node this node depends on
    POINTER_TAGS: tuple[str, ...] = (
        "pValue", "pMin", "pMax", "pInc", "pIndex", "pValueIndexed", "pValueDefault",
        "pAddress", "pLength", "pPort", "pCommandValue", "pIsImplemented", "pIsAvailable",
        "pIsLocked", "pVariable", "pOffset", "pValueCopy", "pFeature", "pSelected")

    def __init__(self, nodemap: "NodeMap", name: str, element: etree._Element,
                 parent: etree._Element | None = None) -> None:
        self.nodemap = nodemap
        self.name = name
        self.element = element
        self.cache: dict[str, Any] = {}
        self.props: dict[str, list[etree._Element]] = {}
        if parent is not None:  # StructEntry: the StructReg's children are defaults
            for child in parent:
                tag = localname(child.tag)
                if tag and tag != "StructEntry":
                    self.props.setdefault(tag, []).append(child)
            own: dict[str, list[etree._Element]] = {}
            for child in element:
                tag = localname(child.tag)
                if tag:
                    own.setdefault(tag, []).append(child)
            self.props.update(own)
        else:
            for child in element:
                tag = localname(child.tag)
                if tag:
                    self.props.setdefault(tag, []).append(child)
        self.dependencies: tuple[str, ...] = tuple(self._collect_dependencies())
        # what the access mode depends on, read once (access is on the uncached read path)
        self._is_implemented = self.text("pIsImplemented")
        self._is_available = self.text("pIsAvailable")
        self._is_locked = self.text("pIsLocked")
        self._imposed = self.text("ImposedAccessMode")

    # -- definition helpers ---------------------------------------------------------

    def _collect_dependencies(self) -> Iterable[str]:
        for tag in self.POINTER_TAGS:
            if tag in ("pFeature", "pSelected", "pValueCopy"):
                continue  # not inputs of this node's value
            for element in self.props.get(tag, ()):
                text = (element.text or "").strip()
                if text:
                    yield pointer_target(text)
            if tag == "pIndex":
                for element in self.props.get(tag, ()):
                    if element.get("pOffset"):
                        yield element.get("pOffset").strip()

    def text(self, tag: str, default: str | None = None) -> str | None:
        elements = self.props.get(tag)
        if not elements:
            return default
        return (elements[0].text or "").strip()

    def texts(self, tag: str) -> list[str]:
        return [(e.text or "").strip() for e in self.props.get(tag, ())]

    def where(self, tag: str = "") -> str:
        line = self.element.sourceline
        return f"{self.kind} {self.name!r}" + (f" <{tag}>" if tag else "") + \
            (f" (line {line})" if line else "")

    def int_prop(self, tag: str, default: int | None = None) -> int | None:
        text = self.text(tag)
        return default if text is None or text == "" else parse_int(text, where=self.where(tag))

    def float_prop(self, tag: str, default: float | None = None) -> float | None:
        text = self.text(tag)
        return default if text is None or text == "" else parse_float(text, where=self.where(tag))

    def number_source(self, const_tag: str, pointer_tag: str, *, integer: bool
                      ) -> Callable[[], Any] | None:
        """A getter for a property given as a constant or as a pointer, else None."""
        pointer = self.text(pointer_tag)
        if pointer:
            return self.nodemap.reader(pointer)
        if self.text(const_tag) is not None:
            value = (self.int_prop(const_tag) if integer else self.float_prop(const_tag))
            return lambda: value
        return None

    # -- metadata -------------------------------------------------------------------

    @property
    def description(self) -> str:
        return self.text("Description", "") or ""

    @property
    def tooltip(self) -> str:
        return self.text("ToolTip", "") or ""

    @property
    def display_name(self) -> str:
        return self.text("DisplayName") or self.name

    @property
    def visibility(self) -> str:
        return self.text("Visibility", "Beginner") or "Beginner"

    @property
    def unit(self) -> str:
        return self.text("Unit", "") or ""

    @property
    def representation(self) -> str:
        return self.text("Representation", "") or ""

    @property
    def streamable(self) -> bool:
        return (self.text("Streamable", "No") or "No") == "Yes"

    @property
    def is_deprecated(self) -> bool:
        return (self.text("IsDeprecated", "No") or "No") == "Yes"

    @property
    def alias(self) -> str | None:
        return self.text("pAlias")

    @property
    def cast_alias(self) -> str | None:
        return self.text("pCastAlias")

    @property
    def selected(self) -> list[str]:
        """Names of the features this selector selects (``pSelected``)."""
        return self.texts("pSelected")

    @property
    def display_notation(self) -> str:
        return self.text("DisplayNotation", "Automatic") or "Automatic"

    @property
    def display_precision(self) -> int:
        return self.int_prop("DisplayPrecision", 6) or 6

    @property
    def polling_time(self) -> int | None:
        return self.int_prop("PollingTime")

    @property
    def namespace(self) -> str:
        return self.element.get("NameSpace", "Custom")

    @property
    def line(self) -> int | None:
        return self.element.sourceline

    # -- access ---------------------------------------------------------------------

    def base_access(self) -> str:
        """The access mode before conditions and ImposedAccessMode (subclasses refine)."""
        return "RO"

    def access(self) -> str:
        """RW, RO, WO, NA or NI; cached like a value."""
        mode = self.cache.get("access")
        return mode if mode is not None else self.cached("access", self._compute_access)

    def _compute_access(self) -> str:
        """GenApi's order: not implemented (NI) first, then what the node is built on,
        then not available (NA), ImposedAccessMode, and locked (RW → RO)."""
        if self._is_implemented and not self._condition(self._is_implemented):
            return "NI"
        mode = self.base_access()
        if mode == "NI":
            return mode
        if self._is_available and not self._condition(self._is_available):
            return "NA"
        if self._imposed:
            mode = combine_access(mode, self._imposed)
        if mode in WRITABLE and self._is_locked and self._condition(self._is_locked):
            mode = "RO" if mode == "RW" else "NA"
        return mode

    def inputs_access(self, names: Iterable[str]) -> str:
        """The worst access among input nodes (NI beats NA; readable ones count as RW):
        a node computed from an input that cannot be read cannot be read either."""
        nm = self.nodemap
        worst = "RW"
        for name in names:
            if name not in nm:
                continue
            mode = nm.node(name).access()
            if mode == "NI":
                return "NI"
            if mode not in READABLE:
                worst = "NA"
        return worst

    def _condition(self, pointer: str) -> bool:
        """The node named by pIsImplemented/pIsAvailable/pIsLocked: one that cannot be
        read (itself not implemented or available) counts as false, as in GenApi."""
        nm = self.nodemap
        target = pointer.partition(".")[0]
        if target in nm and nm.node(target).access() not in READABLE:
            return False
        return bool(nm.reader(pointer)())

    def check_bounds_available(self) -> None:
        mode = self.access()
        if mode in ("NA", "NI"):
            raise AccessError(f"{self.name} is not available (access mode {mode}): it has "
                              f"no bounds now")

    def check_readable(self) -> None:
        mode = self.access()
        if mode not in READABLE:
            raise AccessError(f"{self.name} is not readable (access mode {mode})"
                              + _access_hint(mode))

    def check_writable(self) -> None:
        mode = self.access()
        if mode not in WRITABLE:
            raise AccessError(f"{self.name} is not writable (access mode {mode})"
                              + _access_hint(mode))

    # -- values (overridden) ----------------------------------------------------------

    def cached(self, key: str, compute: Callable[[], Any]) -> Any:
        """``compute()`` once; kept until something this node depends on changes (and
        not kept at all when it read an uncachable register)."""
        cache = self.cache
        if key in cache:
            return cache[key]
        nm = self.nodemap
        before = nm.volatile
        active = nm.active  # the cycle guard, inlined: this is the uncached read path
        marker = (self.name, key)
        if marker in active:
            nm.evaluating(self, key).__enter__()  # raises the cycle error
        active.add(marker)
        try:
            value = compute()
        finally:
            active.discard(marker)
        if nm.volatile == before:
            cache[key] = value
        return value

    def get(self) -> Any:
        """The value, computed once and cached until an input changes."""
        try:
            return self.cache["value"]
        except KeyError:
            return self.cached("value", self._compute_value)

    def _compute_value(self) -> Any:
        raise AccessError(f"{self.name} ({self.kind}) has no value")

    def set(self, value: Any) -> None:
        raise AccessError(f"{self.name} ({self.kind}) has no value to write")

    def numeric(self) -> Any:
        """The value as a formula, index or address sees it (enumerations: the int)."""
        return self.get()

    def attribute(self, suffix: str) -> Any:
        """``Name.Value`` / ``.Min`` / ``.Max`` / ``.Inc`` / ``.Entry.X`` for pVariables."""
        if suffix in ("", "Value"):
            return self.numeric()
        getter = getattr(self, "get_" + suffix.lower(), None)
        if getter is None:
            raise XmlError(f"{self.where()} has no {suffix!r} to refer to")
        return getter()

    def invalidated(self) -> None:
        """Hook: the node map just cleared this node's cache."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"


def pointer_target(text: str) -> str:
    """``Width.Max`` → ``Width``; ``Sel.Entry.X`` → ``Sel``."""
    head, dot, _ = text.partition(".")
    return head if dot else text


def _access_hint(mode: str) -> str:
    if mode == "NI":
        return ": this device does not implement it"
    if mode == "NA":
        return ": it is not available in the current state (check its selectors, locks " \
               "and the features that make it available)"
    if mode == "WO":
        return ": it is write-only"
    if mode == "RO":
        return ": it is read-only (or locked while acquisition runs)"
    return ""


def round_half_away(value: float) -> int:
    """Round half away from zero, as GenApi does for integer targets."""
    if not math.isfinite(value):
        raise RangeError(f"{value} cannot be written to an integer")
    return int(math.floor(abs(value) + 0.5)) * (1 if value >= 0 else -1)


def as_int(node: Node, value: Any) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise RangeError(f"{node.name} is an Integer: {value!r} is not a whole number")
        return int(value)
    try:
        return value.__index__()
    except AttributeError:
        raise RangeError(f"{node.name} is an Integer: write an int, not "
                         f"{type(value).__name__}") from None
