"""An independent evaluation of the formula language, from its documented semantics.

``nodemap.formula`` reproduces the GenICam reference's operator-precedence machine; the
random comparison against the reference (test_formula_reference.py) cannot check the
formulas the reference refuses and we evaluate leniently (float literals and float
functions in integer formulas).  This module is the second oracle: expression trees are
generated here, rendered fully parenthesised (so no precedence quirk decides their
meaning) and evaluated by :func:`evaluate`, plain Python arithmetic written from the
semantics documented in ``nodemap/formula.py`` and DESIGN.md §4:

* double mode: IEEE double; ``/`` and ``%`` refuse a divisor within DBL_EPSILON of 0;
  ``% = fmod``; ``**`` = C ``pow``; bitwise operators on int32 operands (refused
  outside the int32 range), shift counts modulo 32, ``<<`` wrapping to int32; hex
  literals keep their low 32 bits as a signed int32; libm functions (domain errors
  give NaN, overflow infinity; ``LN(0) = -inf``); ROUND(x, n) as the reference's loop.
* integer mode: int64 wrap-around; ``/`` and ``%`` truncate toward zero and refuse 0;
  ``**`` = truncated ``powl``, out of range → INT64_MIN; shift counts modulo 64;
  literals saturate at INT64_MAX.
* lenient integer formulas (a float literal or a float function): the whole formula
  in double mode, the result rounded half away from zero to int64 (NaN/inf refused).

The same trees are compared with the reference where it is available (only for the
formulas it accepts), which checks this oracle itself.
"""

from __future__ import annotations

import math
import warnings
from typing import Any, Union

import attrs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nodemap.errors import FormulaError
from nodemap.formula import FormulaWarning, compile_formula

VARIABLES = {"A": 3, "B": -7, "X": 2.5}
EPS = 2.220446049250313e-16
I32_MIN, I32_MAX = -(1 << 31), (1 << 31) - 1
I64_MIN, I64_MAX = -(1 << 63), (1 << 63) - 1


class Refused(Exception):
    """The documented semantics make this formula an error (division by zero, ...)."""


# --------------------------------------------------------------------------- trees

@attrs.frozen
class Lit:
    text: str


@attrs.frozen
class Var:
    name: str


@attrs.frozen
class Op:
    op: str
    args: tuple


Tree = Union[Lit, Var, Op]

INT_LITERALS = ["0", "1", "2", "3", "7", "10", "255", "0x10", "0xFF", "0xFFFFFFFF",
                "0x7FFFFFFFFFFFFFFF", "9223372036854775808", "4294967296"]
FLOAT_LITERALS = ["0.5", "2.25", "1e3", "1.5e-3", "1.", "3.0"]
BINARY = ["+", "-", "*", "/", "%", "**", "&", "|", "^", "<<", ">>", "=", "<>", "<", ">",
          "<=", ">=", "&&", "||"]
FLOAT_FUNCTIONS = ["ABS", "SIN", "COS", "ATAN", "EXP", "LN", "LG", "SQRT", "TRUNC", "FLOOR",
                   "CEIL", "ROUND"]
INT_FUNCTIONS = ["NEG", "SGN"]


