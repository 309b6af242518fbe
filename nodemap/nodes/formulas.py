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

from ..cache import MISSING
from ..errors import FormulaError, NodeMapError, RangeError, XmlError
from ..loader import localname
from .base import (INT64_MAX, INT64_MIN, NUMBER_TYPES, READABLE, WRITABLE, Node,
                   combine_access, double_to_integer_node, parse_float, parse_int, round_half_away)

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
        #: variable name → the node its pVariable names (no ``.Max`` suffix: a value)
        self.targets: dict[str, str] = {}
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
                # a double formula reads an Enumeration's NumericValue, an integer one
                # the same rounded (Enumeration.numeric; measured)
                self.readers[name] = owner.nodemap.reader(text, double=not integer)
                if "." not in text:
                    self.targets[name] = text
            elif tag == "Constant":
                self.constants[name] = (parse_int(text, where=owner.where("Constant"))
                                        if integer and _is_int_text(text)
                                        else parse_float(text, where=owner.where("Constant")))
            elif tag == "Expression":
                self.expressions.append((name, self.compile(text, f"Expression {name}")))

    def compile(self, text: str | None, what: str, extra: str | None = None) -> Formula:
        """The formula ``text`` (``extra``: the name it gets its TO/FROM under).  One the
        parser refuses, or that names something this node does not define, is kept as a
        formula that raises when evaluated, as the reference does
        (:func:`nodemap.formula.deferred_formula`)."""
        if text is None:
            raise XmlError(f"{self.owner.where()} has no {what}")
        from ..formula import Formula, deferred_formula  # imported with the first formula node

        formula = deferred_formula(text, integer=self.integer, node=self.owner.name)
        known = {*self.readers, *self.constants, *(name for name, _ in self.expressions)}
        if extra is not None:
            known.add(extra)
        unknown = sorted(formula.variables - known)
        if unknown and not formula.refused_early:
            # the reference's parser refuses a name it is not given, before any read
            error = FormulaError(f"unknown variable {unknown[0]!r}: no pVariable, Constant "
                                 f"or Expression of {self.owner.name!r} has that name",
                                 formula=text, node=self.owner.name)

            def refuse(_values: Any) -> Any:
                raise error.with_context(str(error))

            formula = Formula(text=text, integer=self.integer, variables=formula.variables,
                              ast=None, node=self.owner.name, fn=refuse, refused=error,
                              refused_early=True)
        return formula

    def runner(self, formula: Formula, extra: str | None = None) -> Callable[..., Any]:
        """``formula`` evaluated over its inputs, compiled once: ``run()`` (or
        ``run(x)``, binding ``x`` to ``extra``: TO/FROM) puts the constants, ``extra``
        and the variables in a dict, then the expressions in order, and evaluates.  The
        reference reads every pVariable, named in the formula or not, in the order of
        their names: one that cannot be read (a WO register, a formula over one) fails
        the evaluation, and the first failure is the one reported.  The plan is worked
        out here, once; a variable whose value is valid in the store is read by one
        lookup instead of a call."""
        early = formula.refused_early or any(e.refused_early for _, e in self.expressions)
        if early:  # refused before any variable is read (see compile)
            def refuse(extra_value: Any = None) -> Any:
                for _, expression in self.expressions:
                    if expression.refused_early:
                        return expression({})  # raises
                return formula({})  # raises
            return refuse
        needed = set(formula.variables)
        for _, expression in self.expressions:
            needed |= expression.variables
        store_values = self.owner.store.values
        built = self.owner.nodemap._nodes  # name → node, for the ones built so far
        plan = tuple((name, self.readers[name], name in needed,
                      getattr(self.readers[name], "cached_name", None))
                     for name in sorted(self.readers))
        constants = self.constants
        expressions = tuple(self.expressions)
        evaluate = self.evaluate
        finish = self.finish
        integer = self.integer
        body = formula.body
        low, high = INT64_MIN, INT64_MAX

        def read_into(values: dict[str, Any], check: bool) -> bool:
            """Read every variable in the plan's order into ``values`` (the used ones;
            a bool as an int; a float converted to int64 as read by an integer
            formula, used or not); with ``check``, whether one is not already of the
            formula's number class (int64 or double): the body cannot take it."""
            slow = False
            for name, reader, used, cached_name in plan:
                if cached_name:  # what reader() does, without its two calls
                    value = store_values.get(cached_name, MISSING)
                    if value is MISSING:
                        node = built.get(cached_name)
                        value = reader() if node is None else node.evaluate_value()
                else:
                    value = reader()
                if value.__class__ is float and integer:  # converted as read, used or not
                    value = _int64_variable(value, formula)
                if used:
                    if value is True or value is False:
                        value = int(value)
                    if check:
                        if integer:
                            if value.__class__ is not int or not low <= value <= high:
                                slow = True
                        elif value.__class__ is not float:
                            slow = True
                    values[name] = value
            return slow

        if body is not None and not constants and not expressions and \
                formula.refused is None:
            # the variables converted as the formula converts them (int64 or double)
            # where that is one class test, then the body called directly; anything
            # else (or an error) goes through finish, which converts and raises as the
            # formula does

            def run_body(extra_value: Any = None) -> Any:
                values: dict[str, Any] = {}
                slow = False
                if extra is not None:
                    if integer:
                        if extra_value.__class__ is not int or \
                                not low <= extra_value <= high:
                            slow = True
                    elif extra_value.__class__ is not float:
                        slow = True
                    values[extra] = extra_value
                if read_into(values, True) or slow:
                    return finish(formula, values)
                try:
                    return body(values)
                except Exception:
                    return finish(formula, values)  # raises as the formula raises
            return run_body

        def run(extra_value: Any = None) -> Any:
            values = dict(constants) if constants else {}
            if extra is not None:
                values[extra] = extra_value
            read_into(values, False)
            for name, expression in expressions:
                values[name] = evaluate(expression, values)
            return finish(formula, values)
        return run

    def finish(self, formula: Formula, values: dict[str, Any]) -> Any:
        """``formula`` over ``values`` (the variables as read): what it raises is a
        FormulaError naming the formula."""
        try:
            return formula(values)
        except FormulaError:
            raise
        except (KeyError, TypeError, ValueError, OverflowError, ZeroDivisionError):
            return self.evaluate(formula, values)  # raises, naming the formula

    def evaluator(self, formula: Formula, *, target: str | None = None,
                  generic: Callable[[Any], Any] | None = None) -> Callable[[], Any] | None:
        """The owner's whole value evaluation, compiled into one closure: what
        :meth:`Node._evaluate_value` does around ``_compute_value`` (the cycle guard,
        the access check, the result kept unless the volatile counter moved) with the
        variables read as :meth:`runner`'s plan reads them (every pVariable in name
        order; a valid value by one store lookup, a miss by the node's
        ``evaluate_value``), each converted as it is read (int64 or double, inlined),
        and the formula's body called directly.  Anything out of the ordinary (a value
        the inlined conversion does not take, an error) goes the general way, so the
        same result or error comes out.  With ``target`` (a Converter: ``TO`` = its
        pValue's value), a pValue value the inlined conversion does not take is
        converted by ``generic``.  None (not compiled) for a formula with
        Expressions."""
        if self.expressions or formula.refused is not None:
            return None
        owner = self.owner
        integer = self.integer
        constants: dict[str, Any] = {}
        for key, constant in self.constants.items():
            if constant.__class__ is int and INT64_MIN <= constant <= INT64_MAX:
                constants[key] = constant if integer else float(constant)
            elif constant.__class__ is float and not integer:
                constants[key] = constant
            else:  # converted by the formula on every call: the general way
                return None
        name, store, values = owner.name, owner.store, owner.store.values
        values_get, built_get = values.get, owner.nodemap._nodes.get
        constant_access_get = owner.store.constant_access.get
        active, marker = owner.nodemap.active, owner._value_marker
        needed = formula.variables
        plan = tuple((variable, self.readers[variable], variable in needed,
                      getattr(self.readers[variable], "cached_name", None))
                     for variable in sorted(self.readers))
        body = formula.body
        low, high = INT64_MIN, INT64_MAX
        target_node: list[Node] = []  # the pValue node, once built
        if target is None and len(plan) == 1 and plan[0][2] and plan[0][3] is not None \
                and body is not None:
            # one variable, a node's value (most IntSwissKnife: a selector's multiplexer)
            ((only, _, _, plain),) = plan
            only_name: str = str(plain)
            run_body: Callable[[dict[str, Any]], Any] = body
            # a multiplexer of literals: its results looked up (Formula.table); the
            # table's results are int64 already
            table_get, other = (formula.table[0].get, formula.table[1]) \
                if formula.table is not None and not constants and \
                formula.variables == {only} else (None, None)

            # what the usual evaluation uses is bound as default arguments, not cells:
            # one tuple per node instead of a cell object per variable, which keeps a
            # large file's reads in the CPU's cache (see RegisterNode._compile_int_read);
            # what only a failure needs is reached through ``terms`` (no cell at all)
            def evaluate_one(marker: tuple[str, str] = marker, active: dict[Any, None] = active,
                             store: Any = store, name: str = name,
                             constant_access_get: Callable[[str], str | None] =
                             constant_access_get,
                             values_get: Callable[..., Any] = values_get,
                             only_name: str = only_name,
                             built_get: Callable[[str], Node | None] = built_get,
                             table_get: Callable[[Any, Any], Any] | None = table_get,
                             other: Any = other, integer: bool = integer, low: int = low,
                             high: int = high, constants: dict[str, Any] = constants,
                             only: str = only,
                             run_body: Callable[[dict[str, Any]], Any] = run_body,
                             values: dict[str, Any] = values, terms: FormulaTerms = self,
                             formula: Formula = formula) -> Any:
                if marker in active:
                    raise terms.owner.nodemap.cycle_error(marker)
                before = store.volatile
                active[marker] = None
                try:
                    if constant_access_get(name) not in READABLE:
                        terms.owner.check_readable()
                    x = values_get(only_name, MISSING)
                    if x is MISSING:
                        node = built_get(only_name)
                        x = terms.readers[only]() if node is None else node.evaluate_value()
                    if table_get is not None and x.__class__ is int and low <= x <= high:
                        result = table_get(x, other)  # what the body gives, looked up
                    elif integer:
                        v = dict(constants) if constants else {}
                        if x.__class__ is int and low <= x <= high:
                            v[only] = x
                            try:
                                result = run_body(v)
                            except Exception:
                                result = terms.finish(formula, v)  # raises as the formula raises
                        else:
                            v[only] = int(x) if x is True or x is False else x
                            result = terms.finish(formula, v)
                        if result.__class__ is not int or not low <= result <= high:
                            result = _to_int64(result)
                    else:
                        v = dict(constants) if constants else {}
                        try:
                            v[only] = x if x.__class__ is float else float(x)
                        except Exception:
                            v[only] = x
                            result = terms.finish(formula, v)  # the formula's conversion says why
                        else:
                            try:
                                result = run_body(v)
                            except Exception:
                                result = terms.finish(formula, v)
                        result = float(result)
                finally:
                    active.pop(marker, None)
                if store.volatile == before:
                    values[name] = result
                return result
            return evaluate_one

        def evaluate(marker: tuple[str, str] = marker, active: dict[Any, None] = active,
                     store: Any = store, name: str = name,
                     constant_access_get: Callable[[str], str | None] = constant_access_get,
                     values_get: Callable[..., Any] = values_get,
                     built_get: Callable[[str], Node | None] = built_get,
                     constants: dict[str, Any] = constants,
                     body: Callable[[dict[str, Any]], Any] | None = body,
                     target: str | None = target, integer: bool = integer, low: int = low,
                     high: int = high, plan: tuple[Any, ...] = plan,
                     values: dict[str, Any] = values, terms: FormulaTerms = self,
                     formula: Formula = formula,
                     generic: Callable[[Any], Any] | None = generic,
                     target_node: list[Node] = target_node) -> Any:
            if marker in active:
                raise terms.owner.nodemap.cycle_error(marker)
            before = store.volatile
            active[marker] = None
            try:
                if constant_access_get(name) not in READABLE:
                    terms.owner.check_readable()
                v = dict(constants) if constants else {}
                slow = body is None
                direct = False
                if target is not None:
                    raw = values_get(target, MISSING)
                    if raw is MISSING:
                        if not target_node:
                            target_node.append(terms.owner.target())  # type: ignore[attr-defined]
                        raw = target_node[0].evaluate_value()
                    if raw.__class__ is int and low <= raw <= high:
                        v["TO"] = raw if integer else float(raw)
                    elif raw.__class__ is float and not integer:
                        v["TO"] = raw
                    else:  # a value the inlined conversion does not take
                        direct = True
                if direct:
                    result = generic(raw)  # type: ignore[misc]
                else:
                    for variable, reader, used, cached_name in plan:
                        if cached_name is not None:
                            x = values_get(cached_name, MISSING)
                            if x is MISSING:
                                node = built_get(cached_name)
                                x = reader() if node is None else node.evaluate_value()
                        else:
                            x = reader()
                        if integer and x.__class__ is float:  # as read, used or not
                            x = _int64_variable(x, formula)
                        if used:
                            if integer:
                                if x.__class__ is int:
                                    if not low <= x <= high:
                                        slow = True
                                elif x is True or x is False:
                                    x = int(x)
                                else:
                                    slow = True
                            elif x.__class__ is not float:
                                try:
                                    x = float(x)
                                except Exception:
                                    slow = True  # the formula's conversion says why
                            v[variable] = x
                    if slow:
                        result = terms.finish(formula, v)
                    else:
                        try:
                            result = body(v)  # type: ignore[misc]
                        except Exception:
                            result = terms.finish(formula, v)  # raises as the formula raises
                if integer:
                    if result.__class__ is not int or not low <= result <= high:
                        result = _to_int64(result)
                else:
                    result = float(result)
            finally:
                active.pop(marker, None)
            if store.volatile == before:
                values[name] = result
            return result
        return evaluate

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
        """:meth:`inputs_presence` of its inputs."""
        return self.dependencies_presence()

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.formula = self.terms.compile(self.text("Formula"), "Formula")
        self._run = self.terms.runner(self.formula)

    def _compute_value(self) -> Any:
        if self._constant_access.get(self.name) not in READABLE:
            self.check_readable()
        return self.result(self._run())

    def _compile_value(self) -> Callable[[], Any] | None:
        return self.terms.evaluator(self.formula) or self._evaluate_value

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

    def _compute_value(self) -> Any:
        if self._constant_access.get(self.name) not in READABLE:
            self.check_readable()
        value = self._run()
        if value.__class__ is int and INT64_MIN <= value <= INT64_MAX:
            return value  # what _to_int64 gives back unchanged
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
        self._run = self.terms.runner(self.formula)

    def get(self) -> int:
        return _to_int64(self._run())


