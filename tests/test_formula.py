"""Unit tests of the formula language (nodemap.formula); no reference needed.

The reference-measured semantics are checked in test_formula_reference.py; here: the
contract the nodes rely on, error reporting, every function, the tree, leniency and
hostile input.
"""

from __future__ import annotations

import math
import warnings

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nodemap.errors import FormulaError
from nodemap.formula import (MAX_DEPTH, MAX_LITERAL_CHARS, Binary, Call, Formula, FormulaWarning, Name, Number,
                             Ternary, Unary, compile_formula, parse)


def ev(text: str, integer: bool = False, **values: object) -> object:
    return compile_formula(text, integer=integer, node="N")(values)


# --------------------------------------------------------------------------- contract

def test_contract_attributes() -> None:
    f = compile_formula("(A + SEL.Value) * PI + sin(B)", node="Conv")
    assert isinstance(f, Formula)
    assert f.text == "(A + SEL.Value) * PI + sin(B)" == f.to_text()
    assert f.integer is False
    assert f.variables == frozenset({"A", "SEL.Value", "B"})   # not PI, not SIN
    assert f({"A": 1, "SEL.Value": 2, "B": 0}) == pytest.approx(3 * math.pi)
    assert isinstance(f({"A": 1, "SEL.Value": 2, "B": 0}), float)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        f.text = "1"  # type: ignore[misc]


def test_integer_mode_returns_int() -> None:
    f = compile_formula("FROM * 4", integer=True)
    assert f.integer is True
    assert f({"FROM": 3}) == 12 and isinstance(f({"FROM": 3}), int)
    assert ev("7/2", integer=True) == 3 and ev("-7/2", integer=True) == -3
    assert ev("-7%3", integer=True) == -1 and ev("7%-3", integer=True) == 1


def test_variables_are_case_sensitive_functions_are_not() -> None:
    assert ev("abc + Abc", abc=1, Abc=2) == 3.0
    assert ev("Sin(0) + cos(0) + pI - Pi") == 1.0
    # constants and functions shadow variables of the same name (as in the reference)
    assert compile_formula("E + e").variables == frozenset()


def test_bool_values_and_eager_evaluation() -> None:
    assert ev("A && B", A=True, B=1) == 1.0
    with pytest.raises(FormulaError, match="division by zero"):
        ev("1 ? 2 : 1/Z", Z=0)          # both arms are computed, like the reference
    with pytest.raises(FormulaError, match="division by zero"):
        ev("0 && 1/Z", Z=0)


def test_runtime_errors_name_node_and_formula() -> None:
    f = compile_formula("A / B", node="MyConverter")
    with pytest.raises(FormulaError) as info:
        f({"A": 1, "B": 0})
    assert info.value.node == "MyConverter" and info.value.formula == "A / B"
    assert "MyConverter" in str(info.value) and "A / B" in str(info.value)
    with pytest.raises(FormulaError, match="modulo by zero"):
        ev("A % B", integer=True, A=1, B=0)
    with pytest.raises(FormulaError, match="too big"):
        ev("A | 0", A=2**31)
    with pytest.raises(FormulaError, match="no value for variable 'B'"):
        f({"A": 1})


# --------------------------------------------------------------------------- errors

@pytest.mark.parametrize("text, position", [
    ("1 + @", 4),
    ("1 + (2", 4),
    ("1 + 2)", 5),
    ("1 +", 2),
    ("* 1", 0),
    ("1 2", 2),
    ("A ? B", 4),
    ("1 : 2", 2),
    ("1 != 2", 2),
    ("ROUND(1, 2, 3)", 0),
    ("(1)(2)", 3),
    ("", 0),
    ("   ", 0),
])
def test_syntax_error_positions(text: str, position: int) -> None:
    with pytest.raises(FormulaError) as info:
        compile_formula(text, node="SK")
    assert info.value.position == position, str(info.value)
    assert info.value.node == "SK" and info.value.formula == text


def test_not_text() -> None:
    with pytest.raises(FormulaError):
        compile_formula(None)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- functions

