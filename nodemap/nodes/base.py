"""What every GenApi node shares: its definition, metadata, access mode and cached results.

A node is built from its XML element on first use.  Its definition (the element's
children, read once into a frozen :class:`~nodemap.nodes.definition.Definition`) never
changes; what changes (cached values, access modes, bounds, held values) lives in the
node map's one value store (:class:`nodemap.cache.Store`, ``self.store``), which forgets
a node's results when anything the node depends on changes (see
:meth:`nodemap.nodemap.NodeMap.changed` and docs/core.md).

Building a node checks its definition against the description: every pointer element
names a node of the right type (a dangling, empty or wrong-type one is an XmlError
naming both nodes and the line), literals are numbers of the right range, access modes
are access modes.  Numbers read through pointers become integers through
:func:`whole`, which refuses NaN, infinities and non-numbers by name.
"""

from __future__ import annotations

import math
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, TypeVar, cast

from lxml import etree

from ..cache import MISSING
from ..errors import AccessError, NodeMapError, RangeError, XmlError
from ..loader import localname
from ..pointers import (NUMBER_POINTERS, TRACKED_POINTERS, VALUE_POINTERS, is_pointer_tag,
                        pointer_target)
from .definition import Definition, children_by_tag

_T = TypeVar("_T")

if TYPE_CHECKING:  # pragma: no cover
    from ..cache import Store
    from ..nodemap import NodeMap

__all__ = ["Node", "parse_int", "parse_int64", "parse_float", "whole", "combine_access",
           "is_pointer_tag", "as_int", "round_half_away", "READABLE", "WRITABLE",
           "INT64_MIN", "INT64_MAX"]

INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1
ACCESS_MODES = frozenset(("RW", "RO", "WO", "NA", "NI"))
READABLE = frozenset(("RW", "RO"))
WRITABLE = frozenset(("RW", "WO"))
_MISSING = object()
_NO_CHILDREN: Mapping[str, list[etree._Element]] = MappingProxyType({})
# NUMBER_POINTERS (pointers read as a number through ``NodeMap.reader``), VALUE_POINTERS
# and the pointer helpers come from the one pointer table, nodemap.pointers.
#: Element types whose nodes give a number to a pointer, or a text.
NUMBER_TYPES = frozenset((
    "Integer", "IntReg", "MaskedIntReg", "StructEntry", "IntSwissKnife", "IntConverter",
    "Float", "FloatReg", "SwissKnife", "Converter", "Boolean", "Enumeration", "EnumEntry"))
TEXT_TYPES = frozenset(("String", "StringReg"))


#: Digits beyond which a literal is refused before conversion: far outside 64 bits, and
#: below Python's int-string conversion limit (4300 digits).
MAX_LITERAL_DIGITS = 1000


def parse_int(text: str, *, where: str = "") -> int:
    """A GenApi integer literal: decimal (leading zeros stay decimal), ``0x`` hex, sign."""
    t = text.strip()
    if len(t) > MAX_LITERAL_DIGITS:
        raise XmlError(f"{where or 'value'}: a {len(t)}-character number is far outside the "
                       f"64-bit range")
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


def parse_int64(text: str, *, where: str = "") -> int:
    """An integer literal that a GenApi integer value holds: inside the int64 range."""
    value = parse_int(text, where=where)
    if not INT64_MIN <= value <= INT64_MAX:
        raise XmlError(f"{where or 'value'}: {text.strip()!r} is outside the int64 range "
                       f"[-2**63, 2**63 - 1] of an integer value")
    return value


def parse_float(text: str, *, where: str = "") -> float:
    t = text.strip()
    if len(t) > MAX_LITERAL_DIGITS:
        raise XmlError(f"{where or 'value'}: a {len(t)}-character number is not a double")
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