class Converter(_FormulaNode):
    """A value shown through FormulaFrom and written through FormulaTo."""

    kind = "Float"
    VALUE_TYPES = NUMBER_TYPES

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.formula_from = self.terms.compile(self.text("FormulaFrom"), "FormulaFrom", "TO")
        self.formula_to = self.terms.compile(self.text("FormulaTo"), "FormulaTo", "FROM")
        self.target_name = self.text("pValue")
        if not self.target_name:
            raise XmlError(f"{self.where()} has no pValue")
        self.slope = self.text("Slope", "Automatic") or "Automatic"
        self._run_from = self.terms.runner(self.formula_from, "TO")
        self._run_to = self.terms.runner(self.formula_to, "FROM")
        #: FormulaTo is one the parser refuses before any variable is read: a write
        #: reports that before reading the variables (generator seed 9200)
        self._to_refused_early = self.formula_to.refused_early or any(
            expression.refused_early for _, expression in self.terms.expressions)
        self._target: Node | None = None

    def target(self) -> Node:
        target = self._target
        if target is None:  # built on first use (it may be built after this node)
            target = self._target = self.nodemap.node(self.target_name)  # type: ignore[arg-type]
        return target

    def base_access(self) -> str:
        """The pValue's access, NI/NA when a pVariable is not implemented/available
        (:meth:`inputs_presence` of the pVariables, in order, stopping at an NI one;
        then the pValue's access)."""
        worst = self.dependencies_presence(self.target_name)
        target = self._target or self.target()
        return combine_access(target.access(), worst)

    def convert_from(self, raw: Any) -> Any:
        return self.result(self._run_from(raw))

    def convert_to(self, value: Any) -> Any:
        return self._run_to(value)

    def result(self, value: Any) -> Any:
        return float(value)

    def _compute_value(self) -> Any:
        if self._constant_access.get(self.name) not in READABLE:
            self.check_readable()
        target = self._target or self.target()
        if target.kind == "Enumeration":
            # a Converter reads the entry's NumericValue (else Value), an IntConverter
            # the same rounded half away from zero (Enumeration.numeric; measured)
            double_value = getattr(target, "double_value", None)
            raw = target.numeric() if self.integer or double_value is None else double_value()
            return self.convert_from(raw)
        return self.convert_from(target.get())

    def _compile_value(self) -> Callable[[], Any] | None:
        try:
            over_enumeration = (self._target or self.target()).kind == "Enumeration"
        except NodeMapError:
            over_enumeration = True   # the general path raises it, in its order
        if over_enumeration:
            # an entry's number, not its name, goes into TO (_compute_value)
            return self._evaluate_value
        return self.terms.evaluator(self.formula_from, target=self.target_name,
                                    generic=self.convert_from) or self._evaluate_value

    def _bounds(self) -> tuple[Any, Any]:
        target = self.target()
        enumeration = target.kind == "Enumeration"
        if self.slope == "Varying" or not (hasattr(target, "get_min") or enumeration):
            # The reference derives no bounds for a Varying slope: the full range of the
            # type (±DBL_MAX for a Converter, int64 for an IntConverter).
            return (self._extreme(-1), self._extreme(1))
        # A FormulaFrom that fails at the target's bounds (1/0 ...) fails here, as in
        # the reference.  An Enumeration, read as a double, has the bounds ±DBL_MAX
        # (measured: FormulaFrom TO/2 over one gives ±DBL_MAX/2); read as an integer
        # (an IntConverter) the int64 range (TO*2 over one: min 0, max -2, wrapped).
        if enumeration and self.integer:
            low = self.convert_from(INT64_MIN)
            high = self.convert_from(INT64_MAX)
        elif enumeration:
            low = self.convert_from(-sys.float_info.max)
            high = self.convert_from(sys.float_info.max)
        else:  # both target bounds first, then FormulaFrom (the reference's order)
            target_min = target.get_min()  # type: ignore[attr-defined]
            target_max = target.get_max()  # type: ignore[attr-defined]
            low = self.convert_from(target_min)
            high = self.convert_from(target_max)
        swap = self.slope == "Decreasing"
        if self.slope not in ("Increasing", "Decreasing"):
            held = self.store.held(self.name, "slope", None)
            if held is None:
                # the slope the reference works out, once, at the first bounds it
                # computes: Increasing only when they are in order (a NaN bound: not)
                held = "Increasing" if low <= high else "Decreasing"
                self.store.hold(self.name, "slope", held)
            # ordered afresh where they compare; a NaN bound keeps the slope worked out
            swap = low > high or (not low <= high and held == "Decreasing")
        if swap:
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
        may fail), otherwise both (the order decides).

        An Automatic slope: the reference works it out once, at the first bounds it
        computes, and from then on evaluates only the target bound each bound comes
        from.  nodemap evaluates both and orders them (it does not copy the reference's
        min > max once a pVariable reverses the slope), but where one of them fails it
        falls back, as the reference answers, on that first slope (kept in the store:
        state, not cache) and evaluates only the target bound this bound comes from."""
        target = self.target()
        slope = self.slope
        if slope not in ("Increasing", "Decreasing", "Varying") and hasattr(target, "get_min"):
            pair = self._pair
            if pair is not None:
                self._pair = None
                if pair[0] == side:  # the other bound of the same _bounds(), in set()
                    return pair[1]
            try:
                store = self.store
                before = store.volatile
                bounds = self._bounds()
                if self._pairing and store.volatile == before:
                    # set() asks for the other bound next, with nothing changed in
                    # between: the same _bounds() would give it (and read nothing
                    # uncachable: the volatile counter did not move)
                    self._pair = (1 - side, bounds[1 - side])
                return bounds[side]
            except NodeMapError:
                slope = self.store.held(self.name, "slope", None)
                if slope is None:
                    raise
        if slope in ("Increasing", "Decreasing") and hasattr(target, "get_min"):
            source = side if slope == "Increasing" else 1 - side
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

    #: while set() reads both bounds: (side, bound) of the other side of the _bounds()
    #: the first one computed (see _bound); None otherwise
    _pair: "tuple[int, Any] | None" = None
    _pairing = False

    def set(self, value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise RangeError(f"{self.name}: write a number, not {type(value).__name__}")
        name, aspects = self.name, self._aspects
        low = aspects["min"].get(name, MISSING)
        high = aspects["max"].get(name, MISSING)
        if low is MISSING or high is MISSING or \
                self._constant_access.get(name) not in WRITABLE:
            self.check_writable_for_bounds()
            self._pairing = True
            try:
                # min, then max, each checked before the next is read (the reference's
                # order: a value under min is a RangeError even when max cannot be
                # read); NaN passes both, as with a Float (the reference's
                # `value < min` is false)
                low = self.get_min()
                if value < low:
                    raise self._outside(value, "under its min", low)
                high = self.get_max()
                if value > high:
                    raise self._outside(value, "over its max", high)
            finally:
                self._pairing = False
                self._pair = None
                self.bounds_checked()
        # access constant and bounds kept (valid): the same checks without the calls
        elif value < low:
            raise self._outside(value, "under its min", low)
        elif value > high:
            raise self._outside(value, "over its max", high)
        if self._to_refused_early:
            self.convert_to(value)  # raises: the parser's refusal, before any variable
        # after the range check, which reads them as cached (generator seed 10200)
        self._refresh_variables()
        self._verify_variables()
        raw = self.convert_to(value)
        target = self.target()
        if target.kind == "Integer" and isinstance(raw, float):
            raw = double_to_integer_node(target, raw)
        elif target.kind == "Enumeration" and hasattr(target, "nearest_entry"):
            raw = target.nearest_entry(float(raw))   # the nearest available entry
        elif target.kind == "Boolean" and isinstance(raw, float):
            raw = round_half_away(raw)
        # The target's write invalidates what a change of this converter reaches: this
        # converter is one of the target's dependents (ValueNode.finish_write)
        try:
            target.set(raw)
        except NodeMapError:
            # refused below this converter (its own checks passed): the reference
            # works its value out again, not what depends on it (generator seed 9042)
            self.store.refresh(self.name)
            raise

    def _outside(self, value: Any, where: str, bound: Any) -> RangeError:
        """The RangeError of a write of ``value`` beyond a bound of this converter."""
        return RangeError(f"{self.name}: {value} is outside its bounds: {where} {bound}")

    def _refresh_variables(self) -> None:
        """A write works the pVariables' values out again, with everything they are
        computed from, from the cached register bytes (not the device): the
        reference's write reads them past their cached values, and keeps what it read
        (measured: a variable over a bit field whose sibling was written since is read
        with the new bit; generator seed 9700).  What depends on them keeps its
        results, the bounds read from them go (:meth:`Store.refresh`)."""
        nm, store = self.nodemap, self.store
        key = (len(nm._nodes), store.graph_version)
        plan = self._refresh_plan
        if plan is None or self._refresh_key != key:
            # value_inputs is the same until more nodes are built, the bounds read
            # from them until the graph grows: worked out once per such state
            plan = self._refresh_plan = store.refresh_plan(
                node.name for target in self.terms.targets.values()
                for node in nm.value_inputs(target))
            self._refresh_key = key
        store.refresh_many(plan)

    #: what :meth:`_refresh_variables` removes (Store.refresh_plan), and the (built
    #: nodes, graph version) it was worked out at
    _refresh_plan: "tuple[frozenset[str], frozenset[str]] | None" = None
    _refresh_key: tuple[int, int] = (-1, -1)

    #: the verification walk as flat steps, (True, node): its access checked, (False,
    #: node): its value checked (see :meth:`_plan_verification`); None: not planned yet
    _verify_steps: "tuple[tuple[bool, Node], ...] | None" = None
    #: whether the walk varies (an indexed value on the way): walked on every write
    _verify_varies = False

    def _verify_variables(self) -> None:
        """:meth:`_walk_verification`, through its plan when the walk cannot vary: the
        same checks in the same order, a step whose kept result settles it skipped (an
        access mode that cannot vary and is readable, a node verified since its value
        and bounds last changed)."""
        steps = self._verify_steps
        if steps is None:
            if self._verify_varies:
                self._walk_verification()
                return
            planned = self._plan_verification()
            if planned is None:
                self._verify_varies = True
                self._walk_verification()
                return
            steps = self._verify_steps = planned
        constant, verified = self._constant_access, self._aspects["verified"]
        store, values_get, plain_get = self.store, self._values.get, Node.get
        for check, node in steps:
            name = node.name
            if check:
                if constant.get(name) not in READABLE:
                    node.check_readable()
            elif verified.get(name) is not True:
                # _verify_one of a register of a fixed width whose access cannot vary
                # and is readable, inlined: its value (Node.get: the store's, else
                # evaluate_value) within the width's bounds is all it checks
                width: tuple[int, int] | None = node.__dict__.get("_width_bounds")
                if width is not None and constant.get(name) in READABLE and \
                        node.__class__.get is plain_get:
                    before = store.volatile
                    current = values_get(name, MISSING)
                    if current is MISSING:
                        current = node.evaluate_value()
                    if width[0] <= current <= width[1]:
                        if store.volatile == before:
                            verified[name] = True
                        continue
                    raise self._refused_variable(name, current, width[0], width[1])
                self._verify_one(node)

    def _plan_verification(self) -> "tuple[tuple[bool, Node], ...] | None":
        """The steps :meth:`_walk_verification` takes, worked out without running them;
        None when they can vary (an indexed value chooses what it reads) or a node on
        the way cannot be built (the walk then fails where it meets it)."""
        nm = self.nodemap
        seen: set[str] = {self.name}
        steps: list[tuple[bool, Node]] = []

        def visit(name: str, depth: int) -> bool:
            if name in seen or name not in nm or depth > 64 or len(seen) > 1000:
                return True
            seen.add(name)
            try:
                node = nm.node(name)
            except NodeMapError:
                return False
            steps.append((True, node))
            if isinstance(node, _FormulaNode):
                for _, target in sorted(node.terms.targets.items()):
                    if not visit(target, depth + 1):
                        return False
                if isinstance(node, Converter):
                    if not visit(node.target_name or "", depth + 1):
                        return False
                    steps.append((False, node))
                return True
            if node.kind not in ("Integer", "Float") or not hasattr(node, "get_min"):
                return True
            if getattr(node, "_index", None):
                return False  # its source varies
            pvalue = getattr(node, "_pvalue", None) if hasattr(node, "source") else \
                node.text("pValue")
            if pvalue and not visit(pvalue, depth + 1):
                return False
            steps.append((False, node))
            return True

        for _, target in sorted(self.terms.targets.items()):
            if not visit(target, 0):
                return None
        return tuple(steps)

    def _walk_verification(self) -> None:
        """A write reads the pVariables *verified*, as the reference does: a numeric
        value node read on the way (a pVariable, or what a pVariable formula or pValue
        reads in turn) whose value is outside its own min/max, or off its Inc grid,
        makes the write fail with a RangeError naming it, and nothing is written.
        A Converter read on the way is checked against its own bounds too, after what
        it reads (measured: an IntConverter pVariable whose value is over its max
        refuses the write).  Each node once: its access first (an unreadable one fails
        before what it reads), then its inputs (variables in name order), then its
        own bounds."""
        nm = self.nodemap
        seen: set[str] = {self.name}

        def visit(name: str, depth: int) -> None:
            if name in seen or name not in nm or depth > 64 or len(seen) > 1000:
                return
            seen.add(name)
            node = nm.node(name)
            node.check_readable()  # an unreadable node fails before what it reads
            if isinstance(node, _FormulaNode):
                for _, target in sorted(node.terms.targets.items()):
                    visit(target, depth + 1)
                if isinstance(node, Converter):
                    visit(node.target_name or "", depth + 1)
                    self._verify_one(node)
                return
            if node.kind not in ("Integer", "Float") or not hasattr(node, "get_min"):
                return
            # what the value is read from first: its pValue, or the pValueIndexed /
            # pValueDefault its index selects now
            source = getattr(node, "source", None)
            held = source()[0] if source is not None else None
            pvalue = held.name if held is not None else node.text("pValue")
            if pvalue:
                visit(pvalue, depth + 1)
            self._verify_one(node)

        for _, target in sorted(self.terms.targets.items()):
            visit(target, 0)

    def _refused_variable(self, name: str, current: Any, low: Any, high: Any) -> RangeError:
        """The RangeError of a write refused because variable ``name`` holds ``current``,
        outside its [``low``, ``high``]."""
        return RangeError(f"{self.name}: {name}, which it reads, holds {current}, outside "
                          f"its [{low}, {high}]; GenApi refuses the write")

    def _verify_one(self, node: Node) -> None:
        """Check one node a write reads; the success is kept in the store (aspect
        ``verified``) until the node's value or bounds go stale, which drops it."""
        store, name = self.store, node.name
        verified = self._aspects["verified"]
        if verified.get(name) is True:
            return
        before = store.volatile
        current = node.get()
        # an IntReg/MaskedIntReg of a fixed length whose access cannot vary and is
        # readable: its bounds are its width's and its increment 1 (what get_min,
        # get_max and get_inc answer after their access checks, which pass)
        width: tuple[int, int] | None = getattr(node, "_width_bounds", None)
        fixed = width is not None and self._constant_access.get(name) in READABLE
        if width is not None and fixed:
            low, high = width
        else:
            # min, then max, each checked before the next is read: a value under its
            # min is refused even when its max cannot be read (generator seed 9400)
            low = node.get_min()  # type: ignore[attr-defined]
            if current < low:
                raise RangeError(f"{self.name}: {node.name}, which it reads, holds "
                                 f"{current}, under its min {low}; GenApi refuses the write")
            high = node.get_max()  # type: ignore[attr-defined]
        if not low <= current <= high:
            raise self._refused_variable(node.name, current, low, high)
        if node.kind == "Integer" and not fixed:
            inc = node.get_inc()  # type: ignore[attr-defined]
            if inc <= 0:  # the reference: "Increment must be larger than 0" (measured)
                raise RangeError(f"{self.name}: {node.name}, which it reads, has the "
                                 f"increment {inc}; GenApi refuses the write")
            if inc > 1 and _int64_wrap(current - low) % inc:
                raise RangeError(f"{self.name}: {node.name}, which it reads, holds "
                                 f"{current}, not min {low} plus a multiple of {inc}; "
                                 f"GenApi refuses the write")
        if store.volatile == before:
            verified[name] = True  # store.put(name, "verified", True)


def _int64_variable(value: float, formula: Formula) -> int:
    """``nodemap.formula.int64_variable`` (imported on the first float read by an
    integer formula: the formula module is imported with the first formula node)."""
    from ..formula import int64_variable
    return int64_variable(value, formula)


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
        if isinstance(raw, float) and not (INT64_MIN <= raw <= 2.0 ** 63) and raw == raw:
            # The reference cannot hand a float pValue outside int64 to an integer
            # formula (e.g. an unbounded Float's ±DBL_MAX bound): it fails.  Inside,
            # the formula takes it rounded half away from zero (NaN: INT64_MIN).
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
