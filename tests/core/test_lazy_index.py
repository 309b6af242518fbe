"""The lazy index (nodemap/lazyindex.py) against the full parse (loader.parse_document).

For every description the scan either falls back to the full parse or gives the same
answer: the same names in the same order, and for each name the same element type, the
same canonical subtree (c14n), the same line for the element and every element in it,
the same StructReg parent, and the same pInvalidator map.  Checked on every shared
vendor file and on hypothesis-generated node maps (tests/genmaps) with noise added:
comments anywhere (some holding elements), PIs, CDATA sections (some holding markup),
Group wrappers, attributes in other orders, whitespace and newlines inside tags,
namespace prefixes, names defined twice.  Malformed inputs (truncated, a mismatched tag
inside a node) are refused at open or when the node is built, with the full parse's
error and line.  ``NODEMAP_LAZY_EXAMPLES`` sets how many examples hypothesis runs.
"""

from __future__ import annotations

import os
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from lxml import etree

import nodemap
from nodemap import lazyindex, loader
from nodemap.errors import XmlError
from tests.genmaps.model import HEADER
from tests.genmaps.strategies import node_maps
from tests.peers import require_vendor_xml

from .xmlkit import NS, description, int_reg

EXAMPLES = int(os.environ.get("NODEMAP_LAZY_EXAMPLES", "60"))

pytestmark = pytest.mark.skipif(not lazyindex.FAST, reason="the scan needs Python 3.11 "
                                "(possessive quantifiers); older ones always parse fully")


def _c14n(element: etree._Element) -> bytes:
    return etree.tostring(element, method="c14n")


def _lines(element: etree._Element) -> list[int | None]:
    return [item.sourceline for item in element.iter(etree.Element)]


def compare(xml: bytes) -> str:
    """Open ``xml`` both ways and require the same answer.  Returns "fast", "fallback",
    "refused" (both refuse at open, alike) or "deferred" (malformed inside an element:
    the fast path opened, and building that element raises the full parse's error)."""
    try:
        full: loader.Document | None = loader.parse_document(xml)
        full_error: XmlError | None = None
    except XmlError as exc:
        full, full_error = None, exc
    try:
        index = lazyindex.open_index(xml)
    except XmlError as exc:
        assert full_error is not None, f"the scan refused what the full parse accepts: {exc}"
        assert (str(exc), exc.line) == (str(full_error), full_error.line)
        return "refused"
    if full_error is not None:
        assert isinstance(index, lazyindex.LazyIndex), "the full parse refused, its fallback not"
        raised = []
        for name in index.tags:
            try:
                index.element(name)
            except XmlError as exc:
                raised.append(exc)
                break
        assert raised, f"malformed ({full_error}) but every element of the index parsed"
        assert (str(raised[0]), raised[0].line) == (str(full_error), full_error.line)
        return "deferred"
    assert full is not None
    if isinstance(index, lazyindex.FullIndex):
        return "fallback"
    assert list(index.tags) == list(full.elements)
    for name, element in full.elements.items():
        mine = index.element(name)
        assert index.tags[name] == loader.localname(element.tag), name
        assert _c14n(mine) == _c14n(element), name
        assert _lines(mine) == _lines(element), name
        parent, my_parent = full.struct_parents.get(name), index.struct_parent(name)
        assert (parent is None) == (my_parent is None), name
        if parent is not None and my_parent is not None:
            assert _c14n(my_parent) == _c14n(parent), name
    theirs = sorted(lazyindex.FullIndex(full).invalidators())
    assert sorted(index.invalidators()) == theirs
    assert sorted(index.owned("pSelected")) == sorted(lazyindex.FullIndex(full).owned("pSelected"))
    return "fast"


# -- vendor files ---------------------------------------------------------------------------

@pytest.mark.vendor_xml
@pytest.mark.timeout(900)
def test_every_vendor_file_gives_the_full_parse_answer() -> None:
    outcomes = {path.name: compare(loader.read_source(path)) for path in require_vendor_xml()}
    print(outcomes)
    assert set(outcomes.values()) <= {"fast", "fallback"}
    # the scan understands real files: every shared file takes the fast path today
    assert [name for name, outcome in outcomes.items() if outcome != "fast"] == []


