"""Converter and IntConverter rules the generated-map differential found (and one register
rule the same runs found), each measured on the reference with a tiny description and
pinned twice (the reference's answer, and nodemap's being the same), like
tests/reference/test_rules.py whose helpers it uses.
"""

from __future__ import annotations

import math
import sys
from typing import Any

import pytest

from tests.genmaps.compare import _our_write, _ref_write

from . import oracle
from .memory import SparseMemory
from .test_rules import both, facts, reg


# ------------------------------------------------- a write checks min, then max
@pytest.mark.parametrize("tag", ["Converter", "IntConverter"])
@pytest.mark.parametrize(("slope", "value", "expected"), [
    ("Increasing", -3, "RangeError"),   # under min: max (a WO pMax) never read
    ("Increasing", 3, "AccessError"),   # inside min: max is read, and fails
    ("Decreasing", 13, "AccessError"),  # min comes from the target's max: read first
    ("Automatic", -3, "AccessError")])  # both target bounds make each bound
def test_converter_write_checks_min_before_reading_max(tag: str, slope: str, value: int,
                                                       expected: str) -> None:
    """The target's max reads a write-only register: a value under the Converter's min
    is a RangeError (its max is never read), as the reference's min-first check does."""
    body = (f'<IntReg Name="W">{reg(0x100, "WO")}</IntReg>'
            '<Integer Name="T"><Value>5</Value><Min>0</Min><pMax>W</pMax></Integer>'
            f'<{tag} Name="C"><FormulaTo>FROM</FormulaTo><FormulaFrom>TO</FormulaFrom>'
            f"<pValue>T</pValue><Slope>{slope}</Slope></{tag}>")
    ref, ours = both(body)
    written = float(value) if tag == "Converter" else value
    theirs, mine = _ref_write(ref, "C", written), _our_write(ours, "C", written)
    assert isinstance(theirs, oracle.Raised) and theirs.error == expected
    assert oracle.same_value(theirs, mine), (theirs, mine)


# ------------------------------------------------- a write verifies Converter inputs
@pytest.mark.parametrize(("tag", "slope", "refused"), [
    ("IntConverter", "Decreasing", True), ("IntConverter", "Increasing", True),
    ("IntConverter", "Varying", False), ("Converter", "Decreasing", True),
    ("Converter", "Increasing", False)])
def test_converter_write_verifies_a_converter_it_reads(tag: str, slope: str,
                                                       refused: bool) -> None:
    """C's pVariable is a Converter V (TO*TO of a register holding 200) whose value is
    outside V's own bounds (derived through its slope: V's max is 0 when Decreasing, its
    min overflows when an IntConverter is Increasing): the reference refuses to write C,
    naming V; nothing is written."""
    memory = SparseMemory("zero")
    memory.preset(0x100, (200).to_bytes(4, "little"))
    body = (f'<IntReg Name="R">{reg(0x100)}</IntReg><IntReg Name="T">{reg(0x200)}</IntReg>'
            f'<{tag} Name="V"><FormulaTo>FROM</FormulaTo><FormulaFrom>TO*TO</FormulaFrom>'
            f"<pValue>R</pValue><Slope>{slope}</Slope></{tag}>"
            '<Converter Name="C"><pVariable Name="K">V</pVariable><FormulaTo>FROM+1</FormulaTo>'
            "<FormulaFrom>TO-1</FormulaFrom><pValue>T</pValue><Slope>Varying</Slope></Converter>")
    ref, ours = both(body, memory)
    theirs, mine = _ref_write(ref, "C", 1.0), _our_write(ours, "C", 1.0)
    if refused:
        assert isinstance(theirs, oracle.Raised) and theirs.error == "RangeError"
        assert "'V'" in theirs.detail
    else:
        assert theirs is None
    assert oracle.same_value(theirs, mine), (theirs, mine)
    assert facts(ref, ours, "T").value == (0 if refused else 2)