def whole(value: Any, where: str) -> int:
    """A number read through a pointer, as an integer: a float rounded half away from
    zero, as the reference's integer view of a float node does (measured for pMin, pMax,
    pInc, pAddress and an Integer's bounds through its pValue: 2.5 → 3, -2.5 → -3, 2.4
    → 2; NaN → INT64_MIN); XmlError naming ``where`` for infinities, a float beyond
    int64 (the reference: "Float value … out of integer range") and anything that is
    not a number."""
    if isinstance(value, int):  # bool included
        return int(value)
    if isinstance(value, float):
        if math.isfinite(value):
            number = round_half_away(value)
            if INT64_MIN <= number <= INT64_MAX:
                return number
            if number == 1 << 63:  # passes the check made in double; C gives INT64_MIN
                return INT64_MIN
        elif value != value:  # NaN passes the reference's range check: C's conversion
            return INT64_MIN
        raise XmlError(f"{where}: {value!r} is out of the range an integer can take")
    raise XmlError(f"{where}: {type(value).__name__} {value!r} is not a number")


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
    #: the element types a value pointer (pValue, pValueIndexed, pValueCopy ...) of this
    #: node may name; None: any (the node has no value pointers)
    VALUE_TYPES: frozenset[str] | None = None
    #: child elements whose text names another node this node depends on
    POINTER_TAGS: tuple[str, ...] = TRACKED_POINTERS

    def __init__(self, nodemap: "NodeMap", name: str, element: etree._Element,
                 parent: etree._Element | None = None) -> None:
        self.nodemap = nodemap
        self.name = name
        self.element = element
        #: the node map's value store: every cached result of this node lives there
        self.store = nodemap.store
        #: the store's valid values and constant access modes (dicts the store clears but
        #: never replaces): the uncached read path looks in them without a method call
        self._values = self.store.values
        self._constant_access = self.store.constant_access
        self._aspects = self.store.aspects
        #: the store's kept (varying) access modes, by node name
        self._access_modes: dict[str, str] = self._aspects["access"]
        self._access_marker = (name, "access")
        #: the cycle guard's marker of this node's value evaluation
        self._value_marker = (name, "value")
        #: the value worked out now, without looking in the store first (the caller
        #: did: :meth:`get`, ``Feature.value``, a formula's variables), and kept there
        #: as :meth:`_evaluate_value` keeps it; compiled into one closure on first use
        #: (:meth:`_compile_value`).  A kind whose ``get`` is its own (no store value)
        #: evaluates through it.
        self.evaluate_value: Callable[[], Any] = \
            self._first_evaluation if type(self).get is Node.get else self.get
        #: the child elements by tag: for building only (:meth:`built` drops them)
        self.props: Mapping[str, list[etree._Element]] = children_by_tag(element, parent)
        #: what the description says, read once (frozen)
        self.definition = Definition.parse(name, element, self.props)
        self._number_sources: dict[tuple[str, str, bool], Callable[[], Any] | None] = {}
        self._polling: Any = _MISSING
        self._conditions: dict[str, tuple[str | None, Callable[[], Any]]] = {}
        #: pIsImplemented/pIsAvailable/pIsLocked pointer → the node whose access decides
        #: whether it can be read (None: itself, or a name of no node)
        self._condition_nodes: dict[str, Node | None] = {}
        self._check_references()
        self.dependencies: tuple[str, ...] = tuple(self._collect_dependencies())
        # what the access mode depends on, read once (access is on the uncached read path)
        self._is_implemented = self.text("pIsImplemented")
        self._is_available = self.text("pIsAvailable")
        self._is_locked = self.text("pIsLocked")
        self._imposed = self.text("ImposedAccessMode")
        if self._imposed is not None and self._imposed not in ACCESS_MODES:
            raise XmlError(f"{self.where('ImposedAccessMode')}: {self._imposed!r} is not an "
                           f"access mode (RW, RO, WO, NA or NI)")

    # -- definition helpers ---------------------------------------------------------

    def _check_references(self) -> None:
        """Every pointer element of this node (``p`` + capital: pValue, pMin, pVariable,
        pPort, pSelected, pInvalidator, ...), the terms of an inline IntSwissKnife and a
        pIndex's ``pOffset`` must name a node of the description.  A dangling or empty
        one is an XmlError naming both nodes, raised when this node is first built (the
        reference refuses the whole file at load)."""
        for tag, elements in self.props.items():
            pointer = is_pointer_tag(tag)
            if not pointer and tag != "IntSwissKnife":
                continue
            for element in elements:
                if pointer:
                    self._check_reference(tag, element.text, element)
                    offset = element.get("pOffset") if tag == "pIndex" else None
                    if offset is not None:
                        self._check_reference("pIndex pOffset", offset, element)
                    continue
                for child in element.iterdescendants():
                    child_tag = localname(child.tag)
                    if is_pointer_tag(child_tag):
                        self._check_reference(f"IntSwissKnife {child_tag}", child.text, child)

    def _check_reference(self, tag: str, text: str | None, element: etree._Element) -> None:
        target = (text or "").strip()
        if not target:
            raise XmlError(f"{self.where()}: <{tag}> is empty; it must name a node",
                           line=element.sourceline)
        nm = self.nodemap
        own_tag = tag.rpartition(" ")[2]
        name = target
        if target not in nm:
            name = pointer_target(target)
            if name not in nm:
                raise XmlError(f"{self.where()}: <{tag}> names {target!r}, which the "
                               f"description does not define (a misspelt node name?)",
                               line=element.sourceline)
            if own_tag not in NUMBER_POINTERS:
                raise XmlError(f"{self.where()}: <{tag}> names {target!r}: it must name a "
                               f"node ({name!r}), not one of its values",
                               line=element.sourceline)
        if own_tag in NUMBER_POINTERS:
            wanted, what = NUMBER_TYPES, "a number"
        elif own_tag in VALUE_POINTERS and self.VALUE_TYPES is not None:
            wanted = self.VALUE_TYPES
            what = "a number" if wanted is NUMBER_TYPES else "a text"
        elif own_tag == "pPort":
            wanted, what = frozenset(("Port",)), "a port"
        else:
            return
        if name == target:  # a suffix (Width.Max, Sel.Entry.On) is a number of any node
            found = nm.element_type(name)
            if found not in wanted:
                raise XmlError(f"{self.where()}: <{tag}> names {name!r}, a {found}, which "
                               f"does not give {what}", line=element.sourceline)

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
                    offset = element.get("pOffset")
                    if offset:
                        yield offset.strip()

    def built(self) -> None:
        """Construction is over: drop the element lists (the definition keeps what the
        node needs)."""
        self.props = _NO_CHILDREN

    def text(self, tag: str, default: str | None = None) -> str | None:
        """The definition's text for ``tag`` (the first such child), else ``default``."""
        found = self.definition.texts.get(tag)
        return found[0] if found else default

    def texts(self, tag: str) -> list[str]:
        return list(self.definition.all(tag))

    def where(self, tag: str = "") -> str:
        line = self.definition.line
        return f"{self.kind} {self.name!r}" + (f" <{tag}>" if tag else "") + \
            (f" (line {line})" if line else "")

    def whole(self, value: Any, tag: str = "") -> int:
        """:func:`whole` naming this node's ``tag`` (the message is built only on error)."""
        if value.__class__ is int:
            return value
        return whole(value, self.where(tag))

    def int_prop(self, tag: str, default: int | None = None) -> int | None:
        text = self.text(tag)
        return default if text is None or text == "" else parse_int(text, where=self.where(tag))

    def int64_prop(self, tag: str, default: int | None = None) -> int | None:
        text = self.text(tag)
        return default if text is None or text == "" else \
            parse_int64(text, where=self.where(tag))

    def float_prop(self, tag: str, default: float | None = None) -> float | None:
        text = self.text(tag)
        return default if text is None or text == "" else parse_float(text, where=self.where(tag))

    def number_source(self, const_tag: str, pointer_tag: str, *, integer: bool
                      ) -> Callable[[], Any] | None:
        """A getter for a property given as a constant or as a pointer, else None."""
        key = (const_tag, pointer_tag, integer)
        sources = self._number_sources
        if key in sources:
            return sources[key]
        pointer = self.text(pointer_tag)
        getter: Callable[[], Any] | None = None
        if pointer:
            getter = self.nodemap.reader(pointer)
        else:
            text = self.text(const_tag)
            if text is not None:  # present: a number (an empty element is an error too)
                where = self.where(const_tag)
                value = parse_int64(text, where=where) if integer else \
                    parse_float(text, where=where)
                getter = lambda: value  # noqa: E731
        sources[key] = getter  # worked out once: the definition does not change
        return getter

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
        """``<Unit>``; else, as in the reference, the unit of the pValue node."""
        own = self.text("Unit")
        if own is not None:
            return own
        target = self._presentation_source()
        return target.unit if target is not None else ""

    @property
    def representation(self) -> str:
        """``<Representation>``; else the pValue node's; else PureNumber for a number
        (what the reference reports)."""
        own = self.text("Representation")
        if own:
            return own
        target = self._presentation_source()
        if target is not None and not (self.kind == "Integer" and target.kind == "Float"):
            return target.representation  # (an Integer over a float node: PureNumber)
        return "PureNumber" if self.kind in ("Integer", "Float") else ""

    def _presentation_source(self) -> "Node | None":
        """The pValue node a number shows its unit/representation through, if any."""
        if self.kind not in ("Integer", "Float"):
            return None
        # pValue, else (an indexed value) its first pValueIndexed, else pValueDefault
        name = self.text("pValue") or self.text("pValueIndexed") or self.text("pValueDefault")
        if not name or name == self.name or name not in self.nodemap:
            return None
        try:
            target = self.nodemap.node(name)
        except NodeMapError:
            return None
        return target if target.kind in ("Integer", "Float") else None

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
        """``PollingTime`` in ms (None when absent); parsed once: NodeMap.poll asks
        every built node."""
        period = self._polling
        if period is _MISSING:
            period = self._polling = self.int_prop("PollingTime")
        return cast("int | None", period)

    @property
    def namespace(self) -> str:
        return self.definition.namespace

    @property
    def line(self) -> int | None:
        return self.definition.line

    # -- access ---------------------------------------------------------------------

    def base_access(self) -> str:
        """The access mode before conditions and ImposedAccessMode (subclasses refine)."""
        return "RO"

    def access(self) -> str:
        """RW, RO, WO, NA or NI; cached like a value, and for good when it was worked
        out without reading anything that varies (see :mod:`nodemap.cache`)."""
        name = self.name
        mode: str | None = self._constant_access.get(name)
        if mode is not None:
            return mode
        store = self.store
        mode = self._access_modes.get(name)
        if mode is not None:
            store.dynamic += 1  # what is computed from this access varies as well
            return mode
        dynamic, volatile, failed = store.dynamic, store.volatile, store.failed_conditions
        active = self.nodemap.active  # the cycle guard (Node.evaluate), inlined
        marker = self._access_marker
        if marker in active:
            raise self.nodemap.cycle_error(marker)
        try:
            active[marker] = None
            try:
                plan = self._direct_access
                mode = plan() if plan is not None else self._compute_access()
            finally:
                active.pop(marker, None)
        except NodeMapError:
            if store.failed_conditions == failed or not self.KEEPS_FAILED_ACCESS:
                raise
            # A pIsImplemented/pIsAvailable/pIsLocked whose reading fails, this node's or
            # one its access asks about (a formula's variable, a pValue): the reference
            # raises that error from this first GetAccessMode and keeps, until the node
            # is invalidated, the access it started from: RW within ImposedAccessMode,
            # whatever the node is built on and the conditions after it (measured: an RO
            # IntReg then answers RW, a node with ImposedAccessMode RO answers RO, a
            # SwissKnife over an Integer whose pIsAvailable fails answers RW).
            self.keep_failed_access(store)
            store.dynamic += 1
            raise
        if store.volatile == volatile:
            self._access_modes[name] = mode  # store.put(name, "access", mode)
            if store.dynamic == dynamic:
                self._constant_access[name] = mode
                return mode
        store.dynamic += 1
        return mode

    #: the compiled access computation (:meth:`_compile_access`), once built
    _access_plan: Callable[[], str] | None = None
    #: the same, when this kind's own _compute_access is Node's (access() calls it)
    _direct_access: Callable[[], str] | None = None

    #: the access mode was computed once already (the next computation compiles it)
    _access_computed: bool = False

    def _compute_access(self) -> str:
        """GenApi's order (see :meth:`_generic_access`), through the closure
        :meth:`_compile_access` builds at the second computation: most access modes
        are computed once and kept for good (``constant_access``), and their closures
        would only cost memory (about 1 KiB a node: 5 MiB on a large file)."""
        plan = self._access_plan
        if plan is not None:
            return plan()
        if not self._access_computed:
            mode = self._generic_access()
            self._access_computed = True  # got through: the condition nodes are built
            return mode
        plan = self._access_plan = self._compile_access()
        if plan is None:
            return self._generic_access()
        if type(self)._compute_access is Node._compute_access:
            self._direct_access = plan  # access() may call it without this method
        return plan()

    def _generic_access(self) -> str:
        """GenApi's order: a condition node that is NI, what the node is built on (NI
        there), not implemented (NI), what it is built on (NA there), not available
        (NA), an unreadable lock, ImposedAccessMode and the kind's own limit
        (:attr:`ACCESS_CAP`), locked (RW → RO)."""
        # a condition node that is NI makes this node NI, whichever condition it is and
        # before any other condition is looked at (measured: an NA pIsImplemented node
        # and an NI pIsLocked node give NI)
        for pointer in (self._is_implemented, self._is_available, self._is_locked):
            if pointer and self._condition_unreadable(pointer) == "NI":
                return "NI"
        # what the node is built on first: NI there wins over a pIsImplemented that
        # cannot be read or fails (measured: not even read); NA there leaves
        # pIsAvailable and pIsLocked unread, not pIsImplemented (which may make it NI)
        mode = self._kept_base_access()
        if mode == "NI":
            return mode
        if self._is_implemented:
            unreadable = self._condition_unreadable(self._is_implemented)
            if unreadable:
                return unreadable
            if not self._condition(self._is_implemented):
                return "NI"
        if mode == "NA":
            return mode
        lock = self._is_locked
        if lock and self._condition_mode(lock) == "NA":
            return "NA"  # a lock node not available: NA whatever the mode, before
            # pIsAvailable is read (measured: a failing pIsAvailable is not read then)
        if self._is_available:
            unreadable = self._condition_unreadable(self._is_available)
            if unreadable:
                return unreadable
            if not self._condition(self._is_available):
                return "NA"
        # The lock matters to a node it could lock, judged on what the node is built
        # on, before ImposedAccessMode and the kind's own limit: only then is it read,
        # and a write-only lock node makes it NA (measured: an Integer over an RO
        # register stays RO, and a failing lock is not read; over an RW one with
        # ImposedAccessMode RO, a SwissKnife, an EnumEntry, an Integer with its own
        # Value become NA, and a failing lock fails them).
        locked = False
        if lock and mode in WRITABLE:
            if self._condition_unreadable(lock):
                return "NA"
            locked = self._condition(lock)
        if self._imposed:
            mode = combine_access(mode, self._imposed)
        if self.ACCESS_CAP:
            mode = combine_access(mode, self.ACCESS_CAP)
        if locked and mode in WRITABLE:
            mode = "RO" if mode == "RW" else "NA"
        return mode

    def _compile_access(self) -> Callable[[], str] | None:
        """:meth:`_generic_access` as one closure (None: not yet, or not here): the
        condition nodes, their readers and the constant parts (ImposedAccessMode, the
        kind's limit) looked up once; each condition node's access mode asked once per
        computation (the generic path asks up to three times, which read a condition
        over a NoCache register three times); a condition's value read by one lookup
        in ``store.values`` when valid.  Built after a first generic computation got
        through (so the condition nodes are built in the generic order, and a broken
        one fails there); a condition naming the node itself keeps the generic path
        (its cycle is reported there)."""
        name = self.name
        pointers = (self._is_implemented, self._is_available, self._is_locked)
        nodes = self._condition_nodes
        for pointer in pointers:
            if pointer and (pointer.partition(".")[0] == name or pointer not in nodes):
                return None
        nm = self.nodemap
        store = self.store
        constant, values = self._constant_access, self._values
        constant_base = store.constant_base
        kept_base = self._kept_base_access
        imposed, cap = self._imposed, self.ACCESS_CAP

        failed = NodeMapError

        def condition(pointer: str | None) -> tuple[Node | None, Callable[[], Any] | None,
                                                      str | None]:
            if not pointer:
                return None, None, None
            read = nm.reader(pointer)
            cached = getattr(read, "cached_name", None)
            node = nodes[pointer]
            if cached is not None and node is not None and node.name == cached and \
                    type(node).get is Node.get:
                # a node whose number is its value: on a miss (the store was just
                # looked in) its evaluate_value(), called directly (looked up on each
                # call: the first evaluation replaces it with the compiled one)
                evaluated = node

                def evaluate_on_miss() -> Any:
                    """The condition's value when the store has none: a failure is
                    counted (Node.access keeps the failed access then)."""
                    try:
                        return evaluated.evaluate_value()
                    except failed:
                        store.failed_conditions += 1
                        raise
                return node, evaluate_on_miss, cached

            def read_on_miss() -> Any:
                """The condition's value when the store has none: a failure is
                counted (Node.access keeps the failed access then)."""
                try:
                    return read()
                except failed:
                    store.failed_conditions += 1
                    raise
            return node, read_on_miss, cached

        impl_node, impl_read, impl_name = condition(pointers[0])
        avail_node, avail_read, avail_name = condition(pointers[1])
        lock_node, lock_read, lock_name = condition(pointers[2])

        # ImposedAccessMode and the kind's own limit, folded: mode → limited mode
        limited = {}
        for start in ACCESS_MODES:
            limit = combine_access(start, imposed) if imposed else start
            limited[start] = combine_access(limit, cap) if cap else limit
        missing = MISSING

        def compute() -> str:
            # a condition node that is NI: NI, before anything else (each condition
            # node's access mode is asked once: it cannot change meanwhile)
            impl_mode = avail_mode = lock_mode = None
            if impl_node is not None:
                impl_mode = constant.get(impl_node.name) or impl_node.access()
                if impl_mode == "NI":
                    return "NI"
            if avail_node is not None:
                avail_mode = constant.get(avail_node.name) or avail_node.access()
                if avail_mode == "NI":
                    return "NI"
            if lock_node is not None:
                lock_mode = constant.get(lock_node.name) or lock_node.access()
                if lock_mode == "NI":
                    return "NI"
            mode = constant_base.get(name) or kept_base()
            if mode == "NI":
                return mode
            # a condition's value: one store lookup when valid, else its reader (an
            # access mode computed from a value varies: store.dynamic)
            if impl_read is not None:
                if impl_mode is not None and impl_mode not in READABLE:
                    return "NA"
                store.dynamic += 1
                found = values.get(impl_name, missing)  # type: ignore[arg-type]
                if found is missing:
                    found = impl_read()
                if not found:
                    return "NI"
            if mode == "NA":
                return mode
            if lock_mode == "NA":
                return "NA"
            if avail_read is not None:
                if avail_mode is not None and avail_mode not in READABLE:
                    return "NA"
                store.dynamic += 1
                found = values.get(avail_name, missing)  # type: ignore[arg-type]
                if found is missing:
                    found = avail_read()
                if not found:
                    return "NA"
            if lock_read is not None and mode in WRITABLE:
                if lock_mode is not None and lock_mode not in READABLE:
                    return "NA"
                store.dynamic += 1
                found = values.get(lock_name, missing)  # type: ignore[arg-type]
                if found is missing:
                    found = lock_read()
                mode = limited[mode]
                if found and mode in WRITABLE:
                    return "RO" if mode == "RW" else "NA"
                return mode
            return limited[mode]

        return compute

    def _kept_base_access(self) -> str:
        """:meth:`base_access`, kept in ``store.constant_base`` when it was worked out
        without reading anything that varies: an access mode recomputed on every read
        (its conditions read a NoCache register) then redoes only its conditions."""
        store = self.store
        mode = store.constant_base.get(self.name)
        if mode is not None:
            return mode
        dynamic, volatile, failed = store.dynamic, store.volatile, store.failed_conditions
        mode = self.base_access()
        if store.dynamic == dynamic and store.volatile == volatile and \
                store.failed_conditions == failed:
            store.constant_base[self.name] = mode
        return mode

    def failed_access(self) -> str:
        """What this node's access answers after a condition's reading failed while it
        was worked out (see :meth:`access`): RW within ImposedAccessMode."""
        return self._imposed or "RW"

    def keep_failed_access(self, store: Store) -> None:
        """Keep :meth:`failed_access` as this node's access after a condition's reading
        failed (see :meth:`access`), until any invalidation of the node."""
        store.put(self.name, "access", self.failed_access())
        store.sticky_access.add(self.name)

    #: the kind's own limit on its access, applied with ImposedAccessMode after the
    #: conditions (a SwissKnife, an EnumEntry: RO); None: none
    ACCESS_CAP: str | None = None

    def _condition_mode(self, pointer: str) -> str | None:
        """The access mode of the node a condition names (None: itself or a literal)."""
        nm = self.nodemap
        target = pointer.partition(".")[0]
        if target in nm and target != self.name:
            return nm.node(target).access()
        return None

    def _condition_unreadable(self, pointer: str) -> str | None:
        """NI or NA when the node a pIsImplemented/pIsAvailable/pIsLocked names cannot
        be read, whichever condition it is: NI when that node is not implemented, NA
        otherwise (not available, write-only) — the reference's precedence (measured;
        e.g. Basler's IEEE1588 features, available through a Boolean that is NI)."""
        nodes = self._condition_nodes
        if pointer in nodes:
            node = nodes[pointer]
        else:  # worked out once per pointer: the definition is fixed
            nm = self.nodemap
            target = pointer.partition(".")[0]
            node = nodes[pointer] = \
                nm.node(target) if target in nm and target != self.name else None
        if node is not None:
            mode = self._constant_access.get(node.name) or node.access()
            if mode not in READABLE:
                return "NI" if mode == "NI" else "NA"
        return None

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

    def inputs_presence(self, names: Iterable[str]) -> str:
        """NI when an input is not implemented, NA when one is not available, else RW.

        For formula variables, Converter pVariables and pMin/pMax/pInc the reference
        looks only at whether the inputs are there: a write-only input leaves a
        SwissKnife RO, an Integer with a WO pMax RW (measured with the ``genicam``
        wheel; tests/reference/test_rules.py)."""
        return self._presence_nodes(names)[0]

    #: the nodes :meth:`dependencies_presence` went through, once all of them were
    #: built (the definition makes them the same every time)
    _input_nodes: "tuple[Node, ...] | None" = None

    def dependencies_presence(self, skip: str | None = None) -> str:
        """:meth:`inputs_presence` of the node's dependencies (but ``skip``), their nodes
        kept once a computation went through all of them built."""
        nodes = self._input_nodes
        if nodes is not None:
            return self._presence_kept(nodes)
        mode, found = self._presence_nodes(name for name in self.dependencies
                                           if name != skip)
        if found is not None:
            self._input_nodes = found
        return mode

    def _presence_nodes(self, names: Iterable[str]) -> tuple[str, "tuple[Node, ...] | None"]:
        """:meth:`inputs_presence` of ``names``, and their nodes when it went through
        all of them (None when it stopped at an NI one): what :meth:`_presence_kept`
        asks again without looking the names up."""
        nm = self.nodemap
        worst = "RW"
        built = []
        for name in names:
            if name not in nm or name == self.name:
                continue
            node = nm.node(name)
            built.append(node)
            mode = node.access()
            if mode == "NI":
                return mode, None
            if mode == "NA":
                worst = "NA"
        return worst, tuple(built)

    def _presence_kept(self, nodes: "tuple[Node, ...]") -> str:
        """:meth:`inputs_presence` over input nodes :meth:`_presence_nodes` found."""
        constant = self._constant_access
        worst = "RW"
        for node in nodes:
            mode = constant.get(node.name) or node.access()
            if mode == "NI":
                return mode
            if mode == "NA":
                worst = "NA"
        return worst

    #: whether everything this node is computed from is built too (the node map builds
    #: the nodes a pInvalidator or a pSelected names that way: NodeMap._link)
    deep = False
    #: whether a failed condition leaves an access behind (see :meth:`access`)
    KEEPS_FAILED_ACCESS = True

    def _condition(self, pointer: str) -> bool:
        """The node named by pIsImplemented/pIsAvailable/pIsLocked: one that cannot be
        read (itself not implemented or available) counts as false.  One whose reading
        fails (a formula over a write-only node, a division by zero) raises that error
        from :meth:`access` once (see there)."""
        nm = self.nodemap
        self.store.dynamic += 1  # an access mode computed from a value varies
        condition = self._conditions.get(pointer)
        if condition is None:  # worked out once per pointer: the definition is fixed
            first = pointer.partition(".")[0]
            condition = self._conditions[pointer] = (
                first if first in nm else None, nm.reader(pointer))
        target, read = condition
        if target is not None and (self._constant_access.get(target) or
                                   nm.node(target).access()) not in READABLE:
            return False
        try:
            return bool(read())
        except NodeMapError:
            self.store.failed_conditions += 1
            raise

    #: while a write of this node checks its bounds, after its access check passed:
    #: whether that access read a NoCache register (None: no such write under way)
    _writing: bool | None = None

    def check_writable_for_bounds(self) -> None:
        """:meth:`check_writable` at the start of a write that reads its own bounds
        next: until :meth:`bounds_checked`, :meth:`check_bounds_available` passes
        without working the access out again, as the reference checks the access once
        per write (measured with a counting port: a condition over a NoCache register
        is read once per write, not once per bound).  A bound worked out meanwhile is
        not kept when the access read a NoCache register (it would not be if the
        access were read again)."""
        store = self.store
        before = store.volatile
        if self._constant_access.get(self.name) not in WRITABLE:
            self.check_writable()
        self._writing = store.volatile != before

    def bounds_checked(self) -> None:
        """The write's bounds are checked (see :meth:`check_writable_for_bounds`)."""
        self._writing = None

    def check_bounds_available(self) -> None:
        writing = self._writing
        if writing is not None:
            if writing:
                self.store.volatile += 1
            return
        mode = self._constant_access.get(self.name) or self.access()
        if mode in ("NA", "NI"):
            raise AccessError(f"{self.name} is not available (access mode {mode}): it has "
                              f"no bounds now")

    def check_readable(self) -> None:
        mode = self.access()
        if mode not in READABLE:
            self.refuse("readable", mode)

    def check_writable(self) -> None:
        mode = self.access()
        if mode not in WRITABLE:
            self.refuse("writable", mode)

    def refuse(self, what: str, mode: str) -> None:
        """The AccessError for a node that is not ``what`` (readable, writable) in
        access mode ``mode`` (given: working it out again would read its conditions
        again)."""
        raise AccessError(f"{self.name} is not {what} (access mode {mode})"
                          + _access_hint(mode))

    # -- values (overridden) ----------------------------------------------------------

    def cached(self, key: str, compute: Callable[[], _T]) -> _T:
        """``compute()`` once; kept in the store until something this node depends on
        changes (and not kept at all when it read an uncachable register)."""
        table = self._aspects.get(key)  # the aspect's own table: one lookup
        value: _T = table.get(self.name, MISSING) if table is not None \
            else self.store.get(self.name, key)
        if value is not MISSING:
            return value
        return self.evaluate(key, compute)

    def evaluate(self, key: str, compute: Callable[[], _T]) -> _T:
        """``compute()`` under the cycle guard; the result kept in the store as this
        node's ``key`` unless an uncachable register was read meanwhile."""
        store = self.store
        nm = self.nodemap
        before = store.volatile
        active = nm.active  # the cycle guard, inlined: this is the uncached read path
        marker = (self.name, key)
        if marker in active:
            raise nm.cycle_error(marker)
        active[marker] = None
        try:
            value = compute()
        finally:
            active.pop(marker, None)
        if store.volatile == before:
            store.put(self.name, key, value)
        return value

    def get(self) -> Any:
        """The value, computed once and cached until an input changes."""
        value = self._values.get(self.name, MISSING)
        if value is not MISSING:
            return value
        return self.evaluate_value()

    def _first_evaluation(self) -> Any:
        """:attr:`evaluate_value` before it is compiled: compile it (once what it reads
        is known) and evaluate."""
        compiled = self._compile_value()
        if compiled is None:  # not yet: the generic path resolves what it reads
            return self._evaluate_value()
        self.evaluate_value = compiled
        return compiled()

    def _compile_value(self) -> Callable[[], Any] | None:
        """This node's whole value evaluation as one closure doing what
        :meth:`_evaluate_value` does (cycle guard, access check, inputs, the volatile
        rule, the store put) with what the definition fixes worked out once; None when
        it cannot be compiled yet (it is asked again on the next evaluation).  Kinds
        with a compiled path override this; the default is the generic path."""
        return self._evaluate_value

    def _evaluate_value(self) -> Any:
        """``evaluate("value", self._compute_value)``, specialised for the value: the
        read path after an invalidation goes through here once per node."""
        store = self.store
        active = self.nodemap.active
        marker = self._value_marker
        if marker in active:
            raise self.nodemap.cycle_error(marker)
        before = store.volatile
        active[marker] = None
        try:
            value = self._compute_value()
        finally:
            active.pop(marker, None)
        if store.volatile == before:
            self._values[self.name] = value
        return value

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

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"



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


