"""Formula nodes: SwissKnife, IntSwissKnife, Converter, IntConverter.

Their inputs are ``pVariable`` (a node, or ``Node.Min`` etc.), ``Constant`` and
``Expression`` terms; the formula text is compiled once by :mod:`nodemap.formula`
(our own parser — nothing from XML is ever handed to ``eval``).  SwissKnife and
Converter compute in double, the Int variants in int64 (docs/architecture.md, "GenApi semantics").  A Converter
reads ``FormulaFrom`` with ``TO`` = its pValue and writes its pValue with ``FormulaTo``
of ``FROM`` = the value; integer targets take the result rounded half away from zero.
"""

from __future__ import annotations

import math
import sys
from typing import TYPE_CHECKING, Any, Callable

from lxml import etree

from ..errors import FormulaError, NodeMapError, RangeError, XmlError
from ..loader import localname
from .base import (INT64_MAX, INT64_MIN, NUMBER_TYPES, Node, combine_access,
                   double_to_integer_node, parse_float, parse_int, round_half_away)

if TYPE_CHECKING:  # pragma: no cover
    from ..formula import Formula

__all__ = ["SwissKnife", "IntSwissKnife", "Converter", "IntConverter", "InlineSwissKnife",
           "FormulaTerms"]


_SUFFIXES = frozenset(("Value", "Min", "Max", "Inc"))


class FormulaTerms:
    """The named inputs of a formula node: variables, constants and expressions."""

    def __init__(self, owner: Node, children: list[etree._Element], integer: bool) -> None:
        self.owner = owner
        self.integer = integer
        self.readers: dict[str, Callable[[], Any]] = {}
        self.constants: dict[str, Any] = {}
        self.expressions: list[tuple[str, Formula]] = []
        #: formula variables → (name, reader, used) for every declared variable, in the
        #: order the reference reads them (by name: its variables live in a sorted map)
        self._plans: dict[frozenset[str], list[tuple[str, Callable[[], Any], bool]]] = {}
        for child in children:
            tag = localname(child.tag)
            name = child.get("Name", "")
            text = (child.text or "").strip()
            if tag == "pVariable":
                # The suffix may sit on the variable's name (<pVariable Name="W.Max">Width)
                # or on its target (<pVariable Name="WMAX">Width.Max).
                _, dot, suffix = name.partition(".")
                if dot and "." not in text and (suffix in _SUFFIXES or
                                                suffix.startswith("Entry.")):
                    text = f"{text}.{suffix}"
                self.readers[name] = owner.nodemap.reader(text)
            elif tag == "Constant":
                self.constants[name] = (parse_int(text, where=owner.where("Constant"))
                                        if integer and _is_int_text(text)
                                        else parse_float(text, where=owner.where("Constant")))
            elif tag == "Expression":
                self.expressions.append((name, self.compile(text, f"Expression {name}")))

    def compile(self, text: str | None, what: str) -> Formula:
        if text is None:
            raise XmlError(f"{self.owner.where()} has no {what}")
        from ..formula import compile_formula  # imported with the first formula node

        return compile_formula(text, integer=self.integer, node=self.owner.name)

    def values(self, needed: frozenset[str], extra: dict[str, Any] | None = None
               ) -> dict[str, Any]:
        """The inputs a formula needs: constants, ``extra`` (TO/FROM), the variables it
        (or an expression) names, then the expressions in order."""
        plan = self._plans.get(needed)
        if plan is None:
            wanted = set(needed)
            for _, formula in self.expressions:
                wanted |= formula.variables
            # The reference reads every pVariable, named in the formula or not, in the
            # order of their names: one that cannot be read (a WO register, a formula
            # over one) fails the evaluation, and the first failure is the one reported.
            plan = self._plans[needed] = [(name, self.readers[name], name in wanted)
                                          for name in sorted(self.readers)]
        values: dict[str, Any] = dict(self.constants)
        if extra:
            values.update(extra)
        for name, reader, used in plan:
            value = reader()
            if used:
                values[name] = int(value) if value is True or value is False else value
        for name, formula in self.expressions:
            values[name] = self.evaluate(formula, values)
        return values

    def evaluate(self, formula: Formula, values: dict[str, Any]) -> Any:
        try:
            return formula(values)
        except FormulaError:
            raise
        except (KeyError, TypeError, ValueError, OverflowError, ZeroDivisionError) as exc:
            raise FormulaError(f"cannot evaluate: {exc}", formula=formula.text,
                               node=self.owner.name) from exc


def _is_int_text(text: str) -> bool:
    try:
        parse_int(text)
        return "." not in text and "e" not in text.lower().replace("0x", "")
    except XmlError:
        return False


class _FormulaNode(Node):
    integer = False

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.terms = FormulaTerms(self, list(self.element), self.integer)


