"""Value nodes: Integer, Float, Boolean, Command, Enumeration (+ EnumEntry), String.

Each takes its value from one source: a ``<Value>`` held in the node map's store, a
``<pValue>`` node, or ``<pValueIndexed>``/``<ValueIndexed>`` chosen by ``<pIndex>``
(with ``pValueDefault``/``ValueDefault``).  Bounds come from ``Min``/``pMin`` ... and
otherwise from the pValue node, as in GenApi.  Writes check access, range and
increment, then write the source and propagate (``pValueCopy`` included).
"""

from __future__ import annotations

import math

import sys
from typing import TYPE_CHECKING, Any, Callable, Iterable

from ..cache import MISSING
from ..errors import AccessError, NodeMapError, RangeError
from ..loader import localname
from .base import (INT64_MAX, INT64_MIN, NUMBER_TYPES, READABLE, TEXT_TYPES, WRITABLE, Node,
                   as_int, combine_access, double_to_integer_node, parse_float, parse_int,
                   parse_int64, round_half_away, whole)

if TYPE_CHECKING:  # pragma: no cover
    from ..cache import Store

__all__ = ["ValueNode", "writes_through", "Integer", "Float", "Boolean", "Command", "Enumeration",
           "EnumEntry", "String", "Category", "PortNode", "UnknownNode", "round_half_away"]

_MISSING = object()