@st.composite
def trees(draw: st.DrawFn, integer: bool, depth: int = 0) -> Tree:
    choice = draw(st.integers(0, 9 if depth < 4 else 1))
    if choice == 0:
        pool = INT_LITERALS + FLOAT_LITERALS * (1 if integer else 2)
        if integer:  # float literals make a formula lenient: keep both kinds common
            pool = INT_LITERALS + (FLOAT_LITERALS if draw(st.integers(0, 4)) == 0 else [])
        return Lit(draw(st.sampled_from(pool)))
    if choice == 1:
        return Var(draw(st.sampled_from(["A", "B"] if integer else ["A", "B", "X"])))
    if choice <= 5:
        return Op(draw(st.sampled_from(BINARY)),
                  (draw(trees(integer, depth + 1)), draw(trees(integer, depth + 1))))
    if choice == 6:
        return Op(draw(st.sampled_from(["neg", "~"])), (draw(trees(integer, depth + 1)),))
    if choice == 7:
        functions = INT_FUNCTIONS + (FLOAT_FUNCTIONS if not integer or
                                     draw(st.integers(0, 3)) == 0 else [])
        name = draw(st.sampled_from(functions))
        args = (draw(trees(integer, depth + 1)),)
        if name == "ROUND" and draw(st.booleans()):
            args += (Lit(draw(st.sampled_from(["0", "1", "2"]))),)
        return Op(name, args)
    return Op("?:", tuple(draw(trees(integer, depth + 1)) for _ in range(3)))


def render(tree: Tree) -> str:
    """Fully parenthesised text: its meaning does not depend on precedence rules."""
    if isinstance(tree, Lit):
        return tree.text
    if isinstance(tree, Var):
        return tree.name
    args = [render(a) for a in tree.args]
    if tree.op == "neg":  # "-(x)" reaches to the end of the enclosing bracket: NEG is -x
        return f"(NEG({args[0]}))"
    if tree.op == "~":
        return f"(~({args[0]}))"
    if tree.op == "?:":
        return f"(({args[0]})?({args[1]}):({args[2]}))"
    if tree.op.isalpha():
        return f"({tree.op}({','.join(args)}))"
    return f"(({args[0]}){tree.op}({args[1]}))"


def lenient(tree: Tree) -> bool:
    """Float syntax in an integer formula: a float literal or a float function."""
    if isinstance(tree, Lit):
        return tree.text in FLOAT_LITERALS
    if isinstance(tree, Var):
        return False
    return tree.op in FLOAT_FUNCTIONS or any(lenient(a) for a in tree.args)


# --------------------------------------------------------------------------- double mode

def _i32(x: float) -> int:
    if not I32_MIN <= x <= I32_MAX:      # NaN fails the comparison too
        raise Refused(f"{x!r} outside int32")
    return int(x)


def _wrap(x: int, bits: int) -> int:
    half = 1 << (bits - 1)
    return ((x + half) % (1 << bits)) - half


def _c_pow(x: float, y: float) -> float:
    odd = math.isfinite(y) and y == math.floor(y) and math.fmod(y, 2.0) != 0
    try:
        return math.pow(x, y)
    except OverflowError:
        return -math.inf if x < 0 and odd else math.inf
    except ValueError:
        if x == 0.0:
            return -math.inf if math.copysign(1.0, x) < 0 and odd else math.inf
        return math.nan


def _libm(fn: Any, x: float) -> float:
    try:
        return fn(x)
    except OverflowError:
        return math.inf
    except ValueError:
        return math.nan


def _log(x: float, base10: bool) -> float:
    if x > 0:
        return math.log10(x) if base10 else math.log(x)
    return -math.inf if x == 0 else math.nan


def _integral(fn: Any, x: float) -> float:
    return x if math.isnan(x) or math.isinf(x) else float(fn(x))


def _round(x: float, n: float = 0.0) -> float:
    sharp = int(n) if I32_MIN <= n <= I32_MAX else 0
    coef = 10.0
    if sharp < 0:
        coef, sharp = 0.1, -sharp
    for _ in range(min(sharp, 1100)):
        x *= coef
    x = _integral(math.trunc, x + (0.5 if x >= 0 else -0.5))
    for _ in range(min(sharp, 1100)):
        x /= coef
    return x


def _double_literal(text: str) -> float:
    if text.lower().startswith("0x"):
        low = int(text, 16) & 0xFFFFFFFF
        return float(low - (1 << 32) if low & 0x80000000 else low)
    return float(text)


