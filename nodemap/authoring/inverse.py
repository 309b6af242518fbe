"""Converter inverses with sympy: derive one formula from the other, and check a pair.

A Converter reads ``value = FormulaFrom(TO = raw)`` and writes ``raw = FormulaTo(FROM =
value)``; the two must be inverses or written values read back changed.

* :func:`derive_inverse` solves one formula for its input and prints the result in the
  GenApi formula language (fully parenthesised, no unary minus before a parenthesis:
  the GenApi parser gives those a different meaning), or says why there is no closed form.
* :func:`check_pair` proves a pair symbolically (``FormulaFrom(FormulaTo(FROM)) - FROM``
  simplifies to 0), or, where the formulas leave sympy's algebra (bitwise operators,
  comparisons, ``?:``, rounding, integer division), falls back to evaluating both with
  the project's own evaluator over the declared raw range.

sympy is imported inside these functions only: this module is the one place of the
project that uses it.
"""

from __future__ import annotations

import functools
import math
import warnings
from fractions import Fraction
from typing import Any, Mapping

import attrs

from ..errors import FormulaError

__all__ = ["Inverse", "Verdict", "derive_inverse", "check_pair", "to_sympy", "to_genapi",
           "NotSymbolic"]


class NotSymbolic(Exception):
    """The formula uses an operator or function sympy cannot reason about here."""


@attrs.frozen(slots=True)
class Inverse:
    """A derived formula (``text``) or, when ``closed_form`` is False, the reason why not."""

    text: str | None
    closed_form: bool
    reason: str = ""
    branches: int = 1


@attrs.frozen(slots=True)
class Verdict:
    """``inverse``: True (proven/checked), False (counterexample), None (undecided)."""

    inverse: bool | None
    method: str
    reason: str = ""


_FUNCTIONS = ("SIN", "COS", "TAN", "ASIN", "ACOS", "ATAN", "EXP", "LN", "LG", "SQRT",
              "ABS", "NEG", "SGN")


def _parse(text: str) -> Any:
    return _compiled(text, False).ast


def to_sympy(tree: Any, symbols: Mapping[str, Any], *, integer: bool = False) -> Any:
    """Convert a :mod:`nodemap.formula` tree to a sympy expression (NotSymbolic if unable)."""
    import sympy

    from ..formula import Binary, Call, Name, Number, Ternary, Unary

    def conv(node: Any) -> Any:
        if isinstance(node, Number):
            written = node.text.strip().upper()
            if written == "PI":
                return sympy.pi
            if written == "E":
                return sympy.E
            if isinstance(node.value, int) or float(node.value).is_integer():
                return sympy.Integer(int(node.value))
            try:
                return sympy.Rational(Fraction(node.text.strip()))
            except ValueError:
                return sympy.Rational(Fraction(node.value))
        if isinstance(node, Name):
            if node.name in symbols:
                return symbols[node.name]
            return sympy.Symbol(node.name)
        if isinstance(node, Unary):
            if node.op == "-":
                return -conv(node.operand)
            raise NotSymbolic(f"operator {node.op!r}")
        if isinstance(node, Binary):
            left, right = conv(node.left), conv(node.right)
            if node.op == "+":
                return left + right
            if node.op == "-":
                return left - right
            if node.op == "*":
                return left * right
            if node.op == "/":
                if integer:
                    raise NotSymbolic("integer division truncates")
                return left / right
            if node.op == "**":
                return left ** right
            raise NotSymbolic(f"operator {node.op!r}")
        if isinstance(node, Call):
            args = [conv(a) for a in node.args]
            name = node.name.upper()
            table = {"SIN": sympy.sin, "COS": sympy.cos, "TAN": sympy.tan,
                     "ASIN": sympy.asin, "ACOS": sympy.acos, "ATAN": sympy.atan,
                     "EXP": sympy.exp, "LN": sympy.log, "SQRT": sympy.sqrt,
                     "ABS": sympy.Abs, "SGN": sympy.sign}
            if name == "LG" and len(args) == 1:
                return sympy.log(args[0], 10)
            if name == "NEG" and len(args) == 1:
                return -args[0]
            if name in table and len(args) == 1:
                return table[name](args[0])
            raise NotSymbolic(f"function {name}")
        if isinstance(node, Ternary):
            raise NotSymbolic("the ?: operator")
        raise NotSymbolic(type(node).__name__)

    return conv(tree)