class ValueNode(Node):
    """A node whose value lives in one source (stored, pValue or indexed)."""

    integer = True
    VALUE_TYPES = NUMBER_TYPES

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._pvalue = self.text("pValue")
        #: how the pValue node's number is read, once it is built (the source of a
        #: value that is not indexed)
        self._target_read: Callable[[], Any] | None = None
        self._index = self.text("pIndex")
        self._index_reader = self.nodemap.reader(self._index) if self._index else None
        #: the nodes whose access bounds this one's (index and bound pointers)
        self._access_inputs = tuple(t for t in (self._index, self.text("pMin"),
                                                self.text("pMax"), self.text("pInc"))
                                    if t and t != self.name)
        #: the bound pointers whose presence bounds this one's access (base_access)
        self._bound_pointers = tuple(t for t in (self.text("pMin"), self.text("pMax"),
                                                 self.text("pInc")) if t and t != self.name)
        #: the nodes a write copies its value to
        self._copies = tuple(self.texts("pValueCopy"))
        self._indexed: dict[int, tuple[str | None, Any]] = {}
        if self._index:
            # The reference applies no condition to an indexed value: with pIndex,
            # pIsImplemented, pIsAvailable and pIsLocked are ignored (measured: RW where
            # each is 0/1; tests/reference/test_rules.py).  ImposedAccessMode still holds.
            self._is_implemented = self._is_available = self._is_locked = None
            for element in self.props.get("pValueIndexed", ()):
                self._indexed[parse_int(element.get("Index", "0"), where=self.where())] = \
                    ((element.text or "").strip(), None)
            for element in self.props.get("ValueIndexed", ()):
                self._indexed[parse_int(element.get("Index", "0"), where=self.where())] = \
                    (None, self._parse((element.text or "").strip()))
            default = self.text("pValueDefault")
            self._default: tuple[str | None, Any] | None = (default, None) if default else (
                (None, self._parse(self.text("ValueDefault") or ""))
                if self.text("ValueDefault") is not None else None)
            #: a write into a constant slot of an indexed Integer that also has pointer
            #: slots invalidates nothing in the reference (NodeMap.quiet_written)
            self._quiet_slots = self.kind == "Integer" and (
                any(pointer for pointer, _ in self._indexed.values())
                or bool(self._default and self._default[0]))
        #: the initial ``<Value>`` (what the node holds until written: the store keeps
        #: what the application writes, see :meth:`_slot`)
        self.initial: Any = None
        if not self._pvalue and not self._index:
            text = self.text("Value")
            self.initial = self._parse(text) if text is not None else self._empty()

    def _parse(self, text: str) -> Any:
        return parse_int64(text, where=self.where("Value")) if self.integer \
            else parse_float(text, where=self.where("Value"))

    def _empty(self) -> Any:
        return 0

    # -- the source ---------------------------------------------------------------

    def source(self) -> tuple[Node | None, Any]:
        """(node holding the value, None) or (None, key of the slot holding it here).

        Constant ``ValueIndexed``/``ValueDefault`` entries are slots the application
        may overwrite, as in GenApi; ``<Value>`` is the slot ``"value"``.
        """
        nm = self.nodemap
        if self._pvalue:
            return nm.node(self._pvalue), None
        index_reader = self._index_reader
        if index_reader is not None:
            index = self.whole(index_reader(), "pIndex")
            entry = self._indexed.get(index)
            key: str | int
            if entry is None:
                if self._default is None:
                    raise RangeError(f"{self.name}: index {index} from {self._index} selects "
                                     f"no value and there is no default")
                pointer, key = self._default[0], "default"
            else:
                pointer, key = entry[0], index
            return (nm.node(pointer), None) if pointer else (None, key)
        return None, "value"

    @property
    def unit(self) -> str:
        """An indexed value without ``<Unit>`` shows the first unit of its pValueIndexed
        nodes, by Index (whatever the index is now), as the reference does."""
        if self._index and self.text("Unit") is None and self.kind in ("Integer", "Float"):
            nm = self.nodemap
            pointers = sorted((index, pointer) for index, (pointer, _) in self._indexed.items()
                              if pointer)
            for _, pointer in pointers:
                if pointer in nm and pointer != self.name:
                    try:
                        unit = nm.node(pointer).unit
                    except NodeMapError:
                        continue
                    if unit:
                        return unit
            return ""
        return super().unit

    @property
    def representation(self) -> str:
        """An indexed value shows the representation of the node its index selects now
        (PureNumber for a constant slot), as the reference does."""
        if self._index and not self.text("Representation") and self.kind in ("Integer", "Float"):
            try:
                node, _ = self.source()
            except NodeMapError:
                return super().representation
            return node.representation if node is not None else "PureNumber"
        return super().representation

    def _slot(self, key: Any) -> Any:
        """What slot ``key`` holds: written by the application (in the store), else the
        description's constant."""
        held = self.store.held(self.name, key)
        if held is not MISSING:
            return held
        if key == "value":
            return self.initial
        if key == "default":
            return self._default[1]  # type: ignore[index]
        return self._indexed[key][1]

    def read_source(self) -> Any:
        node, key = self.source()
        # numeric(): an Enumeration source gives its integer, not its symbolic name
        return node.numeric() if node is not None else self._slot(key)

    #: whether the last write_source wrote a node (whose own write invalidated this
    #: node and everything computed from it: see finish_write)
    _wrote_node = False
    #: (the value written,) while a write that invalidates nothing in the reference
    #: runs (it ends in a constant slot beside pointer slots: NodeMap.quiet_written)
    _quiet: tuple[Any] | None = None
    _quiet_slots = False
    #: whether the value path caches written values (see writes_through)
    _writes_through: bool | None = None

    def write_source(self, value: Any) -> None:
        node, key = self.source()
        self._wrote_node = False
        nm, store = self.nodemap, self.store
        if store.kept:
            store.unkeep(self.name)
        if node is not None:
            nm.quiet_write = False
            node.set(value)
            self._wrote_node = True
            quiet = nm.quiet_write
        else:
            store.hold(self.name, key, value)
            quiet = self._quiet_slots and key != "value"
        for copy in self._copies:
            nm.node(copy).set(value)
        if quiet:  # finish_write, called next, takes it
            self._quiet = (value,)

    def evaluate_kept(self) -> Any:
        """``evaluate_value`` of an Integer to which a write that invalidated nothing left
        a value (NodeMap.quiet_written): that value while it lasts
        (Store.kept_value), once the node's access allows reading it (the reference
        checks access before its cache); else the generic evaluation."""
        value = self.store.kept_value(self.name)
        if value is MISSING:
            return self._evaluate_value()
        if self._constant_access.get(self.name) not in READABLE:
            self.check_readable()
        return value

    #: the pValue node a write goes to, when the value has one and no pIndex or
    #: pValueCopy (resolved by the first :meth:`write`); None: the general way
    _write_target: Node | None = None

    def write(self, value: Any) -> None:
        """:meth:`write_source` then :meth:`finish_write`, in one call: a value over a
        pValue (no index, no copy) writes that node, whose write invalidates this one
        and what depends on it (unless that write invalidated nothing: then
        finish_write's quiet path, as write_source leaves it); a value it holds in its
        ``<Value>`` slot is kept and its dependents go (never a quiet write)."""
        target = self._write_target
        if target is None and not self._index and not self._copies:
            if not self._pvalue:
                store = self.store
                if store.kept:
                    store.unkeep(self.name)
                store.held_slots[self.name, "value"] = value  # store.hold, inlined
                self.nodemap.changed(self)
                return
            target = self._write_target = self.nodemap.node(self._pvalue)
        if target is not None:
            nm, store = self.nodemap, self.store
            if store.kept:
                store.unkeep(self.name)
            nm.quiet_write = False
            try:
                target.set(value)
            except NodeMapError:
                store.refresh(self.name)  # refused below: as Feature.value's setter
                raise
            if nm.quiet_write:  # what write_source and finish_write do then
                self._wrote_node = True
                self._quiet = (value,)
                self.finish_write()
            return
        self.write_source(value)
        self.finish_write()

    #: the pValue node whose access is this one's base access (no index, no bound
    #: pointer), once built (see :meth:`base_access`)
    _base_source: Node | None = None

    def base_access(self) -> str:
        """The source's access, within what the index and bound inputs allow."""
        source = self._base_source
        if source is not None:
            return self._constant_access.get(source.name) or source.access()
        if self._pvalue and not self._index and not self._bound_pointers:
            source = self._base_source = self.nodemap.node(self._pvalue)
            return source.access()
        if self._index and self._index != self.name:
            mode = self.inputs_access([self._index])
            if mode != "RW":
                return mode
        bounds = self._bound_pointers
        if bounds and not self._index:  # an indexed value ignores them (as its conditions)
            mode = self.inputs_presence(bounds)
            if mode == "NI":
                return mode
            if mode == "NA":  # a source not implemented still makes it NI (measured)
                node, _ = self.source()
                return "NI" if node is not None and node.access() == "NI" else mode
        if self._index:
            self.store.dynamic += 1  # the index chooses the source: it varies
        node, _ = self.source()
        return node.access() if node is not None else "RW"

    # -- cached computation -------------------------------------------------------------

    def _compute_value(self) -> Any:
        if self._constant_access.get(self.name) not in READABLE:
            self.check_readable()
        read = self._target_read
        if read is None:
            if not self._pvalue:
                return self.convert(self.read_source())
            target = self.nodemap.node(self._pvalue)
            # numeric(): an Enumeration source gives its integer, not its symbolic name;
            # for every other kind numeric() is get(), called directly
            read = self._target_read = self._reader(target)
        return self.convert(read())

    def _reader(self, target: Node) -> Callable[[], Any]:
        """How this node reads its pValue node (see _compute_value)."""
        return target.get if type(target).numeric is Node.numeric else target.numeric

    def convert(self, raw: Any) -> Any:
        return raw

    def _first_evaluation(self) -> Any:
        """Evaluate the generic way first (it builds the pValue node after the access
        check, as every evaluation did), then compile."""
        value = self._evaluate_value()
        compiled = self._compile_value()
        if compiled is not None:
            self.evaluate_value = compiled
        return value

    def _compile_value(self) -> Callable[[], Any] | None:
        """A value read through its pValue node (not indexed) as one closure: the cycle
        guard, the access check, the pValue's value (one store lookup when valid, its
        ``evaluate_value`` on a miss; an Enumeration's number through ``numeric``), the
        conversion (an Integer's, a Float's and a Boolean's inlined) and the value kept
        unless the volatile counter moved.  None until the first evaluation resolved the
        pValue node; a value it holds itself (:meth:`_compile_held`); the generic path
        for an indexed one."""
        if self._index or self._index_reader is not None:
            return self._evaluate_value
        if not self._pvalue:
            return self._compile_held()
        read = self._target_read
        if read is None:
            return None
        nm = self.nodemap
        target = nm.node(self._pvalue)
        plain = read == target.get  # numeric() is get(): a store lookup first
        name, target_name, store, values = self.name, target.name, self.store, self._values
        values_get = values.get
        constant_access_get = self._constant_access.get
        active, marker = nm.active, self._value_marker
        own = type(self).convert
        as_int, as_float = own is Integer.convert, own is Float.convert
        as_bool = own is Boolean.convert
        on, off = (self.on_value, self.off_value) if isinstance(self, Boolean) else (1, 0)
        # an Enumeration's number → symbol table (Enumeration.convert's, filled by the
        # first evaluation and never replaced): a number it holds is one lookup
        by_value: dict[int, str] | None = getattr(self, "_by_value", None) \
            if own is Enumeration.convert else None

        # what the usual evaluation uses is bound as default arguments, not cells (see
        # RegisterNode._compile_int_read: a large file's reads stay in the CPU's cache);
        # what only a failure or a conversion needs is reached through the node
        def evaluate(node: ValueNode = self, target: Node = target,
                     read: Callable[[], Any] = read, on: Any = on, off: Any = off,
                     marker: tuple[str, str] = marker, active: dict[Any, None] = active,
                     store: Any = store, name: str = name,
                     constant_access_get: Callable[[str], str | None] = constant_access_get,
                     plain: bool = plain, values_get: Callable[..., Any] = values_get,
                     target_name: str = target_name, as_int: bool = as_int,
                     as_float: bool = as_float, as_bool: bool = as_bool,
                     by_value: dict[int, str] | None = by_value,
                     values: dict[str, Any] = values) -> Any:
            if marker in active:
                raise node.nodemap.cycle_error(marker)
            before = store.volatile
            active[marker] = None
            try:
                if constant_access_get(name) not in READABLE:
                    node.check_readable()
                if plain:
                    raw = values_get(target_name, MISSING)
                    if raw is MISSING:
                        raw = target.evaluate_value()
                else:
                    raw = read()
                if as_int:
                    value = raw if raw.__class__ is int else node.convert(raw)
                elif as_float:
                    value = raw if raw.__class__ is float else float(raw)
                elif as_bool:
                    value = True if raw == on else False if raw == off else node.convert(raw)
                elif by_value is not None:
                    value = by_value.get(raw) if raw.__class__ is int else None
                    if value is None:  # not a number it holds: convert says why
                        value = node.convert(raw)
                else:
                    value = node.convert(raw)
            finally:
                active.pop(marker, None)
            if store.volatile == before:
                values[name] = value
            return value
        return evaluate

    def _compile_held(self) -> Callable[[], Any]:
        """A value held in the node (``<Value>``, what a write put in the store) as one
        closure: the cycle guard, the access check, the written value (else the
        initial one), the conversion (an Integer's inlined) and the value kept unless
        the volatile counter moved: what the generic path does through
        ``read_source``/``source``/``_slot`` (a selector of a Basler file is such an
        Integer, read by every formula over it after each write).  What it uses is bound
        as default arguments, not cells (see RegisterNode._compile_int_read)."""
        if type(self)._compute_value is not ValueNode._compute_value:
            return self._evaluate_value
        store = self.store

        def evaluate_held(node: ValueNode = self, marker: tuple[str, str] = self._value_marker,
                          active: dict[Any, None] = self.nodemap.active, store: Any = store,
                          name: str = self.name, key: tuple[str, str] = (self.name, "value"),
                          constant_access_get: Callable[[str], str | None] =
                          self._constant_access.get,
                          held: Callable[..., Any] = store.held_slots.get,
                          as_int: bool = type(self).convert is Integer.convert,
                          values: dict[str, Any] = self._values) -> Any:
            if marker in active:
                raise node.nodemap.cycle_error(marker)
            before = store.volatile
            active[marker] = None
            try:
                if constant_access_get(name) not in READABLE:
                    node.check_readable()
                raw = held(key, MISSING)  # store.held(name, "value"), inlined
                if raw is MISSING:
                    raw = node.initial
                value = raw if as_int and raw.__class__ is int else node.convert(raw)
            finally:
                active.pop(marker, None)
            if store.volatile == before:
                values[name] = value
            return value
        return evaluate_held

    def finish_write(self) -> None:
        """The write is done: what depends on this node goes stale.  When it wrote a
        node (its pValue, the pValueIndexed its index chose), that node's write did it
        already: this node is one of its dependents, and what a change of this node
        reaches (Store.impact) is part of what a change of that node reaches.  A write
        that invalidates nothing in the reference is NodeMap.quiet_written's."""
        quiet = self._quiet
        if quiet is not None:
            self._quiet = None
            wrote, self._wrote_node = self._wrote_node, False
            self.nodemap.quiet_written(self, quiet[0], wrote)
            return
        if self._wrote_node:
            self._wrote_node = False
            return
        self.nodemap.changed(self)

    def check_range(self, value: Any) -> Any:
        """Refuse a write outside [min, max]; return min.  Min, then max, each checked
        before the next is read (the reference's order: a value under min is a
        RangeError even when max cannot be read), compared as the reference compares:
        a NaN bound (a FloatReg holding NaN) refuses nothing, a NaN value passes."""
        low = self.get_min()  # type: ignore[attr-defined]  # Integer and Float have bounds
        if value < low:
            raise RangeError(f"{self.name}: {value} is outside its bounds: under its "
                             f"min {low}")
        high = self.get_max()  # type: ignore[attr-defined]
        if value > high:
            raise RangeError(f"{self.name}: {value} is outside its bounds: over its "
                             f"max {high}")
        return low

    def bound(self, const_tag: str, pointer_tag: str, target_attr: str, default: Any) -> Any:
        self.check_bounds_available()
        getter = self.number_source(const_tag, pointer_tag, integer=self.integer)
        if getter is not None:
            return getter()
        node, _ = self.source() if (self._pvalue or self._index) else (None, None)
        if node is not None and hasattr(node, target_attr):
            return getattr(node, target_attr)()
        return default