# -- generated maps with noise --------------------------------------------------------------

_COMMENTS = ["<!-- plain -->", '<!-- <Integer Name="Ghost"><Value>1</Value></Integer> -->',
             "<!-- a > b, </Value> -->", "<?nodemap a < b ?>", "\n\n   \t"]
_CDATA = ["<![CDATA[(A<<2)>B]]>", "<![CDATA[</Integer>]]>", "<![CDATA[]]>"]
_TOKEN = re.compile(r"<!--.*?-->|<[^>]*>|[^<]+", re.S)


@st.composite
def noisy(draw: Any) -> bytes:
    """A generated node map, re-written token by token with noise that keeps it well
    formed (or, when ``duplicate``, defines a name twice)."""
    spec = draw(node_maps(max_nodes=8))
    text = spec.xml().decode("utf-8")
    root_end = text.index(">", text.index("<RegisterDescription")) + 1
    head, body = text[:root_end], text[root_end:]
    prefix = draw(st.sampled_from([None, "p", "g"]))
    if prefix == "p":    # another namespace, used by an extra element inside nodes
        head = head[:-1] + ' xmlns:p="http://example.com/p">'
    elif prefix == "g":  # the GenApi namespace under a prefix: prefixed nodes (fallback)
        head = head[:-1] + f' xmlns:g="{_default_ns(head)}">'
    out = [head]
    close_at = -1
    depth = 0
    group = 0
    stack: list[str] = []
    chance = draw(st.integers(0, 3))     # 0: no noise at all ... 3: a lot

    def roll() -> bool:
        return chance > 0 and draw(st.integers(0, 9)) < chance

    for token in _TOKEN.findall(body):
        if token.startswith("</RegisterDescription"):
            while group:
                out.append("</Group>")
                group -= 1
            close_at = len(out)
            out.append(token)
            continue
        if token.startswith("</"):
            tag = stack.pop() if stack else token[2:-1]
            depth -= 1
            space = "\n " if roll() else ""
            out.append(f"</{tag}{space}>")
            if depth == 0 and group and roll():
                out.append("</Group>")
                group -= 1
            continue
        if token.startswith("<!--") or token.startswith("<?"):
            out.append(token)
            continue
        if token.startswith("<"):
            if roll():
                out.append(draw(st.sampled_from(_COMMENTS)))
            if depth == 0 and roll() and group < 2:
                attr = draw(st.sampled_from(["", ' Comment="g"', ' xmlns:q="urn:q"']))
                out.append(f"<Group{attr}>")
                group += 1
            match = re.match(r"<([\w.:-]+)(.*?)(/?)>$", token, re.S)
            assert match, token
            tag, attrs, empty = match.groups()
            if prefix == "g" and tag == "EnumEntry" and roll():
                tag = "g:EnumEntry"
            if roll():
                attrs = _shuffle(attrs, draw)
            out.append(f"<{tag}{attrs}{empty}>")
            if not empty:
                stack.append(tag)
                depth += 1
                if prefix == "p" and depth == 1 and roll():
                    out.append('<p:Extra a="1">x</p:Extra>')
            continue
        if token.strip() and roll():
            out.append(draw(st.sampled_from(_CDATA)) if roll() else
                       f"<![CDATA[{_unescape(token)}]]>")
        out.append(token)
    if draw(st.booleans()) and chance:
        names = re.findall(r'<Integer Name="([^"]+)"', text)
        if names:   # a name defined twice (the first definition wins)
            out.insert(close_at, f'<Integer Name="{names[0]}"><Value>7</Value></Integer>')
    xml = "".join(out)
    if chance and draw(st.booleans()):
        xml = xml.replace("\n", "\r\n")      # Windows line ends
    return xml.encode("utf-8")


def _default_ns(head: str) -> str:
    return re.search(r' xmlns="([^"]*)"', head).group(1)  # type: ignore[union-attr]


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").replace(
        "]]>", "]] >")


