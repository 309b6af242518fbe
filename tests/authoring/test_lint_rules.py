"""Each lint rule: a planted defect is found (with its line), the clean twin is not."""

from __future__ import annotations

import pytest

from nodemap.authoring.lint import RULES, Finding, fix_order, lint
from tests.authoring.helpers import description, rules_of

REG = ("<Address>0x{addr:X}</Address><Length>4</Length><AccessMode>RW</AccessMode>"
       "<pPort>Device</pPort><Endianess>BigEndian</Endianess>")


def int_over(name: str, reg: str, addr: int, extra: str = "") -> str:
    return (f'<Integer Name="{name}"><pValue>{reg}</pValue>{extra}</Integer>'
            f'<IntReg Name="{reg}">{REG.format(addr=addr)}</IntReg>')


# (rule id, defective body, clean body, features listed in Root)
CASES: list[tuple[str, str, str, tuple[str, ...]]] = [
    ("ref-missing",
     '<Integer Name="X"><pValue>Nowhere</pValue></Integer>',
     int_over("X", "XReg", 0x100), ("X",)),
    ("ref-cycle",
     '<Integer Name="X"><pValue>Y</pValue></Integer><Integer Name="Y"><pValue>X</pValue></Integer>',
     '<Integer Name="X"><pValue>Y</pValue></Integer><Integer Name="Y"><Value>1</Value></Integer>',
     ("X",)),
    ("unreachable",
     '<Integer Name="X"><Value>1</Value></Integer><Integer Name="Lost"><Value>2</Value></Integer>',
     '<Integer Name="X"><Value>1</Value></Integer><Integer Name="Lost"><Value>2</Value></Integer>',
     ("X",)),  # clean variant lists Lost too: see test below
    ("duplicate-name",
     '<Integer Name="X"><Value>1</Value></Integer><Float Name="X"><Value>1.0</Value></Float>',
     '<Integer Name="X"><Value>1</Value></Integer>', ("X",)),
    ("schema-order",
     '<Integer Name="X"><Value>1</Value><ToolTip>late</ToolTip></Integer>',
     '<Integer Name="X"><ToolTip>early</ToolTip><Value>1</Value></Integer>', ("X",)),
    ("schema-required",
     '<Integer Name="X"><pValue>R</pValue></Integer><IntReg Name="R"><Address>0</Address>'
     '<Length>4</Length><pPort>Device</pPort></IntReg>',
     int_over("X", "R", 0), ("X",)),
    ("schema-unknown",
     '<Integer Name="X"><Value>1</Value><Colour>red</Colour></Integer>',
     '<Integer Name="X"><Value>1</Value></Integer>', ("X",)),
    ("formula-syntax",
     '<IntSwissKnife Name="X"><pVariable Name="A">R</pVariable><Formula>A + * 2</Formula>'
     '</IntSwissKnife><Integer Name="R"><Value>1</Value></Integer>',
     '<IntSwissKnife Name="X"><pVariable Name="A">R</pVariable><Formula>A + 2</Formula>'
     '</IntSwissKnife><Integer Name="R"><Value>1</Value></Integer>', ("X",)),
    ("formula-undefined",
     '<IntSwissKnife Name="X"><pVariable Name="A">R</pVariable><Formula>A + B</Formula>'
     '</IntSwissKnife><Integer Name="R"><Value>1</Value></Integer>',
     '<IntSwissKnife Name="X"><pVariable Name="A">R</pVariable><Constant Name="B">2</Constant>'
     '<Formula>A + B</Formula></IntSwissKnife><Integer Name="R"><Value>1</Value></Integer>',
     ("X",)),
    ("formula-unused",
     '<IntSwissKnife Name="X"><pVariable Name="A">R</pVariable><pVariable Name="B">R</pVariable>'
     '<Formula>A * 2</Formula></IntSwissKnife><Integer Name="R"><Value>1</Value></Integer>',
     '<IntSwissKnife Name="X"><pVariable Name="A">R</pVariable><pVariable Name="B">R</pVariable>'
     '<Formula>A * B</Formula></IntSwissKnife><Integer Name="R"><Value>1</Value></Integer>',
     ("X",)),
    ("formula-int-mode",
     '<IntSwissKnife Name="X"><pVariable Name="A">R</pVariable><Formula>A * 4.0 + SQRT(A)'
     '</Formula></IntSwissKnife><Integer Name="R"><Value>1</Value></Integer>',
     '<IntSwissKnife Name="X"><pVariable Name="A">R</pVariable><Formula>A * 4 + NEG(A)'
     '</Formula></IntSwissKnife><Integer Name="R"><Value>1</Value></Integer>', ("X",)),
    ("converter-inverse",
     '<Float Name="X"><pValue>C</pValue></Float><Converter Name="C"><FormulaTo>FROM*10'
     '</FormulaTo><FormulaFrom>TO*10</FormulaFrom><pValue>Raw</pValue></Converter>'
     '<Integer Name="Raw"><Value>5</Value><Min>0</Min><Max>1000</Max></Integer>',
     '<Float Name="X"><pValue>C</pValue></Float><Converter Name="C"><FormulaTo>FROM*10'
     '</FormulaTo><FormulaFrom>TO/10</FormulaFrom><pValue>Raw</pValue></Converter>'
     '<Integer Name="Raw"><Value>5</Value><Min>0</Min><Max>1000</Max></Integer>', ("X",)),
    ("bounds-min-max",
     '<Integer Name="X"><Value>5</Value><Min>10</Min><Max>1</Max></Integer>',
     '<Integer Name="X"><Value>5</Value><Min>1</Min><Max>10</Max></Integer>', ("X",)),
    ("bounds-inc",
     '<Integer Name="X"><Value>5</Value><Min>1</Min><Max>10</Max><Inc>0</Inc></Integer>',
     '<Integer Name="X"><Value>5</Value><Min>1</Min><Max>10</Max><Inc>1</Inc></Integer>',
     ("X",)),
    ("bounds-default",
     '<Float Name="X"><Value>50.5</Value><Min>1</Min><Max>10</Max></Float>',
     '<Float Name="X"><Value>5.5</Value><Min>1</Min><Max>10</Max></Float>', ("X",)),
    ("enum-duplicate",
     '<Enumeration Name="X"><EnumEntry Name="A"><Value>1</Value></EnumEntry>'
     '<EnumEntry Name="B"><Value>1</Value></EnumEntry><Value>1</Value></Enumeration>',
     '<Enumeration Name="X"><EnumEntry Name="A"><Value>1</Value></EnumEntry>'
     '<EnumEntry Name="B"><Value>2</Value></EnumEntry><Value>1</Value></Enumeration>',
     ("X",)),
    ("bits-range",
     '<Integer Name="X"><pValue>M</pValue></Integer><MaskedIntReg Name="M"><Address>0</Address>'
     '<Length>2</Length><AccessMode>RW</AccessMode><pPort>Device</pPort><Bit>16</Bit>'
     '<Endianess>LittleEndian</Endianess></MaskedIntReg>',
     '<Integer Name="X"><pValue>M</pValue></Integer><MaskedIntReg Name="M"><Address>0</Address>'
     '<Length>2</Length><AccessMode>RW</AccessMode><pPort>Device</pPort><Bit>15</Bit>'
     '<Endianess>LittleEndian</Endianess></MaskedIntReg>', ("X",)),
    ("bits-inverted",
     '<Integer Name="X"><pValue>M</pValue></Integer><MaskedIntReg Name="M"><Address>0</Address>'
     '<Length>4</Length><AccessMode>RW</AccessMode><pPort>Device</pPort><LSB>24</LSB>'
     '<MSB>31</MSB><Endianess>BigEndian</Endianess></MaskedIntReg>',
     '<Integer Name="X"><pValue>M</pValue></Integer><MaskedIntReg Name="M"><Address>0</Address>'
     '<Length>4</Length><AccessMode>RW</AccessMode><pPort>Device</pPort><LSB>31</LSB>'
     '<MSB>24</MSB><Endianess>BigEndian</Endianess></MaskedIntReg>', ("X",)),
    ("register-overlap",
     int_over("X", "A", 0x100) + '<Integer Name="Y"><pValue>B</pValue></Integer>'
     '<Register Name="B"><Address>0x102</Address><Length>8</Length><AccessMode>RO</AccessMode>'
     '<pPort>Device</pPort></Register>',
     int_over("X", "A", 0x100) + '<Integer Name="Y"><pValue>B</pValue></Integer>'
     '<Register Name="B"><Address>0x104</Address><Length>8</Length><AccessMode>RO</AccessMode>'
     '<pPort>Device</pPort></Register>', ("X", "Y")),
    ("register-shared-write",
     int_over("X", "A", 0x100) + '<Integer Name="Y"><pValue>B</pValue></Integer>'
     '<MaskedIntReg Name="B"><Address>0x100</Address><Length>4</Length><AccessMode>RO'
     '</AccessMode><pPort>Device</pPort><Bit>3</Bit><Endianess>BigEndian</Endianess>'
     '</MaskedIntReg>',
     int_over("X", "A", 0x100) + '<Integer Name="Y"><pValue>B</pValue></Integer>'
     '<MaskedIntReg Name="B"><Address>0x100</Address><Length>4</Length><AccessMode>RO'
     '</AccessMode><pPort>Device</pPort><pInvalidator>A</pInvalidator><Bit>3</Bit>'
     '<Endianess>BigEndian</Endianess></MaskedIntReg>', ("X", "Y")),
    ("selector-stale",
     '<Enumeration Name="Sel"><EnumEntry Name="A"><Value>0</Value></EnumEntry>'
     '<EnumEntry Name="B"><Value>1</Value></EnumEntry><pValue>SelReg</pValue>'
     '<pSelected>X</pSelected></Enumeration>' + f'<IntReg Name="SelReg">{REG.format(addr=0x10)}'
     '</IntReg><Integer Name="X"><pValue>XReg</pValue></Integer><IntReg Name="XReg">'
     '<Address>0x100</Address><pIndex Offset="4">Sel</pIndex><Length>4</Length>'
     '<AccessMode>RW</AccessMode><pPort>Device</pPort><Endianess>BigEndian</Endianess></IntReg>',
     '<Enumeration Name="Sel"><EnumEntry Name="A"><Value>0</Value></EnumEntry>'
     '<EnumEntry Name="B"><Value>1</Value></EnumEntry><pValue>SelReg</pValue>'
     '<pSelected>X</pSelected></Enumeration>' + f'<IntReg Name="SelReg">{REG.format(addr=0x10)}'
     '</IntReg><Integer Name="X"><pValue>XReg</pValue></Integer><IntReg Name="XReg">'
     '<Address>0x100</Address><pIndex Offset="4">Sel</pIndex><Length>4</Length>'
     '<AccessMode>RW</AccessMode><pPort>Device</pPort><pInvalidator>Sel</pInvalidator>'
     '<Endianess>BigEndian</Endianess></IntReg>', ("Sel", "X")),
]