def _write_refused(ref: Any, ours: Any, name: str, value: Any, error: str,
                   named: str) -> None:
    """Writing ``value`` into ``name`` fails on both sides alike; the reference's error
    is ``error`` and names node ``named``."""
    theirs, mine = _ref_write(ref, name, value), _our_write(ours, name, value)
    assert isinstance(theirs, oracle.Raised) and theirs.error == error
    assert f"'{named}'" in theirs.detail
    assert oracle.same_value(theirs, mine), (theirs, mine)


def test_converter_write_fails_on_an_unreadable_converter_before_its_inputs() -> None:
    """C reads V, a write-only IntConverter whose own pVariable I is outside its bounds:
    the reference fails on V's access (an AccessError naming V) before verifying I."""
    body = ('<Integer Name="I"><Value>1</Value><Min>120</Min><Max>384</Max></Integer>'
            f'<IntReg Name="R">{reg(0x100)}</IntReg><IntReg Name="T">{reg(0x200)}</IntReg>'
            '<IntConverter Name="V"><ImposedAccessMode>WO</ImposedAccessMode>'
            '<pVariable Name="K">I</pVariable><FormulaTo>FROM</FormulaTo>'
            "<FormulaFrom>TO</FormulaFrom><pValue>R</pValue><Slope>Increasing</Slope>"
            "</IntConverter>"
            '<IntConverter Name="C"><pVariable Name="K">V</pVariable><FormulaTo>FROM</FormulaTo>'
            "<FormulaFrom>TO</FormulaFrom><pValue>T</pValue><Slope>Varying</Slope></IntConverter>")
    _write_refused(*both(body), "C", 1, "AccessError", "V")
    # I alone (V readable): the verification names I
    _write_refused(*both(body.replace("<ImposedAccessMode>WO</ImposedAccessMode>", "")),
                   "C", 1, "RangeError", "I")


# ------------------------------------------------- a reference defect, pinned not followed
def test_automatic_slope_is_frozen_in_the_reference() -> None:
    """Pinned, not followed: the reference works out an Automatic slope at the first
    bounds it computes and keeps it when a pVariable reverses it.  C = TO/K over a
    4-byte register: with K = -2 decreasing, then K = 2 the reference reports min > max
    (nodemap: in order), refuses a write inside nodemap's bounds (it writes without its
    range check), and a Converter D over C with a declared slope gets the two bounds
    swapped.  tests/genmaps/compare.py counts these apart (``reference_slope``)."""
    body = ('<Integer Name="K"><Value>-2</Value><Min>-10</Min><Max>10</Max></Integer>'
            f'<IntReg Name="R">{reg(0x100)}</IntReg>'
            '<Converter Name="C"><pVariable Name="K">K</pVariable><FormulaTo>FROM*K</FormulaTo>'
            "<FormulaFrom>TO/K</FormulaFrom><pValue>R</pValue><Slope>Automatic</Slope></Converter>"
            '<Converter Name="D"><FormulaTo>100-FROM</FormulaTo><FormulaFrom>100-TO</FormulaFrom>'
            "<pValue>C</pValue><Slope>Increasing</Slope></Converter>")
    ref, ours = both(body)
    half = float((1 << 31) - 1) + 0.5
    got = facts(ref, ours, "C")
    assert (got.min, got.max) == (-half, 0.0)
    assert _ref_write(ref, "K", 2) is None and _our_write(ours, "K", 2) is None
    theirs, mine = (oracle.reference_feature_facts(ref, name) for name in "CD"), \
        (oracle.our_feature_facts(ours, name) for name in "CD")
    (ref_c, ref_d), (our_c, our_d) = theirs, mine
    assert (ref_c.min, ref_c.max) == (half, 0.0)            # frozen: min > max
    assert (our_c.min, our_c.max) == (0.0, half)
    assert (ref_d.min, ref_d.max) == (100 - half, 100.0)    # D: the two swapped
    assert (our_d.min, our_d.max) == (100.0, 100 - half)
    refused = _ref_write(ref, "C", 5.0)
    assert isinstance(refused, oracle.Raised) and refused.error == "RangeError"
    assert _our_write(ours, "C", 5.0) is None
    assert _ref_write(ref, "C", 5.0, verify=False) is None   # unchecked, it writes
    assert facts(ref, ours, "R").value == 10