@pytest.mark.parametrize("text, expected", [
    ("NEG(2)", -2.0), ("SGN(-3)", -1.0), ("SGN(0)", 0.0), ("SGN(4)", 1.0),
    ("ABS(-2.5)", 2.5), ("SIN(1)", math.sin(1)), ("COS(1)", math.cos(1)),
    ("TAN(1)", math.tan(1)), ("ASIN(0.5)", math.asin(0.5)), ("ACOS(0.5)", math.acos(0.5)),
    ("ATAN(2)", math.atan(2)), ("EXP(2)", math.exp(2)), ("LN(2)", math.log(2)),
    ("LG(1000)", 3.0), ("SQRT(2)", math.sqrt(2)), ("TRUNC(-2.7)", -2.0),
    ("TRUNC(2.7)", 2.0), ("FLOOR(-2.5)", -3.0), ("CEIL(-2.5)", -2.0),
    ("ROUND(2.5)", 3.0), ("ROUND(-2.5)", -3.0), ("ROUND(2.567, 2)", 2.57),
    ("ROUND(1234.5, -2)", 1200.0), ("PI", math.pi), ("E", math.e),
    # C library results instead of Python exceptions
    ("LN(0)", -math.inf), ("EXP(1000)", math.inf), ("2**2000", math.inf),
    ("0**-1", math.inf), ("FLOOR(1e400)", math.inf), ("TRUNC(-1e400)", -math.inf),
])
def test_functions(text: str, expected: float) -> None:
    assert ev(text) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("text", ["LN(-1)", "SQRT(-1)", "ASIN(2)", "(-8)**(1/3)",
                                  "SIN(1e400)", "1e400 % 2", "ROUND(1e400-1e400)"])
def test_nan_results(text: str) -> None:
    assert math.isnan(ev(text))  # type: ignore[arg-type]


# --------------------------------------------------------------------------- precedence

@pytest.mark.parametrize("text, expected", [
    ("-3**2", 9.0), ("2**3**2", 64.0), ("2*3&1", 2.0), ("1||0=0", 0.0),
    ("1?2:0?3:4", 3.0), ("1+2*3", 7.0), ("10-4-3", 3.0), ("1<<2+1", 5.0),
    ("NEG 2+1", -3.0), ("-(2)+3", -5.0), ("-2+3", 1.0), ("2**~1", -3.0),
    ("SIN(0)+1", 1.0), ("VAR = 3 || VAR = 1", 1.0),
])
def test_precedence(text: str, expected: float) -> None:
    assert ev(text, VAR=3) == expected


def test_double_bitwise_is_int32() -> None:
    assert ev("0xFFFFFFFF") == -1.0
    assert ev("0xFFFFFFFF & 0xFF00") == 65280.0
    assert ev("1 << 40") == 256.0
    assert ev("1 << 31") == -2147483648.0
    assert ev("-2.7 | 0") == -2.0


def test_int64_wraps() -> None:
    assert ev("0x7FFFFFFFFFFFFFFF + 1", integer=True) == -(2**63)
    assert ev("1 << 65", integer=True) == 2
    assert ev("3**40", integer=True) == -(2**63)
    assert ev("3**39", integer=True) == 3**39
    assert ev("A / B", integer=True, A=-(2**63), B=-1) == -(2**63)   # reference crashes


# --------------------------------------------------------------------------- tree

def test_parse_tree() -> None:
    tree = parse("A ? B : -C")
    assert isinstance(tree, Ternary)
    assert tree.cond == Name("A", 0) and tree.then == Name("B", 4)
    assert isinstance(tree.otherwise, Unary) and tree.otherwise.op == "-"
    call = parse("round(x, 2) + 0x10")
    assert isinstance(call, Binary) and call.op == "+"
    assert isinstance(call.left, Call) and call.left.name == "ROUND" and len(call.left.args) == 2
    assert call.right == Number(16.0, "0x10", 14)
    assert compile_formula("A+1").ast == parse("A+1")


# --------------------------------------------------------------------------- leniency

