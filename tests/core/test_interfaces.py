"""The GenApi interfaces as protocols (nodemap.interfaces): every node implements the
protocol of its kind, and asking a node for what its interface lacks is an AccessError
that names the kind and the kinds that have it."""

from __future__ import annotations

import pytest

from nodemap.errors import AccessError
from nodemap.interfaces import (INTERFACES, ICategory, ICommand, IEnumeration, IFloat,
                                IInteger, INode, IRegister, IRegisterSpan, IString,
                                as_category, as_command, as_enumeration, as_numeric,
                                as_register_span, as_string, interface_of)
from tests.core.xmlkit import int_reg, load

BODY = (
    '<Category Name="Root"><pFeature>Width</pFeature><pFeature>Flag</pFeature></Category>'
    '<Integer Name="Width"><pValue>WidthReg</pValue><Min>16</Min><Max>4096</Max></Integer>'
    + int_reg("WidthReg", 0x10)
    + '<MaskedIntReg Name="Bits"><Address>0x14</Address><Length>4</Length>'
      '<AccessMode>RW</AccessMode><pPort>Device</pPort><LSB>4</LSB><MSB>7</MSB></MaskedIntReg>'
    '<IntSwissKnife Name="Twice"><pVariable Name="W">Width</pVariable>'
    '<Formula>W*2</Formula></IntSwissKnife>'
    '<IntConverter Name="Half"><pVariable Name="W">Width</pVariable><FormulaTo>FROM*2</FormulaTo>'
    '<FormulaFrom>TO/2</FormulaFrom><pValue>WidthReg</pValue></IntConverter>'
    '<Float Name="Gain"><Value>1.5</Value><Min>0</Min><Max>10</Max></Float>'
    '<FloatReg Name="GainReg"><Address>0x20</Address><Length>8</Length><AccessMode>RW</AccessMode>'
    '<pPort>Device</pPort><Endianess>LittleEndian</Endianess></FloatReg>'
    '<SwissKnife Name="Ratio"><pVariable Name="G">Gain</pVariable><Formula>G/2</Formula></SwissKnife>'
    '<Converter Name="Db"><FormulaTo>FROM</FormulaTo><FormulaFrom>TO</FormulaFrom>'
    '<pValue>Gain</pValue></Converter>'
    '<Boolean Name="Flag"><pValue>WidthReg</pValue><OnValue>1</OnValue><OffValue>0</OffValue></Boolean>'
    '<Enumeration Name="Mode"><EnumEntry Name="A"><Value>0</Value></EnumEntry>'
    '<EnumEntry Name="B"><Value>1</Value></EnumEntry><pValue>WidthReg</pValue></Enumeration>'
    '<String Name="Label"><Value>hello</Value></String>'
    '<StringReg Name="Serial"><Address>0x40</Address><Length>16</Length><AccessMode>RO</AccessMode>'
    '<pPort>Device</pPort></StringReg>'
    '<Command Name="Go"><pValue>WidthReg</pValue><CommandValue>1</CommandValue></Command>'
    '<Register Name="Blob"><Address>0x80</Address><Length>8</Length><AccessMode>RW</AccessMode>'
    '<pPort>Device</pPort></Register>'
)

KINDS = {"Root": "Category", "Width": "Integer", "WidthReg": "Integer", "Bits": "Integer",
         "Twice": "Integer", "Half": "Integer", "Gain": "Float", "GainReg": "Float",
         "Ratio": "Float", "Db": "Float", "Flag": "Boolean", "Mode": "Enumeration",
         "Label": "String", "Serial": "String", "Go": "Command", "Blob": "Register"}
REGISTER_BACKED = {"WidthReg", "Bits", "GainReg", "Serial", "Blob"}


@pytest.fixture(scope="module")
def nm():
    nodemap, _ = load(BODY)
    return nodemap


def test_eight_interfaces_one_per_kind() -> None:
    assert set(INTERFACES) == {"Integer", "Float", "Boolean", "Enumeration", "String",
                               "Command", "Register", "Category"}
    assert all(INode in protocol.__mro__ for protocol in INTERFACES.values())


@pytest.mark.parametrize("name, kind", sorted(KINDS.items()))
def test_every_node_implements_the_protocol_of_its_kind(nm, name: str, kind: str) -> None:
    node = nm.node(name)
    assert node.kind == kind
    protocol = interface_of(node)
    assert protocol is INTERFACES[kind] and isinstance(node, protocol)
    assert isinstance(node, IRegisterSpan) == (name in REGISTER_BACKED or kind == "Register")


