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
write).  With a pValue the enumeration's access is worked out again on both sides.
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


def _steps(side: str, body: str, steps: list[str]) -> list[tuple[str, Any, list[int]]]:
    memory = SparseMemory("zero")
    for i in range(3):
        memory.write(0x1000 + 0x20 * i, (3).to_bytes(4, "big"))  # implemented, available
    log = memory.log_reads()
    xml = description(body)
    if side == "reference":
        get = oracle.load_reference(xml, memory, "Device").get_node

        def access(name: str) -> str:
            return oracle._access_name(get(name).node.get_access_mode())
    else:
        features = oracle.load_ours(xml, memory, "Device").features
        get = features.__getitem__

        def access(name: str) -> str:
            return str(features[name].access)
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