def test_converter_write_verifies_the_selected_indexed_value_first() -> None:
    """C reads I, an indexed Integer whose selected pValueIndexed V is over V's max and
    whose pMin reads a write-only node: the reference verifies V (a RangeError naming V)
    before it reads I's bounds."""
    body = ('<Integer Name="V"><Value>464</Value><Min>91</Min><Max>291</Max></Integer>'
            '<Integer Name="S"><Value>0</Value><Min>0</Min><Max>3</Max></Integer>'
            f'<IntReg Name="W">{reg(0x100, "WO")}</IntReg><IntReg Name="T">{reg(0x200)}</IntReg>'
            '<Integer Name="I"><pIndex>S</pIndex><pValueIndexed Index="0">V</pValueIndexed>'
            "<ValueDefault>-5</ValueDefault><pMin>W</pMin><Max>1000</Max></Integer>"
            '<Converter Name="C"><pVariable Name="K">I</pVariable><FormulaTo>100-FROM</FormulaTo>'
            "<FormulaFrom>100-TO</FormulaFrom><pValue>T</pValue><Slope>Varying</Slope></Converter>")
    _write_refused(*both(body), "C", 1.0, "RangeError", "V")


# ------------------------------------------------- the Automatic slope
def test_automatic_slope_answers_a_bound_once_worked_out() -> None:
    """The reference works out an Automatic slope at the first bounds it computes, then
    evaluates only the target bound each bound comes from: when the target's max later
    fails (a formula dividing by zero), the Converter's min still answers.  Before any
    slope was worked out, both fail."""
    body = ('<Integer Name="V"><Value>{v}</Value><Min>0</Min><Max>5</Max></Integer>'
            '<SwissKnife Name="S"><pVariable Name="V">V</pVariable><Formula>100/V</Formula>'
            "</SwissKnife>"
            '<Float Name="T"><Value>1.0</Value><Min>-1000.0</Min><pMax>S</pMax></Float>'
            '<Converter Name="C"><FormulaTo>FROM*2</FormulaTo><FormulaFrom>TO/2</FormulaFrom>'
            "<pValue>T</pValue><Slope>Automatic</Slope></Converter>")
    ref, ours = both(body.format(v=1))
    got = facts(ref, ours, "C")
    assert (got.min, got.max) == (-500.0, 50.0)
    assert _ref_write(ref, "V", 0) is None and _our_write(ours, "V", 0) is None
    got = facts(ref, ours, "C")
    assert got.min == -500.0 and isinstance(got.max, oracle.Raised)
    ref, ours = both(body.format(v=0))   # never worked out: both bounds fail
    got = facts(ref, ours, "C")
    assert isinstance(got.min, oracle.Raised) and isinstance(got.max, oracle.Raised)


# ------------------------------------------------- found on the way
@pytest.mark.parametrize("endian", ["LittleEndian", "BigEndian"])
@pytest.mark.parametrize("tag", ["MaskedIntReg", "StructEntry"])
def test_unsigned_64_bit_field_reads_as_int64(tag: str, endian: str) -> None:
    """An unsigned bit field over all 64 bits reads as int64 (two's complement), as an
    unsigned 8-byte IntReg does; its max is -1 (test_rules.py pins the IntReg)."""
    memory = SparseMemory("zero")
    memory.preset(0x100, bytes.fromhex("e0debc9a785634f2"))
    field = "<LSB>0</LSB><MSB>63</MSB>" if endian == "LittleEndian" else "<LSB>63</LSB><MSB>0</MSB>"
    register = reg(0x100, "RW", 8).replace("LittleEndian", endian)
    if tag == "MaskedIntReg":
        body = (f'<MaskedIntReg Name="M">'
                f'{register.replace("<Endianess>", field + "<Sign>Unsigned</Sign><Endianess>")}'
                "</MaskedIntReg>")
    else:
        body = (f'<StructReg Comment="s">{register}<StructEntry Name="M">{field}'
                "<Sign>Unsigned</Sign></StructEntry></StructReg>")
    ref, ours = both(body, memory)
    got = facts(ref, ours, "M")
    assert got.value < 0 and (got.min, got.max) == (0, -1)