def to_genapi(expr: Any) -> str:
    """Print a sympy expression in the GenApi formula language (fully parenthesised)."""
    import sympy

    def number(value: Any) -> str:
        if value.is_Integer:
            text = str(int(value))
        elif value.is_Rational:
            return f"({number(sympy.Integer(value.p))}/{number(sympy.Integer(value.q))})"
        else:
            text = repr(float(value))
        return f"(0-{text[1:]})" if text.startswith("-") else text

    def out(e: Any) -> str:
        if e.is_Number:
            return number(e)
        if e is sympy.pi:
            return "PI"
        if e is sympy.E:
            return "E"
        if e.is_Symbol:
            return str(e.name)
        if e.is_Add:
            terms = [out(t) for t in e.as_ordered_terms()]
            return "(" + "+".join(terms) + ")"
        if e.is_Mul:
            coeff, rest = e.as_coeff_Mul()
            if coeff == -1:
                return f"(0-{out(rest)})"
            numer, denom = sympy.fraction(e)
            if denom != 1:
                return f"({out(numer)}/{out(denom)})"
            return "(" + "*".join(out(f) for f in e.as_ordered_factors()) + ")"
        if e.is_Pow:
            base, exponent = e.as_base_exp()
            if exponent == sympy.Rational(1, 2):
                return f"SQRT({out(base)})"
            if exponent == -1:
                return f"(1/{out(base)})"
            return f"({out(base)}**{out(exponent)})"
        if isinstance(e, sympy.log):
            if len(e.args) == 1:
                return f"LN({out(e.args[0])})"
        names = {sympy.sin: "SIN", sympy.cos: "COS", sympy.tan: "TAN", sympy.asin: "ASIN",
                 sympy.acos: "ACOS", sympy.atan: "ATAN", sympy.exp: "EXP", sympy.Abs: "ABS",
                 sympy.sign: "SGN"}
        for func, name in names.items():
            if isinstance(e, func):
                return f"{name}({out(e.args[0])})"
        raise NotSymbolic(f"cannot print {e.func.__name__} in the GenApi formula language")

    return out(expr)


def _symbols(constants: Mapping[str, float] | None, expressions: Mapping[str, str] | None,
             integer: bool) -> dict[str, Any]:
    import sympy

    table: dict[str, Any] = {}
    for name, value in (constants or {}).items():
        table[name] = sympy.nsimplify(value) if isinstance(value, float) else sympy.Integer(value)
    for name, text in (expressions or {}).items():
        table[name] = to_sympy(_parse(text), table, integer=integer)
    return table


def derive_inverse(text: str, *, given: str = "FormulaTo",
                   constants: Mapping[str, float] | None = None,
                   expressions: Mapping[str, str] | None = None,
                   integer: bool = False) -> Inverse:
    """Derive FormulaFrom from a FormulaTo (``given="FormulaTo"``) or the reverse.

    Other variables stay symbolic.  Returns ``closed_form=False`` with the reason when
    sympy finds no closed form or the formula leaves its algebra.
    """
    import sympy

    if given not in ("FormulaTo", "FormulaFrom"):
        raise ValueError("given must be 'FormulaTo' or 'FormulaFrom'")
    source, target = ("FROM", "TO") if given == "FormulaTo" else ("TO", "FROM")
    try:
        table = _symbols(constants, expressions, integer)
        x = sympy.Symbol(source)
        y = sympy.Symbol(target)
        table[source] = x
        expr = to_sympy(_parse(text), table, integer=integer)
    except NotSymbolic as exc:
        return Inverse(None, False, f"no closed form: the formula uses {exc}")
    if not expr.has(x):
        return Inverse(None, False, f"{given} does not depend on {source}: not invertible")
    try:
        solutions = sympy.solve(sympy.Eq(y, expr), x)
    except (NotImplementedError, ValueError, TypeError) as exc:
        return Inverse(None, False, f"sympy finds no closed form ({exc})")
    if not solutions:
        return Inverse(None, False, "sympy finds no closed form")
    real = [s for s in solutions if not s.has(sympy.I)] or solutions
    try:
        printed = to_genapi(sympy.simplify(real[0]))
    except NotSymbolic as exc:
        return Inverse(None, False, str(exc))
    note = "" if len(real) == 1 else f"{len(real)} branches; the first one is given"
    return Inverse(printed, True, note, branches=len(real))


@functools.lru_cache(maxsize=2048)
def _compiled(text: str, integer: bool) -> Any:
    from ..formula import compile_formula

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return compile_formula(text, integer=integer)


def _evaluate(text: str, integer: bool, values: dict[str, Any],
              expressions: Mapping[str, str]) -> Any:
    scope = dict(values)
    for name, expr_text in expressions.items():
        scope[name] = _compiled(expr_text, integer)(scope)
    return _compiled(text, integer)(scope)


def _samples(raw_range: tuple[float, float] | None) -> list[float]:
    low, high = raw_range if raw_range is not None else (0.0, 1000.0)
    if math.isinf(low) or math.isinf(high):
        low, high = max(low, -1e6), min(high, 1e6)
    points = {low, high}
    for i in range(1, 16):
        points.add(low + (high - low) * i / 16)
    return sorted(points)


