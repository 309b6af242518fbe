"""Probe the GenApi reference with schema-ordered and deliberately reordered nodes.

Run as a script (in a subprocess: the reference can crash the interpreter on some
inputs).  For every node type of ``nodemap.authoring.schema.NODE_ORDER`` it builds a
node holding one element per slot in table order (several variants where the schema
has a choice), checks that the reference loads it, then swaps each adjacent pair and
checks that the reference refuses the swap as an ordering error.  Prints one JSON
object: ``{"accepted": [...], "swaps_not_refused": [...], "errors": [...]}``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from nodemap.authoring.schema import NODE_ORDER  # noqa: E402

HEAD = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<RegisterDescription ModelName="M" VendorName="V" ToolTip="t" StandardNameSpace="None" '
    'SchemaMajorVersion="1" SchemaMinorVersion="1" SchemaSubMinorVersion="0" MajorVersion="1" '
    'MinorVersion="0" SubMinorVersion="0" ProductGuid="11111111-2222-3333-4444-555555555555" '
    'VersionGuid="11111111-2222-3333-4444-555555555556" '
    'xmlns="http://www.genicam.org/GenApi/Version_1_1">\n'
    '<Category Name="Root"><pFeature>ROOTFEATURE</pFeature></Category>\n'
    '<Integer Name="HInt"><Value>1</Value></Integer>\n'
    '<Integer Name="HInt2"><Value>1</Value></Integer>\n'
    '<Enumeration Name="HEnum"><EnumEntry Name="A"><Value>0</Value></EnumEntry>'
    '<Value>0</Value></Enumeration>\n'
    '<StringReg Name="HStr"><Address>0x200</Address><Length>8</Length>'
    '<AccessMode>RW</AccessMode><pPort>Device</pPort></StringReg>\n'
    '<Port Name="Device"/>\n'
)

SAMPLE = {
    "Extension": "<Extension><Anything/></Extension>", "ToolTip": "t", "Description": "d",
    "DisplayName": "n", "Visibility": "Expert", "DocuURL": "http://example.com/x",
    "IsDeprecated": "No", "EventID": "1234", "pIsImplemented": "HInt", "pIsAvailable": "HInt",
    "pIsLocked": "HInt", "pBlockPolling": "HInt", "ImposedAccessMode": "RW", "pError": "HEnum",
    "pAlias": "HInt", "pCastAlias": "HInt", "pInvalidator": "HInt", "Streamable": "Yes",
    "pValueCopy": "HInt2", "pValue": "HInt", "pIndex": "HInt",
    "ValueIndexed": '<ValueIndexed Index="1">5</ValueIndexed>', "ValueDefault": "3",
    "Min": "0", "Max": "100", "Inc": "1", "Unit": "ms", "Representation": "Linear",
    "pSelected": "HInt2", "DisplayNotation": "Automatic", "DisplayPrecision": "3",
    "OnValue": "1", "OffValue": "0", "CommandValue": "1", "PollingTime": "1000",
    "EnumEntry": '<EnumEntry Name="E1"><Value>1</Value></EnumEntry>', "NumericValue": "1.5",
    "Symbolic": "E1", "IsSelfClearing": "No", "Address": "0x100", "Length": "4",
    "AccessMode": "RW", "pPort": "Device", "Cachable": "NoCache", "Sign": "Unsigned",
    "Endianess": "BigEndian", "Bit": "3", "LSB": "7", "MSB": "1",
    "StructEntry": '<StructEntry Name="S1"><Bit>1</Bit></StructEntry>',
    "pVariable": '<pVariable Name="A">HInt</pVariable>', "Constant": '<Constant Name="C">1</Constant>',
    "Expression": '<Expression Name="EX">A+1</Expression>', "FormulaTo": "FROM",
    "FormulaFrom": "TO", "Formula": "A+C", "Slope": "Increasing", "IsLinear": "Yes",
    "ChunkID": "1234", "SwapEndianess": "No", "CacheChunkData": "No", "pFeature": "HInt",
}
VALUE = {"Integer": "5", "Float": "1.5", "String": "abc", "Enumeration": "1", "EnumEntry": "1"}

#: Per type, the alternatives to use where a slot is a choice (first element otherwise).
VARIANTS: dict[str, list[set[str]]] = {
    "Integer": [{"Value"}, {"pValue"}, {"pIndex", "ValueIndexed", "ValueDefault"}],
    "Float": [{"Value"}, {"pValue"}, {"pIndex", "ValueIndexed", "ValueDefault"}],
    "Boolean": [{"pValue"}], "Command": [{"pValue"}],
    "MaskedIntReg": [{"Bit"}, {"LSB", "MSB"}], "StructEntry": [{"Bit"}, {"LSB", "MSB"}],
}


def element(tag: str, ntype: str) -> str:
    if tag == "Value":
        return f"<Value>{VALUE[ntype]}</Value>"
    if tag == "pValue" and ntype == "String":
        return "<pValue>HStr</pValue>"
    text = SAMPLE[tag]
    return text if text.startswith("<") else f"<{tag}>{text}</{tag}>"


def document(ntype: str, tags: list[str]) -> str:
    body = "".join(element(t, ntype) for t in tags)
    root_feature = "X"
    if ntype == "EnumEntry":
        node = (f'<Enumeration Name="X"><EnumEntry Name="E0">{body}</EnumEntry>'
                '<Value>1</Value></Enumeration>')
    elif ntype == "StructEntry":
        node = ('<StructReg Comment="c"><Address>0</Address><Length>4</Length>'
                '<AccessMode>RW</AccessMode><pPort>Device</pPort><Endianess>BigEndian</Endianess>'
                f'<StructEntry Name="X">{body}</StructEntry></StructReg>')
    elif ntype == "StructReg":
        node, root_feature = f'<StructReg Comment="X">{body}</StructReg>', "HInt"
    else:
        node = f'<{ntype} Name="X">{body}</{ntype}>'
    if ntype == "Port":
        root_feature = "HInt"  # the reference crashes on a Category pointing at a Port
    return HEAD.replace("ROOTFEATURE", root_feature) + node + "</RegisterDescription>"


def load(xml: str) -> str:
    import genicam.genapi as genapi

    nodemap = genapi.NodeMap()
    try:
        nodemap.load_xml_from_string(xml)
        return "OK"
    except Exception as exc:  # the reference raises a generic RuntimeException
        text = str(exc)
        if "unexpected element" in text or "expected element not" in text:
            return "ORDER"
        return "ERROR " + text[:200]


def variant_tags(ntype: str, chosen: set[str] | None) -> list[str]:
    tags: list[str] = []
    domain = set().union(*VARIANTS.get(ntype, [set()]))
    for slot in NODE_ORDER[ntype]:
        in_variant = [t for t in slot if chosen is not None and t in chosen]
        if in_variant:
            tags.extend(in_variant)
        elif domain & set(slot):
            continue
        elif slot[0] in SAMPLE or slot[0] == "Value":
            tags.append(slot[0])
    return tags


def main() -> None:
    report: dict[str, list] = {"accepted": [], "swaps_not_refused": [], "errors": []}
    for ntype in NODE_ORDER:
        for chosen in VARIANTS.get(ntype, [None]):
            tags = variant_tags(ntype, chosen)
            result = load(document(ntype, tags))
            if result != "OK":
                report["errors"].append([ntype, tags, result])
                continue
            report["accepted"].append([ntype, tags])
            for i in range(len(tags) - 1):
                swapped = tags[:]
                swapped[i], swapped[i + 1] = swapped[i + 1], swapped[i]
                if load(document(ntype, swapped)) != "ORDER":
                    report["swaps_not_refused"].append([ntype, tags[i], tags[i + 1]])
    print(json.dumps(report))


if __name__ == "__main__":
    main()
