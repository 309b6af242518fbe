"""Converter inverse derivation and pair checking (sympy, with the numeric fallback)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nodemap.authoring.inverse import check_pair, derive_inverse
from nodemap.formula import compile_formula

CLOSED = [
    ("FROM*10", "FormulaTo"),
    ("(FROM-3)/2", "FormulaTo"),
    ("-FROM*3", "FormulaTo"),
    ("EXP(FROM)", "FormulaTo"),
    ("20*LG(FROM)", "FormulaTo"),
    ("TO*0.5+A", "FormulaFrom"),
    ("(TO+A)/B - 7", "FormulaFrom"),
]


@pytest.mark.parametrize("text,given_side", CLOSED)
def test_derived_inverse_compiles_in_our_parser_and_round_trips(text: str,
                                                                given_side: str) -> None:
    result = derive_inverse(text, given=given_side)
    assert result.closed_form and result.text, result.reason
    forward = compile_formula(text)
    backward = compile_formula(result.text)
    source, target = ("FROM", "TO") if given_side == "FormulaTo" else ("TO", "FROM")
    for x in (1.0, 2.5, 10.0, 77.0):
        env = {"A": 3.0, "B": 4.0}
        y = forward({**env, source: x})
        assert backward({**env, target: y}) == pytest.approx(x)


def test_the_printer_avoids_genapi_unary_minus_traps() -> None:
    # GenApi reads "-(x)+3" as -(x+3): the printer never writes a minus before "(".
    result = derive_inverse("3 - FROM*2", given="FormulaTo")
    assert "-(" not in result.text.replace(" ", "")
    assert compile_formula(result.text)({"TO": 1.0}) == pytest.approx(1.0)


@pytest.mark.parametrize("text,why", [
    ("FROM & 0xFF", "operator '&'"),
    ("FLOOR(FROM/2)", "function FLOOR"),
    ("FROM > 3 ? 1 : 0", "?:"),
    ("A * 2", "does not depend"),
])
def test_no_closed_form_is_said_plainly(text: str, why: str) -> None:
    result = derive_inverse(text, given="FormulaTo")
    assert not result.closed_form and result.text is None
    assert why in result.reason


def test_multiple_branches_are_reported() -> None:
    result = derive_inverse("FROM**2", given="FormulaTo")
    assert result.closed_form and result.branches == 2 and "branches" in result.reason


def test_check_pair_symbolic_and_numeric() -> None:
    assert check_pair("FROM*10", "TO/10").inverse is True
    assert check_pair("FROM*A", "TO/A").method == "symbolic"
    bad = check_pair("FROM*A", "TO/A/2")
    assert bad.inverse is False and bad.method == "symbolic"
    masked = check_pair("(FROM<<4)&0xF0", "(TO>>4)&0xF", raw_range=(0, 255))
    assert masked.inverse is True and masked.method == "numeric"
    wrong = check_pair("FROM*10", "TO*10", raw_range=(0, 100))
    assert wrong.inverse is False and "reads back" in wrong.reason
    live = check_pair("FROM & A", "TO | A")
    assert live.inverse is None


def test_integer_converter_with_rounding_is_accepted() -> None:
    verdict = check_pair("FROM*3", "TO/3", integer=True, raw_range=(0, 3000))
    assert verdict.inverse is True


@settings(max_examples=8, deadline=None)
@given(scale=st.integers(min_value=1, max_value=1000), offset=st.integers(-500, 500))
def test_linear_pairs_derived_from_each_other_always_check(scale: int, offset: int) -> None:
    to_text = f"FROM*{scale} + {offset}" if offset >= 0 else f"FROM*{scale} - {-offset}"
    derived = derive_inverse(to_text, given="FormulaTo")
    assert derived.closed_form
    assert check_pair(to_text, derived.text, integer_raw=False).inverse is True
