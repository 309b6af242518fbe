"""The written node keeps its access mode, even where a cycle of the description leads
from it back to itself: measured against the reference with a counting port.

FLIR's ``LineSelector`` holds its value (no pValue); a write changes a register address
(``pAddress`` over the selector) that its entries' ``pIsAvailable`` registers name in
``pInvalidator``.  The reference does not invalidate the selector it writes: the next
write checks only the entry written (one port read), where nodemap walked the entries up
to the first available one again (one more read), and a read of a feature whose address
reads the selector checked its entries again.  The same rule for an Integer holding its
value whose ``pIsAvailable`` register names it in ``pInvalidator``: the reference keeps it
RW after writes that make the condition read 0 (nodemap said NA and refused the next
write).  With a pValue the enumeration's access is worked out again on both sides; an
Integer with a pValue keeps its access (unless its write goes on into an IntConverter),
as the last test pins over the shapes measured.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.core.xmlkit import description, int_reg
from tests.peers import require_genicam

from . import oracle
from .memory import SparseMemory


def _flag(name: str, address: int, bit: int, extra: str = "") -> str:
    return (f'<MaskedIntReg Name="{name}"><Address>{address:#x}</Address><Length>4</Length>'
            f'<AccessMode>RO</AccessMode><pPort>Device</pPort>{extra}<Bit>{bit}</Bit>'
            f'<Sign>Unsigned</Sign><Endianess>BigEndian</Endianess></MaskedIntReg>')


def _line_selector(held: bool) -> str:
    """E with three entries, each implemented and available through flags at its own
    address (the available flag invalidated by XV, a register whose address reads E)."""
    entries = "".join(f'<EnumEntry Name="L{i}"><pIsImplemented>I{i}</pIsImplemented>'
                      f'<pIsAvailable>A{i}</pIsAvailable><Value>{i}</Value></EnumEntry>'
                      for i in range(3))
    flags = "".join(_flag(f"I{i}", 0x1000 + 0x20 * i, 31)
                    + _flag(f"A{i}", 0x1000 + 0x20 * i, 30, "<pInvalidator>XV</pInvalidator>")
                    for i in range(3))
    value = "<Value>0</Value>" if held else "<pValue>R</pValue>"
    return (f'<Enumeration Name="E">{entries}{value}<pSelected>X</pSelected></Enumeration>'
            + int_reg("R", 0x104) + flags
            + '<Integer Name="X"><pValue>XV</pValue></Integer>'
            '<IntReg Name="XV"><pAddress>XA</pAddress><Address>0x200</Address><Length>4'
            '</Length><AccessMode>RW</AccessMode><pPort>Device</pPort><Sign>Unsigned</Sign>'
            '<Endianess>LittleEndian</Endianess></IntReg>'
            '<IntSwissKnife Name="XA"><pVariable Name="SEL">E</pVariable><Formula>SEL*4'
            '</Formula></IntSwissKnife>')


def _side(side: str, body: str, memory: SparseMemory) -> tuple[Any, Any]:
    """(name → node or feature, name → its access mode) of one side over ``memory``."""
    xml = description(body)
    if side == "reference":
        get = oracle.load_reference(xml, memory, "Device").get_node

        def access(name: str) -> str:
            return oracle._access_name(get(name).node.get_access_mode())
        return get, access
    features = oracle.load_ours(xml, memory, "Device").features

    def our_access(name: str) -> str:
        return str(features[name].access)
    return features.__getitem__, our_access


def _steps(side: str, body: str, steps: list[str]) -> list[tuple[str, Any, list[int]]]:
    memory = SparseMemory("zero")
    for i in range(3):
        memory.write(0x1000 + 0x20 * i, (3).to_bytes(4, "big"))  # implemented, available
    log = memory.log_reads()
    get, access = _side(side, body, memory)
    out: list[tuple[str, Any, list[int]]] = []
    for step in steps:
        log.clear()
        if step == "access":
            answer: Any = access("E")
        elif step == "read":
            answer = get("X").value
        else:
            get("E").value = step
            answer = None
        out.append((step, answer, list(log)))
    return out


@pytest.mark.parametrize("held", [True, False], ids=["held-value", "pvalue"])
@pytest.mark.parametrize("steps", [
    ["L0", "L1", "L0", "L1", "L0"],
    ["L0", "read", "L1", "read", "L0", "read", "L1"],
    ["L1", "access", "L0", "access", "L1"]], ids=["writes", "writes-and-reads", "access"])
def test_a_selector_write_re_reads_what_the_reference_re_reads(held: bool,
                                                              steps: list[str]) -> None:
    require_genicam()
    body = _line_selector(held)
    reference = _steps("reference", body, steps)
    assert _steps("ours", body, steps) == reference
    if held and steps[:2] == ["L0", "L1"]:  # the rule still measured: the written entry only
        assert reference[1][2] == [0x1020]


def test_an_integer_keeps_its_access_after_its_write_reaches_its_condition() -> None:
    require_genicam()
    body = ('<Integer Name="I"><pIsAvailable>RK</pIsAvailable><Value>0</Value><Min>0</Min>'
            '<Max>10</Max></Integer>' + int_reg("RK", 0x100, extra="<pInvalidator>I</pInvalidator>"))
    runs = {}
    for side in ("ours", "reference"):
        memory = SparseMemory("zero")
        memory.write(0x100, (1).to_bytes(4, "little"))
        xml = description(body)
        if side == "reference":
            nm = oracle.load_reference(xml, memory, "Device")
            get = nm.get_node
            access = lambda: oracle._access_name(get("I").node.get_access_mode())  # noqa: E731
        else:
            features = oracle.load_ours(xml, memory, "Device").features
            get = features.__getitem__
            access = lambda: str(features["I"].access)  # noqa: E731
        answers: list[Any] = [access()]
        memory.write(0x100, (0).to_bytes(4, "little"))
        for value in (7, 3):
            try:
                get("I").value = value
                answers.append(value)
            except Exception as exc:
                answers.append("error" if "Access" in type(exc).__name__ else repr(exc))
            answers.append(access())
        answers.append(get("RK").value)  # the condition was read again: it is 0 now
        runs[side] = answers
    assert runs["reference"] == ["RW", 7, "RW", 3, "RW", 0]
    assert runs["ours"] == runs["reference"]


# ------------------------------------------------- the pValue variant (brief K2, class 2)
def _rk(name: str, address: int, invalidated: str) -> str:
    return int_reg(name, address, extra=f"<pInvalidator>{invalidated}</pInvalidator>"
                   if invalidated else "")


_V = '<Integer Name="V"><Value>0</Value></Integer>'
_CONVERTER = ('<IntConverter Name="C"><FormulaTo>FROM</FormulaTo><FormulaFrom>TO</FormulaFrom>'
              "<pValue>V</pValue><Slope>Varying</Slope></IntConverter>")


def _integer(source: str, condition: str = "pIsAvailable") -> str:
    return (f'<Integer Name="I"><{condition}>RK</{condition}>{source}<Min>0</Min><Max>10</Max>'
            "</Integer>")


#: (description, what is written in turn, the nodes whose access is watched, the
#: reference's answers: the access modes first, then per write its outcome and the modes)
_WRITTEN_THROUGH = {
    "pvalue-integer": (_integer("<pValue>V</pValue>") + _V + _rk("RK", 0x100, "I"),
                       "I", ["I"], "RW RW RW"),
    "pvalue-names-the-target": (_integer("<pValue>V</pValue>") + _V + _rk("RK", 0x100, "V"),
                                "I", ["I"], "RW RW RW"),
    "pvalue-intreg": (_integer("<pValue>R</pValue>") + int_reg("R", 0x200) + _rk("RK", 0x100, "R"),
                      "I", ["I"], "RW RW RW"),
    "pvalue-chain": (_integer("<pValue>W</pValue>") + '<Integer Name="W"><pValue>V</pValue>'
                     "</Integer>" + _V + _rk("RK", 0x100, "I"), "I", ["I"], "RW RW RW"),
    "pvalue-enumeration": (_integer("<pValue>E</pValue>") + '<Enumeration Name="E"><EnumEntry '
                           'Name="A"><Value>3</Value></EnumEntry><EnumEntry Name="B"><Value>7'
                           "</Value></EnumEntry><Value>3</Value></Enumeration>"
                           + _rk("RK", 0x100, "I"), "I", ["I"], "RW RW RW"),
    "pisimplemented": (_integer("<pValue>V</pValue>", "pIsImplemented") + _V
                       + _rk("RK", 0x100, "I"), "I", ["I"], "RW RW RW"),
    # a node another node shares the condition with: that one goes NA
    "shared-condition": (_integer("<pValue>V</pValue>") + _V + _rk("RK", 0x100, "I")
                         + '<Integer Name="J"><pIsAvailable>RK</pIsAvailable><pValue>V</pValue>'
                         "</Integer>", "I", ["I", "J"], "RW,RW RW,NA RW,NA"),
    "shared-condition-written-other": (
        _integer("<pValue>V</pValue>") + _V + _rk("RK", 0x100, "I")
        + '<Integer Name="J"><pIsAvailable>RK</pIsAvailable><pValue>V</pValue></Integer>',
        "J", ["I", "J"], "RW,RW NA,RW NA,RW"),
    "target-written": (_integer("<pValue>V</pValue>") + _V + _rk("RK", 0x100, "I"), "V",
                       ["I", "V"], "RW,RW NA,RW NA,RW"),
    # written through another node over it: it keeps its mode (and so does that node)
    "through-boolean": ('<Boolean Name="B"><pValue>I</pValue></Boolean>'
                        + _integer("<pValue>V</pValue>") + _V + _rk("RK", 0x100, "I"),
                        "B", ["I", "B"], "RW,RW RW,RW RW,RW"),
    "through-converter": ('<Converter Name="F"><FormulaTo>FROM</FormulaTo><FormulaFrom>TO'
                          "</FormulaFrom><pValue>I</pValue><Slope>Varying</Slope></Converter>"
                          + _integer("<pValue>V</pValue>") + _V + _rk("RK", 0x100, "I"),
                          "F", ["I", "F"], "RW,RW RW,RW RW,RW"),
    # the write goes on into an IntConverter: worked out again, NA
    "into-intconverter": (_integer("<pValue>C</pValue>") + _CONVERTER + _V
                          + _rk("RK", 0x100, "I"), "I", ["I"], "RW NA error"),
    "into-intconverter-down-a-chain": (
        _integer("<pValue>W</pValue>") + '<Integer Name="W"><pValue>C</pValue></Integer>'
        + _CONVERTER + _V + _rk("RK", 0x100, "I"), "I", ["I"], "RW NA error"),
    # other kinds with a pValue are worked out again
    "float-pvalue": ('<Float Name="I"><pIsAvailable>RK</pIsAvailable><pValue>F</pValue></Float>'
                     '<Float Name="F"><Value>0</Value></Float>' + _rk("RK", 0x100, "I"),
                     "I", ["I"], "RW NA error"),
    "boolean-pvalue": ('<Boolean Name="I"><pIsAvailable>RK</pIsAvailable><pValue>V</pValue>'
                       "</Boolean>" + _V + _rk("RK", 0x100, "I"), "I", ["I"], "RW NA error"),
    "intconverter-pvalue": ('<IntConverter Name="I"><pIsAvailable>RK</pIsAvailable><FormulaTo>'
                            "FROM</FormulaTo><FormulaFrom>TO</FormulaFrom><pValue>V</pValue>"
                            "<Slope>Varying</Slope></IntConverter>" + _V + _rk("RK", 0x100, "I"),
                            "I", ["I"], "RW NA error"),
}
_FIRST = {"Float": 7.0, "Boolean": True, "Converter": 7.0}


def _through(side: str, body: str, written: str, watch: list[str]) -> list[str]:
    memory = SparseMemory("zero")
    memory.write(0x100, (1).to_bytes(4, "little"))
    get, access = _side(side, body, memory)
    answers = [",".join(access(name) for name in watch)]
    memory.write(0x100, (0).to_bytes(4, "little"))   # the condition reads 0 from now on
    kind = next((tag for tag in _FIRST if f'<{tag} Name="{written}"' in body), "")
    first = _FIRST.get(kind, 7)
    for value in (first, type(first)(3) if kind != "Boolean" else False):
        try:
            get(written).value = value
        except Exception as exc:  # noqa: BLE001 - compared by name below
            answers.append("error" if "Access" in type(exc).__name__ else repr(exc))
            break
        answers.append(",".join(access(name) for name in watch))
    return answers


@pytest.mark.parametrize("case", sorted(_WRITTEN_THROUGH))
def test_an_integer_written_through_its_pvalue_keeps_its_access(case: str) -> None:
    """I's pIsAvailable register RK names I (or its pValue) in pInvalidator and reads 0
    once the test starts: after a write of I the reference keeps I RW (nodemap said NA
    and refused the next write), whatever I's pValue is (an Integer, a register, an
    Enumeration, a chain of Integers) and whoever writes it (the application, or a
    Boolean/Converter over I) — unless the write goes on into an IntConverter; a Float,
    Boolean or IntConverter with a pValue, and the nodes not written (J sharing the
    condition, I when V is written directly) are worked out again (NA)."""
    require_genicam()
    body, written, watch, expected = _WRITTEN_THROUGH[case]
    reference = _through("reference", body, written, watch)
    assert reference == expected.split()
    assert _through("ours", body, written, watch) == reference


# ------------------------------------------------- a refused symbol write
def _refusing(held: bool) -> str:
    """E's entries available through RK and RK2, which name E in pInvalidator."""
    source = "<Value>0</Value>" if held else "<pValue>V</pValue>"
    return ('<Enumeration Name="E"><EnumEntry Name="A"><pIsAvailable>RK</pIsAvailable><Value>0'
            '</Value></EnumEntry><EnumEntry Name="B"><pIsAvailable>RK2</pIsAvailable><Value>1'
            '</Value></EnumEntry><EnumEntry Name="C"><pIsImplemented>Z</pIsImplemented><Value>2'
            f"</Value></EnumEntry>{source}</Enumeration>"
            '<Integer Name="V"><Value>0</Value></Integer><Integer Name="Z"><Value>0</Value>'
            "</Integer>" + _rk("RK", 0x100, "E") + _rk("RK2", 0x110, "E"))