# ------------------------------------------------- an IntConverter's inc (issue 13's last open class)
_INC_TARGETS = {
    "IntReg": f'<IntReg Name="T">{reg(0x100)}</IntReg>',
    "Inc 4": '<Integer Name="T"><Value>8</Value><Min>0</Min><Max>100</Max><Inc>4</Inc></Integer>',
    "pInc": ('<Integer Name="I"><Value>5</Value></Integer><Integer Name="T"><Value>10</Value>'
             "<Min>0</Min><Max>100</Max><pInc>I</pInc></Integer>"),
    "WO pInc": ('<Integer Name="I"><ImposedAccessMode>WO</ImposedAccessMode><Value>5</Value>'
                '</Integer><Integer Name="T"><Value>10</Value><Min>0</Min><Max>100</Max>'
                "<pInc>I</pInc></Integer>"),
    "NA target": ('<Integer Name="A"><Value>0</Value></Integer><Integer Name="T">'
                  "<pIsAvailable>A</pIsAvailable><Value>8</Value><Inc>4</Inc></Integer>"),
    "failing formula": ('<Integer Name="Z"><Value>0</Value></Integer><IntSwissKnife Name="T">'
                        '<pVariable Name="Z">Z</pVariable><Formula>7/Z</Formula></IntSwissKnife>'),
    "Float Inc 0.5": ('<Float Name="T"><Value>8.0</Value><Min>0</Min><Max>100</Max>'
                      "<Inc>0.5</Inc></Float>"),
}
_INC_CONVERTERS = {
    "plain": ("", "TO", ""),
    "failing FormulaFrom": ('<Integer Name="Y"><Value>0</Value></Integer>', "TO/Y",
                            '<pVariable Name="Y">Y</pVariable>'),
    "own pIsAvailable 0": ('<Integer Name="B"><Value>0</Value></Integer>', "TO",
                           "<pIsAvailable>B</pIsAvailable>"),
    "own WO": ("", "TO", "<ImposedAccessMode>WO</ImposedAccessMode>"),
    "pVariable NA": ('<Integer Name="B"><Value>0</Value></Integer><Integer Name="V">'
                     "<pIsAvailable>B</pIsAvailable><Value>1</Value></Integer>", "TO*V",
                     '<pVariable Name="V">V</pVariable>'),
    "pVariable NI": ('<Integer Name="B"><Value>0</Value></Integer><Integer Name="V">'
                     "<pIsImplemented>B</pIsImplemented><Value>1</Value></Integer>", "TO*V",
                     '<pVariable Name="V">V</pVariable>'),
}


