"""Where an integer is read from a float node, the reference rounds half away from zero
and refuses a float beyond int64 ("Float value … out of integer range"); nodemap
truncated and let such floats through.  Found on files outside ../shared (a Teledyne
Integer over a Converter: its inc; bounds through the pValue), then measured route by
route: pMin, pMax, pInc, an Integer's value and bounds through its pValue, an
IntSwissKnife's and an IntConverter's variables and TO, a register's pAddress.  An
Integer over a float node that has no increment has inc 1."""

from __future__ import annotations

import math

import pytest

from tests.genmaps.compare import _our_write, _ref_write

from tests.reference import oracle

from .test_rules import both, facts

ROUTES = (f'<Float Name="Y"><Value>9.5</Value></Float>'
          '<Integer Name="A"><Value>3</Value><pMin>X</pMin><Max>100</Max></Integer>'
          '<Integer Name="B"><Value>3</Value><Min>-100</Min><pMax>X</pMax></Integer>'
          '<Integer Name="C"><Value>4</Value><Min>0</Min><Max>100</Max><pInc>X</pInc></Integer>'
          '<Integer Name="D"><pValue>X</pValue><Min>-1000</Min><Max>1000</Max></Integer>'
          '<Integer Name="E"><pValue>X</pValue></Integer>'
          '<IntSwissKnife Name="K"><pVariable Name="Q">X</pVariable><Formula>Q+0</Formula>'
          '</IntSwissKnife>'
          '<Integer Name="Z"><Value>0</Value></Integer>'
          '<IntConverter Name="IC"><pVariable Name="Q">X</pVariable><FormulaTo>FROM</FormulaTo>'
          '<FormulaFrom>Q+TO</FormulaFrom><pValue>Z</pValue><Slope>Varying</Slope></IntConverter>'
          '<IntConverter Name="IT"><FormulaTo>FROM</FormulaTo><FormulaFrom>TO</FormulaFrom>'
          '<pValue>X</pValue><Slope>Varying</Slope></IntConverter>')


@pytest.mark.parametrize("value", ["2.5", "-2.5", "2.4", "2.6", "-0.5", "0.5", "1e3", "1e300",
                                   "-1e300", "9.3e18", "-9.2233720368547758e18", "nan"])
def test_a_float_read_as_an_integer_is_rounded_half_away(value: str) -> None:
    """NaN (written: a Float holds no NaN literal) becomes INT64_MIN everywhere."""
    body = f'<Float Name="X"><Value>{0 if value == "nan" else value}</Value></Float>' + ROUTES
    ref, ours = both(body)
    if value == "nan":
        assert _ref_write(ref, "X", math.nan) is None and _our_write(ours, "X", math.nan) is None
    for name in ("A", "B", "C", "D", "E", "K", "IC", "IT"):
        facts(ref, ours, name)
    rounded = facts(ref, ours, "D").value
    if value == "nan":
        assert rounded == -2 ** 63
    elif abs(float(value)) < 1e18:
        assert rounded == int(abs(float(value)) + 0.5) * (1 if float(value) >= 0 else -1)
    else:
        assert isinstance(rounded, oracle.Raised) or abs(rounded) >= 2 ** 62


@pytest.mark.parametrize("source", [
    '<Float Name="S"><Value>2</Value></Float>',
    '<Float Name="S"><Value>2</Value><Inc>0.5</Inc></Float>',
    '<Float Name="S"><Value>3</Value><Min>0</Min><Inc>3</Inc></Float>',
    '<Float Name="S"><Value>3</Value><Min>0</Min><Max>10</Max><Inc>1.5</Inc></Float>',
    '<Float Name="S"><Value>3</Value><Min>0.5</Min><Max>9.5</Max></Float>',
    '<Float Name="S"><Value>3</Value><Min>-1.5</Min><Max>-0.5</Max></Float>',
    '<Integer Name="Q"><Value>0</Value></Integer><Converter Name="S"><FormulaTo>FROM</FormulaTo>'
    '<FormulaFrom>TO</FormulaFrom><pValue>Q</pValue><Slope>Varying</Slope></Converter>',
    '<Integer Name="Q"><Value>0</Value><Min>0</Min><Max>4294967295</Max></Integer>'
    '<Converter Name="S"><FormulaTo>FROM</FormulaTo><FormulaFrom>TO</FormulaFrom>'
    '<pValue>Q</pValue><Slope>Increasing</Slope></Converter>'])
@pytest.mark.parametrize("limits", ["", "<Min>1</Min><Max>99</Max>"])
def test_an_integer_over_a_float_node(source: str, limits: str) -> None:
    """Bounds and inc of an Integer whose pValue is a float node (inc 1 where the float
    node has none; its bounds rounded, or refused beyond int64)."""
    ref, ours = both(source + f'<Integer Name="I"><pValue>S</pValue>{limits}</Integer>')
    theirs = facts(ref, ours, "I")
    assert theirs.inc is not None


_PRESENTED = {
    "Float": '<Float Name="S"><Value>1</Value><Unit>dB</Unit>'
             "<Representation>Logarithmic</Representation></Float>",
    "Integer": '<Integer Name="S"><Value>1</Value><Unit>mm</Unit>'
               "<Representation>HexNumber</Representation></Integer>",
    "Converter": '<Integer Name="Q"><Value>1</Value></Integer><Converter Name="S">'
                 "<FormulaTo>FROM</FormulaTo><FormulaFrom>TO</FormulaFrom><pValue>Q</pValue>"
                 "<Unit>dB</Unit><Representation>Logarithmic</Representation>"
                 "<Slope>Varying</Slope></Converter>",
    "SwissKnife": '<Integer Name="Q"><Value>1</Value></Integer><SwissKnife Name="S">'
                  '<pVariable Name="A">Q</pVariable><Formula>A</Formula><Unit>dB</Unit>'
                  "<Representation>Logarithmic</Representation></SwissKnife>",
    "IntSwissKnife": '<Integer Name="Q"><Value>1</Value></Integer><IntSwissKnife Name="S">'
                     '<pVariable Name="A">Q</pVariable><Formula>A</Formula><Unit>mm</Unit>'
                     "<Representation>HexNumber</Representation></IntSwissKnife>"}


@pytest.mark.parametrize("outer", ["Integer", "Float"])
@pytest.mark.parametrize("source", list(_PRESENTED))
def test_an_integer_over_a_float_node_shows_pure_number(outer: str, source: str) -> None:
    """The unit comes through a pValue always; the representation only where an Integer
    is not over a float node (found by the generator at seed 9001)."""
    from tests.genmaps.compare import _our_extended, _ref_extended

    ref, ours = both(_PRESENTED[source] + f'<{outer} Name="O"><pValue>S</pValue></{outer}>')
    theirs, mine = _ref_extended(ref, "O", outer), _our_extended(ours, "O", outer)
    assert (theirs["representation"], theirs["unit"]) == (mine["representation"], mine["unit"])
    if outer == "Integer" and source in ("Float", "Converter", "SwissKnife"):
        assert theirs["representation"] == "PureNumber"