def evaluate_double(tree: Tree) -> float:
    if isinstance(tree, Lit):
        return _double_literal(tree.text)
    if isinstance(tree, Var):
        return float(VARIABLES[tree.name])
    args = [evaluate_double(a) for a in tree.args]   # eager: every argument first
    op = tree.op
    if op == "?:":
        return args[1] if args[0] != 0 else args[2]
    if len(args) == 1 or op == "ROUND":
        x = args[0]
        table = {
            "neg": lambda: -x, "NEG": lambda: -x, "~": lambda: float(~_i32(x)),
            "SGN": lambda: 1.0 if x > 0 else (-1.0 if x < 0 else 0.0), "ABS": lambda: abs(x),
            "SIN": lambda: _libm(math.sin, x), "COS": lambda: _libm(math.cos, x),
            "ATAN": lambda: math.atan(x), "EXP": lambda: _libm(math.exp, x),
            "LN": lambda: _log(x, False), "LG": lambda: _log(x, True),
            "SQRT": lambda: _libm(math.sqrt, x), "TRUNC": lambda: _integral(math.trunc, x),
            "FLOOR": lambda: _integral(math.floor, x), "CEIL": lambda: _integral(math.ceil, x),
            "ROUND": lambda: _round(*args),
        }
        return table[op]()
    a, b = args
    if op in ("/", "%") and -EPS < b < EPS:
        raise Refused("division by zero")
    if op == "/":
        return a / b
    if op == "%":
        try:
            return math.fmod(a, b)
        except ValueError:
            return math.nan
    arithmetic = {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b,
                  "**": lambda: _c_pow(a, b)}
    if op in arithmetic:
        return arithmetic[op]()
    if op in ("&", "|", "^", "<<", ">>"):
        x, y = _i32(a), _i32(b)
        bitwise = {"&": x & y, "|": x | y, "^": x ^ y, "<<": _wrap(x << (y & 31), 32),
                   ">>": x >> (y & 31)}
        return float(bitwise[op])
    return 1.0 if _compare(op, a, b) else 0.0


def _compare(op: str, a: Any, b: Any) -> bool:
    return {"=": a == b, "<>": a != b, "<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b,
            "&&": a != 0 and b != 0, "||": a != 0 or b != 0}[op]


# --------------------------------------------------------------------------- integer mode

def _int_literal(text: str) -> int:
    value = int(text, 16) if text.lower().startswith("0x") else int(text)
    return min(value, I64_MAX)


def _int_pow(a: int, b: int) -> int:
    if b < 0:       # powl gives a fraction (truncated to 0), ±1, or inf for 0
        if a == 0:
            return I64_MIN
        if abs(a) == 1:
            return a if b % 2 else 1
        return 0
    if abs(a) > 1 and b > 64:
        return I64_MIN
    result = a ** b
    return result if I64_MIN <= result <= I64_MAX else I64_MIN


def evaluate_int(tree: Tree) -> int:
    if isinstance(tree, Lit):
        return _int_literal(tree.text)
    if isinstance(tree, Var):
        return int(VARIABLES[tree.name])
    args = [evaluate_int(a) for a in tree.args]
    op = tree.op
    w = lambda x: _wrap(x, 64)  # noqa: E731
    if op == "?:":
        return args[1] if args[0] != 0 else args[2]
    if len(args) == 1:
        x = args[0]
        return {"neg": w(-x), "NEG": w(-x), "~": ~x, "SGN": (x > 0) - (x < 0)}[op]
    a, b = args
    if op in ("/", "%"):
        if b == 0:
            raise Refused("division by zero")
        magnitude = abs(a) // abs(b) if op == "/" else abs(a) % abs(b)
        negative = (a < 0) != (b < 0) if op == "/" else a < 0
        return w(-magnitude if negative else magnitude)
    table = {"+": lambda: w(a + b), "-": lambda: w(a - b), "*": lambda: w(a * b),
             "**": lambda: _int_pow(a, b), "&": lambda: a & b, "|": lambda: a | b,
             "^": lambda: a ^ b, "<<": lambda: w(a << (b & 63)), ">>": lambda: a >> (b & 63)}
    if op in table:
        return table[op]()
    return 1 if _compare(op, a, b) else 0


