"""Adversarial node maps: any hostile XML ends in a NodeMapError, never a bare Python error.

Small valid descriptions covering every node family are mutated by hypothesis
(elements deleted, renamed, moved or duplicated; texts replaced by huge, negative,
empty, non-numeric values or by other nodes' names, which makes cycles; pointers left
dangling) and then every feature is read the way an application reads it: value,
min/max/inc, access, entries, int value, address, length, category children, a write
of its own value back and a command execution.  Loading may refuse the file
(XmlError); anything that escapes must be a :class:`nodemap.NodeMapError`.
"""

from __future__ import annotations

import warnings
from typing import Any, Callable

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

import nodemap
from nodemap.errors import NodeMapError

from .xmlkit import NS, description

#: One body per node family group; each is valid on its own (checked below).
BODIES: list[str] = [
    # registers, bit fields, strings, floats, raw bytes
    '<Category Name="Root"><pFeature>W</pFeature><pFeature>F</pFeature><pFeature>S</pFeature>'
    '</Category>'
    '<IntReg Name="W"><Address>0x10</Address><Length>4</Length><AccessMode>RW</AccessMode>'
    '<pPort>Device</pPort><Sign>Signed</Sign><Endianess>BigEndian</Endianess></IntReg>'
    '<MaskedIntReg Name="M"><Address>0x14</Address><Length>4</Length><AccessMode>RW'
    '</AccessMode><pPort>Device</pPort><LSB>3</LSB><MSB>9</MSB></MaskedIntReg>'
    '<FloatReg Name="F"><Address>0x20</Address><Length>8</Length><AccessMode>RW</AccessMode>'
    '<pPort>Device</pPort></FloatReg>'
    '<StringReg Name="S"><Address>0x40</Address><Length>16</Length><AccessMode>RW'
    '</AccessMode><pPort>Device</pPort></StringReg>'
    '<Register Name="R"><Address>0x60</Address><pLength>W</pLength><AccessMode>RO'
    '</AccessMode><pPort>Device</pPort></Register>',
    # value nodes over registers, bounds by pointer, selectors, pValueCopy, commands
    '<Integer Name="Width"><pValue>WReg</pValue><pMin>WMin</pMin><Max>4096</Max>'
    '<Inc>4</Inc><pSelected>Height</pSelected></Integer>'
    '<IntReg Name="WReg"><Address>0x0</Address><Length>4</Length><AccessMode>RW</AccessMode>'
    '<pPort>Device</pPort><pInvalidator>Height</pInvalidator></IntReg>'
    '<Integer Name="WMin"><Value>8</Value></Integer>'
    '<Integer Name="Height"><Value>480</Value><pValueCopy>Copy</pValueCopy></Integer>'
    '<Integer Name="Copy"><Value>0</Value></Integer>'
    '<Float Name="Gain"><Value>1.5</Value><Min>0</Min><Max>10.0</Max>'
    '<pIsAvailable>On</pIsAvailable><pIsLocked>Locked</pIsLocked></Float>'
    '<Boolean Name="On"><Value>1</Value></Boolean>'
    '<Boolean Name="Locked"><Value>0</Value><OnValue>1</OnValue><OffValue>0</OffValue>'
    '</Boolean>'
    '<Command Name="Go"><pValue>WReg</pValue><CommandValue>1</CommandValue></Command>'
    '<String Name="Label"><Value>hello</Value></String>',
    # enumerations, indexed values, address arithmetic
    '<Enumeration Name="Sel"><EnumEntry Name="A"><Value>0</Value></EnumEntry>'
    '<EnumEntry Name="B"><Value>1</Value><pIsImplemented>On</pIsImplemented></EnumEntry>'
    '<EnumEntry Name="C"><Value>2</Value><pIsAvailable>Off</pIsAvailable></EnumEntry>'
    '<Value>0</Value><pSelected>Gain</pSelected></Enumeration>'
    '<Boolean Name="On"><Value>1</Value></Boolean><Boolean Name="Off"><Value>0</Value>'
    '</Boolean>'
    '<IntReg Name="Gain"><Address>0x100</Address><pIndex Offset="4">Sel</pIndex>'
    '<Length>4</Length><AccessMode>RW</AccessMode><pPort>Device</pPort></IntReg>'
    '<IntReg Name="Shifted"><pAddress>Base</pAddress><IntSwissKnife><pVariable Name="S">'
    'Sel</pVariable><Formula>S*8</Formula></IntSwissKnife><Length>4</Length>'
    '<AccessMode>RO</AccessMode><pPort>Device</pPort></IntReg>'
    '<Integer Name="Base"><Value>0x200</Value></Integer>'
    '<Integer Name="V"><pIndex>Sel</pIndex><pValueIndexed Index="0">Base</pValueIndexed>'
    '<ValueIndexed Index="1">7</ValueIndexed><ValueDefault>9</ValueDefault></Integer>',
    # formulas
    '<SwissKnife Name="K"><pVariable Name="A">IA</pVariable><pVariable Name="M">IA.Max'
    '</pVariable><Constant Name="C">2.5</Constant><Expression Name="E">A*C</Expression>'
    '<Formula>E + M / 2</Formula></SwissKnife>'
    '<IntSwissKnife Name="IK"><pVariable Name="A">IA</pVariable><Formula>A &lt;&lt; 2'
    '</Formula></IntSwissKnife>'
    '<Integer Name="IA"><Value>3</Value><Min>0</Min><Max>100</Max></Integer>'
    '<Converter Name="Cv"><pVariable Name="O">IA</pVariable><FormulaTo>FROM*10+O'
    '</FormulaTo><FormulaFrom>(TO-O)/10</FormulaFrom><pValue>Raw</pValue>'
    '<Slope>Increasing</Slope></Converter>'
    '<IntConverter Name="ICv"><FormulaTo>FROM*2</FormulaTo><FormulaFrom>TO/2</FormulaFrom>'
    '<pValue>Raw</pValue></IntConverter>'
    '<IntReg Name="Raw"><Address>0x30</Address><Length>2</Length><AccessMode>RW'
    '</AccessMode><pPort>Device</pPort></IntReg>',
    # struct entries, ports, categories in categories
    '<Category Name="Root"><pFeature>Sub</pFeature></Category>'
    '<Category Name="Sub"><pFeature>E0</pFeature><pFeature>E1</pFeature></Category>'
    '<StructReg Comment="bits"><Address>0x8</Address><Length>4</Length><AccessMode>RW'
    '</AccessMode><pPort>Device</pPort><StructEntry Name="E0"><Bit>0</Bit></StructEntry>'
    '<StructEntry Name="E1"><LSB>1</LSB><MSB>4</MSB><Sign>Signed</Sign></StructEntry>'
    '</StructReg>'
    '<Port Name="Other"/>'
    '<IntReg Name="Elsewhere"><Address>0x0</Address><Length>4</Length><AccessMode>RO'
    '</AccessMode><pPort>Other</pPort></IntReg>',
]

