"""The compiler's shortcuts (docs/core.md): an ``(X = k1) || (X = k2) ...`` chain as one
set lookup and comparisons inlined must give what the operators give one by one.  The
expected values are worked out here in Python from the operators' definitions."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nodemap.errors import FormulaError
from nodemap.formula import _equality_set, _parse, compile_formula

CHAIN = "((P1=0)||(P1=1))||((P1=2)||(P1=3))"
MUX = f"({CHAIN})?((P2&0x40000000)>>30):((P1=7)?0x10:0xffffffff)"


def _mux(p1: int, p2: int) -> int:
    if p1 in (0, 1, 2, 3):
        return (p2 & 0x40000000) >> 30
    return 0x10 if p1 == 7 else 0xFFFFFFFF


@settings(max_examples=200, deadline=None)
@given(p1=st.integers(-3, 9) | st.integers(-(1 << 63), (1 << 63) - 1),
       p2=st.integers(0, (1 << 32) - 1))
def test_a_selector_multiplexer_gives_what_its_operators_give(p1: int, p2: int) -> None:
    assert compile_formula(MUX, integer=True)({"P1": p1, "P2": p2}) == _mux(p1, p2)
    chain = compile_formula(CHAIN, integer=True)({"P1": p1})
    assert chain == (1 if p1 in (0, 1, 2, 3) else 0) and type(chain) is int


@pytest.mark.parametrize("value, expected", [(2.0, 1.0), (2.5, 0.0), (1, 1.0), (-0.0, 0.0)])
def test_a_chain_in_double_compares_the_double(value: float, expected: float) -> None:
    result = compile_formula("(X = 1) || (X = 2) || (X = 0.5)")({"X": value})
    assert result == expected and type(result) is float


@pytest.mark.parametrize("text, shortcut, members", [
    ("(X = 1) || (X = 2)", True, {1, 2}),
    ("(1 = X) || (X = 2) || (3 = X)", True, {1, 2, 3}),
    ("(X = 1) || (Y = 2)", False, None),          # two variables: compared one by one
    ("(X = 1) || (X > 2)", False, None),          # not only equalities
    ("(X = 1) && (X = 2)", False, None),
])
def test_which_chains_become_a_set(text: str, shortcut: bool, members: set[int] | None
                                   ) -> None:
    tree, _ = _parse(text, True, "N")
    found = _equality_set(tree, True)
    assert (found is not None) is shortcut
    if members is None:
        return
    assert found == ("X", frozenset(members))
    for x in range(-1, 5):
        assert compile_formula(text, integer=True)({"X": x}) == int(x in members)


def test_a_float_literal_in_an_integer_chain_keeps_the_comparisons() -> None:
    tree, _ = _parse("(X = 1) || (X = 2)", False, "N")
    assert _equality_set(tree, False) is not None     # a double formula: doubles compared
    tree, _ = _parse("(X = 1.5) || (X = 2)", False, "N")
    assert _equality_set(tree, True) is None           # int64 mode with a double literal


def test_a_missing_variable_in_a_chain_is_still_named() -> None:
    with pytest.raises(FormulaError, match="X"):
        compile_formula("(X = 1) || (X = 2)", integer=True)({})


@pytest.mark.parametrize("op, fn", [("=", lambda a, b: a == b), ("<>", lambda a, b: a != b),
                                    ("<", lambda a, b: a < b), (">", lambda a, b: a > b),
                                    ("<=", lambda a, b: a <= b), (">=", lambda a, b: a >= b)])
@pytest.mark.parametrize("integer", [True, False])
def test_inlined_comparisons_give_one_or_zero(op: str, fn, integer: bool) -> None:
    one, zero = (1, 0) if integer else (1.0, 0.0)
    for a in (-2, 0, 3):
        for b in (-2, 0, 3):
            values = {"A": a, "B": b}
            for text, expected in ((f"A {op} B", fn(a, b)), (f"A {op} 0", fn(a, 0)),
                                   (f"0 {op} B", fn(0, b)), (f"(A + 1) {op} B", fn(a + 1, b)),
                                   (f"(A + 1) {op} 0", fn(a + 1, 0))):
                result = compile_formula(text, integer=integer)(values)
                assert result == (one if expected else zero) and type(result) is type(one), text


# -- multiplexers of literals: a lookup table (Formula.table) --------------------------

TABLE_FORMULAS = [
    "((SEL1 = 0)? 0x70104 :((SEL1 = 1)? 0x70124 :0xffffffff))",
    "((((SEL1 = 0)||(SEL1 = 1))||((SEL1 = 2)||(SEL1 = 3)))?(((SEL1 = 0)||(SEL1 = 1))?"
    "((SEL1 = 0)? 0x40608 : 0x40628 ):((SEL1 = 2)? 0x40648 : 0x40668 )):"
    "(((SEL1 = 4)||(SEL1 = 5))?((SEL1 = 4)? 0x40688 : 0x406A8):0))",
    "(SEL1 <> 3) ? ((SEL1 = 1) ? 5 : 6) : -7",
    "((SEL1 = 1) && (SEL1 <> 2)) ? 9 : ((2 = SEL1) ? 0x7FFFFFFFFFFFFFFF : -0x8000)",
    "(SEL1 = 1) ? (2 + 3) : -(4)",
]


@pytest.mark.parametrize("text", TABLE_FORMULAS)
def test_a_multiplexer_of_literals_is_a_table_giving_what_the_formula_gives(text: str) -> None:
    from nodemap.formula import compile_formula

    formula = compile_formula(text, integer=True)
    assert formula.table is not None
    table, other = formula.table
    probes = sorted(set(table) | {-1, 0, 1, 2, 3, 4, 5, 6, 7, 100, -(1 << 63), (1 << 63) - 1})
    for value in probes:
        assert table.get(value, other) == formula({"SEL1": value}), value


@pytest.mark.parametrize("text", [
    "(S = 1) ? S : 3",             # a result that is the variable
    "(S > 1) ? 2 : 3",             # an order test: values outside the literals differ
    "(S = 1) ? 10 / S : 3",        # a result computed (it could raise)
    "(S = 1) ? T : 3",             # two variables
    "S + 1",
    "(S = 1) ? 2 : (S = 1) ? 3 : 4",   # (S = 1 ? 2 : S = 1) ? 3 : 4: a condition that chooses
    "(S = 1) ? 2 : 1 / 0",         # raises for every S
])
def test_other_formulas_get_no_table(text: str) -> None:
    from nodemap.formula import compile_formula

    assert compile_formula(text, integer=True).table is None
    assert compile_formula(text, integer=False).table is None


# -- ternary chains over one variable as one table lookup (formula._switch) -----------

_LEAVES = ["7", "-3", "T", "(T & 0xFF) >> 2", "S + T", "0xFFFFFFFF", "T * 2"]


@st.composite
def _switches(draw: st.DrawFn, depth: int = 0) -> str:
    """``(tests of S) ? branch : branch`` chains, branches being chains or leaves."""
    if depth >= 3 or (depth and draw(st.booleans())):
        return draw(st.sampled_from(_LEAVES))
    literals = draw(st.lists(st.integers(-2, 6), min_size=1, max_size=3))
    ops = [draw(st.sampled_from(["=", "=", "<>"])) for _ in literals]
    tests = [f"(S {op} {k})" if draw(st.booleans()) else f"({k} {op} S)"
             for op, k in zip(ops, literals)]
    joiner = draw(st.sampled_from([" || ", " && "]))
    then = draw(_switches(depth + 1))
    otherwise = draw(_switches(depth + 1))
    return f"(({joiner.join(tests)}) ? ({then}) : ({otherwise}))"


@settings(max_examples=300, deadline=None)
@given(text=_switches(), integer=st.booleans(),
       s=st.integers(-3, 7) | st.sampled_from([-(1 << 63), (1 << 63) - 1]),
       t=st.integers(-(1 << 40), 1 << 40) | st.sampled_from([(1 << 63) - 1]))
def test_a_ternary_chain_over_one_variable_gives_what_the_ternaries_give(
        text: str, integer: bool, s: int, t: int) -> None:
    import nodemap.formula as formula_module

    values = {"S": s if integer else s / 2, "T": t}
    switched = compile_formula(text, integer=integer)
    original = formula_module._switch
    formula_module._switch = lambda *args: None  # the ternaries one by one
    try:
        plain = compile_formula(text, integer=integer)
    finally:
        formula_module._switch = original

    def outcome(formula: object) -> object:
        try:
            result = formula(values)  # type: ignore[operator]
        except FormulaError as exc:
            return ("raises", str(exc))
        return (type(result).__name__, result)

    assert outcome(switched) == outcome(plain), text


def test_a_chain_with_a_branch_that_can_raise_stays_eager() -> None:
    from nodemap.formula import _parse, _switch

    tree, _ = _parse("(S = 0) ? 1 : ((S = 1) ? 2 : (10 / S))", True, "N")
    assert _switch(tree, True, int) is None  # type: ignore[arg-type]
    with pytest.raises(FormulaError):
        compile_formula("(S = 1) ? 2 : ((S = 2) ? 3 : (10 / S))", integer=True)({"S": 0})
