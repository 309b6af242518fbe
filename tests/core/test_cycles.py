"""Reference cycles of every kind: an XmlError naming each step, never a RecursionError.

Values, bounds, addresses, access conditions, indexes, categories and formulas can all
close a loop; the evaluation stack names it (``A (value) -> B (value) -> A (value)``)
and the node map stays usable afterwards.
"""

from __future__ import annotations

import pytest

import nodemap
from nodemap.errors import XmlError

from .xmlkit import description

REG = ('<IntReg Name="R"><pAddress>P</pAddress><Length>4</Length><AccessMode>RW'
       '</AccessMode><pPort>Device</pPort></IntReg>')

#: (what, the node read, the attribute read, body, names the message must contain)
CASES = [
    ("pValue", "A", "value", '<Integer Name="A"><pValue>B</pValue></Integer>'
     '<Integer Name="B"><pValue>A</pValue></Integer>', ["A", "B"]),
    ("pValue self", "A", "value", '<Integer Name="A"><pValue>A</pValue></Integer>', ["A"]),
    ("pMax", "A", "max", '<Integer Name="A"><Value>1</Value><pMax>B</pMax></Integer>'
     '<Integer Name="B"><Value>1</Value><pMax>A.Max</pMax><pValue>A</pValue></Integer>',
     ["A", "B"]),
    ("pAddress", "R", "value", REG + '<Integer Name="P"><pValue>R</pValue></Integer>',
     ["R", "P"]),
    ("pIndex", "V", "value", '<Integer Name="V"><pIndex>V</pIndex><ValueIndexed Index="0">1'
     '</ValueIndexed><ValueDefault>2</ValueDefault></Integer>', ["V"]),
    ("pIsAvailable", "A", "access", '<Integer Name="A"><Value>1</Value><pIsAvailable>B'
     '</pIsAvailable></Integer><Boolean Name="B"><pValue>A</pValue></Boolean>', ["A", "B"]),
    ("pIsImplemented self", "A", "access", '<Integer Name="A"><Value>1</Value>'
     '<pIsImplemented>A</pIsImplemented></Integer>', ["A"]),
    ("Category", "C", "access", '<Category Name="C"><pFeature>D</pFeature></Category>'
     '<Category Name="D"><pFeature>C</pFeature></Category>', ["C", "D"]),
    ("SwissKnife", "K", "value", '<SwissKnife Name="K"><pVariable Name="X">L</pVariable>'
     '<Formula>X+1</Formula></SwissKnife><IntSwissKnife Name="L"><pVariable Name="Y">K'
     '</pVariable><Formula>Y*2</Formula></IntSwissKnife>', ["K", "L"]),
    ("Converter", "C", "value", '<Converter Name="C"><FormulaTo>FROM</FormulaTo>'
     '<FormulaFrom>TO</FormulaFrom><pValue>C</pValue></Converter>', ["C"]),
    ("pLength", "R", "value", '<Register Name="R"><Address>0</Address><pLength>L</pLength>'
     '<AccessMode>RO</AccessMode><pPort>Device</pPort></Register>'
     '<Integer Name="L"><pValue>Q</pValue></Integer><IntSwissKnife Name="Q"><pVariable '
     'Name="X">R.Length</pVariable><Formula>X</Formula></IntSwissKnife>', ["R"]),
]


@pytest.mark.parametrize("what, name, attribute, body, names", CASES,
                         ids=[c[0] for c in CASES])
def test_cycle_is_an_xml_error_naming_the_cycle(what, name, attribute, body, names) -> None:
    nm = nodemap.NodeMap.from_xml(description(body))
    nm.connect(nodemap.MemoryPort(0x100))
    for _ in range(2):   # the error repeats cleanly: nothing is left marked as evaluating
        with pytest.raises(XmlError, match="reference cycle") as info:
            getattr(nm.features[name], attribute)
        message = str(info.value)
        assert all(f"{n} (" in message for n in names), message
        assert message.count(" -> ") >= len(names)
        assert not nm.active
