"""What a write makes stale: the reference's invalidation graph, counted at the port.

A write invalidates, transitively, what is computed from the written node, what names
an invalidated node in ``pInvalidator`` and what an invalidated selector selects
(``pSelected``); the registers *behind* a selected feature keep their bytes.  Every
expected list of re-read addresses below was measured with the ``genicam`` wheel (a
counting port on both sides; tests/reference/test_invalidation_reference.py runs the same
descriptions against it).  The access modes and bounds of the nodes a write reaches are
kept unless they read a changed value (Store.impact), which must never change a result:
each scenario also compares every value with a freshly opened node map.
"""

from __future__ import annotations

from typing import Any

import nodemap
from nodemap.cache import MISSING

from .xmlkit import description, int_reg


class CountingPort(nodemap.MemoryPort):
    """A MemoryPort logging the address of every read."""

    def __init__(self, size: int = 0x1000) -> None:
        super().__init__(size)
        self.log: list[int] = []

    def read(self, address: int, length: int) -> bytes:
        self.log.append(address)
        return super().read(address, length)


def masked(name: str, address: int, lsb: int, msb: int, extra: str = "") -> str:
    return (f'<MaskedIntReg Name="{name}"><Address>{address:#x}</Address><Length>4</Length>'
            f'<AccessMode>RW</AccessMode><pPort>Device</pPort>{extra}<LSB>{lsb}</LSB>'
            f'<MSB>{msb}</MSB><Sign>Unsigned</Sign><Endianess>LittleEndian</Endianess>'
            f'</MaskedIntReg>')


#: S selects F1 (an Integer over R1, whose register stays cached), R5 (a register,
#: re-read) and I1 (an Integer over R1 that itself selects R2: re-read, transitively);
#: R6 names I1 in pInvalidator (re-read); R3 names R1 (not invalidated: stays cached).
SELECTED = "".join([
    '<Integer Name="S"><pValue>SReg</pValue><Min>0</Min><Max>10</Max>'
    '<pSelected>F1</pSelected><pSelected>R5</pSelected><pSelected>I1</pSelected></Integer>',
    int_reg("SReg", 0x0),
    '<Integer Name="F1"><pValue>R1</pValue></Integer>',
    '<Integer Name="I1"><pValue>R1</pValue><pSelected>R2</pSelected></Integer>',
    int_reg("R1", 0x100), int_reg("R2", 0x104), int_reg("R5", 0x110),
    int_reg("R3", 0x108, extra="<pInvalidator>R1</pInvalidator>"),
    int_reg("R6", 0x114, extra="<pInvalidator>I1</pInvalidator>"),
])

#: X's address follows S; R1 names X in pInvalidator, R2 names R1, R3 names K (a formula
#: over S): all three are re-read after S changes, though X and K are never read.
INVALIDATOR_CHAIN = "".join([
    '<Integer Name="S"><pValue>SReg</pValue><Min>0</Min><Max>10</Max></Integer>',
    int_reg("SReg", 0x0),
    '<IntReg Name="X"><pAddress>XA</pAddress><Length>4</Length><AccessMode>RW</AccessMode>'
    '<pPort>Device</pPort><Sign>Unsigned</Sign><Endianess>LittleEndian</Endianess></IntReg>',
    '<IntSwissKnife Name="XA"><pVariable Name="A">S</pVariable><Formula>0x200+4*A</Formula>'
    '</IntSwissKnife>',
    int_reg("R1", 0x100, extra="<pInvalidator>X</pInvalidator>"),
    int_reg("R2", 0x104, extra="<pInvalidator>R1</pInvalidator>"),
    int_reg("R3", 0x108, extra="<pInvalidator>K</pInvalidator>"),
    '<IntSwissKnife Name="K"><pVariable Name="A">S</pVariable><Formula>A</Formula>'
    '</IntSwissKnife>',
    int_reg("Far", 0x10C),
])

#: Two selectors whose values are bit fields of one register: writing A (read-modify-
#: write over the cached bytes) re-reads nothing of it; B re-decodes the written bytes.
#: FAX names FA (selected by A) in pInvalidator; G is available while A < 3.
SHARED_REGISTER = "".join([
    '<Integer Name="A"><pValue>SelA</pValue><Min>0</Min><Max>3</Max><pSelected>FA</pSelected>'
    '</Integer>',
    '<Integer Name="B"><pValue>SelB</pValue><Min>0</Min><Max>3</Max><pSelected>FB</pSelected>'
    '</Integer>',
    masked("SelA", 0x0, 0, 3), masked("SelB", 0x0, 4, 7),
    '<Integer Name="FA"><pValue>RA</pValue></Integer>',
    '<Integer Name="FB"><pValue>RB</pValue></Integer>',
    int_reg("RA", 0x100), int_reg("RB", 0x104),
    int_reg("FAX", 0x108, extra="<pInvalidator>FA</pInvalidator>"),
    '<Integer Name="G"><pIsAvailable>GA</pIsAvailable><pValue>RG</pValue></Integer>',
    '<IntSwissKnife Name="GA"><pVariable Name="A">A</pVariable><Formula>A &lt; 3</Formula>'
    '</IntSwissKnife>',
    int_reg("RG", 0x10C),
])