class SwissKnife(_FormulaNode):
    """A read-only value computed from other nodes by ``<Formula>``."""

    kind = "Float"
    #: RW to its conditions (an unreadable lock makes it NA), RO in the end
    ACCESS_CAP = "RO"

    def base_access(self) -> str:
        return self.inputs_presence(self.dependencies)

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.formula = self.terms.compile(self.text("Formula"), "Formula")

    def _compute_value(self) -> Any:
        self.check_readable()
        result = self.terms.evaluate(self.formula, self.terms.values(self.formula.variables))
        return self.result(result)

    def result(self, value: Any) -> Any:
        return float(value)

    def get_min(self) -> float:
        self.check_bounds_available()
        return -sys.float_info.max

    def get_max(self) -> float:
        self.check_bounds_available()
        return sys.float_info.max

    def get_inc(self) -> None:
        return None


class IntSwissKnife(SwissKnife):
    """SwissKnife in int64."""

    kind = "Integer"
    integer = True

    def result(self, value: Any) -> int:
        return _to_int64(value)

    def get_min(self) -> int:
        self.check_bounds_available()
        return INT64_MIN

    def get_max(self) -> int:
        self.check_bounds_available()
        return INT64_MAX

    def get_inc(self) -> int:  # type: ignore[override]
        self.check_bounds_available()
        return 1


class InlineSwissKnife:
    """An anonymous ``<IntSwissKnife>`` inside a register's address."""

    def __init__(self, owner: Node, element: etree._Element) -> None:
        self.terms = FormulaTerms(owner, list(element), True)
        formula = None
        for child in element:
            if localname(child.tag) == "Formula":
                formula = (child.text or "").strip()
        self.formula = self.terms.compile(formula, "IntSwissKnife Formula")

    def get(self) -> int:
        return _to_int64(self.terms.evaluate(self.formula,
                                             self.terms.values(self.formula.variables)))


