"""Access modes over a matrix of conditions, against the GenApi reference.

Each case is one node ``N`` of a kind (Integer over a pValue or with its own Value,
Boolean, Enumeration, IntSwissKnife, IntConverter, Command, IntReg with a pAddress)
built on a source (RW, RO, write-only, not available, not implemented, or a node whose
own pIsAvailable fails), under one condition (pIsImplemented, pIsAvailable or pIsLocked)
naming a node that is true, false, not available, write-only, or a formula whose reading
fails (over a write-only register).  The access mode is read twice on both sides: the
first read may fail (a failing condition), the second answers what is kept.  Where the
rules tests (test_rules.py) pin one measured case each, this sweeps their combinations,
so an access rule that disagrees anywhere in it is caught (the generated maps reach
failing conditions rarely).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.peers import require_genicam

from . import oracle
from .memory import SparseMemory
from .test_rules import document, reg

HEAD = (f'<IntReg Name="W">{reg(0x100, "WO")}</IntReg><IntReg Name="RW1">{reg(0x104)}</IntReg>'
        f'<IntReg Name="RO1">{reg(0x108, "RO")}</IntReg>'
        '<IntSwissKnife Name="K"><pVariable Name="V">W</pVariable><Formula>V+1</Formula>'
        "</IntSwissKnife>"
        '<Integer Name="Zero"><Value>0</Value></Integer><Integer Name="One"><Value>1</Value>'
        "</Integer>"
        '<Integer Name="NAi"><pIsAvailable>Zero</pIsAvailable><Value>1</Value></Integer>'
        '<Integer Name="NIi"><pIsImplemented>Zero</pIsImplemented><Value>1</Value></Integer>'
        '<Integer Name="NK"><pIsAvailable>K</pIsAvailable><Value>1</Value></Integer>')

KINDS = {
    "Integer": '<Integer Name="N">{C}<pValue>{S}</pValue></Integer>',
    "Integer-Value": '<Integer Name="N">{C}<ImposedAccessMode>RO</ImposedAccessMode>'
                     "<Value>1</Value></Integer>",
    "Boolean": '<Boolean Name="N">{C}<pValue>{S}</pValue></Boolean>',
    "Enumeration": '<Enumeration Name="N">{C}<EnumEntry Name="S0"><Value>0</Value></EnumEntry>'
                   "<pValue>{S}</pValue></Enumeration>",
    "EnumEntry": '<Enumeration Name="N"><EnumEntry Name="S0">{C}<Value>0</Value></EnumEntry>'
                 "<pValue>{S}</pValue></Enumeration>",
    "IntSwissKnife": '<IntSwissKnife Name="N">{C}<pVariable Name="A">{S}</pVariable>'
                     "<Formula>1</Formula></IntSwissKnife>",
    "IntConverter": '<IntConverter Name="N">{C}<FormulaTo>FROM</FormulaTo><FormulaFrom>TO'
                    "</FormulaFrom><pValue>{S}</pValue><Slope>Increasing</Slope></IntConverter>",
    "Command": '<Command Name="N">{C}<pValue>{S}</pValue><CommandValue>1</CommandValue></Command>',
    "IntReg": '<IntReg Name="N">{C}<pAddress>{S}</pAddress><Length>4</Length><AccessMode>RO'
              "</AccessMode><pPort>Device</pPort><Endianess>LittleEndian</Endianess></IntReg>",
}
SOURCES = ("RW1", "RO1", "W", "NAi", "NIi", "NK")
CONDITIONS = ("pIsImplemented", "pIsAvailable", "pIsLocked")
TARGETS = ("One", "Zero", "NAi", "W", "K")

CASES = [(kind, source, condition, target)
         for kind in KINDS for source in (SOURCES if "{S}" in KINDS[kind] else ("-",))
         for condition in CONDITIONS for target in TARGETS]


def _reference_access(ref: Any, name: str) -> str:
    try:
        return oracle._access_name(ref.get_node(name).node.get_access_mode())
    except Exception as exc:  # the first read of a failing condition
        return "raised " + oracle.normalise_reference_error(exc).error


def _our_access(ours: Any, name: str) -> str:
    try:
        return str(ours.node(name).access())
    except Exception as exc:
        return "raised " + oracle.normalise_our_error(exc).error


@pytest.mark.parametrize(("kind", "source", "condition", "target"), CASES,
                         ids=["-".join(case) for case in CASES])
def test_access_matches_reference(kind: str, source: str, condition: str, target: str) -> None:
    require_genicam()
    node = KINDS[kind].replace("{C}", f"<{condition}>{target}</{condition}>")
    xml = document(HEAD + node.replace("{S}", source))
    memory = SparseMemory("zero")
    ref = oracle.load_reference(xml, memory.clone(), "Device")
    ours = oracle.load_ours(xml, memory.clone(), "Device")
    name = "EnumEntry_N_S0" if kind == "EnumEntry" else "N"
    theirs = [_reference_access(ref, name) for _ in range(2)]
    mine = [_our_access(ours, name) for _ in range(2)]
    assert theirs == mine
