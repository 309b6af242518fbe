"""GenApi rules measured on the reference with tiny descriptions, each pinned twice: what
the reference answers (so a rule that stops being exercised is noticed) and that nodemap
answers the same (value, bounds, access; writes where a rule is about writing).

The five disagreement classes of issue 13 come first; then the rules the generated-map
differential (tests/reference/test_generated_maps.py) found.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.genmaps.compare import _our_write, _ref_write
from tests.genmaps.model import FOOTER, HEADER
from tests.peers import require_genicam

from . import oracle
from .memory import SparseMemory

REG = ("<Address>{address}</Address><Length>{length}</Length><AccessMode>{access}</AccessMode>"
       "<pPort>Device</pPort><Endianess>LittleEndian</Endianess>")


def reg(address: int, access: str = "RW", length: int = 4) -> str:
    return REG.format(address=hex(address), access=access, length=length)


def document(body: str) -> bytes:
    return (HEADER + '<Category Name="Root"></Category>' + body + '<Port Name="Device"/>'
            + FOOTER).encode()


def both(body: str, memory: SparseMemory | None = None) -> tuple[Any, Any]:
    require_genicam()
    xml = document(body)
    memory = memory or SparseMemory("zero")
    return (oracle.load_reference(xml, memory.clone(), "Device"),
            oracle.load_ours(xml, memory.clone(), "Device"))


def facts(ref: Any, ours: Any, name: str) -> oracle.Facts:
    """The reference's facts of ``name``, after checking nodemap's are the same."""
    theirs = oracle.reference_feature_facts(ref, name)
    mine = oracle.our_feature_facts(ours, name)
    diffs = oracle.compare_facts(theirs, mine)
    assert not diffs, "\n".join(map(str, diffs))
    return theirs


# ----------------------------------------------------------------- issue 13, class 1
@pytest.mark.parametrize(("tag", "extra", "name"), [
    ("IntReg", "", "_R_Off"), ("MaskedIntReg", "<Bit>0</Bit>", "_R_Off"),
    ("Register", "", "_R_Off"), ("StringReg", "", "Off")])
def test_nested_node_is_registered_under_the_reference_name(tag: str, extra: str, name: str) -> None:
    """An <IntSwissKnife Name="Off"> inside a register's address: a node of the map,
    named _<Register>_<Name> (plain <Name> inside StringReg/StructReg), usable by others."""
    body = reg(0x100).replace("<Length>", '<IntSwissKnife Name="Off"><pVariable Name="V">X'
                                          "</pVariable><Formula>V*4</Formula></IntSwissKnife>"
                                          "<Length>")
    if tag in ("Register", "StringReg"):
        body = body.replace("<Endianess>LittleEndian</Endianess>", "")
    elif tag == "MaskedIntReg":
        body = body.replace("<Endianess>", f"{extra}<Endianess>")
    ref, ours = both(f'<{tag} Name="R">{body}</{tag}><Integer Name="X"><Value>2</Value></Integer>'
                     f'<Integer Name="User"><pValue>{name}</pValue></Integer>')
    assert facts(ref, ours, name).value == 8
    assert facts(ref, ours, "User").value == 8


# ----------------------------------------------------------------- class 2
@pytest.mark.parametrize("integer", [False, True])
def test_converter_varying_slope_reports_the_full_range(integer: bool) -> None:
    tag = "IntConverter" if integer else "Converter"
    ref, ours = both(f'<IntReg Name="T">{reg(0x100)}</IntReg>'
                     f'<{tag} Name="C"><FormulaTo>FROM*2</FormulaTo><FormulaFrom>TO/2</FormulaFrom>'
                     f"<pValue>T</pValue><Slope>Varying</Slope></{tag}>")
    got = facts(ref, ours, "C")
    if integer:
        assert (got.min, got.max) == (-(1 << 63), (1 << 63) - 1)
    else:
        assert (got.min, got.max) == (-1.7976931348623157e308, 1.7976931348623157e308)


def test_converter_bounds_from_unbounded_float_are_capped() -> None:
    ref, ours = both('<Float Name="T"><Value>3</Value></Float>'
                     "<Converter Name=\"C\"><FormulaTo>FROM/2</FormulaTo><FormulaFrom>TO*2"
                     "</FormulaFrom><pValue>T</pValue><Slope>Increasing</Slope></Converter>")
    got = facts(ref, ours, "C")
    assert (got.min, got.max) == (-1.7976931348623157e308, 1.7976931348623157e308)


def test_intconverter_without_slope_is_a_reference_defect() -> None:
    """Pinned, not followed: without <Slope> the reference reports min = max = 0 for an
    IntConverter (every write then fails); nodemap derives the bounds (Automatic)."""
    require_genicam()
    xml = document('<Integer Name="T"><Value>3</Value><Min>0</Min><Max>100</Max></Integer>'
                   "<IntConverter Name=\"C\"><FormulaTo>FROM</FormulaTo><FormulaFrom>TO"
                   "</FormulaFrom><pValue>T</pValue></IntConverter>")
    ref = oracle.load_reference(xml, SparseMemory("zero"), "Device")
    ours = oracle.load_ours(xml, SparseMemory("zero"), "Device")
    assert (ref.get_node("C").min, ref.get_node("C").max) == (0, 0)
    assert (ours.features["C"].min, ours.features["C"].max) == (0, 100)


# ----------------------------------------------------------------- class 3
def test_integer_bounds_of_an_internal_integer_are_int64() -> None:
    ref, ours = both('<Integer Name="I"><Value>5</Value></Integer>'
                     f'<IntReg Name="R">{reg(0x100, length=2)}</IntReg>'
                     '<Integer Name="P"><pValue>R</pValue></Integer>'
                     '<IntSwissKnife Name="K"><Formula>3</Formula></IntSwissKnife>')
    assert (facts(ref, ours, "I").min, facts(ref, ours, "I").max) == (-(1 << 63), (1 << 63) - 1)
    assert facts(ref, ours, "P").max == 0xFFFF          # through pValue: the register's width
    assert facts(ref, ours, "K").min == -(1 << 63)


def test_unsigned_eight_byte_register_reads_as_int64() -> None:
    memory = SparseMemory("zero")
    memory.preset(0x100, b"\xff" * 8)
    ref, ours = both(f'<IntReg Name="R">{reg(0x100, length=8)}</IntReg>', memory)
    assert facts(ref, ours, "R").value == -1


# ----------------------------------------------------------------- class 4
@pytest.mark.parametrize(("condition", "target", "expected"), [
    ("pIsImplemented", "NotImplemented", "NI"), ("pIsImplemented", "NotAvailable", "NA"),
    ("pIsImplemented", "WriteOnly", "NA"), ("pIsAvailable", "NotImplemented", "NI"),
    ("pIsAvailable", "NotAvailable", "NA"), ("pIsAvailable", "WriteOnly", "NA"),
    ("pIsLocked", "NotImplemented", "NI"), ("pIsLocked", "NotAvailable", "NA"),
    ("pIsLocked", "WriteOnly", "NA")])
def test_a_condition_that_cannot_be_read_decides_ni_or_na(condition: str, target: str,
                                                         expected: str) -> None:
    """The precedence both ways: NI when the condition node is NI (Basler IEEE1588
    features, available through a Boolean that is NI), NA when it is NA or WO."""
    ref, ours = both('<Integer Name="Zero"><Value>0</Value></Integer>'
                     '<Integer Name="NotImplemented"><pIsImplemented>Zero</pIsImplemented>'
                     "<Value>1</Value></Integer>"
                     '<Integer Name="NotAvailable"><pIsAvailable>Zero</pIsAvailable>'
                     "<Value>1</Value></Integer>"
                     f'<IntReg Name="WriteOnly">{reg(0x100, "WO")}</IntReg>'
                     f'<Integer Name="N"><{condition}>{target}</{condition}><Value>1</Value></Integer>')
    assert facts(ref, ours, "N").access == expected


def test_a_failing_condition_raises_once_then_has_no_effect() -> None:
    """A node whose pIsAvailable formula reads a write-only node: the first access read
    fails, then the condition has no effect (RW); a Category fails every time."""
    body = ('<Integer Name="W"><ImposedAccessMode>WO</ImposedAccessMode><Value>5</Value></Integer>'
            '<IntSwissKnife Name="K"><pVariable Name="V">W</pVariable><Formula>V+1</Formula>'
            "</IntSwissKnife>"
            '<Category Name="Cat"><pIsImplemented>K</pIsImplemented><pFeature>N</pFeature></Category>'
            '<Integer Name="N"><pIsAvailable>K</pIsAvailable><Value>1</Value></Integer>')
    ref, ours = both(body)
    assert isinstance(facts(ref, ours, "Cat").access, oracle.Raised)
    assert isinstance(facts(ref, ours, "Cat").access, oracle.Raised)  # a category: always
    # N's access was first asked (and failed) while the category's was worked out;
    # now the condition has no effect
    got = facts(ref, ours, "N")
    assert (got.access, got.value) == ("RW", 1)
    ref, ours = both(body)   # asked directly: the first read fails, the next answers
    assert isinstance(facts(ref, ours, "N").access, oracle.Raised)
    assert facts(ref, ours, "N").access == "RW"


def test_category_access_is_worked_out_once() -> None:
    body = ('<Integer Name="F"><Value>0</Value><Min>0</Min><Max>1</Max></Integer>'
            '<Category Name="Cat"><pIsImplemented>F</pIsImplemented><pFeature>F</pFeature></Category>')
    ref, ours = both(body)
    assert facts(ref, ours, "Cat").access == "NI"
    assert _ref_write(ref, "F", 1) is None and _our_write(ours, "F", 1) is None
    assert facts(ref, ours, "Cat").access == "NI"   # not recomputed


def test_indexed_value_ignores_its_conditions() -> None:
    body = ('<Integer Name="Zero"><Value>0</Value></Integer><Integer Name="One"><Value>1</Value>'
            "</Integer>"
            '<Integer Name="S"><Value>0</Value><Min>0</Min><Max>3</Max></Integer>'
            '<Integer name="X"><pIsImplemented>Zero</pIsImplemented><pIsAvailable>Zero'
            "</pIsAvailable><pIsLocked>One</pIsLocked><pIndex>S</pIndex>"
            '<ValueIndexed Index="0">26</ValueIndexed><ValueDefault>2</ValueDefault></Integer>')
    ref, ours = both(body.replace('name="X"', 'Name="X"'))
    got = facts(ref, ours, "X")
    assert (got.access, got.value) == ("RW", 26)


def test_write_only_bound_or_variable_does_not_make_na() -> None:
    body = (f'<IntReg Name="W">{reg(0x100, "WO")}</IntReg>'
            '<Integer Name="I"><Value>1</Value><pMax>W</pMax></Integer>'
            '<IntSwissKnife Name="K"><pVariable Name="V">W</pVariable><Formula>3</Formula>'
            "</IntSwissKnife>")
    ref, ours = both(body)
    assert facts(ref, ours, "I").access == "RW"
    got = facts(ref, ours, "K")
    assert got.access == "RO" and isinstance(got.value, oracle.Raised)  # every pVariable is read


LOCKS = (f'<IntReg Name="W">{reg(0x100, "WO")}</IntReg><IntReg Name="R">{reg(0x104, "RO")}</IntReg>'
         f'<IntReg Name="RWr">{reg(0x108)}</IntReg><Integer Name="Zero"><Value>0</Value></Integer>'
         '<Integer Name="NAi"><pIsAvailable>Zero</pIsAvailable><Value>1</Value></Integer>')


@pytest.mark.parametrize(("lock", "node", "expected"), [
    ("W", '<Integer Name="N">{L}<pValue>R</pValue></Integer>', "RO"),
    ("NAi", '<Integer Name="N">{L}<pValue>R</pValue></Integer>', "NA"),
    ("W", '<Integer Name="N">{L}<ImposedAccessMode>RO</ImposedAccessMode><pValue>RWr</pValue>'
          "</Integer>", "NA"),
    ("W", '<Integer Name="N">{L}<ImposedAccessMode>RO</ImposedAccessMode><Value>1</Value>'
          "</Integer>", "NA"),
    ("W", '<IntSwissKnife Name="N">{L}<Formula>1</Formula></IntSwissKnife>', "NA"),
    ("W", '<String Name="N">{L}<ImposedAccessMode>RO</ImposedAccessMode><Value>x</Value></String>',
     "NA"),
    ("W", '<Boolean Name="N">{L}<pValue>R</pValue></Boolean>', "RO"),
    ("NAi", '<Boolean Name="N">{L}<pValue>R</pValue></Boolean>', "NA"),
    ("NAi", '<Command Name="N">{L}<pValue>R</pValue><CommandValue>1</CommandValue></Command>',
     "NA"),
    ("W", '<Enumeration Name="E"><EnumEntry Name="S0">{L}<Value>0</Value></EnumEntry>'
          "<Value>0</Value></Enumeration>", "NA"),
    ("NAi", '<Enumeration Name="E"><EnumEntry Name="S0">{L}<Value>0</Value></EnumEntry>'
            '<EnumEntry Name="S1"><Value>1</Value></EnumEntry><Value>0</Value></Enumeration>',
     "RW"),
    ("NAi", '<Category Name="N">{L}<pFeature>Zero</pFeature></Category>', "RO")])
def test_a_lock_that_cannot_be_read(lock: str, node: str, expected: str) -> None:
    """A pIsLocked node that is NA makes the node NA whatever its mode (a Category
    excepted: only pIsImplemented applies to it); a write-only one only a node it could
    lock, judged on what the node is built on, before ImposedAccessMode and the kind's
    own RO (a SwissKnife, an EnumEntry, a node with its own Value).  An Enumeration
    whose only entry is so locked is NA; with another entry it stays RW."""
    ref, ours = both(LOCKS + node.replace("{L}", f"<pIsLocked>{lock}</pIsLocked>"))
    name = "E" if "<Enumeration" in node else "N"
    got = facts(ref, ours, name)
    assert got.access == expected
    if name == "E":  # the NA entry is still implemented: listed
        assert got.entries == ("S0", "S1")[:node.count("<EnumEntry")]


@pytest.mark.parametrize("user", [
    '<IntSwissKnife Name="U"><pVariable Name="A">N</pVariable><Formula>A</Formula></IntSwissKnife>',
    '<IntSwissKnife Name="U"><pVariable Name="A">L</pVariable><Formula>A</Formula></IntSwissKnife>',
    '<Integer Name="U"><pValue>N</pValue></Integer>',
    '<Integer Name="U"><ImposedAccessMode>RO</ImposedAccessMode><pValue>N</pValue></Integer>',
    "<Converter Name=\"U\"><pVariable Name=\"X\">N</pVariable><FormulaTo>FROM</FormulaTo>"
    "<FormulaFrom>TO</FormulaFrom><pValue>R</pValue></Converter>",
    '<Enumeration Name="U"><EnumEntry Name="S0"><Value>0</Value></EnumEntry><pValue>N</pValue>'
    "</Enumeration>"])
def test_a_condition_failing_below_is_kept_by_every_node_it_went_through(user: str) -> None:
    """U's access asks N's (or L's), whose pIsAvailable (pIsLocked) formula reads a
    write-only node: the first access read of U fails, and U then keeps RW within its
    ImposedAccessMode, as N does — what it is built on no longer matters (an
    IntSwissKnife answers RW, a Converter over an RO register RW).  Asked after N, U
    sees N's kept RW and works its access out as usual."""
    body = ('<Integer Name="W"><ImposedAccessMode>WO</ImposedAccessMode><Value>5</Value></Integer>'
            '<IntSwissKnife Name="K"><pVariable Name="V">W</pVariable><Formula>V+1</Formula>'
            "</IntSwissKnife>"
            '<Integer Name="N"><pIsAvailable>K</pIsAvailable><Value>1</Value></Integer>'
            '<Integer Name="L"><pIsLocked>K</pIsLocked><Value>1</Value></Integer>'
            f'<IntReg Name="R">{reg(0x100, "RO")}</IntReg>' + user)
    kept = "RO" if "ImposedAccessMode>RO" in user else "RW"
    ref, ours = both(body)
    assert isinstance(facts(ref, ours, "U").access, oracle.Raised)
    assert facts(ref, ours, "U").access == kept
    assert facts(ref, ours, "N").access == "RW" or ">L<" in user
    ref, ours = both(body)
    facts(ref, ours, "L" if ">L<" in user else "N")   # fails here, not in U
    usual = facts(ref, ours, "U").access
    assert usual == {"IntSwissKnife": "RO", "Converter": "RO"}.get(user[1:user.index(" ")], kept)


@pytest.mark.parametrize("address", ["<pIndex>{T}</pIndex><Address>0x100</Address>",
                                     "<pAddress>{T}</pAddress>",
                                     "<Address>0x100</Address><pAddress>{T}</pAddress>"])
@pytest.mark.parametrize(("target", "expected"), [
    ("W", None), ("NAi", "NA"), ("NIi", "NI")])
@pytest.mark.parametrize("mode", ["RO", "RW"])
def test_register_address_inputs_count_by_presence(address: str, target: str,
                                                   expected: str | None, mode: str) -> None:
    """A register whose pIndex/pAddress names a write-only node keeps its AccessMode;
    one not available makes it NA, one not implemented NI."""
    body = (f'<IntReg Name="W">{reg(0x200, "WO")}</IntReg>'
            '<Integer Name="Zero"><Value>0</Value></Integer>'
            '<Integer Name="NAi"><pIsAvailable>Zero</pIsAvailable><Value>1</Value></Integer>'
            '<Integer Name="NIi"><pIsImplemented>Zero</pIsImplemented><Value>1</Value></Integer>'
            '<IntReg Name="R">' + reg(0x100, mode).replace(
                "<Address>0x100</Address>", address.replace("{T}", target)) + "</IntReg>")
    ref, ours = both(body)
    assert facts(ref, ours, "R").access == (expected or mode)


@pytest.mark.parametrize(("own", "kept"), [
    ("<pValue>RO1</pValue>", "RO"), ("<Value>0</Value>", "RW"),
    ("<pIsAvailable>Zero</pIsAvailable><pValue>RW1</pValue>", "NA"),
    ("<pIsLocked>One</pIsLocked><pValue>RW1</pValue>", "RO"),
    ("<ImposedAccessMode>WO</ImposedAccessMode><pValue>RW1</pValue>", "WO"),
    ("<pIsAvailable>K</pIsAvailable><pValue>RO1</pValue>", "RW")])
def test_an_enumeration_whose_entry_condition_fails_keeps_its_own_access(own: str,
                                                                          kept: str) -> None:
    """The entry's pIsAvailable formula reads a write-only node: the enumeration's first
    access read fails, then it answers its own access, worked out before its entries
    were asked (not RW, as a node whose own condition failed does — last case), and the
    entry answers RO."""
    entry = ('<EnumEntry Name="S0"><pIsAvailable>K</pIsAvailable><Value>0</Value></EnumEntry>'
             if "K<" not in own else '<EnumEntry Name="S0"><Value>0</Value></EnumEntry>')
    split = own.find("<pValue>") if "<pValue>" in own else 0
    head, source = own[:split], own[split:]   # conditions before the entries, source after
    body = (f'<IntReg Name="W">{reg(0x100, "WO")}</IntReg><IntReg Name="RW1">{reg(0x104)}</IntReg>'
            f'<IntReg Name="RO1">{reg(0x108, "RO")}</IntReg>'
            '<IntSwissKnife Name="K"><pVariable Name="V">W</pVariable><Formula>V+1</Formula>'
            "</IntSwissKnife>"
            '<Integer Name="Zero"><Value>0</Value></Integer><Integer Name="One"><Value>1</Value>'
            f'</Integer><Enumeration Name="E">{head}{entry}{source}</Enumeration>')
    ref, ours = both(body)
    assert isinstance(facts(ref, ours, "E").access, oracle.Raised)
    assert facts(ref, ours, "E").access == kept
    assert oracle.reference_feature_facts(ref, "E").entries == ("S0",)
    entry_ref = ref.get_node("EnumEntry_E_S0").node.get_access_mode()
    assert oracle._access_name(entry_ref) == ours.node("EnumEntry_E_S0").access() == "RO"


def _ref_or_raised(read: Any) -> Any:
    try:
        return read()
    except Exception as exc:  # noqa: BLE001 - the reference's error, named as the oracle does
        return oracle.normalise_reference_error(exc)


def _ours_or_raised(read: Any) -> Any:
    try:
        return read()
    except Exception as exc:  # noqa: BLE001 - our error, named as the oracle does
        return oracle.normalise_our_error(exc)


@pytest.mark.parametrize("imposed", ["RO", None])
@pytest.mark.parametrize("entry_condition", [True, False])
@pytest.mark.parametrize("calls", [1, 2, 3])
@pytest.mark.parametrize("listed", ["entries", "by name"])
@pytest.mark.parametrize("own", ["pIsImplemented", "pIsAvailable", "pIsLocked"])
def test_an_enumeration_whose_own_condition_fails_asks_its_entries_again(
        imposed: str | None, entry_condition: bool, calls: int, listed: str, own: str) -> None:
    """The enumeration's pIsImplemented (pIsAvailable, pIsLocked) formula reads a
    write-only node: its first access read fails on that condition; the next one starts
    from RW within ImposedAccessMode and still asks its entries, so an entry with the
    same failing condition makes it fail again (and that entry answers RO from then
    on); the third answers.  The first read never reaches the entries (the entry's
    condition fails when it is asked on its own).  Both sides, same sequence; the
    enumeration's errors and access compared call by call (found by the generator,
    seed 101: Enum13 with its entry S0)."""
    condition = "<pIsImplemented>K</pIsImplemented>"
    body = (f'<IntReg Name="W">{reg(0x100, "WO", 1)}</IntReg>'
            '<IntSwissKnife Name="K"><pVariable Name="V">W</pVariable><Formula>V+1</Formula>'
            f'</IntSwissKnife><Enumeration Name="E"><{own}>K</{own}>'
            + (f"<ImposedAccessMode>{imposed}</ImposedAccessMode>" if imposed else "")
            + '<EnumEntry Name="S0">' + (condition if entry_condition else "")
            + '<Value>0</Value></EnumEntry><EnumEntry Name="S1"><Value>1</Value></EnumEntry>'
            "<pValue>W</pValue></Enumeration>")
    ref, ours = both(body)
    kept = imposed or "RW"
    expected: list[Any] = ["AccessError"]
    expected += (["AccessError", kept] if entry_condition else [kept, kept])[:calls - 1]
    seen = []
    for _ in range(calls):
        theirs = _ref_or_raised(lambda: oracle._access_name(
            ref.get_node("E").node.get_access_mode()))
        mine = _ours_or_raised(lambda: ours.node("E").access())
        assert theirs == mine
        seen.append(theirs.error if isinstance(theirs, oracle.Raised) else theirs)
    assert seen == expected
    if listed == "entries":
        theirs_entries = [(e.symbolic, _ref_or_raised(
            lambda: oracle._access_name(e.node.get_access_mode())))
            for e in ref.get_node("E").entries]
    else:
        theirs_entries = [(s, _ref_or_raised(lambda: oracle._access_name(
            ref.get_node("E").get_entry_by_name(s).node.get_access_mode())))
            for s in ("S0", "S1")]
    mine_entries = [(e.symbolic, _ours_or_raised(e.access))
                    for e in ours.node("E").all_entries()]
    assert theirs_entries == mine_entries
    # S0 was asked (and failed) by the second call: RO from then on; before, it fails
    # when asked on its own
    s0_fails = entry_condition and calls == 1
    assert isinstance(mine_entries[0][1], oracle.Raised) == s0_fails
    assert mine_entries[1][1] == "RO"


@pytest.mark.parametrize("condition", ["pIsLocked", "pIsAvailable", "pIsImplemented"])
def test_a_value_no_entry_has_does_not_ask_the_entries_access(condition: str) -> None:
    """An Enumeration holding a value none of its entries has: the read fails (a generic
    error in the reference, our RangeError) without asking the entries' access, so an
    entry whose condition fails still raises that error when the entries are listed
    next (found by the generator, seed 101: Enum13 = 99 with S1's pIsLocked failing;
    nodemap asked every entry's access to word its error message)."""
    body = (f'<IntReg Name="W">{reg(0x100, "WO", 1)}</IntReg>'
            '<IntSwissKnife Name="K"><pVariable Name="V">W</pVariable><Formula>V+1</Formula>'
            '</IntSwissKnife><Enumeration Name="E"><EnumEntry Name="S0"><Value>0</Value>'
            f'</EnumEntry><EnumEntry Name="S1"><{condition}>K</{condition}><Value>1</Value>'
            "</EnumEntry><Value>99</Value></Enumeration>")
    ref, ours = both(body)
    got = facts(ref, ours, "E")   # access, value, int value, ..., entries: in that order
    assert got.access == "RW"
    assert isinstance(got.value, oracle.Raised) and got.value.error == "Error"
    assert isinstance(got.entries, oracle.Raised) and got.entries.error == "AccessError"


@pytest.mark.parametrize("read", ["value", "int_value"])
def test_failed_value_reads_of_an_enumeration_count_as_failed_access_reads(read: str) -> None:
    """A value read asks the access first: two failed value reads leave the entry with
    the same failing condition RO, as two access reads do (g101 Enum13/S0)."""
    condition = "<pIsImplemented>K</pIsImplemented>"
    body = (f'<IntReg Name="W">{reg(0x100, "WO", 1)}</IntReg>'
            '<IntSwissKnife Name="K"><pVariable Name="V">W</pVariable><Formula>V+1</Formula>'
            f'</IntSwissKnife><Enumeration Name="E">{condition}'
            f'<ImposedAccessMode>RO</ImposedAccessMode><EnumEntry Name="S0">{condition}'
            '<Value>0</Value></EnumEntry><EnumEntry Name="S1"><Value>1</Value></EnumEntry>'
            "<pValue>W</pValue></Enumeration>")
    ref, ours = both(body)
    for _ in range(2):
        node = ref.get_node("E")
        theirs = _ref_or_raised(lambda: node.value if read == "value" else node.get_int_value())
        mine = _ours_or_raised(lambda: getattr(ours.features["E"], read))
        assert isinstance(theirs, oracle.Raised) and isinstance(mine, oracle.Raised)
        assert theirs.error == mine.error == "AccessError"
    got = facts(ref, ours, "E")
    assert got.entries == ("S0", "S1")


@pytest.mark.parametrize(("conditions", "source", "expected"), [
    ("<pIsImplemented>W</pIsImplemented>", "NIi", "NI"),
    ("<pIsImplemented>NAi</pIsImplemented>", "NIi", "NI"),
    ("<pIsImplemented>K</pIsImplemented>", "NIi", "NI"),     # K is not even read
    ("<pIsImplemented>K</pIsImplemented>", "NAi", None),     # ... but here it is
    ("<pIsImplemented>Zero</pIsImplemented>", "NAi", "NI"),
    ("<pIsAvailable>K</pIsAvailable>", "NAi", "NA"),          # not read under NA
    ("<pIsLocked>K</pIsLocked>", "NAi", "NA"),
    ("<pIsAvailable>K</pIsAvailable>", "RO1", None)])
def test_what_a_node_is_built_on_comes_before_its_conditions(conditions: str, source: str,
                                                             expected: str | None) -> None:
    """A pValue that is NI makes the node NI before its pIsImplemented is read (one that
    cannot be read, or fails, included); one that is NA leaves pIsAvailable and
    pIsLocked unread — pIsImplemented is still read.  None: the access read fails."""
    _check_access_of_n(f"{conditions}<pValue>{source}</pValue>", expected)


def test_category_over_a_failing_formula_fails_every_time() -> None:
    """A Category whose pIsImplemented is a formula over a write-only register fails
    each access read (the generator's first category class), whatever its features."""
    body = (f'<IntReg Name="W">{reg(0x100, "WO")}</IntReg>'
            '<IntSwissKnife Name="K"><pVariable Name="A">W</pVariable><Formula>0-A</Formula>'
            "</IntSwissKnife>"
            '<Integer Name="F"><Value>1</Value></Integer>'
            '<Category Name="Sub"><pIsImplemented>K</pIsImplemented><pFeature>F</pFeature>'
            "<pFeature>W</pFeature><pFeature>K</pFeature></Category>")
    ref, ours = both(body)
    for _ in range(3):
        assert isinstance(facts(ref, ours, "Sub").access, oracle.Raised)
    assert facts(ref, ours, "K").access == "RO"


@pytest.mark.parametrize(("conditions", "source", "expected"), [
    ("<pIsLocked>K</pIsLocked>", "<pValue>RO1</pValue>", "RO"),      # not read
    ("<pIsLocked>K</pIsLocked><ImposedAccessMode>RO</ImposedAccessMode>",
     "<Value>1</Value>", None),                                        # read, fails
    ("<pIsAvailable>K</pIsAvailable><pIsLocked>NAi</pIsLocked>", "<Value>1</Value>", "NA"),
    ("<pIsAvailable>K</pIsAvailable><pIsLocked>W</pIsLocked>", "<Value>1</Value>", None),
    ("<pIsImplemented>K</pIsImplemented><pIsLocked>NAi</pIsLocked>", "<Value>1</Value>", None)])
def test_when_a_lock_is_read(conditions: str, source: str, expected: str | None) -> None:
    """pIsLocked is read only for a node it could lock (judged before ImposedAccessMode);
    a lock node that is NA decides NA before pIsAvailable is read, after pIsImplemented.
    K is a formula over a write-only register: reading it fails (None: the access read
    fails)."""
    _check_access_of_n(f"{conditions}{source}", expected)


def _check_access_of_n(children: str, expected: str | None) -> None:
    """Integer N with ``children`` among W (write-only), RO1 (read-only), K (a formula
    over W: reading it fails), Zero, NAi (NA) and NIi (NI): N's access on both sides is
    ``expected`` (None: the access read fails)."""
    body = (f'<IntReg Name="W">{reg(0x100, "WO")}</IntReg><IntReg Name="RO1">{reg(0x104, "RO")}'
            '</IntReg><IntSwissKnife Name="K"><pVariable Name="V">W</pVariable>'
            "<Formula>V+1</Formula></IntSwissKnife>"
            '<Integer Name="Zero"><Value>0</Value></Integer>'
            '<Integer Name="NAi"><pIsAvailable>Zero</pIsAvailable><Value>1</Value></Integer>'
            '<Integer Name="NIi"><pIsImplemented>Zero</pIsImplemented><Value>1</Value></Integer>'
            f'<Integer Name="N">{children}</Integer>')
    ref, ours = both(body)
    got = facts(ref, ours, "N").access
    if expected is None:
        assert isinstance(got, oracle.Raised)
    else:
        assert got == expected


# ----------------------------------------------------------------- class 5
def test_float_max_through_a_write_only_converter() -> None:
    body = (f'<IntReg Name="W">{reg(0x100, "WO")}</IntReg>'
            "<Converter Name=\"C\"><FormulaTo>FROM*2</FormulaTo><FormulaFrom>TO/2</FormulaFrom>"
            "<pValue>W</pValue><Slope>Increasing</Slope></Converter>"
            '<Float Name="F"><Value>1.0</Value><Min>-1000000.0</Min><pMax>C</pMax></Float>')
    ref, ours = both(body)
    got = facts(ref, ours, "F")
    assert (got.access, got.value, got.min) == ("RW", 1.0, -1000000.0)
    assert facts(ref, ours, "C").access == "WO"


def test_float_bound_read_as_infinity_is_dbl_max() -> None:
    memory = SparseMemory("zero")
    memory.preset(0x100, (0x7FF0000000000000).to_bytes(8, "little"))  # +inf
    body = (f'<FloatReg Name="R">{reg(0x100, length=8)}</FloatReg>'
            '<Float Name="F"><Value>1.0</Value><pMax>R</pMax></Float>')
    ref, ours = both(body, memory)
    assert facts(ref, ours, "F").max == 1.7976931348623157e308


# ----------------------------------------------------------------- writes
@pytest.mark.parametrize(("value", "stored"), [(13.0, 14), (12.0, 10), (11.0, 10), (9.0, 10)])
def test_double_written_into_an_integer_snaps_to_its_grid(value: float, stored: int) -> None:
    body = ('<Integer Name="T"><Value>10</Value><Min>10</Min><Max>40</Max><Inc>4</Inc></Integer>'
            "<Converter Name=\"C\"><FormulaTo>FROM</FormulaTo><FormulaFrom>TO</FormulaFrom>"
            "<pValue>T</pValue><Slope>Varying</Slope></Converter>")
    ref, ours = both(body)
    assert _ref_write(ref, "C", value) is None and _our_write(ours, "C", value) is None
    assert facts(ref, ours, "T").value == stored


def test_converter_write_verifies_what_it_reads() -> None:
    body = ('<Integer Name="K0"><Value>-1000</Value><Min>-323</Min><Max>76</Max></Integer>'
            f'<IntReg Name="R">{reg(0x100)}</IntReg>'
            "<Converter Name=\"C\"><pVariable Name=\"K\">K0</pVariable><FormulaTo>FROM</FormulaTo>"
            "<FormulaFrom>TO</FormulaFrom><pValue>R</pValue><Slope>Varying</Slope></Converter>")
    ref, ours = both(body)
    theirs, mine = _ref_write(ref, "C", 1.0), _our_write(ours, "C", 1.0)
    assert theirs is not None and theirs.error == "RangeError"
    assert oracle.same_value(theirs, mine)


@pytest.mark.parametrize("tag", ["MaskedIntReg", "StructEntry"])
def test_write_only_bit_field_refuses_writes(tag: str) -> None:
    field = "<LSB>0</LSB><MSB>3</MSB>"
    if tag == "MaskedIntReg":
        body = f'<MaskedIntReg Name="M">{reg(0x100, "WO").replace("<Endianess>", field + "<Endianess>")}</MaskedIntReg>'
    else:
        body = (f'<StructReg Comment="s">{reg(0x100, "WO")}<StructEntry Name="M">{field}'
                "</StructEntry></StructReg>")
    ref, ours = both(body)
    theirs, mine = _ref_write(ref, "M", 3), _our_write(ours, "M", 3)
    assert theirs is not None and theirs.error == "AccessError"
    assert oracle.same_value(theirs, mine)


def test_integer_with_zero_increment_refuses_writes() -> None:
    body = ('<Integer Name="Z"><Value>0</Value></Integer>'
            '<Integer Name="I"><Value>1</Value><pInc>Z</pInc></Integer>')
    ref, ours = both(body)
    theirs, mine = _ref_write(ref, "I", 1), _our_write(ours, "I", 1)
    assert theirs is not None and oracle.same_value(theirs, mine)


def test_float_writes_compare_with_bounds_as_the_reference() -> None:
    """A Float whose pMin/pMax is a FloatReg holding NaN takes any value (NaN compares
    false both ways), and NaN itself passes every bound; a FloatReg refuses an infinity
    (its bounds are its type's largest finite values)."""
    import struct
    memory = SparseMemory("zero")
    memory.preset(0x100, struct.pack("<f", float("nan")))
    require_genicam()
    xml = document(f'<FloatReg Name="N">{reg(0x100)}</FloatReg>'
                   f'<FloatReg Name="R8">{reg(0x108, length=8)}</FloatReg>'
                   '<Float Name="F"><Value>1</Value><pMin>N</pMin><pMax>N</pMax></Float>'
                   '<Float Name="G"><Value>1</Value><Min>0</Min><Max>10</Max></Float>')
    ref = oracle.load_reference(xml, memory.clone(), "Device")
    ours = oracle.load_ours(xml, memory.clone(), "Device")
    for name, value in (("F", -5.0), ("F", 1e300), ("G", float("nan"))):
        assert _ref_write(ref, name, value) is None
        assert _our_write(ours, name, value) is None
        assert oracle.same_value(facts(ref, ours, name).value, value)
    for value in (float("inf"), float("-inf")):
        assert _ref_write(ref, "R8", value) == _our_write(ours, "R8", value) == \
            oracle.Raised("RangeError")
    assert facts(ref, ours, "R8").value == 0.0


# ----------------------------------------------------------------- presentation
def test_unit_and_representation_come_from_the_pvalue_node() -> None:
    body = (f'<IntReg Name="X">{reg(0x100)}<Unit>mm</Unit><Representation>HexNumber'
            "</Representation></IntReg>"
            '<Integer Name="H"><pValue>X</pValue></Integer><Integer Name="P"><Value>1</Value></Integer>')
    require_genicam()
    import genicam.genapi as genapi

    ref, ours = both(body.replace("<Unit>mm</Unit><Representation>HexNumber</Representation>",
                                  "").replace("<Endianess>LittleEndian</Endianess>",
                                              "<Endianess>LittleEndian</Endianess><Unit>mm</Unit>"
                                              "<Representation>HexNumber</Representation>"))
    for name, unit, representation in (("H", "mm", "HexNumber"), ("P", "", "PureNumber")):
        node = ref.get_node(name)
        assert node.unit == unit == ours.features[name].unit
        assert genapi.ERepresentation(int(node.representation)).name == representation \
            == ours.features[name].representation


def test_category_visibility_follows_its_features() -> None:
    require_genicam()
    import genicam.genapi as genapi

    body = ('<Category Name="Empty"></Category>'
            '<Category Name="G"><pFeature>Guru</pFeature><pFeature>Expert</pFeature></Category>'
            '<Integer Name="Guru"><Visibility>Guru</Visibility><Value>1</Value></Integer>'
            '<Integer Name="Expert"><Visibility>Expert</Visibility><Value>1</Value></Integer>')
    ref, ours = both(body)
    for name, expected in (("Empty", "Invisible"), ("G", "Expert")):
        assert genapi.EVisibility(int(ref.get_node(name).node.visibility)).name == expected
        assert ours.features[name].visibility == expected


def test_register_on_an_unconnected_port() -> None:
    """Nothing connected: a device port and its registers are NI, a chunk port NA."""
    require_genicam()
    import genicam.genapi as genapi

    import nodemap

    body = (f'<IntReg Name="R">{reg(0x100)}</IntReg>'
            '<Port Name="Chunk"><ChunkID>12</ChunkID></Port>')
    xml = document(body)
    ref = genapi.NodeMap()
    ref.load_xml_from_string(xml.decode())
    ours = nodemap.NodeMap.from_xml(xml)
    for name, expected in (("R", "NI"), ("Device", "NI"), ("Chunk", "NA")):
        assert oracle._access_name(ref.get_node(name).node.get_access_mode()) == expected
        assert ours.features[name].access == expected


@pytest.mark.parametrize(("variables", "formula", "fails_in"), [
    ((("A", "Masked"), ("B", "Conv")), "A*4", "Masked"),   # declared and named first
    ((("Z", "Conv"), ("A", "Masked")), "A*4", "Masked"),   # declared second, named first
    ((("A", "Conv"), ("B", "Masked")), "B*4", "Conv"),     # unused, named first
    ((("Z", "Masked"), ("A", "Conv")), "Z*4", "Conv")])    # declared second, named first
def test_formula_variables_are_read_in_name_order(
        variables: tuple[tuple[str, str], ...], formula: str, fails_in: str) -> None:
    """Every pVariable is read, used or not, in the order of the variable names (the
    reference keeps them in a sorted map): of two failing inputs, the first by name is
    the error reported, whatever the declaration order."""
    declared = "".join(f'<pVariable Name="{var}">{target}</pVariable>'
                       for var, target in variables)
    masked = reg(0x1000, "WO", 1).replace("<Endianess>", "<Bit>0</Bit><Endianess>")
    body = (f'<MaskedIntReg Name="Masked">{masked}</MaskedIntReg>'
            f'<IntReg Name="Zero">{reg(0x1004)}</IntReg>'
            '<IntConverter Name="Conv"><pVariable Name="K">Zero</pVariable>'
            "<FormulaTo>FROM*K</FormulaTo><FormulaFrom>TO/K</FormulaFrom>"
            "<pValue>Zero</pValue><Slope>Increasing</Slope></IntConverter>"
            f'<IntSwissKnife Name="ISK">{declared}<Formula>{formula}</Formula>'
            "</IntSwissKnife>")
    ref, ours = both(body)
    theirs = facts(ref, ours, "ISK")
    assert isinstance(theirs.value, oracle.Raised) and fails_in in theirs.value.detail
    mine = oracle.our_feature_facts(ours, "ISK")
    assert isinstance(mine.value, oracle.Raised) and fails_in in mine.value.detail


def test_a_converter_variable_under_its_min_is_refused_before_its_max_is_read() -> None:
    """The write's check of a pVariable reads its min, compares, then reads its max: a
    value under the min is a RangeError even when the max cannot be read (a write-only
    pMax); generator seed 9400."""
    body = ('<Integer Name="W"><ImposedAccessMode>WO</ImposedAccessMode><Value>9</Value>'
            '</Integer>'
            '<Integer Name="K"><Value>-4</Value><Min>3</Min><pMax>W</pMax></Integer>'
            '<Integer Name="T"><Value>0</Value><Min>-100</Min><Max>100</Max></Integer>'
            '<Converter Name="C"><pVariable Name="K">K</pVariable><FormulaTo>FROM</FormulaTo>'
            '<FormulaFrom>TO</FormulaFrom><pValue>T</pValue></Converter>')
    ref, ours = both(body)
    theirs, mine = _ref_write(ref, "C", 5.0), _our_write(ours, "C", 5.0)
    assert theirs is not None and theirs.error == "RangeError" and "'K'" in theirs.detail
    assert mine is not None and mine.error == "RangeError" and "K" in mine.detail


@pytest.mark.parametrize("name", ["Used", "Unused", "Converter"])
def test_an_integer_formula_converts_every_float_variable_used_or_not(name: str) -> None:
    """An integer formula converts each pVariable to int64 as it reads it, used in the
    formula or not: a float out of int64 fails the formula (generator seeds 9800,
    10000); a double formula reads the same variable without complaint."""
    body = ('<Float Name="F"><Value>1e300</Value></Float>'
            '<Integer Name="I"><Value>3</Value></Integer>'
            '<IntSwissKnife Name="Used"><pVariable Name="A">I</pVariable>'
            '<pVariable Name="B">F</pVariable><Formula>A+B</Formula></IntSwissKnife>'
            '<IntSwissKnife Name="Unused"><pVariable Name="A">I</pVariable>'
            '<pVariable Name="B">F</pVariable><Formula>A</Formula></IntSwissKnife>'
            '<SwissKnife Name="Double"><pVariable Name="A">I</pVariable>'
            '<pVariable Name="B">F</pVariable><Formula>A</Formula></SwissKnife>'
            '<IntConverter Name="Converter"><pVariable Name="B">F</pVariable>'
            '<FormulaTo>FROM</FormulaTo><FormulaFrom>TO</FormulaFrom><pValue>I</pValue>'
            '<Slope>Increasing</Slope>'
            '</IntConverter>')
    ref, ours = both(body)
    theirs = facts(ref, ours, name)
    assert isinstance(theirs.value, oracle.Raised) and "out of integer range" in theirs.value.detail
    assert facts(ref, ours, "Double").value == 3.0