@pytest.mark.parametrize("slope", ["Increasing", "Decreasing", "Varying", "Automatic"])
@pytest.mark.parametrize("converter", sorted(_INC_CONVERTERS))
@pytest.mark.parametrize("target", sorted(_INC_TARGETS))
def test_intconverter_inc_is_one_whenever_available(target: str, converter: str,
                                                    slope: str) -> None:
    """The reference's IntConverter answers inc 1 whatever its target's increment (Inc,
    pInc, a write-only pInc, a Float's Inc), its formulas (FormulaFrom failing) or its
    slope, as long as it is available (RW, RO, WO); NA or NI — its own pIsAvailable,
    a pVariable's, its target's — is an AccessError (GetInc checks availability, not
    readability).  This closes the open class 'IntConverter inc when its pVariable makes
    it NA: the reference answers 1', listed at d7ca958 and never reproduced since: every
    route to NA measured here (and >60,000 generated maps) raises on both sides."""
    extra, formula_from, inner = _INC_CONVERTERS[converter]
    if inner.startswith("<pVariable"):
        head, variables = "", inner
    else:
        head, variables = inner, ""
    body = (_INC_TARGETS[target] + extra
            + f'<IntConverter Name="C">{head}{variables}<FormulaTo>FROM</FormulaTo>'
            f"<FormulaFrom>{formula_from}</FormulaFrom><pValue>T</pValue>"
            f"<Slope>{slope}</Slope></IntConverter>")
    ref, ours = both(body)
    theirs = oracle.reference_feature_facts(ref, "C")
    mine = oracle.our_feature_facts(ours, "C")
    assert oracle.same_value(theirs.inc, mine.inc), (theirs.inc, mine.inc)
    if theirs.access in ("NA", "NI"):
        assert isinstance(theirs.inc, oracle.Raised) and theirs.inc.error == "AccessError"
    else:
        assert theirs.inc == 1
    assert theirs.access == mine.access


def test_float_lends_an_integer_pvalue_inc_only_when_available() -> None:
    """A Float over an Integer lends the Integer's increment; NI (or NA), the Float's
    inc is an AccessError in the reference (FloatT GetInc checks availability first)."""
    body = ('<Integer Name="F"><Value>{flag}</Value></Integer>'
            '<Integer Name="I"><Value>8</Value><Inc>4</Inc></Integer>'
            '<Float Name="C"><pIsImplemented>F</pIsImplemented><pValue>I</pValue></Float>')
    ref, ours = both(body.format(flag=1))
    assert facts(ref, ours, "C").inc == 4.0
    ref, ours = both(body.format(flag=0))
    got = facts(ref, ours, "C")
    assert got.access == "NI"
    assert isinstance(got.inc, oracle.Raised) and got.inc.error == "AccessError"


# ------------------------------------------------- NaN written to a double
_NAN = float("nan")
_INT64_MIN = -(1 << 63)


@pytest.mark.parametrize("via", ["Float", "Converter"])
@pytest.mark.parametrize(("bounds", "stored"), [
    ("", _INT64_MIN),                                         # unbounded: INT64_MIN
    ("<Min>-9223372036854775805</Min><Inc>4</Inc>", _INT64_MIN + 3),   # snapped up to min
    ("<Min>-9223372036854775807</Min><Inc>2</Inc>", _INT64_MIN + 1),
    ("<Min>-9223372036854774807</Min><Inc>1000</Inc>", "RangeError"),  # -1001 → -1000
    ("<Min>0</Min><Max>10</Max>", "RangeError")])
def test_nan_into_an_integer_is_int64_min(via: str, bounds: str, stored: object) -> None:
    """NaN passes a double's range checks (``value < min`` is false).  Written through
    a Float's pValue or a Converter into an Integer it becomes INT64_MIN (C's conversion
    on the reference's platform), then is moved to the Integer's Inc grid with C's
    truncating division (an offset under min keeps quotient 0: min itself), then
    range-checked: stored, or a RangeError."""
    target = f'<Integer Name="R"><Value>5</Value>{bounds}</Integer>'
    if via == "Float":
        body = target + '<Float Name="C"><pValue>R</pValue></Float>'
    else:
        body = target + ('<Converter Name="C"><FormulaTo>FROM</FormulaTo><FormulaFrom>TO'
                         "</FormulaFrom><pValue>R</pValue><Slope>Varying</Slope></Converter>")
    if "<Min>" in bounds:
        body = body.replace("<Value>5</Value>", f"<Value>{bounds[5:bounds.index('</')]}</Value>")
    ref, ours = both(body)
    theirs, mine = _ref_write(ref, "C", _NAN), _our_write(ours, "C", _NAN)
    assert oracle.same_value(theirs, mine), (theirs, mine)
    value = facts(ref, ours, "R").value
    if stored == "RangeError":
        assert isinstance(theirs, oracle.Raised) and theirs.error == "RangeError"
    else:
        assert theirs is None and value == stored


