"""Enumeration entries sharing one Value: the reference names the value by the LAST such
entry in document order, whatever that entry's access (found on a Point Grey GS3 file
outside ../shared whose SensorShutterMode has Global and Rolling both at 1: the reference
reads Rolling).  Measured with every combination below; a Float over the Enumeration
reads the NumericValue of that same entry."""

from __future__ import annotations

import pytest

from tests.genmaps.compare import _our_write, _ref_write
from tests.reference import oracle
from tests.reference.memory import SparseMemory

from .test_rules import both, facts, reg


def _entry(name: str, value: int, extra: str = "", numeric: str = "") -> str:
    number = f"<NumericValue>{numeric}</NumericValue>" if numeric else ""
    return f'<EnumEntry Name="{name}">{extra}<Value>{value}</Value>{number}</EnumEntry>'


NI = "<pIsImplemented>Z</pIsImplemented>"
NA = "<pIsAvailable>Z</pIsAvailable>"
CASES = {
    "A1 B1": _entry("A", 1) + _entry("B", 1),
    "A1 B1 C1": _entry("A", 1) + _entry("B", 1) + _entry("C", 1),
    "B1 A1": _entry("B", 1) + _entry("A", 1),
    "A1(NI) B1": _entry("A", 1, NI) + _entry("B", 1),
    "A1 B1(NI)": _entry("A", 1) + _entry("B", 1, NI),
    "A1(NA) B1": _entry("A", 1, NA) + _entry("B", 1),
    "A1 B1(NA)": _entry("A", 1) + _entry("B", 1, NA),
    "A1 B1(NA) C1": _entry("A", 1) + _entry("B", 1, NA) + _entry("C", 1),
    "A1 B2 C1": _entry("A", 1) + _entry("B", 2) + _entry("C", 1),
    "numeric": _entry("A", 1, numeric="0.5") + _entry("B", 1, numeric="1.5"),
}


@pytest.mark.parametrize("entries", CASES.values(), ids=list(CASES))
def test_the_last_entry_of_a_value_names_it(entries: str) -> None:
    memory = SparseMemory("zero")
    memory.preset(0x100, (1).to_bytes(4, "little"))
    body = (f'<Integer Name="Z"><Value>0</Value></Integer><IntReg Name="R">{reg(0x100)}</IntReg>'
            f'<Enumeration Name="E">{entries}<pValue>R</pValue></Enumeration>'
            '<Float Name="F"><pValue>E</pValue></Float>')
    ref, ours = both(body, memory)
    theirs = facts(ref, ours, "E")
    assert not isinstance(theirs.value, oracle.Raised)
    facts(ref, ours, "F")
    for written in ("A", "B"):
        assert oracle.same_value(_ref_write(ref, "E", written), _our_write(ours, "E", written))
        facts(ref, ours, "E")