def writes_through(node: Node) -> bool:
    """Whether ``node``'s value path caches the values written to it (GenApi's
    ``WriteThrough`` caching mode, measured): an Integer holding its ``<Value>``, a
    register whose ``Cachable`` is ``WriteThrough`` (the default), and an Integer whose
    ``pValue`` or every ``pValueIndexed``/``pValueDefault`` does; not a Float, a
    formula or an enumeration.  The pointers of bounds, conditions and ``pIndex`` play
    no part.  Worked out once per node."""
    caching = getattr(node, "caching", None)
    if caching is not None:  # a register
        return bool(caching == "WriteThrough")
    if not isinstance(node, Integer):
        return False
    found = node._writes_through
    if found is None:
        node._writes_through = False  # a cycle of pointers does not write through
        pointers: list[str] = []
        if node._pvalue:
            pointers.append(node._pvalue)
        elif node._index:
            pointers.extend(pointer for pointer, _ in node._indexed.values() if pointer)
            if node._default is not None and node._default[0]:
                pointers.append(node._default[0])
        nm = node.nodemap
        try:
            found = all(writes_through(nm.node(pointer)) for pointer in pointers)
        except (NodeMapError, KeyError):
            found = False
        node._writes_through = found
    return found


class Integer(ValueNode):
    """``<Integer>``: a whole number with min, max and increment."""

    kind = "Integer"

    def convert(self, raw: Any) -> int:
        if raw.__class__ is float and (math.isfinite(raw) or raw != raw):
            # rounded; NaN → INT64_MIN; beyond int64 refused (measured)
            return self.whole(raw, "pValue")
        return int(raw) if not isinstance(raw, float) else round_half_away(raw)

    # the computations are methods, not a closure per call (a write after a selector
    # change works the bounds out again)
    def get_min(self) -> int:
        return self.cached("min", self._compute_min)

    def _compute_min(self) -> int:
        return self.whole(self.bound("Min", "pMin", "get_min", INT64_MIN), "pMin")

    def get_max(self) -> int:
        return self.cached("max", self._compute_max)

    def _compute_max(self) -> int:
        return self.whole(self.bound("Max", "pMax", "get_max", INT64_MAX), "pMax")

    def get_inc(self) -> int:
        return self.cached("inc", self._compute_inc)

    def _compute_inc(self) -> int:
        inc = self.bound("Inc", "pInc", "get_inc", 1)
        # a pValue without an increment (a Float that has none): 1, as the reference
        return 1 if inc is None else self.whole(inc, "pInc")

    def set(self, value: Any) -> None:
        if value.__class__ is not int:
            value = as_int(self, value)
        name, aspects = self.name, self._aspects
        low = aspects["min"].get(name, MISSING)
        high = aspects["max"].get(name, MISSING)
        inc = aspects["inc"].get(name, MISSING)
        if low is not MISSING and high is not MISSING and inc is not MISSING and \
                self._constant_access.get(name) in WRITABLE:
            # access constant and bounds kept (valid): check_writable_for_bounds has
            # nothing to check and nothing is read under it; check_range's comparisons
            # without its calls
            if value < low or value > high:
                self.check_range(value)  # raises, with its message
        else:
            self.check_writable_for_bounds()
            try:
                if low is not MISSING and high is not MISSING and inc is not MISSING:
                    if value < low or value > high:
                        self.check_range(value)  # raises, with its message
                else:
                    low = self.check_range(value)  # then inc, read once the bounds passed
                    inc = self.get_inc()
            finally:
                self.bounds_checked()
        if inc < 1:
            raise RangeError(f"{self.name}: its increment is {inc}; GenApi refuses to "
                             f"write an Integer whose increment is not positive")
        if inc > 1 and _int64_remainder(value - low, inc):
            raise RangeError(f"{self.name}: {value} is not min {low} plus a multiple of "
                             f"the increment {inc}")
        access_modes = self._access_modes
        kept = access_modes.get(self.name)
        self.write(value)
        if kept is not None and self.name not in access_modes and self._keeps_access():
            access_modes[self.name] = kept

    def _keeps_access(self) -> bool:
        """Whether this Integer keeps its access mode across a write through it that
        made it stale (a condition naming it, or its pValue, in ``pInvalidator``): yes
        (measured: written by the application or through a Boolean, Float, Converter or
        Enumeration over it; its pValue an Integer, a register, an Enumeration, a
        Boolean), unless the write went on into a Converter (an IntConverter pValue,
        itself or down an Integer chain: then the reference works its access out again)."""
        node: Any = self
        for _ in range(64):
            if getattr(node, "formula_to", None) is not None:
                return False  # a Converter on the written chain
            source = getattr(node, "source", None)
            if source is None:
                return True
            try:
                node = source()[0]
            except NodeMapError:
                return True
            if node is None:
                return True
        return True