#: Tags a mutation may rename an element to (node types and their properties).
TAGS = ["Integer", "Float", "Boolean", "Command", "Enumeration", "EnumEntry", "String",
        "IntReg", "MaskedIntReg", "FloatReg", "StringReg", "Register", "StructEntry",
        "SwissKnife", "IntSwissKnife", "Converter", "IntConverter", "Category", "Port",
        "Value", "Min", "Max", "Inc", "Address", "Length", "pValue", "pMin", "pMax",
        "pInc", "pAddress", "pLength", "pIndex", "pValueIndexed", "pValueCopy",
        "pIsImplemented", "pIsAvailable", "pIsLocked", "pSelected", "pInvalidator",
        "pPort", "pVariable", "pFeature", "pCommandValue", "Formula", "FormulaTo",
        "FormulaFrom", "Expression", "Constant", "Bit", "LSB", "MSB", "Endianess", "Sign",
        "AccessMode", "ImposedAccessMode", "Cachable", "OnValue", "OffValue",
        "CommandValue", "ValueDefault", "pValueDefault", "ValueIndexed", "Slope",
        "DisplayPrecision", "PollingTime", "NumericValue", "Symbolic", "Group"]

#: Hostile texts; node names are added per document (dangling pointers and cycles).
TEXTS = ["", " ", "0", "1", "-1", "8", "4.0", "-4", "0x100000000", "0xFFFFFFFFFFFFFFFF",
         "0x1FFFFFFFFFFFFFFFF", "-0x10", "18446744073709551616", "9" * 30, "9" * 5000,
         "1e400", "-1e400", "nan", "inf", "-inf", "NaN", "abc", "0x", "--1", "1/0", "(((",
         "A+", "Missing", "Missing.Max", "RW", "RO", "WO", "NA", "NI", "Yes", "No",
         "BigEndian", "NoCache", "WriteAround", "Decreasing", "Signed", "ÿ\u2028", "0b101",
         "2147483648", "-9223372036854775809", "FROM*TO", "TO/0", "1" + "+1" * 300]

