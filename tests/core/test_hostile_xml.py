"""Hostile descriptions: each gives one clear XmlError/FormulaError, quickly."""

from __future__ import annotations

import io
import zipfile

import pytest

import nodemap
from nodemap.errors import XmlError

HEAD = b'<?xml version="1.0"?>\n'
NS = b'xmlns="http://www.genicam.org/GenApi/Version_1_1"'


def test_billion_laughs_is_refused():
    entities = b"".join(
        b'<!ENTITY l%d "&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;">' % ((i,) + (i - 1,) * 10)
        for i in range(1, 10))
    xml = (HEAD + b'<!DOCTYPE RegisterDescription [<!ENTITY l0 "lol">' + entities + b']>'
           b'<RegisterDescription ' + NS + b'><Integer Name="X"><Value>&l9;</Value></Integer>'
           b'</RegisterDescription>')
    with pytest.raises(XmlError, match="document type"):
        nodemap.NodeMap.from_xml(xml)


def test_external_entity_is_refused(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("42")
    xml = (HEAD + b'<!DOCTYPE r [<!ENTITY x SYSTEM "file://' + str(secret).encode() + b'">]>'
           b'<RegisterDescription ' + NS + b'><Integer Name="X"><Value>&x;</Value></Integer>'
           b'</RegisterDescription>')
    with pytest.raises(XmlError):
        nodemap.NodeMap.from_xml(xml)


def test_doctype_hidden_after_long_prolog_is_refused():
    xml = (HEAD + b"<!--" + b"x" * 100_000 + b"-->" + b'<!DOCTYPE r [<!ENTITY a "b">]>'
           b'<RegisterDescription ' + NS + b'/>')
    with pytest.raises(XmlError):
        nodemap.NodeMap.from_xml(xml)


def _zip(name: str, payload: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, payload)
    return buffer.getvalue()


def test_zip_bomb_is_refused_without_inflating_it():
    # 1 GB of zeros compresses to ~1 MB; build it streaming so the test stays light.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("bomb.xml", "w", force_zip64=True) as member:
            chunk = b"\0" * (1 << 20)
            for _ in range(1024):
                member.write(chunk)
    with pytest.raises(XmlError, match="zip bomb"):
        nodemap.NodeMap.from_xml(buffer.getvalue())


def test_zip_member_lying_about_its_size_is_refused():
    data = bytearray(_zip("a.xml", b"<" + b"a" * 5_000_000 + b"/>"))
    # Forge the central directory's uncompressed size to look small.
    index = data.rfind(b"PK\x01\x02")
    data[index + 24:index + 28] = (100).to_bytes(4, "little")
    with pytest.raises(XmlError):
        nodemap.NodeMap.from_xml(bytes(data))


def test_zipped_description_loads():
    xml = (HEAD + b'<RegisterDescription ' + NS + b'><Integer Name="X"><Value>7</Value>'
           b'</Integer></RegisterDescription>')
    nm = nodemap.NodeMap.from_xml(_zip("camera.xml", xml))
    assert nm.features["X"].value == 7


def test_deep_nesting_is_refused():
    xml = HEAD + b'<RegisterDescription ' + NS + b'>' + b"<Group>" * 10_000 + \
        b"</Group>" * 10_000 + b"</RegisterDescription>"
    with pytest.raises(XmlError, match="line"):
        nodemap.NodeMap.from_xml(xml)


def test_malformed_xml_names_the_line():
    with pytest.raises(XmlError) as info:
        nodemap.NodeMap.from_xml(HEAD + b'<RegisterDescription ' + NS + b'>\n<Integer>\n'
                                 b'</RegisterDescription>')
    assert info.value.line is not None


def test_not_a_genapi_root():
    with pytest.raises(XmlError, match="RegisterDescription"):
        nodemap.NodeMap.from_xml(b"<html/>")


def test_reference_cycle_between_nodes():
    xml = (HEAD + b'<RegisterDescription ' + NS + b'>'
           b'<Integer Name="A"><pValue>B</pValue></Integer>'
           b'<Integer Name="B"><pValue>C</pValue></Integer>'
           b'<Integer Name="C"><pValue>A</pValue></Integer>'
           b'</RegisterDescription>')
    nm = nodemap.NodeMap.from_xml(xml)
    # an XmlError naming every step of the cycle
    with pytest.raises(XmlError, match=r"cycle: A \(access\) -> B \(access\) -> "
                                       r"C \(access\) -> A \(access\)"):
        nm.features["A"].value
    # the node map stays usable and the error repeats cleanly
    with pytest.raises(XmlError, match=r"cycle: B \(access\) -> C .* -> B \(access\)"):
        nm.features["B"].value
    assert not nm.active


def test_min_pointing_at_its_own_value_is_not_a_cycle():
    xml = (HEAD + b'<RegisterDescription ' + NS + b'>'
           b'<Integer Name="A"><Value>1</Value><pMin>A</pMin></Integer>'
           b'</RegisterDescription>')
    nm = nodemap.NodeMap.from_xml(xml)
    assert nm.features["A"].value == 1
    assert nm.features["A"].min == 1


def test_very_long_chain_gives_a_clear_error():
    n = 5000
    body = b"".join(b'<Integer Name="N%d"><pValue>N%d</pValue></Integer>' % (i, i + 1)
                    for i in range(n))
    xml = (HEAD + b'<RegisterDescription ' + NS + b'>' + body +
           b'<Integer Name="N%d"><Value>3</Value></Integer></RegisterDescription>' % n)
    nm = nodemap.NodeMap.from_xml(xml)
    assert nm.features["N4990"].value == 3
    with pytest.raises(XmlError, match="too deep"):
        nm.features["N0"].value


def test_text_before_xml_declaration_is_tolerated():
    xml = (b"arv-tool-0.8 genicam dump\n" + HEAD + b'<RegisterDescription ' + NS +
           b'><Integer Name="X"><Value>5</Value></Integer></RegisterDescription>')
    assert nodemap.NodeMap.from_xml(xml).features["X"].value == 5


def test_missing_file_is_an_xml_error(tmp_path):
    with pytest.raises(XmlError, match="cannot read"):
        nodemap.NodeMap.from_xml(tmp_path / "absent.xml")


def _one(body: bytes) -> nodemap.NodeMap:
    return nodemap.NodeMap.from_xml(HEAD + b'<RegisterDescription ' + NS + b'>' + body +
                                    b'<Port Name="Device"/></RegisterDescription>')


@pytest.mark.parametrize("body, expected", [
    (b'<Integer Name="F"><Value>18446744073709551616</Value></Integer>', "int64 range"),
    (b'<Integer Name="F"><Value>1</Value><Max>-9223372036854775809</Max></Integer>',
     "int64 range"),
    (b'<Integer Name="F"><Value>' + b"9" * 5000 + b'</Value></Integer>',
     "5000-character number"),
    (b'<Float Name="F"><Value>' + b"9" * 5000 + b'</Value></Float>',
     "5000-character number"),
    (b'<Boolean Name="F"><Value>1</Value><OnValue>0x10000000000000000</OnValue></Boolean>',
     "int64 range"),
    (b'<Integer Name="F"><Value>1</Value><Max></Max></Integer>', "'' is not an integer"),
    (b'<IntReg Name="F"><Address>0</Address><Length>4</Length><AccessMode>R</AccessMode>'
     b'<pPort>Device</pPort></IntReg>', "'R' is not a register access mode"),
    (b'<Integer Name="F"><Value>1</Value><ImposedAccessMode>XX</ImposedAccessMode></Integer>',
     "'XX' is not an access mode"),
])
def test_hostile_numbers_and_modes_are_xml_errors_naming_the_node(body, expected):
    nm = _one(body)
    nm.connect(nodemap.MemoryPort(0x10))
    with pytest.raises(XmlError, match=expected) as info:
        nm.features["F"].value  # noqa: B018
        nm.features["F"].max  # noqa: B018
    assert "'F'" in str(info.value)