#: F is available through C = 1/Z, whose reading fails while Z = 0: the first access read
#: raises, the next ones answer RW (the access the reference keeps) until F is
#: invalidated, here by the selector S that selects it.
FAILING_CONDITION = "".join([
    '<Integer Name="S"><pValue>SReg</pValue><Min>0</Min><Max>10</Max><pSelected>F</pSelected>'
    '</Integer>',
    int_reg("SReg", 0x0),
    '<Integer Name="F"><pIsAvailable>C</pIsAvailable><pValue>R</pValue></Integer>',
    '<IntSwissKnife Name="C"><pVariable Name="Z">Z</pVariable><Formula>1/Z</Formula>'
    '</IntSwissKnife>',
    int_reg("Z", 0x100), int_reg("R", 0x104),
])


def _open(body: str, memory: bytes | None = None) -> tuple[nodemap.NodeMap, CountingPort]:
    nm = nodemap.NodeMap.from_xml(description(body))
    port = CountingPort()
    if memory is not None:
        port.memory[:len(memory)] = memory
    nm.connect(port)
    return nm, port


def _read(nm: nodemap.NodeMap, names: list[str]) -> list[Any]:
    out: list[Any] = []
    for name in names:
        try:
            out.append(nm.features[name].value)
        except nodemap.NodeMapError as exc:
            out.append(type(exc).__name__)
    return out


def _sweep(body: str, selector: str, values: list[int], read: list[str]
           ) -> list[tuple[list[int], list[Any]]]:
    """Per written value: the addresses read by the write and the reads after it, and
    the values read; every value also checked against a node map opened afresh over
    the same memory."""
    nm, port = _open(body)
    _read(nm, read)
    steps = []
    for value in values:
        port.log.clear()
        nm.features[selector].value = value
        got = _read(nm, read)
        fresh, _ = _open(body, bytes(port.memory))
        assert got == _read(fresh, read), f"after {selector} = {value}"
        steps.append((sorted(set(port.log)), got))
    return steps


def test_a_selector_change_re_reads_what_it_selects_not_the_registers_behind():
    steps = _sweep(SELECTED, "S", [1, 2, 3],
                   ["S", "F1", "I1", "R1", "R2", "R3", "R5", "R6"])
    for addresses, _ in steps:
        assert addresses == [0x104, 0x110, 0x114]


def test_pinvalidator_chains_reach_through_nodes_never_read():
    steps = _sweep(INVALIDATOR_CHAIN, "S", [1, 2, 3], ["R1", "R2", "R3", "Far"])
    for addresses, _ in steps:
        assert addresses == [0x100, 0x104, 0x108]


def test_a_register_shared_by_two_selectors():
    steps = _sweep(SHARED_REGISTER, "A", [1, 2, 3, 1], ["A", "B", "FA", "FB", "FAX", "G"])
    for (addresses, values), written in zip(steps, [1, 2, 3, 1]):
        assert addresses == [0x108]          # FAX only: no re-read of the shared bytes
        assert values[:2] == [written, 0]
    assert steps[2][1][5] == "AccessError"   # G is not available while A = 3


def test_a_selector_write_keeps_the_results_that_cannot_change():
    nm, _ = _open(SHARED_REGISTER)
    _read(nm, ["A", "B", "FA", "FB", "FAX", "G"])
    store = nm.store
    for name in ("FA", "G"):
        assert store.get(name, "access") is not MISSING
    nm.features["A"].value = 2
    # FA is selected by A, but computed from RA only, which stays: its value and access
    # mode stay (the same inputs would give them again); FAX, a register FA reaches
    # through pInvalidator, is read again; G's access reads A through its pIsAvailable
    assert store.get("FA") == 0 and store.get("FA", "access") is not MISSING
    assert store.get("FAX") is MISSING
    assert store.get("G") is MISSING and store.get("G", "access") is MISSING
    assert store.get("A", "min") is not MISSING  # the written node keeps its bounds


def test_a_failed_condition_fails_again_once_a_selector_write_reaches_its_node():
    nm, _ = _open(FAILING_CONDITION)
    feature = nm.features["F"]

    def accesses() -> list[Any]:
        out: list[Any] = []
        for _ in range(2):
            try:
                out.append(feature.access)
            except nodemap.NodeMapError as exc:
                out.append(type(exc).__name__)
        out.append(feature.value)
        return out

    assert accesses() == ["FormulaError", "RW", 0]
    nm.features["S"].value = 1  # F keeps its value (R is not read again), not its access
    assert accesses() == ["FormulaError", "RW", 0]