ATTRIBUTES = ["Name", "Index", "Offset", "pOffset"]


def _elements(root: etree._Element) -> list[etree._Element]:
    return [e for e in root.iter() if isinstance(e.tag, str) and e is not root]


@st.composite
def hostile_documents(draw: st.DrawFn) -> bytes:
    body = draw(st.sampled_from(BODIES))
    root = etree.fromstring(description(body))
    names = sorted({e.get("Name") for e in root.iter() if e.get("Name")})
    texts = TEXTS + names + [f"{n}.Max" for n in names] + [f"{n}.Entry.A" for n in names]
    for _ in range(draw(st.integers(1, 6))):
        elements = _elements(root)
        if not elements:
            break
        target = elements[draw(st.integers(0, len(elements) - 1))]
        action = draw(st.sampled_from(["delete", "rename", "text", "attribute", "duplicate",
                                       "move", "text", "text"]))
        parent = target.getparent()
        if action == "delete" and parent is not None:
            parent.remove(target)
        elif action == "rename":
            target.tag = f"{{{NS}}}{draw(st.sampled_from(TAGS))}"
        elif action == "text":
            target.text = draw(st.sampled_from(texts))
        elif action == "attribute":
            target.set(draw(st.sampled_from(ATTRIBUTES)), draw(st.sampled_from(texts)))
        elif action == "duplicate" and parent is not None:
            parent.insert(parent.index(target), etree.fromstring(etree.tostring(target)))
        elif action == "move" and parent is not None:
            others = [e for e in _elements(root) if e is not target and
                      target not in e.iterancestors() and e not in target.iter()]
            if others:
                new_parent = others[draw(st.integers(0, len(others) - 1))]
                parent.remove(target)
                new_parent.append(target)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


def _attempt(action: Callable[[], Any], what: str, failures: list[str]) -> Any:
    try:
        return action()
    except NodeMapError:
        return None
    except Exception as exc:  # noqa: BLE001 - the point: nothing else may escape
        failures.append(f"{what}: {type(exc).__name__}: {exc}"[:400])
        return None


def exercise(xml: bytes) -> list[str]:
    """Load ``xml`` and use every feature; the non-NodeMapError failures, described."""
    failures: list[str] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        nm = _attempt(lambda: nodemap.NodeMap.from_xml(xml), "load", failures)
        if nm is None:
            return failures
        _attempt(lambda: nm.connect(nodemap.MemoryPort(0x400)), "connect", failures)
        names = _attempt(lambda: list(nm.features), "names", failures) or []
        for name in names:
            feature = _attempt(lambda: nm.features[name], f"features[{name!r}]", failures)
            if feature is None:
                continue
            for attribute in ("kind", "access", "value", "min", "max", "inc", "entries",
                              "int_value", "address", "length", "features", "max_length",
                              "display_precision", "polling_time", "selected"):
                _attempt(lambda: getattr(feature, attribute), f"{name}.{attribute}",
                         failures)
            value = _attempt(lambda: feature.value, f"{name}.value", failures)
            if value is not None:
                _attempt(lambda: setattr(feature, "value", value), f"{name}.value = {value!r}",
                         failures)
            _attempt(lambda: nm.prefetch([name]), f"prefetch {name}", failures)
            if _attempt(lambda: feature.kind, f"{name}.kind", failures) == "Command":
                _attempt(feature.execute, f"{name}.execute()", failures)
                _attempt(feature.is_done, f"{name}.is_done()", failures)
            _attempt(feature.invalidate, f"{name}.invalidate()", failures)
        _attempt(lambda: nm.poll(10_000), "poll", failures)
        _attempt(nm.to_xml, "to_xml", failures)
    return failures


def test_bodies_are_valid() -> None:
    """The unmutated corpus loads and reads without any error at all."""
    for body in BODIES:
        nm = nodemap.NodeMap.from_xml(description(body))
        nm.connect(nodemap.MemoryPort(0x400))
        nm.connect(nodemap.MemoryPort(0x400), "Other")
        for name in nm.features:
            feature = nm.features[name]
            if feature.kind not in ("Command", "Category", "Port") and feature.is_readable:
                feature.value  # noqa: B018 - must not raise


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(xml=hostile_documents())
def test_hostile_node_maps_raise_only_nodemap_errors(xml: bytes) -> None:
    failures = exercise(xml)
    assert not failures, "\n".join(failures[:10]) + "\n" + xml.decode("utf-8", "replace")