@pytest.mark.parametrize("target", [
    f'<FloatReg Name="R">{reg(0x100, "RW", 8)}</FloatReg>',
    '<Float Name="R"><Value>1.0</Value><Min>0</Min><Max>10</Max></Float>'])
def test_converter_takes_nan_like_a_float(target: str) -> None:
    """A Converter's write lets NaN through its min/max checks, as a Float does (both
    compare with ``<``/``>``): NaN reaches a double target, even a bounded one."""
    body = target + ('<Converter Name="C"><FormulaTo>FROM</FormulaTo><FormulaFrom>TO'
                     "</FormulaFrom><pValue>R</pValue><Slope>Increasing</Slope></Converter>")
    ref, ours = both(body)
    assert _ref_write(ref, "C", _NAN) is None and _our_write(ours, "C", _NAN) is None
    assert math.isnan(facts(ref, ours, "R").value)


@pytest.mark.parametrize(("low", "high", "expected"), [
    ("<Min>-1000000.0</Min>", "<pMax>F</pMax>", ("nan", -1000000.0)),
    ("<pMin>F</pMin>", "<Max>5</Max>", (5.0, "nan"))])
def test_automatic_slope_with_a_nan_bound_is_decreasing(low: str, high: str,
                                                         expected: tuple[object, object]) -> None:
    """An Automatic slope is Increasing only when the converted bounds are in order:
    a NaN bound makes it Decreasing (the two swapped), measured on the reference."""
    body = ('<Float Name="F"><Value>0.0</Value></Float>'
            f'<Float Name="T"><Value>1.0</Value>{low}{high}</Float>'
            '<Converter Name="D"><FormulaTo>FROM</FormulaTo><FormulaFrom>TO</FormulaFrom>'
            "<pValue>T</pValue><Slope>Automatic</Slope></Converter>")
    ref, ours = both(body)
    assert _ref_write(ref, "F", _NAN) is None and _our_write(ours, "F", _NAN) is None
    got = facts(ref, ours, "D")
    for bound, want in zip((got.min, got.max), expected):
        assert math.isnan(bound) if want == "nan" else bound == want


def test_automatic_slope_worked_out_is_kept_when_a_bound_becomes_nan() -> None:
    """Bounds read first in order (Increasing worked out), then the target's max turns
    NaN: the reference keeps Increasing (min stays min, max is NaN), nodemap too — the
    order cannot be worked out afresh from a NaN."""
    body = ('<Float Name="F"><Value>0.0</Value></Float>'
            '<Float Name="T"><Value>-1.0</Value><Min>-1000000.0</Min><pMax>F</pMax></Float>'
            '<Converter Name="D"><FormulaTo>FROM*2</FormulaTo><FormulaFrom>TO/2</FormulaFrom>'
            "<pValue>T</pValue><Slope>Automatic</Slope></Converter>")
    ref, ours = both(body)
    got = facts(ref, ours, "D")
    assert (got.min, got.max) == (-500000.0, 0.0)
    assert _ref_write(ref, "F", _NAN) is None and _our_write(ours, "F", _NAN) is None
    got = facts(ref, ours, "D")
    assert got.min == -500000.0 and math.isnan(got.max)


@pytest.mark.parametrize(("inc", "value", "stored"), [
    (3, 0.0, 2), (3, 1.0, 2), (4, 0.0, 0), (7, 100.0, 106), (3, -5.0, -5)])
def test_double_into_an_integer_snaps_in_int64(inc: int, value: float, stored: int) -> None:
    """The Inc grid of an Integer without Min starts at INT64_MIN: the reference snaps
    a double in int64 arithmetic (the offset ``value - INT64_MIN`` wraps, the division
    truncates, the result wraps): 0.0 with inc 3 is stored as 2, not 1, and 100.0 with
    inc 7 as 106, not 99 (the nearest grid points)."""
    body = (f'<Integer Name="R"><Value>0</Value><Inc>{inc}</Inc></Integer>'
            '<Float Name="C"><pValue>R</pValue></Float>')
    ref, ours = both(body)
    assert _ref_write(ref, "C", value) is None and _our_write(ours, "C", value) is None
    assert facts(ref, ours, "R").value == stored


