"""One XML model: the authoring tools parse with the loader (same hardening, same unzip,
same preamble handling and line numbers), and one pointer table (nodemap.pointers)
serves the runtime, the linter/graph and persistence."""

from __future__ import annotations

import io
import zipfile

import pytest

import nodemap
from nodemap import loader, pointers
from nodemap.authoring import model
from nodemap.authoring.lint import fix_order, lint
from nodemap.errors import XmlError
from nodemap.nodes import base
from tests.core.xmlkit import description, int_reg

BODY = ('<Integer Name="Width"><pValue>WidthReg</pValue><Min>16</Min><Max>64</Max></Integer>'
        + int_reg("WidthReg", 0x10)
        + '<Enumeration Name="Mode"><EnumEntry Name="A"><Value>0</Value></EnumEntry>'
          '<pValue>WidthReg</pValue></Enumeration>')


def test_the_authoring_document_is_built_on_the_loaders() -> None:
    doc = model.parse_document(description(BODY))
    assert isinstance(doc.base, loader.Document)
    assert doc.root is doc.base.root
    assert set(doc.base.elements) <= set(doc.nodes) | {"Device"}
    assert doc.nodes["Width"].element is doc.base.elements["Width"]
    assert doc.nodes["EnumEntry_Mode_A"].element is doc.base.elements["EnumEntry_Mode_A"]


def test_xml_text_paths_and_zips_are_one_source(tmp_path) -> None:
    xml = description(BODY)
    path = tmp_path / "d.xml"
    path.write_bytes(xml)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("d.xml", xml)
    for source in (xml, xml.decode(), path, str(path), buffer.getvalue()):
        assert sorted(model.parse_document(source).nodes) == \
            sorted(model.parse_document(xml).nodes)


def test_authoring_refuses_what_the_runtime_refuses() -> None:
    """Document type declarations: the loader's hardening now applies to lint too."""
    hostile = description(BODY).replace(
        b"?>\n", b'?>\n<!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n', 1)
    with pytest.raises(XmlError, match="document type declarations"):
        nodemap.NodeMap.from_xml(hostile)
    with pytest.raises(XmlError, match="document type declarations"):
        model.parse_document(hostile)
    (finding,) = lint(hostile)
    assert finding.rule == "xml-malformed" and "document type declarations" in finding.message


def test_a_preamble_keeps_line_numbers_true_for_runtime_and_lint() -> None:
    xml = b"arv-tool-0.8 dump of 10.0.0.2\nsecond header line\n" + description(
        '<Integer Name="X">\n<Value>5</Value>\n<Min>10</Min>\n<Max>1</Max></Integer>')
    x_line = xml[:xml.index(b'<Integer Name="X">')].count(b"\n") + 1
    nm = nodemap.NodeMap.from_xml(xml)
    assert nm.node("X").line == x_line
    assert model.parse_document(xml).nodes["X"].line == x_line
    finding = next(f for f in lint(xml) if f.rule == "bounds-min-max")
    assert finding.line == x_line
    broken = b"header\n" + description('<Integer Name="X"><Value>5</Integer>')
    errors = []
    # the runtime opens by scanning (nodemap/lazyindex.py): a mismatched tag inside a
    # node is reported, with the same line, when that node is built
    for parse in (lambda xml: nodemap.NodeMap.from_xml(xml).node("X"), model.parse_document):
        with pytest.raises(XmlError) as info:
            parse(broken)
        errors.append(info.value.line)
    assert errors[0] == errors[1] == broken.count(b"\n") + 1


def test_a_preamble_before_a_latin1_declaration_is_recoded() -> None:
    xml = (b"dump\n<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n"
           + description('<String Name="S"><Value>cafX</Value></String>')
           .split(b"?>\n", 1)[1].replace(b"cafX", b"caf\xe9"))     # one Latin-1 byte
    nm = nodemap.NodeMap.from_xml(xml)
    assert nm.features["S"].value == "café"
    assert model.parse_document(xml).nodes["S"].line == 3


def test_fix_order_keeps_comments_the_runtime_drops() -> None:
    xml = description('<!-- keep me --><Integer Name="X"><Max>9</Max><Value>1</Value>'
                      '<Min>0</Min></Integer>')
    assert b"keep me" in fix_order(xml)[0]
    runtime = loader.parse_document(xml)
    assert all(isinstance(e.tag, str) for e in runtime.root.iter())      # no comment nodes


def test_one_pointer_table_for_runtime_lint_and_graph() -> None:
    assert model.REF_KIND is pointers.EDGE_KINDS
    assert base.NUMBER_POINTERS == pointers.NUMBER_POINTERS
    assert base.VALUE_POINTERS == pointers.VALUE_POINTERS
    assert base.Node.POINTER_TAGS == pointers.TRACKED_POINTERS
    assert base.is_pointer_tag("pFoo") == pointers.is_pointer_tag("pFoo") is True
    assert base.pointer_target("Width.Max") == pointers.pointer_target("Width.Max") == "Width"
    assert {p.tag for p in pointers.POINTERS} == set(pointers.EDGE_KINDS)
    assert all(pointers.is_pointer_tag(p.tag) for p in pointers.POINTERS)


def test_lint_edges_follow_the_table() -> None:
    doc = model.parse_document(description(BODY))
    kinds = {(ref.element, ref.kind) for ref in doc.nodes["Width"].refs()}
    assert kinds == {("pValue", "value")}
    assert {ref.kind for ref in doc.nodes["WidthReg"].refs()} == {"port"}


from hypothesis import example, given, settings
from hypothesis import strategies as st

_PREAMBLE_LINE = st.text(st.characters(blacklist_characters="<\r\n\x00",
                                       blacklist_categories=("Cs",)), max_size=40)


@settings(max_examples=60, deadline=None)
@given(lines=st.lists(_PREAMBLE_LINE, min_size=1, max_size=6), declaration=st.booleans())
@example(lines=["", "  \t"], declaration=True)        # blank lines before <?xml
@example(lines=["arv-tool-0.8 dump"], declaration=False)
def test_any_preamble_keeps_every_line_number(lines: list[str], declaration: bool) -> None:
    """Whatever text comes before the XML (arv-tool headers, log lines), nodes keep the
    line numbers of the file as written, for the runtime and for lint alike."""
    body = description('<Integer Name="A"><Value>1</Value></Integer>\n'
                       '<Integer Name="B">\n<Value>2</Value></Integer>')
    if not declaration:
        body = body.split(b"?>\n", 1)[1]
    xml = "\n".join(lines).encode("utf-8") + b"\n" + body     # blank lines too
    expected = {name: xml[:xml.index(f'<Integer Name="{name}"'.encode())].count(b"\n") + 1
                for name in ("A", "B")}
    runtime = loader.parse_document(xml)
    assert {n: runtime.elements[n].sourceline for n in expected} == expected
    authoring = model.parse_document(xml)
    assert {n: authoring.nodes[n].line for n in expected} == expected