def _numeric(to_text: str, from_text: str, integer: bool, constants: Mapping[str, float],
             expressions: Mapping[str, str], raw_range: tuple[float, float] | None,
             integer_raw: bool) -> Verdict:
    needed = set(_compiled(to_text, False).variables) | set(_compiled(from_text, False).variables)
    for text in expressions.values():
        needed |= set(_compiled(text, False).variables)
    unknown = sorted(needed - set(constants) - set(expressions) - {"TO", "FROM"})
    if unknown:
        return Verdict(None, "numeric", f"depends on live values {', '.join(unknown)}")
    checked = 0
    for raw in _samples(raw_range):
        if integer_raw:
            raw = float(round(raw))
        try:
            # A feature value the device can hold, written and read back.
            value = _evaluate(from_text, integer, {**constants, "TO": raw}, expressions)
            written = _evaluate(to_text, integer, {**constants, "FROM": value}, expressions)
            if integer_raw:
                written = math.copysign(math.floor(abs(written) + 0.5), written)
            back = _evaluate(from_text, integer, {**constants, "TO": written}, expressions)
            step = 0.0
            if integer_raw:
                step = abs(_evaluate(from_text, integer, {**constants, "TO": raw + 1},
                                     expressions) - value)
        except (FormulaError, OverflowError, ValueError, ZeroDivisionError):
            continue
        if any(isinstance(x, float) and (math.isnan(x) or math.isinf(x))
               for x in (value, written, back, step)):
            continue
        tolerance = max(1e-6 * max(1.0, abs(value)), step * 1.000001)
        if abs(back - value) > tolerance:
            return Verdict(False, "numeric",
                           f"value {value!r} (read from raw {raw!r}) is written as raw "
                           f"{written!r} and reads back as {back!r}")
        checked += 1
    if not checked:
        return Verdict(None, "numeric", "no sample could be evaluated")
    return Verdict(True, "numeric", f"{checked} samples of the raw range round-trip")


_CACHE: dict[tuple[Any, ...], Verdict] = {}


def check_pair(to_text: str, from_text: str, *, integer: bool = False,
               constants: Mapping[str, float] | None = None,
               expressions: Mapping[str, str] | None = None,
               raw_range: tuple[float, float] | None = None,
               integer_raw: bool = True) -> Verdict:
    """Is FormulaFrom the inverse of FormulaTo?  Symbolic first, numeric as fallback.

    ``raw_range`` is the declared range of the raw (TO) side; ``integer_raw`` rounds
    raw samples and allows the ±0.5 a write to an integer node rounds away.
    FormulaError propagates for formulas that do not parse.
    """
    constants = dict(constants or {})
    expressions = dict(expressions or {})
    key = (to_text, from_text, integer, tuple(sorted(constants.items())),
           tuple(sorted(expressions.items())), raw_range, integer_raw)
    cached = _CACHE.get(key)
    if cached is not None:
        return cached
    _parse(to_text)
    _parse(from_text)
    verdict = _symbolic(to_text, from_text, integer, constants, expressions)
    if verdict.inverse is not True:
        numeric = _numeric(to_text, from_text, integer, constants, expressions, raw_range,
                           integer_raw)
        if numeric.inverse is not None or verdict.inverse is None:
            verdict = numeric if numeric.inverse is not None else Verdict(
                None, "symbolic+numeric", f"{verdict.reason}; {numeric.reason}")
    if len(_CACHE) > 4096:
        _CACHE.clear()
    _CACHE[key] = verdict
    return verdict


def _symbolic(to_text: str, from_text: str, integer: bool, constants: Mapping[str, float],
              expressions: Mapping[str, str]) -> Verdict:
    import sympy

    try:
        table = _symbols(constants, expressions, integer)
        value = sympy.Symbol("FROM")
        to_expr = to_sympy(_parse(to_text), {**table, "FROM": value}, integer=integer)
        from_expr = to_sympy(_parse(from_text), {**table, "TO": to_expr}, integer=integer)
    except NotSymbolic as exc:
        return Verdict(None, "symbolic", f"not symbolic: uses {exc}")
    difference = sympy.cancel(sympy.expand(from_expr - value))
    if difference == 0:
        return Verdict(True, "symbolic", "FormulaFrom(FormulaTo(FROM)) simplifies to FROM")
    if sympy.count_ops(difference) <= 60 and sympy.simplify(difference) == 0:
        return Verdict(True, "symbolic", "FormulaFrom(FormulaTo(FROM)) simplifies to FROM")
    return Verdict(False, "symbolic",
                   f"FormulaFrom(FormulaTo(FROM)) = {sympy.simplify(from_expr)} , not FROM")
