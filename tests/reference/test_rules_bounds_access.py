"""An Integer or Float whose pValue is not implemented is NI even when a pMin/pMax/pInc
register is not available: the bounds' NA does not hide the source's NI (found on an
Allied Vision Alvium USB3 file outside ../shared over pattern memory: Integer and Float
features over registers whose Impl and Avail bits are both 0; nodemap said NA).  The
whole matrix of source and bound access was measured on the reference."""

from __future__ import annotations

import pytest

from .test_rules import both, facts, reg

_CONDITION = {"NI": "<pIsImplemented>Z</pIsImplemented>", "NA": "<pIsAvailable>Z</pIsAvailable>",
              "RW": "", "WO": ""}


def _register(tag: str, name: str, address: int, mode: str, access: str) -> str:
    return (f'<{tag} Name="{name}">{_CONDITION[mode]}'
            f'{reg(address, "WO" if mode == "WO" else access)}</{tag}>')


@pytest.mark.parametrize("kind", ["Integer", "Float"])
@pytest.mark.parametrize("bound", ["pMin", "pMax", "pInc"])
@pytest.mark.parametrize("bound_mode", ["NI", "NA", "RW", "WO"])
@pytest.mark.parametrize("source_mode", ["NI", "NA", "RW", "WO"])
def test_a_source_not_implemented_wins_over_a_bound_not_available(
        kind: str, bound: str, bound_mode: str, source_mode: str) -> None:
    tag = "IntReg" if kind == "Integer" else "FloatReg"
    body = ('<Integer Name="Z"><Value>0</Value></Integer>'
            + _register(tag, "R", 0x100, source_mode, "RW")
            + _register(tag, "M", 0x200, bound_mode, "RO")
            + f'<{kind} Name="I"><pValue>R</pValue><{bound}>M</{bound}></{kind}>')
    ref, ours = both(body)
    theirs = facts(ref, ours, "I")
    if source_mode == "NI" or bound_mode == "NI":
        assert theirs.access == "NI"