def test_lenient_float_syntax_in_integer_formulas() -> None:
    with pytest.warns(FormulaWarning, match="IntConv"):
        f = compile_formula("FROM * 4.0", integer=True, node="IntConv")
    assert f.lenient and f({"FROM": 3}) == 12 and isinstance(f({"FROM": 3}), int)
    with pytest.warns(FormulaWarning):
        g = compile_formula("FROM / 2.0 + SQRT(4)", integer=True)
    assert g({"FROM": 5}) == 5                                    # 4.5 rounds away from 0
    assert g({"FROM": -9}) == -3                                  # -2.5 -> -3
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compile_formula("FROM * 4", integer=True)                 # no warning


# --------------------------------------------------------------------------- hostile

def test_hostile_deep_parentheses() -> None:
    with pytest.raises(FormulaError, match="nested deeper"):
        compile_formula("(" * 10_000 + "1" + ")" * 10_000)
    with pytest.raises(FormulaError, match="nested deeper"):
        compile_formula("-(" * 10_000 + "1" + ")" * 10_000)
    with pytest.raises(FormulaError, match="nested deeper"):
        compile_formula("~" * 10_000 + "1")


def test_hostile_long_formulas() -> None:
    with pytest.raises(FormulaError):
        compile_formula("1+" * 50_000 + "1")
    with pytest.raises(FormulaError):
        compile_formula("A" * 100_000 + "+")
    compile_formula("(" * MAX_DEPTH + "1" + ")" * MAX_DEPTH)     # the limit itself is fine
    wide = compile_formula("+".join(["(A*2)"] * 150))
    assert wide({"A": 1}) == 300.0


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("0123456789.xXeE+-*/%&|^~<>=!?:,() \tABPIsinROUND_"))
               | st.characters(), max_size=60), st.booleans())
def test_parser_only_raises_formula_error(text: str, integer: bool) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FormulaWarning)
        try:
            f = compile_formula(text, integer=integer, node="fuzz")
        except FormulaError:
            return
    values = {name: 3 for name in f.variables}
    try:
        result = f(values)
    except FormulaError:
        return
    assert isinstance(result, int if integer else float)


@pytest.mark.parametrize("integer", [False, True], ids=["double", "int64"])
@pytest.mark.parametrize("literal", ["9" * 5000, "0" * 4999 + "1", "0x" + "F" * 5000,
                                     "1" * 2000 + ".5", "1e" + "9" * 4000])
def test_huge_literal_is_a_formula_error_with_its_position(literal: str, integer: bool) -> None:
    """Beyond Python's int-string limit (4300 digits): refused where the literal starts."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FormulaWarning)
        with pytest.raises(FormulaError, match="numeric literal of") as info:
            compile_formula("A + " + literal, integer=integer, node="K")
    assert info.value.position == 4 and info.value.node == "K"


@pytest.mark.parametrize("integer", [False, True], ids=["double", "int64"])
def test_long_literals_up_to_the_limit_saturate(integer: bool) -> None:
    """As the reference does: int64 literals saturate, double ones overflow to inf."""
    literal = "9" * MAX_LITERAL_CHARS
    value = compile_formula(literal, integer=integer)({})
    assert value == ((1 << 63) - 1 if integer else math.inf)


_FRAGMENTS = st.sampled_from(
    ["A", "B", "x.y", "_", "PI", "e", "NEG", "SGN", "ROUND", "SIN", "EXP", "(", ")", ",",
     "?", ":", "+", "-", "*", "/", "%", "**", "&", "|", "^", "~", "<<", ">>", "=", "<>",
     "<", ">", "<=", ">=", "&&", "||", "0x", "0x1F", "1e", "1e-", "1.", ".5", "0", "7",
     " ", "\t", "!", "#", "$", "\u00e9", "\x00", "\U0001F600"])


@st.composite
def hostile_formulas(draw: st.DrawFn) -> str:
    """Token soups with long literals and deep nesting of every nesting construct."""
    parts = draw(st.lists(_FRAGMENTS, max_size=12))
    if draw(st.booleans()):
        digits = draw(st.sampled_from(["9", "0", "1", "F"]))
        prefix = draw(st.sampled_from(["", "0x", "1.", "1e"]))
        parts.insert(draw(st.integers(0, len(parts))),
                     prefix + digits * draw(st.integers(1, 6000)))
    text = "".join(parts)
    if draw(st.booleans()):
        opener = draw(st.sampled_from(["(", "-(", "~", "NEG ", "SIN(", "ROUND(", "-", "1+",
                                       "1?", "A**"]))
        depth = draw(st.integers(1, 600))
        closer = ")" if opener.endswith("(") else ""
        text = opener * depth + (text or "1") + closer * draw(st.sampled_from([0, depth]))
    return text


_VALUES = st.one_of(st.integers(-(1 << 70), 1 << 70), st.floats(allow_nan=True),
                    st.booleans(), st.sampled_from([0, -1, 1 << 63, -(1 << 63)]))


@settings(max_examples=500, deadline=None)
@given(st.one_of(hostile_formulas(), st.text(max_size=200)), st.booleans(), st.data())
def test_any_text_gives_a_result_or_a_formula_error(text: str, integer: bool,
                                                    data: st.DataObject) -> None:
    """Lexer, parser and evaluator: whatever the text and the variables' values, the
    outcome is a number of the mode's type or a FormulaError, never another exception
    (RecursionError on deep nesting included)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FormulaWarning)
        try:
            f = compile_formula(text, integer=integer, node="fuzz")
        except FormulaError as exc:
            assert exc.node == "fuzz"
            return
    values = {name: data.draw(_VALUES, label=name) for name in sorted(f.variables)}
    try:
        result = f(values)
    except FormulaError:
        return
    assert isinstance(result, int if integer else float)
    if integer:
        assert -(1 << 63) <= result < (1 << 63)