class Converter(_FormulaNode):
    """A value shown through FormulaFrom and written through FormulaTo."""

    kind = "Float"
    VALUE_TYPES = NUMBER_TYPES

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.formula_from = self.terms.compile(self.text("FormulaFrom"), "FormulaFrom")
        self.formula_to = self.terms.compile(self.text("FormulaTo"), "FormulaTo")
        self.target_name = self.text("pValue")
        if not self.target_name:
            raise XmlError(f"{self.where()} has no pValue")
        self.slope = self.text("Slope", "Automatic") or "Automatic"

    def target(self) -> Node:
        return self.nodemap.node(self.target_name)  # type: ignore[arg-type]

    def base_access(self) -> str:
        """The pValue's access, NI/NA when a pVariable is not implemented/available."""
        variables = self.inputs_presence(
            name for name in self.dependencies if name != self.target_name)
        return combine_access(self.target().access(), variables)

    def convert_from(self, raw: Any) -> Any:
        values = self.terms.values(self.formula_from.variables, {"TO": raw})
        return self.result(self.terms.evaluate(self.formula_from, values))

    def convert_to(self, value: Any) -> Any:
        values = self.terms.values(self.formula_to.variables, {"FROM": value})
        return self.terms.evaluate(self.formula_to, values)

    def result(self, value: Any) -> Any:
        return float(value)

    def _compute_value(self) -> Any:
        self.check_readable()
        return self.convert_from(self.target().get())

    def _bounds(self) -> tuple[Any, Any]:
        target = self.target()
        if self.slope == "Varying" or not hasattr(target, "get_min"):
            # The reference derives no bounds for a Varying slope: the full range of the
            # type (±DBL_MAX for a Converter, int64 for an IntConverter).
            return (self._extreme(-1), self._extreme(1))
        # A FormulaFrom that fails at the target's bounds (1/0 ...) fails here, as in
        # the reference.
        low = self.convert_from(target.get_min())
        # hasattr(target, "get_min") above narrowed for get_min only; numeric nodes have both
        high = self.convert_from(target.get_max())  # type: ignore[attr-defined]
        if self.slope == "Decreasing" or (self.slope != "Increasing" and low > high):
            low, high = high, low
        # The reference caps a double min at -DBL_MAX and a max at +DBL_MAX (an
        # overflowing bound comes out finite; a +inf min stays +inf).
        if isinstance(low, float):
            low = max(low, -sys.float_info.max)
        if isinstance(high, float):
            high = min(high, sys.float_info.max)
        return low, high

    def _extreme(self, sign: int) -> Any:
        return sign * sys.float_info.max

    def get_min(self) -> Any:
        self.check_bounds_available()
        return self.cached("min", lambda: self._bound(0))

    def get_max(self) -> Any:
        self.check_bounds_available()
        return self.cached("max", lambda: self._bound(1))

    def _bound(self, side: int) -> Any:
        """One bound; with a declared Increasing/Decreasing slope only the target bound
        it comes from is evaluated (the reference does not touch the other one, which
        may fail), otherwise both (the order decides)."""
        target = self.target()
        if self.slope in ("Increasing", "Decreasing") and hasattr(target, "get_min"):
            source = side if self.slope == "Increasing" else 1 - side
            bound = target.get_min if source == 0 else target.get_max  # type: ignore[attr-defined]
            raw = bound()
            value = self.convert_from(raw)
            if isinstance(value, float):
                value = max(value, -sys.float_info.max) if side == 0 else \
                    min(value, sys.float_info.max)
            return value
        return self._bounds()[side]

    def get_inc(self) -> Any:
        return None

    def set(self, value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise RangeError(f"{self.name}: write a number, not {type(value).__name__}")
        self.check_writable()
        low, high = self.get_min(), self.get_max()
        if not low <= value <= high:
            raise RangeError(f"{self.name}: {value} is outside [{low}, {high}]")
        self._verify_variables()
        raw = self.convert_to(value)
        target = self.target()
        if target.kind == "Integer" and isinstance(raw, float):
            raw = double_to_integer_node(target, raw)
        elif target.kind in ("Enumeration", "Boolean") and isinstance(raw, float):
            raw = round_half_away(raw)
        # The target's write invalidates what a change of this converter reaches: this
        # converter is one of the target's dependents (ValueNode.finish_write)
        target.set(raw)


    #: the nodes a write verifies, in order (worked out on the first write: the walk
    #: follows definitions only)
    _verified: tuple[Node, ...] | None = None

    def _verify_variables(self) -> None:
        """A write reads the pVariables *verified*, as the reference does: a numeric
        value node read on the way (a pVariable, or what a pVariable formula or pValue
        reads in turn) whose value is outside its own min/max, or off its Inc grid,
        makes the write fail with a RangeError naming it, and nothing is written."""
        verified = self._verified
        if verified is None:
            nodes, error = self._walk_variables()
            if error is not None:  # verify what comes before the node that fails
                for node in nodes:
                    self._verify_one(node)
                raise error
            verified = self._verified = tuple(nodes)
        for node in verified:
            self._verify_one(node)

    def _walk_variables(self) -> tuple[list[Node], NodeMapError | None]:
        """The value nodes :meth:`_verify_variables` checks, in the order it checks
        them, and the error of a node on the way that cannot be built (the walk stops
        there)."""
        nm = self.nodemap
        seen: set[str] = {self.name}
        found: list[Node] = []
        todo = [t for t in self.texts("pVariable") if "." not in t]
        while todo and len(seen) < 1000:
            name = todo.pop()
            if name in seen or name not in nm:
                continue
            seen.add(name)
            try:
                node = nm.node(name)
            except NodeMapError as exc:
                return found, exc
            if isinstance(node, _FormulaNode):
                todo += [t for t in node.texts("pVariable") if "." not in t]
                if isinstance(node, Converter):
                    todo.append(node.target_name or "")
                continue
            if node.kind not in ("Integer", "Float") or not hasattr(node, "get_min"):
                continue
            pvalue = node.text("pValue")
            if pvalue:
                todo.append(pvalue)
            found.append(node)
        return found, None

    def _verify_one(self, node: Node) -> None:
        """Check one node a write reads; the success is kept in the store (aspect
        ``verified``) until the node's value or bounds go stale, which drops it."""
        store = self.store
        if store.get(node.name, "verified") is True:
            return
        before = store.volatile
        current = node.get()
        low, high = node.get_min(), node.get_max()  # type: ignore[attr-defined]
        if not low <= current <= high:
            raise RangeError(f"{self.name}: {node.name}, which it reads, holds {current}, "
                             f"outside its [{low}, {high}]; GenApi refuses the write")
        if node.kind == "Integer":
            inc = node.get_inc()  # type: ignore[attr-defined]
            if inc > 1 and _int64_wrap(current - low) % inc:
                raise RangeError(f"{self.name}: {node.name}, which it reads, holds "
                                 f"{current}, not min {low} plus a multiple of {inc}; "
                                 f"GenApi refuses the write")
        if store.volatile == before:
            store.put(node.name, "verified", True)


def _int64_wrap(value: int) -> int:
    """``abs`` of ``value`` wrapped to int64 (C's int64 subtraction, truncating ``%``)."""
    return abs(((value + (1 << 63)) % (1 << 64)) - (1 << 63))


class IntConverter(Converter):
    """Converter in int64."""

    kind = "Integer"
    integer = True

    def result(self, value: Any) -> int:
        return _to_int64(value)

    def _extreme(self, sign: int) -> int:
        return INT64_MAX if sign > 0 else INT64_MIN

    def convert_from(self, raw: Any) -> Any:
        if isinstance(raw, float) and not (INT64_MIN <= raw < 2.0 ** 63):
            # The reference cannot hand a float pValue outside int64 to an integer
            # formula (e.g. an unbounded Float's ±DBL_MAX bound): it fails.
            raise FormulaError(f"{self.name}: {self.target_name} gives {raw}, which an "
                               f"integer formula cannot take (outside int64)")
        return super().convert_from(raw)

    def get_inc(self) -> int:
        self.check_bounds_available()
        return 1


def _to_int64(value: Any) -> int:
    if isinstance(value, float):
        if not math.isfinite(value):
            raise FormulaError(f"result {value} is not a number an integer can hold")
        value = int(value)
    number = int(value)
    return ((number - INT64_MIN) % (1 << 64)) + INT64_MIN
