"""Formulas the parser refuses: the node is still built, and the error comes when a value
is asked for — measured on the reference, which reports "Failed to parse formula" (before
reading any variable) or "Failed to evaluate formula" (after reading them) from GetValue,
while the node keeps its kind, access mode and bounds (found on a FLIR A35 file outside
../shared: a Converter whose FormulaFrom has ``? -(…) :``, which both parsers refuse; the
Float over it stays RW with its own Min/Max in the reference)."""

from __future__ import annotations

import pytest

from tests.genmaps.compare import _our_write, _ref_write
from tests.reference import oracle

from .test_rules import both, facts, reg

#: (formula, refused before the variables are read)
REFUSED = [
    ("(TO+2", True), ("TO))", True), ("SIN(", True), ("TO # 2", True), ("", True),
    ("ABC(TO)", True), ("1..2", True), ("Q", True), ("TO + Q", True), ("TO ? Q : 1", True),
    ("TO+", False), ("TO ? 2", False), ("TO : 2", False), ("TO ? -(TO) : TO", False),
    ("TO +* 2", False), ("TO ? 1 : 2 : 3", False), ("1?-(2):3", False)]


@pytest.mark.parametrize("tag", ["IntSwissKnife", "SwissKnife"])
@pytest.mark.parametrize("access", ["RW", "WO"])
@pytest.mark.parametrize(("formula", "early"), REFUSED, ids=[f for f, _ in REFUSED])
def test_a_refused_formula_fails_when_read(tag: str, access: str, formula: str,
                                           early: bool) -> None:
    """The node has its kind, access and bounds; its value raises.  Over a write-only
    variable the error is the formula's when the reference refuses it before reading,
    else the variable's AccessError."""
    body = (f'<IntReg Name="R">{reg(0x100, access)}</IntReg><{tag} Name="C">'
            f'<pVariable Name="TO">R</pVariable><Formula>{formula}</Formula></{tag}>')
    ref, ours = both(body)
    theirs = facts(ref, ours, "C")
    assert theirs.kind == ("Integer" if tag == "IntSwissKnife" else "Float")
    assert theirs.access == "RO"
    assert isinstance(theirs.value, oracle.Raised)
    assert theirs.value.error == ("AccessError" if access == "WO" and not early else "Error")


@pytest.mark.parametrize(("where", "formula"), [
    ("FormulaFrom", "TO ? -(TO) : TO"), ("FormulaFrom", "(TO"), ("FormulaTo", "FROM ? -(FROM) : 1"),
    ("FormulaTo", "TO")])
@pytest.mark.parametrize("tag", ["Converter", "IntConverter"])
def test_a_float_over_a_converter_with_a_refused_formula(where: str, formula: str,
                                                         tag: str) -> None:
    """A Float/Integer over a Converter whose formula is refused stays RW with its own
    bounds; what needs the refused formula (a read through FormulaFrom, a write through
    FormulaTo) fails, the rest works."""
    formulas = {"FormulaTo": "FROM", "FormulaFrom": "TO", where: formula}
    outer = "Float" if tag == "Converter" else "Integer"
    body = (f'<IntReg Name="R">{reg(0x100)}</IntReg><{tag} Name="C">'
            f'<FormulaTo>{formulas["FormulaTo"]}</FormulaTo>'
            f'<FormulaFrom>{formulas["FormulaFrom"]}</FormulaFrom><pValue>R</pValue>'
            f"<Slope>Varying</Slope></{tag}>"
            f'<{outer} Name="F"><pValue>C</pValue><Min>1</Min><Max>9</Max></{outer}>')
    ref, ours = both(body)
    for name in ("C", "F"):
        theirs = facts(ref, ours, name)
        assert theirs.access == "RW"
        assert isinstance(theirs.value, oracle.Raised) == (where == "FormulaFrom")
    assert facts(ref, ours, "F").min == 1
    written = 5.0 if outer == "Float" else 5
    theirs, mine = _ref_write(ref, "F", written), _our_write(ours, "F", written)
    assert (theirs is None) == (where == "FormulaFrom"), theirs
    assert oracle.same_value(theirs, mine), (theirs, mine)
    assert facts(ref, ours, "R").value == (5 if where == "FormulaFrom" else 0)