def test_integer_mode_function_names_are_variables() -> None:
    # FLIR/PGR IntSwissKnifes use a variable named EXP; the int64 reference knows only
    # NEG and SGN, so EXP, PI and E are plain variables there.
    f = compile_formula("( EXP = 1 ) ? 0 : 1", integer=True)
    assert f.variables == frozenset({"EXP"}) and f({"EXP": 1}) == 0
    assert compile_formula("PI + E", integer=True).variables == frozenset({"PI", "E"})
    with pytest.warns(FormulaWarning):
        g = compile_formula("EXP * 1.5 + ABS(0 - 2)", integer=True)
    assert g.variables == frozenset({"EXP"}) and g({"EXP": 3}) == 7   # 6.5 -> 7


@pytest.mark.parametrize("integer", [True, False])
def test_ternary_chains_choose_lazily_but_raise_like_the_eager_reference(integer: bool) -> None:
    """A chain of ``S = k ? ... :`` (lazy, inlined comparisons) gives the chosen branch for
    every selector value and the default past the end; a branch that can raise (here a
    division by zero) is still evaluated when not chosen, as the reference does."""
    # (?: groups to the left, as in the reference: a chain needs its parentheses)
    chain = "".join(f"(S = {k}) ? X * {k + 1} : (" for k in range(12)) + \
        "(S > 40) ? 7 : X - 1" + ")" * 12
    formula = compile_formula(chain, integer=integer)
    for s in range(-1, 45):
        expected = 5 * (s + 1) if 0 <= s < 12 else (7 if s > 40 else 4)
        assert formula({"S": s, "X": 5}) == expected
    flipped = compile_formula("(3 <= S) ? 1 : ((S <> 0) ? 2 : 3)", integer=integer)
    assert [flipped({"S": s}) for s in (0, 1, 3, 4)] == [3, 2, 1, 1]
    raising = compile_formula("(S = 0) ? 1 : X / (S - S)", integer=integer)
    with pytest.raises(FormulaError, match="division by zero"):
        raising({"S": 0, "X": 1})
    unused_bad = compile_formula("(S = 0) ? 1 : X", integer=integer)
    if integer:  # every variable is converted, used by the chosen branch or not
        with pytest.raises(FormulaError, match="out of the range an integer can take"):
            unused_bad({"S": 0, "X": math.inf})
    with pytest.raises(FormulaError, match="no value for variable 'X'"):
        unused_bad({"S": 0})
