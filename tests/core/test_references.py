"""Pointers between nodes: a dangling, empty or wrong-type one is an XmlError naming both.

Every pointer element (pValue, pMin, pVariable, pPort, pSelected, ...) is checked when
its node is first built; the error names the node, the element, the missing name and
the line, and it is an XmlError (never a KeyError, which the CLI would report as an
unknown feature).
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

import nodemap
from nodemap.errors import NodeMapError, XmlError

from .xmlkit import description

REG = ('<IntReg Name="Reg"><Address>0x10</Address><Length>4</Length><AccessMode>RW'
       '</AccessMode><pPort>Device</pPort></IntReg>')
SEL = '<Integer Name="Sel"><Value>0</Value></Integer>'

#: (pointer tag, the node to read, a body whose pointer names the placeholder MISSING)
CASES = [
    ("pValue", "F", '<Integer Name="F"><pValue>MISSING</pValue></Integer>'),
    ("pValueIndexed", "F", '<Integer Name="F"><pIndex>Sel</pIndex><pValueIndexed Index="0">'
                           'MISSING</pValueIndexed><ValueDefault>1</ValueDefault></Integer>' + SEL),
    ("pValueDefault", "F", '<Integer Name="F"><pIndex>Sel</pIndex><pValueDefault>MISSING'
                           '</pValueDefault></Integer>' + SEL),
    ("pValueCopy", "F", '<Integer Name="F"><Value>1</Value><pValueCopy>MISSING</pValueCopy>'
                        '</Integer>'),
    ("pMin", "F", '<Integer Name="F"><Value>1</Value><pMin>MISSING</pMin></Integer>'),
    ("pMax", "F", '<Float Name="F"><Value>1</Value><pMax>MISSING</pMax></Float>'),
    ("pInc", "F", '<Integer Name="F"><Value>1</Value><pInc>MISSING</pInc></Integer>'),
    ("pIsImplemented", "F", '<Integer Name="F"><Value>1</Value><pIsImplemented>MISSING'
                            '</pIsImplemented></Integer>'),
    ("pIsAvailable", "F", '<Boolean Name="F"><Value>1</Value><pIsAvailable>MISSING'
                          '</pIsAvailable></Boolean>'),
    ("pIsLocked", "F", '<String Name="F"><Value>a</Value><pIsLocked>MISSING</pIsLocked>'
                       '</String>'),
    ("pSelected", "F", '<Integer Name="F"><Value>1</Value><pSelected>MISSING</pSelected>'
                       '</Integer>'),
    ("pInvalidator", "F", '<IntReg Name="F"><Address>0</Address><Length>4</Length>'
                          '<AccessMode>RO</AccessMode><pPort>Device</pPort><pInvalidator>'
                          'MISSING</pInvalidator></IntReg>'),
    ("pPort", "F", '<IntReg Name="F"><Address>0</Address><Length>4</Length><AccessMode>RO'
                   '</AccessMode><pPort>MISSING</pPort></IntReg>'),
    ("pVariable", "F", '<SwissKnife Name="F"><pVariable Name="A">MISSING</pVariable>'
                       '<Formula>A</Formula></SwissKnife>'),
    ("pAddress", "F", '<IntReg Name="F"><pAddress>MISSING</pAddress><Length>4</Length>'
                      '<AccessMode>RO</AccessMode><pPort>Device</pPort></IntReg>'),
    ("pIndex", "F", '<IntReg Name="F"><Address>0</Address><pIndex Offset="4">MISSING</pIndex>'
                    '<Length>4</Length><AccessMode>RO</AccessMode><pPort>Device</pPort></IntReg>'),
    ("pIndex pOffset", "F", '<IntReg Name="F"><Address>0</Address><pIndex pOffset="MISSING">'
                            'Sel</pIndex><Length>4</Length><AccessMode>RO</AccessMode>'
                            '<pPort>Device</pPort></IntReg>' + SEL),
    ("pLength", "F", '<Register Name="F"><Address>0</Address><pLength>MISSING</pLength>'
                     '<AccessMode>RO</AccessMode><pPort>Device</pPort></Register>'),
    ("IntSwissKnife pVariable", "F",
     '<IntReg Name="F"><IntSwissKnife><pVariable Name="S">MISSING</pVariable><Formula>S*4'
     '</Formula></IntSwissKnife><Length>4</Length><AccessMode>RO</AccessMode><pPort>Device'
     '</pPort></IntReg>'),
    ("pCommandValue", "F", '<Command Name="F"><pValue>Reg</pValue><pCommandValue>MISSING'
                           '</pCommandValue></Command>' + REG),
    ("pFeature", "F", '<Category Name="F"><pFeature>MISSING</pFeature></Category>'),
    ("pValue", "F", '<Converter Name="F"><FormulaTo>FROM</FormulaTo><FormulaFrom>TO'
                    '</FormulaFrom><pValue>MISSING</pValue></Converter>'),
    ("pIsAvailable", "EnumEntry_F_B",
     '<Enumeration Name="F"><EnumEntry Name="A"><Value>0</Value></EnumEntry><EnumEntry Name="B">'
     '<Value>1</Value><pIsAvailable>MISSING</pIsAvailable></EnumEntry><Value>0</Value>'
     '</Enumeration>'),
    ("pPort", "E", '<StructReg><Address>0</Address><Length>4</Length><AccessMode>RO'
                   '</AccessMode><pPort>MISSING</pPort><StructEntry Name="E"><Bit>0</Bit>'
                   '</StructEntry></StructReg>'),
]


def _use(nm: nodemap.NodeMap, name: str) -> None:
    """Use a node the ways an application does; the first error propagates."""
    feature = nm.features[name]
    feature.access  # noqa: B018
    if feature.kind == "Category":
        feature.features  # noqa: B018
    elif feature.kind == "Command":
        feature.execute()
    else:
        feature.value  # noqa: B018


@pytest.mark.parametrize("tag, name, body", CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_dangling_pointer_names_both_nodes_and_the_line(tag: str, name: str, body: str) -> None:
    xml = description(body.replace("MISSING", "WidthRegTypo"))
    nm = nodemap.NodeMap.from_xml(xml)   # loading stays lazy: the error comes on first use
    nm.connect(nodemap.MemoryPort(0x100))
    with pytest.raises(XmlError) as info:
        _use(nm, name)
    message = str(info.value)
    assert f"'{name}'" in message and "'WidthRegTypo'" in message
    assert f"<{tag}>" in message and "does not define" in message
    assert info.value.line == 2 and "line 2" in message
    assert not isinstance(info.value, KeyError)
    # the node map stays usable: the error repeats, other nodes work
    with pytest.raises(XmlError, match="WidthRegTypo"):
        _use(nm, name)


@pytest.mark.parametrize("tag, body, expected", [
    ("pValue", '<Integer Name="F"><pValue></pValue></Integer>', "is empty"),
    ("pValue", '<Integer Name="F"><pValue>S</pValue></Integer>'
               '<String Name="S"><Value>x</Value></String>', "'S', a String"),
    ("pValue", '<String Name="F"><pValue>I</pValue></String>'
               '<Integer Name="I"><Value>1</Value></Integer>', "does not give a text"),
    ("pMin", '<Integer Name="F"><Value>1</Value><pMin>C</pMin></Integer>'
             '<Category Name="C"/>', "'C', a Category"),
    ("pPort", '<IntReg Name="F"><Address>0</Address><Length>4</Length><AccessMode>RO'
              '</AccessMode><pPort>I</pPort></IntReg><Integer Name="I"><Value>1</Value>'
              '</Integer>', "does not give a port"),
    ("pValue", '<Integer Name="F"><pValue>I.Max</pValue></Integer>'
               '<Integer Name="I"><Value>1</Value></Integer>', "not one of its values"),
])
def test_empty_and_wrong_type_pointers(tag: str, body: str, expected: str) -> None:
    nm = nodemap.NodeMap.from_xml(description(body))
    with pytest.raises(XmlError, match=re.escape(expected)) as info:
        _use(nm, "F")
    assert "'F'" in str(info.value) and f"<{tag}>" in str(info.value)


def test_pointer_with_a_value_suffix_is_fine_where_a_number_is_read() -> None:
    nm = nodemap.NodeMap.from_xml(description(
        '<Integer Name="F"><Value>5</Value><pMax>I.Max</pMax></Integer>'
        '<Integer Name="I"><Value>1</Value><Max>9</Max></Integer>'))
    assert nm.features["F"].max == 9


def test_public_node_lookup_still_raises_key_error_for_unknown_names() -> None:
    nm = nodemap.NodeMap.from_xml(description(SEL))
    with pytest.raises(KeyError, match="Nope"):
        nm.features["Nope"]
    with pytest.raises(KeyError):
        nm.node("Nope")


# --------------------------------------------------------------------------- fuzz

_VALID = description(
    '<Category Name="Root"><pFeature>Width</pFeature><pFeature>Gain</pFeature></Category>'
    '<Integer Name="Width"><pValue>WReg</pValue><pMin>WMin</pMin><pMax>WMax</pMax>'
    '<pInc>WInc</pInc><pIsAvailable>On</pIsAvailable><pSelected>Gain</pSelected></Integer>'
    '<IntReg Name="WReg"><pAddress>Base</pAddress><pIndex Offset="4">Sel</pIndex>'
    '<Length>4</Length><AccessMode>RW</AccessMode><pPort>Device</pPort>'
    '<pInvalidator>Sel</pInvalidator></IntReg>'
    '<Integer Name="WMin"><Value>0</Value></Integer><Integer Name="WMax"><Value>99</Value>'
    '</Integer><Integer Name="WInc"><Value>1</Value></Integer>'
    '<Integer Name="Base"><Value>0x20</Value></Integer><Integer Name="Sel"><Value>0</Value>'
    '</Integer><Boolean Name="On"><pValue>Sel</pValue><OnValue>0</OnValue><OffValue>1'
    '</OffValue></Boolean>'
    '<Converter Name="Gain"><pVariable Name="K">WMax</pVariable><FormulaTo>FROM*K'
    '</FormulaTo><FormulaFrom>TO/K</FormulaFrom><pValue>GReg</pValue><pIsLocked>Lock'
    '</pIsLocked></Converter>'
    '<IntReg Name="GReg"><Address>0x40</Address><Length>2</Length><AccessMode>RW'
    '</AccessMode><pPort>Device</pPort></IntReg><Integer Name="Lock"><Value>0</Value>'
    '</Integer>')


def _pointers(root: etree._Element) -> list[etree._Element]:
    return [e for e in root.iter() if isinstance(e.tag, str)
            and re.fullmatch(r"p[A-Z]\w*", etree.QName(e).localname)]


def test_fuzz_corpus_is_valid() -> None:
    nm = nodemap.NodeMap.from_xml(_VALID)
    nm.connect(nodemap.MemoryPort(0x100))
    assert nm.features["Width"].value == 0 and nm.features["Gain"].value == 0.0
    assert len(_pointers(etree.fromstring(_VALID))) >= 17


@settings(max_examples=200, deadline=None)
@given(data=st.data(), missing=st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True))
def test_fuzz_dangling_pointers_give_xml_errors_naming_both_nodes(
        data: st.DataObject, missing: str) -> None:
    root = etree.fromstring(_VALID)
    names = {e.get("Name") for e in root.iter() if e.get("Name")}
    if missing in names or f"EnumEntry_{missing}" in names:
        return
    pointers = _pointers(root)
    chosen = data.draw(st.lists(st.sampled_from(range(len(pointers))), min_size=1,
                                max_size=3, unique=True))
    for index in chosen:
        pointers[index].text = missing
    owners = {pointers[i].getparent().get("Name") for i in chosen}
    nm = nodemap.NodeMap.from_xml(etree.tostring(root))
    nm.connect(nodemap.MemoryPort(0x100))
    for owner in sorted(owners):
        with pytest.raises(XmlError) as info:
            nm.node(owner)
        assert f"'{owner}'" in str(info.value) and f"'{missing}'" in str(info.value)
    for name in nm.features:  # every other use: a value or a NodeMapError, nothing else
        try:
            _use(nm, name)
        except NodeMapError:
            pass