@pytest.mark.parametrize("rule,bad,good,features", CASES, ids=[c[0] for c in CASES])
def test_planted_defect_is_found_and_clean_twin_is_not(rule: str, bad: str, good: str,
                                                       features: tuple[str, ...]) -> None:
    assert rule in RULES
    found = [f for f in lint(description(bad, features)) if f.rule == rule]
    assert found, f"{rule} not reported"
    assert all(isinstance(f, Finding) and f.line for f in found if f.rule != "unreachable")
    clean_features = features + (("Lost",) if rule == "unreachable" else ())
    clean = lint(description(good, clean_features))
    assert rule not in rules_of(clean), [str(f) for f in clean]


def test_every_rule_has_a_case() -> None:
    covered = {case[0] for case in CASES} | {"xml-malformed"}
    assert covered == set(RULES)


def test_malformed_xml_is_one_error_with_a_line() -> None:
    findings = lint("<RegisterDescription><Integer Name='X'></RegisterDescription>")
    assert [f.rule for f in findings] == ["xml-malformed"]
    assert findings[0].severity == "error" and findings[0].line == 1


def test_hostile_entities_are_not_expanded(tmp_path) -> None:
    hostile = ('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
               + description('<Integer Name="X"><Value>1</Value><ToolTip>&e;</ToolTip>'
                             '</Integer>').split("?>", 1)[1])
    findings = lint(hostile)
    assert all("root:" not in f.message for f in findings)