def double_to_integer_node(target: "Node", value: float) -> int:
    """A double written into an Integer node (through a Float's pValue or a
    Converter): rounded half away from zero (NaN, which passes every range check of
    a double, becomes INT64_MIN, C's conversion on the reference's platform), then, when the target has an increment,
    moved to the nearest point of its grid ``min + k*inc`` (a tie goes to the lower
    point), as the reference does (measured: min 10, inc 4: 12.0 → 10, 13.0 → 14)."""
    number = INT64_MIN if math.isnan(value) else round_half_away(value)
    get_inc = getattr(target, "get_inc", None)
    if get_inc is None:
        return number
    try:
        inc = get_inc()
        low = target.get_min()  # type: ignore[attr-defined]
    except NodeMapError:
        return number  # no grid to move to: the write itself reports the problem
    if not isinstance(inc, int) or inc <= 1:
        return number
    # In int64, as the reference computes it: the offset from min wraps (0 - INT64_MIN
    # is INT64_MIN), the division truncates (an offset under min keeps its quotient),
    # the result wraps.  Measured: NaN (INT64_MIN) under min = INT64_MIN + 3, inc 4,
    # snaps up to min; 0.0 into min INT64_MIN, inc 3 is stored as 2.
    offset = _int64(number - low)
    steps = abs(offset) // inc * (1 if offset >= 0 else -1)
    if 2 * (offset - steps * inc) > inc:
        steps += 1
    return _int64(low + steps * inc)


def _int64(value: int) -> int:
    """``value`` wrapped to int64 (two's complement)."""
    return ((value - INT64_MIN) & 0xFFFFFFFFFFFFFFFF) + INT64_MIN


def as_int(node: Node, value: Any) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise RangeError(f"{node.name} is an Integer: {value!r} is not a whole number")
        return int(value)
    try:
        return int(value.__index__())
    except AttributeError:
        raise RangeError(f"{node.name} is an Integer: write an int, not "
                         f"{type(value).__name__}") from None