def _refused_then(side: str, body: str, refused: Any) -> list[Any]:
    memory = SparseMemory("zero")
    for address in (0x100, 0x110):
        memory.write(address, (1).to_bytes(4, "little"))
    log = memory.log_reads()
    get, access = _side(side, body, memory)
    answers: list[Any] = [access("E")]
    for address in (0x100, 0x110):
        memory.write(address, (0).to_bytes(4, "little"))   # both entries unavailable now
    for step in (refused, "A"):
        log.clear()
        try:
            get("E").value = step
            answers.append(None)
        except Exception as exc:  # noqa: BLE001 - compared by kind
            answers.append("access error" if "Access" in type(exc).__name__ else "error")
        answers.append(sorted(set(log)))
    answers.append(access("EnumEntry_E_A"))
    return answers


@pytest.mark.parametrize("held", [True, False], ids=["held-value", "pvalue"])
@pytest.mark.parametrize("refused", ["B", "C", "Nope", 7], ids=["NA", "NI", "unknown", "integer"])
def test_a_refused_symbol_write_invalidates_like_a_write(held: bool, refused: Any) -> None:
    """An Enumeration holding its value whose symbol write is refused (the entry NA or
    NI, or no such symbol) still invalidates what depends on it, as a write does: its
    entry A's condition, naming E in pInvalidator, is read again (0 now), so writing A
    next is refused too; nodemap kept A available and wrote it.  With a pValue, or an
    integer written, the reference invalidates nothing and A is written."""
    require_genicam()
    body = _refusing(held)
    reference = _refused_then("reference", body, refused)
    assert _refused_then("ours", body, refused) == reference
    invalidates = held and refused != 7
    assert reference[3] == ("access error" if invalidates else None)
