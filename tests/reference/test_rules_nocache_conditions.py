"""Access conditions over a ``NoCache`` register, against the reference with a counting
port: how many times each operation reads the condition's register, and what it answers.

Measured with the ``genicam`` wheel: a write checks the written node's access once (its
bounds are read under that check: one read of the condition per write, not one per bound);
an IntReg's own write checks it once more; a failing access check reads it once; and a
register whose access comes from a NoCache condition does not keep its value (the next
read checks the access again, and fails once the condition turned false).

Not pinned (nodemap reads it once): the reference reads the condition once or twice
when it reads such a register (twice on the first read, and on reads of a locked one).
"""

from __future__ import annotations

from typing import Any, Callable

import pytest

from tests.core.xmlkit import description, int_reg
from tests.peers import require_genicam

from . import oracle
from .memory import SparseMemory

CONDITION = 0x100


def _nocache(name: str, address: int) -> str:
    return int_reg(name, address, extra="<Cachable>NoCache</Cachable>")


def _conditioned_reg(name: str, condition: str, address: int) -> str:
    return (f'<IntReg Name="{name}">{condition}<Address>{address:#x}</Address><Length>4'
            f'</Length><AccessMode>RW</AccessMode><pPort>Device</pPort><Sign>Unsigned</Sign>'
            f'<Endianess>LittleEndian</Endianess></IntReg>')


_FLOATREG = ('<FloatReg Name="FR"><Address>0x104</Address><Length>4</Length><AccessMode>RW'
             '</AccessMode><pPort>Device</pPort><Endianess>LittleEndian</Endianess></FloatReg>')

#: name → (body: F conditioned by the NoCache register C, the value written, registers)
SCENARIOS: dict[str, tuple[str, Any, bool]] = {
    "integer-available": ('<Integer Name="F"><pIsAvailable>C</pIsAvailable><pValue>R</pValue>'
                          '</Integer>' + int_reg("R", 0x104), 0, False),
    "integer-locked": ('<Integer Name="F"><pIsLocked>C</pIsLocked><pValue>R</pValue></Integer>'
                       + int_reg("R", 0x104), 0, False),
    "integer-implemented": ('<Integer Name="F"><pIsImplemented>C</pIsImplemented><pValue>R'
                            '</pValue></Integer>' + int_reg("R", 0x104), 0, False),
    "integer-through-formula": (
        '<Integer Name="F"><pIsAvailable>K</pIsAvailable><pValue>R</pValue></Integer>'
        '<IntSwissKnife Name="K"><pVariable Name="C">C</pVariable><Formula>C+1</Formula>'
        '</IntSwissKnife>' + int_reg("R", 0x104), 0, False),
    "float": ('<Float Name="F"><pIsAvailable>C</pIsAvailable><pValue>FR</pValue></Float>'
              + _FLOATREG, 0.0, False),
    "converter": ('<Converter Name="F"><pIsAvailable>C</pIsAvailable><FormulaTo>FROM*2'
                  '</FormulaTo><FormulaFrom>TO/2</FormulaFrom><pValue>R</pValue></Converter>'
                  + int_reg("R", 0x104), 0.0, False),
    "enumeration-entry": (
        '<Enumeration Name="F"><EnumEntry Name="A"><pIsAvailable>C</pIsAvailable><Value>0'
        '</Value></EnumEntry><EnumEntry Name="B"><Value>1</Value></EnumEntry><pValue>R'
        '</pValue></Enumeration>' + int_reg("R", 0x104), "B", False),
    "boolean": ('<Boolean Name="F"><pIsAvailable>C</pIsAvailable><pValue>R</pValue></Boolean>'
                + int_reg("R", 0x104), False, False),
    "intreg-available": (_conditioned_reg("F", "<pIsAvailable>C</pIsAvailable>", 0x104), 0,
                         True),
    "intreg-locked": (_conditioned_reg("F", "<pIsLocked>C</pIsLocked>", 0x104), 0, True),
}


def _run(side: str, body: str, written: Any, condition: int, register: bool
         ) -> list[tuple[str, Any, int | None]]:
    memory = SparseMemory("zero")
    memory.write(CONDITION, condition.to_bytes(4, "little"))
    log = memory.log_reads()
    xml = description(_nocache("C", CONDITION) + body)
    if side == "reference":
        nm = oracle.load_reference(xml, memory, "Device")
        get = nm.get_node
        access: Callable[[], Any] = lambda: oracle._access_name(  # noqa: E731
            get("F").node.get_access_mode())
    else:
        ours = oracle.load_ours(xml, memory, "Device")
        get = ours.features.__getitem__
        access = lambda: get("F").access  # noqa: E731

    def write() -> None:
        get("F").value = written

    steps: list[tuple[str, Callable[[], Any]]] = [
        ("access", access), ("read", lambda: get("F").value), ("read", lambda: get("F").value),
        ("write", write), ("write", write), ("access", access),
        ("read", lambda: get("F").value)]
    out: list[tuple[str, Any, int | None]] = []
    for label, step in steps:
        log.clear()
        try:
            answer = step()
        except Exception as exc:  # both sides' errors compare by kind
            answer = "error" if "Access" in type(exc).__name__ else type(exc).__name__
        count: int | None = log.count(CONDITION)
        if register and label == "read":
            count = None  # the reference reads it once or twice there (not pinned)
        out.append((label, answer, count))
    return out


@pytest.mark.parametrize("condition", [0, 1])
@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_a_nocache_condition_is_read_as_often_as_in_the_reference(scenario: str,
                                                                  condition: int) -> None:
    require_genicam()
    body, written, register = SCENARIOS[scenario]
    reference = _run("reference", body, written, condition, register)
    ours = _run("ours", body, written, condition, register)
    assert ours == reference
    writes = [count for label, _, count in reference if label == "write"]
    assert all(count is not None and count <= 2 for count in writes)  # still measured


def test_a_register_behind_a_nocache_condition_checks_it_on_every_read() -> None:
    """Its value is not kept while its access comes from a NoCache condition: once the
    condition reads 0 the next read is an AccessError on both sides (nodemap kept the
    value and answered it before)."""
    require_genicam()
    body = (_nocache("C", CONDITION) + _conditioned_reg("F", "<pIsAvailable>C</pIsAvailable>",
                                                        0x104)
            + '<Integer Name="G"><pIsAvailable>C</pIsAvailable><pValue>R</pValue></Integer>'
            + int_reg("R", 0x108))
    results = {}
    for side in ("ours", "reference"):
        memory = SparseMemory("zero")
        memory.write(CONDITION, (1).to_bytes(4, "little"))
        xml = description(body)
        if side == "reference":
            get = oracle.load_reference(xml, memory, "Device").get_node
        else:
            get = oracle.load_ours(xml, memory, "Device").features.__getitem__
        answers: list[Any] = [get(name).value for name in ("F", "F", "G", "G")]
        memory.write(CONDITION, (0).to_bytes(4, "little"))
        for name in ("F", "G"):
            try:
                answers.append(get(name).value)
            except Exception as exc:
                answers.append("error" if "Access" in type(exc).__name__ else repr(exc))
        results[side] = answers
    assert results["reference"] == [0, 0, 0, 0, "error", "error"]
    assert results["ours"] == results["reference"]