def evaluate(tree: Tree, integer: bool) -> Union[int, float]:
    """The documented value of ``tree``; :class:`Refused` where it is an error."""
    if not integer:
        return evaluate_double(tree)
    if not lenient(tree):
        return evaluate_int(tree)
    value = evaluate_double(tree)
    if math.isnan(value) or math.isinf(value):
        raise Refused(f"{value!r} has no integer value")
    rounded = math.floor(abs(value) + 0.5)
    return max(I64_MIN, min(I64_MAX, rounded if value >= 0 else -rounded))


def expected(tree: Tree, integer: bool) -> Union[int, float, None]:
    try:
        return evaluate(tree, integer)
    except Refused:
        return None


def ours(text: str, integer: bool) -> Union[int, float, None]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FormulaWarning)
        try:
            return compile_formula(text, integer=integer, node="T")(VARIABLES)
        except FormulaError:
            return None


def same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) or isinstance(b, float):
        x, y = float(a), float(b)
        if math.isnan(x) or math.isnan(y):
            return math.isnan(x) and math.isnan(y)
        if math.isinf(x) or math.isinf(y):
            return x == y
        return abs(x - y) <= 1e-9 * max(1.0, abs(x))
    return a == b and type(a) is type(b)


# --------------------------------------------------------------------------- tests

def test_the_evaluator_on_documented_examples() -> None:
    """The oracle itself, on facts DESIGN.md / the formula docstring state."""
    def t(text: str) -> Tree:
        return Lit(text)
    assert evaluate(Op("/", (t("7"), Op("neg", (t("2"),)))), True) == -3
    assert evaluate(Op("%", (Op("neg", (t("7"),)), t("3"))), True) == -1
    assert evaluate(t("0xFFFFFFFF"), False) == -1.0
    assert evaluate(t("0xFFFFFFFF"), True) == 0xFFFFFFFF
    assert evaluate(Op("**", (t("2"), t("64"))), True) == I64_MIN
    assert evaluate(Op("<<", (t("1"), t("40"))), False) == 256.0          # count mod 32
    assert evaluate(Op("*", (t("3"), t("2.25"))), True) == 7              # 6.75 -> 7
    assert evaluate(Op("*", (t("0.5"), Op("neg", (t("5"),)))), True) == -3  # half away
    assert expected(Op("/", (t("1"), t("0"))), False) is None
    assert expected(Op("|", (t("1e3"), Op("**", (t("2"), t("40"))))), False) is None
    assert evaluate(Op("LN", (t("0"),)), False) == -math.inf
    assert evaluate(Op("ROUND", (t("2.567"), t("2"))), False) == 2.57


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), integer=st.booleans())
def test_generated_formulas_match_the_independent_evaluation(data: st.DataObject,
                                                             integer: bool) -> None:
    tree = data.draw(trees(integer))
    text = render(tree)
    want, got = expected(tree, integer), ours(text, integer)
    assert same(want, got), f"{text!r} ({'int64' if integer else 'double'}): " \
                            f"documented {want!r}, nodemap {got!r}"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_lenient_integer_formulas_match_the_independent_evaluation(data: st.DataObject) -> None:
    """Only integer formulas with float syntax: the cases the reference cannot check."""
    tree = data.draw(trees(True).filter(lenient))
    text = render(tree)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", FormulaWarning)
        try:
            compile_formula(text, integer=True, node="T")
        except FormulaError:
            pass
    assert any(issubclass(w.category, FormulaWarning) for w in caught), text
    want, got = expected(tree, True), ours(text, True)
    assert same(want, got), f"{text!r}: documented {want!r}, nodemap {got!r}"