class Float(ValueNode):
    """``<Float>``: a real number with min, max, optional increment, unit, notation."""

    kind = "Float"
    integer = False

    def _reader(self, target: Node) -> Callable[[], Any]:
        # an Enumeration pValue reads as its entry's NumericValue (else Value), measured
        if isinstance(target, Enumeration):
            return target.double_value
        return super()._reader(target)

    def _empty(self) -> float:
        return 0.0

    def convert(self, raw: Any) -> float:
        return float(raw)

    # An infinite bound (a pMax node reading inf) is reported as ±DBL_MAX, as the
    # reference does: min is capped below at -DBL_MAX, max above at +DBL_MAX.
    def get_min(self) -> float:
        return self.cached("min", lambda: max(float(self.bound(
            "Min", "pMin", "get_min", -sys.float_info.max)), -sys.float_info.max))

    def get_max(self) -> float:
        return self.cached("max", lambda: min(float(self.bound(
            "Max", "pMax", "get_max", sys.float_info.max)), sys.float_info.max))

    def get_inc(self) -> float | None:
        def compute() -> float | None:
            getter = self.number_source("Inc", "pInc", integer=False)
            if getter is None:  # an integer pValue lends its increment
                node = self.source()[0] if self._pvalue else None
                if node is None or not hasattr(node, "get_inc"):
                    return None
                inc = node.get_inc()
                if inc is None:
                    return None
                self.check_bounds_available()  # lent, it is asked like its own (measured)
                return float(inc)
            self.check_bounds_available()
            return float(getter())
        return self.cached("inc", compute)

    def set(self, value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise RangeError(f"{self.name} is a Float: write a number, not "
                             f"{type(value).__name__}")
        value = float(value)
        self.check_writable_for_bounds()
        try:
            self.check_range(value)
        finally:
            self.bounds_checked()
        node, _ = self.source()
        if node is not None and node.kind == "Integer":
            self.write_source(double_to_integer_node(node, value))
        elif isinstance(node, Enumeration):
            self.write_source(node.nearest_entry(value))
        else:
            self.write_source(value)
        self.finish_write()


class Boolean(ValueNode):
    """``<Boolean>``: OnValue / OffValue of its source."""

    kind = "Boolean"

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.on_value = self.int64_prop("OnValue", 1)
        self.off_value = self.int64_prop("OffValue", 0)

    def convert(self, raw: Any) -> bool:
        if raw == self.on_value:
            return True
        if raw == self.off_value:
            return False
        raise RangeError(f"{self.name}: value {raw} is neither OnValue {self.on_value} nor "
                         f"OffValue {self.off_value}")

    def set(self, value: Any) -> None:
        if isinstance(value, str):
            lowered = value.strip().lower()
            if lowered not in ("true", "false", "1", "0", "on", "off"):
                raise RangeError(f"{self.name} is a Boolean: {value!r} is not true/false")
            value = lowered in ("true", "1", "on")
        if not isinstance(value, (bool, int)) or value not in (0, 1):
            raise RangeError(f"{self.name} is a Boolean: write True or False, not {value!r}")
        self.check_writable()
        self.write_source(self.on_value if value else self.off_value)
        self.finish_write()


class Command(ValueNode):
    """``<Command>``: ``execute()`` writes CommandValue; done when the source differs."""

    kind = "Command"

    def command_value(self) -> int:
        getter = self.number_source("CommandValue", "pCommandValue", integer=True)
        return self.whole(getter(), "CommandValue") if getter is not None else 1

    def get(self) -> Any:
        raise AccessError(f"{self.name} is a Command: call execute() and is_done(), it has "
                          f"no value to read")

    def set(self, value: Any) -> None:
        if value in (True, 1):
            self.execute()
            return
        raise AccessError(f"{self.name} is a Command: call execute()")

    def execute(self) -> None:
        self.check_writable()
        self.write_source(self.command_value())
        self.finish_write()

    def is_done(self) -> bool:
        node, _ = self.source()
        if node is None or node.access() not in READABLE:
            return True
        self.nodemap.invalidate(node.name)
        return bool(node.get() != self.command_value())


class EnumEntry(Node):
    """One ``<EnumEntry>`` of an Enumeration."""

    kind = "EnumEntry"
    #: an entry is RW to its conditions and RO in the end: an unreadable lock makes it NA
    ACCESS_CAP = "RO"

    def base_access(self) -> str:
        return "RW"

    def failed_access(self) -> str:
        """RO within ImposedAccessMode: an entry stays RO after a failed condition
        (measured), where other nodes answer RW."""
        return combine_access(super().failed_access(), "RO")

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.symbolic: str = self.text("Symbolic") or self.element.get("Name") or ""
        self.value = self.int64_prop("Value", 0) or 0
        numeric = self.float_prop("NumericValue")
        self.numeric_value = float(self.value) if numeric is None else numeric

    def get(self) -> int:
        return self.value

    @property
    def is_self_clearing(self) -> bool:
        return (self.text("IsSelfClearing", "No") or "No") == "Yes"


class Enumeration(ValueNode):
    """``<Enumeration>``: symbolic names over an integer source."""

    kind = "Enumeration"

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.entry_names = [f"EnumEntry_{self.name}_{e.get('Name')}"
                            for e in self.props.get("EnumEntry", ()) if e.get("Name")]
        self._by_symbol: dict[str, EnumEntry] | None = None
        self._by_value: dict[int, str] | None = None
        self._entry_of_value: dict[int, EnumEntry] | None = None
        self._entries: tuple[EnumEntry, ...] | None = None
        if self._pvalue:
            # the reference keeps no value of its own: it reads its pValue's each time
            self.store.follow(self.name, self._pvalue)

    def _collect_dependencies(self) -> Iterable[str]:
        # Its access and entries follow its entries' pIsImplemented/pIsAvailable: a
        # change of those must reach the enumeration (the entries are its inputs).
        yield from super()._collect_dependencies()
        for element in self.props.get("EnumEntry", ()):
            if element.get("Name"):
                yield f"EnumEntry_{self.name}_{element.get('Name')}"

    def nearest_entry(self, value: float) -> str:
        """The symbol of the available entry whose numeric value (NumericValue, else
        Value) is nearest ``value``: what a double written into this Enumeration
        through a Float's pValue or a Converter selects in the reference (ties and NaN:
        the first such entry; measured).  NI/NA entries are not candidates."""
        best: EnumEntry | None = None
        distance = 0.0
        for entry in self.all_entries():
            if entry.access() in ("NA", "NI"):
                continue
            gap = abs(entry.numeric_value - value)
            if best is None or gap < distance:
                best, distance = entry, gap
        if best is None:
            raise AccessError(f"{self.name}: no entry is available to take {value}")
        return best.symbolic

    def all_entries(self) -> tuple[EnumEntry, ...]:
        """Every entry node (built on first use, then kept: the set never changes)."""
        entries = self._entries
        if entries is None:
            nm = self.nodemap
            entries = self._entries = tuple(
                nm.node(name) for name in self.entry_names if name in nm)  # type: ignore[misc]
        return entries

    def entry(self, symbol: str) -> EnumEntry:
        if self._by_symbol is None:
            self._by_symbol = {e.symbolic: e for e in self.all_entries()}
        try:
            return self._by_symbol[symbol]
        except KeyError:
            raise RangeError(f"{self.name} has no entry {symbol!r}; entries: "
                             f"{self._declared_symbols()}") from None

    def _declared_symbols(self) -> str:
        """Every entry's symbol, for an error message: without asking their access (an
        entry's condition may fail, and the reference does not ask it there: measured,
        an entry whose pIsLocked fails answers its first access read with that error
        even after a read of a value no entry has)."""
        return ", ".join(entry.symbolic for entry in self.all_entries())

    def entries(self) -> list[str]:
        """Symbolic names of implemented entries."""
        return [e.symbolic for e in self.all_entries() if e.access() != "NI"]

    def get_int(self) -> int:
        def compute() -> int:
            self.check_readable()
            return self.whole(self.read_source(), "pValue")
        return self.cached("int", compute)

    def convert(self, raw: Any) -> str:
        raw = self.whole(raw, "pValue")
        by_value = self._by_value
        if by_value is None:
            by_value = {}
            for entry in self.all_entries():  # the last entry of a value names it
                by_value[entry.value] = entry.symbolic  # (measured: whatever its access)
            self._by_value = by_value
        symbolic = by_value.get(raw)
        if symbolic is not None:
            return symbolic
        raise RangeError(f"{self.name}: the device reports {raw}, which is none of its "
                         f"entries ({self._declared_symbols()})")

    #: whether an entry's number differs from its Value (a NumericValue, or a Value a
    #: double does not hold exactly): worked out on first use
    _numeric_differs: bool | None = None
    #: every entry's Value (with _numeric_differs)
    _entry_values: frozenset[int] = frozenset()

    def numeric(self) -> int:
        """The number an integer reader (a pIndex, an Integer's pValue, an integer
        formula, an IntConverter) takes: the current entry's NumericValue (else Value)
        as a double, rounded half away from zero (NaN, or a double outside int64:
        INT64_MIN, C's conversion) — measured: Value 10 with NumericValue 2.5 reads 3."""
        differs = self._numeric_differs
        if differs is None:
            entries = self.all_entries()
            self._entry_values = frozenset(entry.value for entry in entries)
            differs = self._numeric_differs = any(
                entry.numeric_value != entry.value for entry in entries)
        if not differs:
            number = self.get_int()
            if number in self._entry_values:
                return number
            # no entry has the value: the read fails as the Enumeration's does (the
            # reference: "NULL pointer dereferenced", whoever reads it as a number)
            self.get()
            raise RangeError(f"{self.name}: {number} is none of its entries' values")
        double = self.double_value()
        if not -9223372036854775808.0 <= double < 9223372036854775808.0:
            return INT64_MIN
        return round_half_away(double)

    def double_value(self) -> float:
        """The current entry's NumericValue (its Value when it has none): what a Float
        or a Converter reads through its pValue (measured on the reference)."""
        number = self.get_int()
        for entry in reversed(self.all_entries()):  # the last entry of a value names it
            if entry.value == number:
                return entry.numeric_value
        self.get()   # no entry has the value: the read fails as the Enumeration's does
        raise RangeError(f"{self.name}: {number} is none of its entries' values")

    #: its access before the entries were asked, while they are (see failed_access)
    _own_access: str | None = None

    def _compute_access(self) -> str:
        """Its own access (source, conditions, ImposedAccessMode); then NI with no
        implemented entry and NA with no available one, as GenApi reports.  The
        entries are asked last, whatever its own access but NI."""
        self._own_access = None
        kept = self.store.get(self.name, "own access", None)
        if kept is None:
            mode = super()._compute_access()
        else:  # its own conditions failed before: what they left, then the entries
            mode = kept
            self.store.dynamic += 1
        if mode == "NI":
            return mode
        self._own_access = mode  # kept if an entry's access fails (failed_access)
        implemented = False
        for entry in self.all_entries():  # stops at the first available entry
            entry_mode = entry.access()
            if entry_mode != "NI":
                if entry_mode != "NA":
                    break
                implemented = True
        else:
            mode = combine_access(mode, "NA") if implemented else "NI"
        self._own_access = None
        return mode

    def failed_access(self) -> str:
        """When an entry's condition failed, its own access, worked out before the
        entries were asked (measured: over an RO register RO, with its pIsAvailable 0
        NA); when its own condition failed, RW within ImposedAccessMode."""
        return self._own_access or super().failed_access()

    def keep_failed_access(self, store: Store) -> None:
        """When its own condition failed, RW within ImposedAccessMode is kept as its own
        access only: the next access asks the entries again (whose conditions may fail
        in turn and keep their own access).  Measured: an Enumeration and its entry S0
        both with a failing pIsImplemented raise on the first access (its own condition)
        and on the second (S0's); the third answers RW within ImposedAccessMode, and S0
        answers RO from the second on (tests/reference/test_rules.py)."""
        if self._own_access is None:
            store.put(self.name, "own access", super().failed_access())
            store.sticky_access.add(self.name)
        else:
            super().keep_failed_access(store)

    def current_entry(self) -> EnumEntry:
        return self.entry(self.get())

    def attribute(self, suffix: str) -> Any:
        if suffix.startswith("Entry."):
            return self.entry(suffix[6:]).value
        if suffix in ("", "Value"):
            return self.get_int()
        return super().attribute(suffix)

    def set(self, value: Any) -> None:
        # Access first, then the entry: the reference refuses a write to a read-only
        # enumeration with AccessError even for an unknown symbol.
        if self._constant_access.get(self.name) not in WRITABLE:
            self.check_writable()
        if isinstance(value, str):
            by_symbol = self._by_symbol
            if by_symbol is not None and value in by_symbol:
                entry = by_symbol[value]
            else:
                try:
                    entry = self.entry(value)
                except RangeError:
                    self._refused()
                    raise
        else:
            number = as_int(self, value)
            first = self._entry_of_value
            if first is None:
                first = self._entry_of_value = {}
                for candidate in self.all_entries():  # the first entry of a value
                    first.setdefault(candidate.value, candidate)
            found = first.get(number)
            if found is None:
                raise RangeError(f"{self.name}: {number} is none of its entries' values")
            entry = found
        mode = self._constant_access.get(entry.name) or entry.access()
        if mode == "NI" or mode == "NA":
            if isinstance(value, str):
                self._refused()
            raise AccessError(f"{self.name}: entry {entry.symbolic!r} is "
                              f"{'not implemented' if mode == 'NI' else 'not available now'}")
        self.write(entry.value)

    def _refused(self) -> None:
        """A symbol write refused (no such entry, or it is NI/NA) after this node's own
        access allowed it: an Enumeration holding its value invalidates what depends on
        it as a write would (measured: its entries' conditions naming it in
        ``pInvalidator`` are read again); with a pValue or a pIndex, or an integer
        written, the reference invalidates nothing."""
        if not self._pvalue and not self._index:
            self.nodemap.changed(self)


class String(ValueNode):
    """``<String>``: text held in the node map or in a StringReg."""

    kind = "String"
    integer = False
    VALUE_TYPES = TEXT_TYPES

    def _parse(self, text: str) -> str:
        return text

    def _empty(self) -> str:
        return ""

    def convert(self, raw: Any) -> str:
        return str(raw)

    def get_max_length(self) -> int:
        node, _ = self.source()
        if node is not None and hasattr(node, "get_max_length"):
            return int(node.get_max_length())
        return 1 << 16

    def set(self, value: Any) -> None:
        if not isinstance(value, str):
            raise RangeError(f"{self.name} is a String: write str, not {type(value).__name__}")
        self.check_writable()
        self.write_source(value)
        self.finish_write()


def _int64_remainder(difference: int, inc: int) -> int:
    """``difference % inc`` as the reference computes it: the difference wrapped to
    int64 (``value - min`` overflows when min is near INT64_MIN), C's truncating ``%``."""
    wrapped = ((difference + (1 << 63)) % (1 << 64)) - (1 << 63)
    return abs(wrapped) % inc


_VISIBILITY_ORDER = {"Beginner": 0, "Expert": 1, "Guru": 2, "Invisible": 3}
_VISITING: set[int] = set()


def name_in_progress(category: "Category") -> bool:
    return id(category) in _VISITING


class Category(Node):
    """``<Category>``: a named group of features (RO, or NI when not implemented)."""

    kind = "Category"

    _frozen_access: str | None = None
    #: a failing pIsImplemented fails every access read of a category (measured)
    KEEPS_FAILED_ACCESS = False

    def _compute_access(self) -> str:
        """NI when its pIsImplemented is 0 or none of its features is implemented, else
        RO (pIsAvailable does not apply, nor a pIsImplemented node that cannot be
        read).  Worked out once: the reference never recomputes a category's access,
        not even after InvalidateNodes (measured)."""
        if self._frozen_access is None:
            # its features first (the reference asks them before its own condition);
            # a pIsImplemented node that cannot be read (NI, NA, WO) has no effect here
            base = self.base_access()
            if self._is_implemented and \
                    not self._condition_unreadable(self._is_implemented) and \
                    not self._condition(self._is_implemented):
                self._frozen_access = "NI"
            else:
                self._frozen_access = base
        return self._frozen_access

    def base_access(self) -> str:
        """RO; NI when it groups features and none of them is implemented."""
        nm = self.nodemap
        children = [name for name in self.features() if name in nm]
        if all(nm.node(name).access() == "NI" for name in children):
            return "NI"  # also an empty category, as GenApi reports
        return "RO"

    def features(self) -> list[str]:
        return self.nodemap.category_children(self.name, self.texts("pFeature"))

    @property
    def visibility(self) -> str:
        """The reference shows a category as visible as its most visible feature; one
        with no feature keeps its own ``<Visibility>``, Invisible by default."""
        nm = self.nodemap
        children = [name for name in self.features() if name in nm and name != self.name]
        if not children or name_in_progress(self):
            return self.text("Visibility") or "Invisible"
        _VISITING.add(id(self))  # a category cycle ends at the category met again
        try:
            levels = [nm.node(name).visibility for name in children]
        finally:
            _VISITING.discard(id(self))
        return min(levels, key=lambda level: _VISIBILITY_ORDER.get(level, 0))


class PortNode(Node):
    """``<Port>``: where a Port object is connected."""

    kind = "Port"

    def base_access(self) -> str:
        """RW when a Port object is connected; otherwise NA for a chunk port (its data
        arrives with a frame) and NI for the rest (an event port, or a device port nobody
        connected), as the GenApi reference reports."""
        if self.nodemap.has_port(self.name):
            return "RW"
        return "NA" if self.text("ChunkID") or self.text("pChunkID") else "NI"


class UnknownNode(Node):
    """Element types nodemap lists but does not evaluate (ConfRom, TextDesc, IntKey,
    AdvFeatureLock, SmartFeature, DcamLock: IIDC-1394 legacy, or unknown tags)."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.kind = self.definition.type

    def base_access(self) -> str:
        return "NI"

    def get(self) -> Any:
        raise AccessError(f"{self.name}: <{self.kind}> nodes are listed but not evaluated "
                          f"by nodemap (IIDC 1394 legacy element)")