def test_the_kinds_differ_in_what_they_offer() -> None:
    # Structural: a Boolean node does not have what an Integer has; IRegister is a span.
    assert IFloat not in IInteger.__mro__ and {"get_min", "get_max", "get_inc"} <= set(dir(IInteger))
    assert not {"get_min", "get_max", "get_inc"} & set(dir(INTERFACES["Boolean"]))
    assert IRegisterSpan in IRegister.__mro__


@pytest.mark.parametrize("name", ["Flag", "Mode", "Label", "Go", "Blob", "Root"])
def test_bounds_of_a_kind_without_bounds_is_an_access_error(nm, name: str) -> None:
    node = nm.node(name)
    with pytest.raises(AccessError) as info:
        as_numeric(node, name)
    kind = KINDS[name]
    assert f"{name} is a{'n' if kind[0] in 'AEIOU' else ''} {kind}: " in str(info.value)
    assert f"{kind} has no bounds (Integer and Float features have)" in str(info.value)
    assert info.value.feature == name


def test_a_boolean_has_no_bounds_even_without_a_port() -> None:
    """The refusal comes from the interface, before anything is read."""
    import nodemap
    from tests.core.xmlkit import description

    nm = nodemap.NodeMap.from_xml(description(BODY))          # nothing connected
    with pytest.raises(AccessError, match=r"Flag is a Boolean: a Boolean has no bounds"):
        as_numeric(nm.node("Flag"), "Flag")


@pytest.mark.parametrize("name", ["Width", "WidthReg", "Twice", "Half", "Gain", "Ratio", "Db"])
def test_integers_and_floats_have_bounds(nm, name: str) -> None:
    node = as_numeric(nm.node(name), name)
    assert node.get_min() <= node.get_max()


@pytest.mark.parametrize("check, good, bad, words", [
    (as_enumeration, "Mode", "Width", "an Integer has no entries (Enumeration features have)"),
    (as_string, "Serial", "Mode", "an Enumeration has no maximum length (String features have)"),
    (as_command, "Go", "Flag", "a Boolean has no execute (Command features have)"),
    (as_category, "Root", "Go", "a Command has no features (Category features have)"),
    (as_register_span, "Bits", "Twice", "an Integer has no address (Register and "
                                        "register-backed features have)"),
])
def test_each_check_accepts_its_interface_and_refuses_the_others(nm, check, good: str,
                                                                 bad: str, words: str) -> None:
    assert check(nm.node(good), good) is nm.node(good)
    with pytest.raises(AccessError) as info:
        check(nm.node(bad), bad)
    assert words in str(info.value) and info.value.feature == bad


def test_the_protocols_describe_the_values(nm) -> None:
    enumeration = as_enumeration(nm.node("Mode"), "Mode")
    assert isinstance(enumeration, IEnumeration) and enumeration.entries() == ["A", "B"]
    assert isinstance(nm.node("Label"), IString) and as_string(nm.node("Label"), "Label").get_max_length() >= 5
    assert isinstance(nm.node("Go"), ICommand) and isinstance(nm.node("Root"), ICategory)
    assert as_category(nm.node("Root"), "Root").features() == ["Width", "Flag"]
    assert as_register_span(nm.node("Blob"), "Blob").get_address() == 0x80
    assert as_register_span(nm.node("Blob"), "Blob").length() == 8


# ---------------------------------------------------------------- Feature dispatches on them

def test_feature_asks_the_interface(nm) -> None:
    features = nm.features
    assert features["Width"].min == 16 and features["Gain"].max == 10.0
    assert features["Mode"].entries == ["A", "B"] and features["Root"].features == ["Width", "Flag"]
    assert features["Blob"].address == 0x80 and features["Bits"].length == 4
    assert features["Serial"].max_length == 16
    with pytest.raises(AccessError, match=r"^Flag is a Boolean: a Boolean has no bounds "
                                          r"\(Integer and Float features have\)$") as info:
        features["Flag"].min
    assert info.value.feature == "Flag"
    for attribute in ("max", "inc"):
        with pytest.raises(AccessError, match="a Boolean has no bounds"):
            getattr(features["Flag"], attribute)
    with pytest.raises(AccessError, match="an Integer has no entries"):
        features["Width"].entries
    with pytest.raises(AccessError, match="an Enumeration has no bounds"):
        features["Mode"].max
    with pytest.raises(AccessError, match="a Float has no execute"):
        features["Gain"].execute()
    with pytest.raises(AccessError, match="a Category has no integer value"):
        features["Root"].int_value
    with pytest.raises(AccessError, match="an Integer has no address"):
        features["Twice"].address


def test_errors_below_a_feature_carry_its_name(nm) -> None:
    from nodemap.errors import RangeError

    with pytest.raises(RangeError) as info:
        nm.features["Width"].value = 5000               # above Max 4096
    assert info.value.feature == "Width"