# ------------------------------------------------- a double into an Enumeration
_ENUM = ('<Integer Name="Z"><Value>0</Value></Integer>'
         '<Enumeration Name="R"><EnumEntry Name="A"><Value>3</Value></EnumEntry>'
         '<EnumEntry Name="C"><Value>10</Value><NumericValue>{numeric}</NumericValue></EnumEntry>'
         '<EnumEntry Name="D"><pIsAvailable>Z</pIsAvailable><Value>20</Value></EnumEntry>'
         "<Value>{value}</Value></Enumeration>")
_VIA = {"Float": '<Float Name="F"><pValue>R</pValue></Float>',
        "Converter": ('<Converter Name="F"><FormulaTo>FROM</FormulaTo><FormulaFrom>TO'
                      "</FormulaFrom><pValue>R</pValue><Slope>Varying</Slope></Converter>")}


@pytest.mark.parametrize("via", sorted(_VIA))
@pytest.mark.parametrize(("numeric", "start", "written", "selected"), [
    ("10.0", 3, 5.0, "A"), ("10.0", 3, 7.0, "C"), ("10.0", 3, 6.5, "A"),  # a tie: the first
    ("10.0", 3, 100.0, "C"), ("10.0", 3, 20.0, "C"),      # D (value 20) is not available
    ("10.0", 10, -100.0, "A"), ("10.0", 10, _NAN, "A"),   # NaN: the first entry
    ("2.0", 3, 2.4, "C"), ("2.0", 10, 9.0, "A")])         # NumericValue, not Value
def test_double_into_an_enumeration_selects_the_nearest_available_entry(
        via: str, numeric: str, start: int, written: float, selected: str) -> None:
    """Written through a Float's pValue or a Converter, a double selects the available
    entry whose NumericValue (else Value) is nearest, without a RangeError for a value
    no entry has (nodemap refused those); the Float/Converter then reads that entry's
    NumericValue."""
    ref, ours = both(_ENUM.format(numeric=numeric, value=start) + _VIA[via])
    assert _ref_write(ref, "F", written) is None and _our_write(ours, "F", written) is None
    assert facts(ref, ours, "R").value == selected
    expected = {"A": 3.0, "C": float(numeric)}[selected]
    assert facts(ref, ours, "F").value == expected


@pytest.mark.parametrize("slope", ["Increasing", "Decreasing", "Automatic"])
def test_converter_over_an_enumeration_has_bounds_from_dbl_max(slope: str) -> None:
    """An Enumeration read as a double has the bounds ±DBL_MAX: a Converter over one
    with a derived slope converts those (TO/2: ±DBL_MAX/2); a value no entry has makes
    the Converter's read fail, as the Enumeration's own read does."""
    body = ('<Enumeration Name="E"><EnumEntry Name="A"><Value>0</Value>'
            "<NumericValue>0.5</NumericValue></EnumEntry><Value>{value}</Value></Enumeration>"
            '<Converter Name="C"><FormulaTo>FROM*2</FormulaTo><FormulaFrom>TO/2</FormulaFrom>'
            f"<pValue>E</pValue><Slope>{slope}</Slope></Converter>")
    ref, ours = both(body.format(value=0))
    got = facts(ref, ours, "C")
    half = sys.float_info.max / 2
    # a declared Decreasing slope takes min from the target's max, whatever the formula
    expected = (half, -half) if slope == "Decreasing" else (-half, half)
    assert (got.min, got.max, got.value) == (*expected, 0.25)
    ref, ours = both(body.format(value=99))
    assert isinstance(facts(ref, ours, "C").value, oracle.Raised)