def _shuffle(attrs: str, draw: Any) -> str:
    """Newlines between attributes, another attribute before Name, or one after it."""
    how = draw(st.sampled_from(["newlines", "before", "after", "gt"]))
    if how == "newlines":
        return re.sub(r" (?=\w+=)", "\n\t ", attrs)
    if how == "before":
        return ' Noise1="first"' + attrs
    if how == "gt":
        return attrs + ' Noise2="a > b /> c"'
    return attrs + ' Noise3="last"'


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(xml=noisy())
def test_generated_maps_with_noise_give_the_full_parse_answer(xml: bytes) -> None:
    assert compare(xml) in ("fast", "fallback")


@settings(max_examples=max(EXAMPLES // 3, 10), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(spec=node_maps(max_nodes=8))
def test_plain_generated_maps_take_the_fast_path(spec: Any) -> None:
    """Without noise the scan understands every generated map (a regression here makes
    open slow, never wrong: this test says so)."""
    assert compare(spec.xml()) == "fast"


# -- malformed input ------------------------------------------------------------------------

@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(spec=node_maps(max_nodes=6), data=st.data())
def test_truncated_or_mismatched_input_is_refused_at_open_or_build(spec: Any,
                                                                   data: st.DataObject) -> None:
    xml = spec.xml()
    if data.draw(st.booleans()):
        cut = data.draw(st.integers(len(HEADER) // 2, len(xml) - 2))
        broken = xml[:cut]
    else:
        ends = [m.start() for m in re.finditer(rb"</(Value|Address|pValue|Length|pFeature)>",
                                               xml)]
        if not ends:
            return
        at = data.draw(st.sampled_from(ends))
        broken = xml[:at] + b"</Mismatch>" + xml[xml.index(b">", at) + 1:]
    assert compare(broken) in ("refused", "deferred")


def test_a_mismatched_tag_inside_a_node_is_an_error_with_its_line_when_built() -> None:
    xml = description('<Integer Name="A"><Value>1</Value></Integer>\n\n'
                      '<Integer Name="B">\n<Value>2</Valeu></Integer>')
    nm = nodemap.NodeMap.from_xml(xml)          # opening only indexes the names
    assert nm.features["A"].value == 1
    with pytest.raises(XmlError) as info:
        nm.node("B")
    assert info.value.line == 5 and "Valeu" in str(info.value)


def test_refusals_at_open_are_the_full_parse_ones() -> None:
    cases = [
        b'<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY a "b">]><RegisterDescription/>',
        b"<Foo></Foo>",
        b"no xml here",
        description("<Integer Name='A'><Value>1</Value></Integer>")[:-10],
    ]
    for xml in cases:
        assert compare(xml) == "refused", xml


def test_what_the_scan_leaves_to_the_full_parse() -> None:
    ok = '<Integer Name="A"><Value>1</Value></Integer>'
    fallbacks = [
        ok.replace('Name="A"', 'NameSpace="Custom" Name="A"'),       # Name not first
        ok + ok,                                                     # a name twice
        f'<Group xmlns="urn:other">{ok}</Group>',                    # a namespace below root
        f"<![CDATA[x]]>{ok}",                                        # text at the top level
        f"<x:Integer xmlns:x='{NS}' Name='B'/>{ok}",                  # a prefixed node
        '<Enumeration Name="E"><EnumEntry Comment="c" Name="On"><Value>1</Value></EnumEntry>'
        '<pValue>A</pValue></Enumeration>' + ok,                     # an entry's Name not first
        '<IntSwissKnife Name="K"><pVariable Name="X">A</pVariable><IntSwissKnife Name="In">'
        '<Formula>1</Formula></IntSwissKnife><Formula>X</Formula></IntSwissKnife>' + ok,
        # ^ an element inside one of the same name
    ]
    for body in fallbacks:
        xml = description(body)
        assert lazyindex.scan(loader.prepare_source(xml)) is None, body
        assert compare(xml) == "fallback", body
    fast = [ok, f'<Group Comment="g">\n<Group>{ok}</Group></Group>',
            f"<!-- <Integer Name='Ghost'/> -->{ok}<?pi a<b?>",
            ok.replace("<Value>1</Value>", "<Value><![CDATA[1]]></Value><!-- </Integer> -->"),
            '<StructReg Comment="s"><Address>0</Address><Length>4</Length><pPort>Device</pPort>'
            '<IntSwissKnife Name="Off"><pVariable Name="X">A</pVariable><Formula>X</Formula>'
            '</IntSwissKnife><StructEntry Name="Bit"><Bit>0</Bit></StructEntry></StructReg>' + ok,
            int_reg("R", 0, extra='<pInvalidator>A</pInvalidator>') + ok]
    # Enumerations: the top-level pass checks the plain ones and reads their entries with
    # one search; others (an entry below a child, in a comment, CDATA, an entry's Name not
    # plain, a self-closing entry) are scanned apart: the same answer either way
    entry = '<EnumEntry Name="On"><Value>1</Value></EnumEntry>'
    fast += [f'<Enumeration Name="E">{entry}<EnumEntry Name="Off"/><Value>1</Value>'
             "</Enumeration>" + ok,
             f'<Enumeration Name="E"><ToolTip><EnumEntry Name="Deep"/></ToolTip>{entry}'
             "<Value>1</Value></Enumeration>" + ok,
             f'<Enumeration Name="E"><!-- <EnumEntry Name="Ghost"/> -->{entry}'
             "<Value>1</Value></Enumeration>" + ok,
             f'<Enumeration Name="E">{entry}<ToolTip><![CDATA[<EnumEntry Name="C">]]></ToolTip>'
             "<Value>1</Value></Enumeration>" + ok,
             f'<Enumeration Name="E" Comment="x">\n {entry}\n</Enumeration>' + ok,
             '<Enumeration Name="E"><EnumEntry Name="A"><EnumEntryX Name="B"/></EnumEntry>'
             "</Enumeration>" + ok]
    for body in fast:
        assert compare(description(body)) == "fast", body
    # an entity in an entry's Name: left to the full parse
    body = (f'<Enumeration Name="E">{entry.replace("On", "O&amp;n")}<Value>1</Value>'
            "</Enumeration>" + ok)
    assert compare(description(body)) == "fallback"


def test_the_node_map_parses_the_whole_document_only_when_asked() -> None:
    xml = description('<Integer Name="A"><Value>1</Value><pInvalidator>B</pInvalidator>'
                      '</Integer><Integer Name="B"><Value>2</Value></Integer>')
    nm = nodemap.NodeMap.from_xml(xml)
    (index,) = nm._indexes
    assert isinstance(index, lazyindex.LazyIndex) and index._full is None
    nm.features["B"].value = 3
    assert nm.features["A"].value == 1 and index._full is None
    assert list(index.invalidators()) == [("B", "A")] and nm._selectors() == {}
    assert index._full is None
    assert set(nm.documents[0].elements) == {"A", "B", "Device"}
    assert b'Name="A"' in nm.to_xml()


def test_lines_past_what_lxml_stores_after_parsing_stay_true() -> None:
    xml = description("\n" * 70_000 + '<Integer Name="Far">\n<Value>5</Value></Integer>')
    assert compare(xml) == "fast"
    nm = nodemap.NodeMap.from_xml(xml)
    # as the full parse says (libxml2 past line 65535 gives the line of the text after
    # the start tag: here 70003 for the tag on 70002)
    assert nm.node("Far").line == loader.parse_document(xml).elements["Far"].sourceline
    assert nm.node("Far").line in (70_002, 70_003)


@example(layers=2)
@settings(max_examples=5, deadline=None)
@given(layers=st.integers(1, 3))
def test_layered_descriptions_merge_categories_lazily(layers: int) -> None:
    docs = [description(f'<Category Name="Root"><pFeature>F{i}</pFeature></Category>'
                        f'<Integer Name="F{i}"><Value>{i}</Value></Integer>')
            for i in range(layers)]
    nm = nodemap.NodeMap.from_xml(*docs)
    assert [f"F{i}" for i in range(layers)] == nm.category_children(
        "Root", [f"F{0}"])