def test_findings_carry_severity_node_and_line() -> None:
    xml = description('<Integer Name="X"><Value>5</Value><Min>10</Min><Max>1</Max></Integer>')
    (finding,) = [f for f in lint(xml) if f.rule == "bounds-min-max"]
    assert finding.severity == "error" and finding.node == "X" and finding.line == 4
    assert finding.to_dict()["rule"] == "bounds-min-max"


def test_header_line_before_xml_declaration_keeps_line_numbers() -> None:
    xml = "arv-tool dump of 127.0.0.1\n" + description(
        '<Integer Name="X"><Value>5</Value><Min>10</Min><Max>1</Max></Integer>')
    (finding,) = [f for f in lint(xml.encode()) if f.rule == "bounds-min-max"]
    assert finding.line == 5


def test_fix_order_reorders_and_the_reference_accepts_it() -> None:
    from tests.peers import require_genicam

    bad = description('<Integer Name="X"><Max>10</Max><Value>1</Value><!-- why -->'
                      '<Min>0</Min><ToolTip>t</ToolTip></Integer>')
    assert "schema-order" in rules_of(lint(bad))
    fixed, moved = fix_order(bad)
    assert moved == 1
    assert "schema-order" not in rules_of(lint(fixed))
    assert b"<!-- why -->" in fixed
    genapi = require_genicam()
    with pytest.raises(Exception) as info:   # noqa: PT011 - the reference's own type
        genapi.NodeMap().load_xml_from_string(bad)
    assert "Exception" in type(info.value).__name__ and type(info.value) is not Exception, info.value
    nodemap = genapi.NodeMap()
    nodemap.load_xml_from_string(fixed.decode())
    assert nodemap.get_node("X").value == 1
