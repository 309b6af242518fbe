"""Open fast: index a description's named nodes from its bytes, parse each on first use.

Opening a 1 MB description with a full lxml parse costs more than the runtime needs:
it only needs the index name → element, and builds a node when it is first used
(:mod:`nodemap.nodemap`).  :func:`open_index` scans the bytes with a few regular
expressions (C-level work: one pass over the top level, one over the children of the
few elements that declare named nodes inside them) into a :class:`LazyIndex`: for every
named node its element type and where its text is.  The element is parsed, with the
same hardened parser, only when its node is built; its line numbers are those of the
file.  A top-level element is parsed once, with the nodes declared inside it
(``EnumEntry``, ``StructEntry``, inline ``IntSwissKnife``), under a copy of the root's
start tag, so namespaces resolve as in the whole document.

Correctness first: the scan accepts only the structure it fully understands (elements
whose ``Name`` is their first attribute, ``<Group>`` wrappers, comments, CDATA sections
and processing instructions holding no ``<`` or ``>``, no namespace declaration but on
the root, no prefixed element where a node may be declared, no name defined twice).
Anything else makes :func:`open_index` parse the whole document with
:func:`~nodemap.loader.parse_document`, whose answer the scan reproduces (the same
names, in the same order, the same elements and lines; tests/core/test_lazy_index.py
compares the two).  What the scan refuses at open is refused with the same
:class:`~nodemap.errors.XmlError` (the checks before parsing are shared); a
well-formedness error inside an element surfaces when its node is built: the whole
document is then parsed, which raises the error the full parse gives, with its line.
"""

from __future__ import annotations

import re
import sys
from typing import Iterator, Union

from lxml import etree

from .errors import XmlError
from .loader import (Document, Source, _parser, localname, nested_name, parse_prepared,
                     prepare_source, _NESTING_REGISTERS)

__all__ = ["LazyIndex", "FullIndex", "Index", "open_index", "scan"]

#: Possessive quantifiers (Python 3.11) keep the scan linear and its tokens unambiguous;
#: on older interpreters every description takes the full parse.
FAST = sys.version_info >= (3, 11)

_S = rb"[ \t\r\n]"
_ATTR = rb"(?:" + _S + rb"++[A-Za-z_][\w.:-]*+" + _S + rb"*+=" + _S + \
    rb"""*+(?:"[^"<]*+"|'[^'<]*+'))"""
_COMMENT = rb"<!--(?:[^-]++|-(?!-))*+-->"
_CDATA = rb"<!\[CDATA\[(?:[^\]]++|\](?!\]>))*+\]\]>"
_PI = rb"<\?(?:[^?]++|\?(?!>))*+\?>"
_MISC = _S + rb"++|" + _COMMENT + rb"|" + _PI
# an element: its tag, its Name when that is the first attribute, and its content up to
# the end tag of the same name (no element of the same name may open inside it)
_ELEMENT = (rb"(<(?P<tag>[A-Za-z_][\w.-]*+)(?:" + _S + rb"++Name" + _S + rb"*+=" + _S +
            rb'*+"(?P<name>[^"<&\t\r\n]*+)")?+' + _ATTR + rb"*+" + _S + rb"*+"
            rb"(?:/>|>(?:[^<]++|" + _CDATA + rb"|" + _COMMENT + rb"|" + _PI + rb"|"
            rb"<(?!/(?P=tag)" + _S + rb"*+>)(?!(?P=tag)[ \t\r\n/>]))*+"
            rb"</(?P=tag)" + _S + rb"*+>))")
_GROUP_TAGS = rb"<Group" + _ATTR + rb"*+" + _S + rb"*+>|</Group" + _S + rb"*+>"

if FAST:
    #: top level: (gap, element, tag, name); gaps hold whitespace, comments, PIs, Groups
    _TOP = re.compile(rb"((?:" + _MISC + rb"|" + _GROUP_TAGS + rb")*+)" + _ELEMENT)
    #: the children of an element: (gap, element, tag, name)
    _CHILD = re.compile(rb"((?:" + _MISC + rb")*+)" + _ELEMENT)
    _TOP_GAP = re.compile(rb"(?:" + _MISC + rb"|" + _GROUP_TAGS + rb")*+")
    _CHILD_GAP = re.compile(rb"(?:" + _MISC + rb")*+")
    _ROOT = re.compile(rb"(?:" + _MISC + rb")*+(<RegisterDescription" + _ATTR + rb"*+" + _S +
                       rb"*+>)")
    _ROOT_END = re.compile(rb"</RegisterDescription" + _S + rb"*+>(?:" + _MISC + rb")*+")
    _START_TAG = re.compile(rb"<[A-Za-z_][\w.-]*+" + _ATTR + rb"*+" + _S + rb"*+>")
    _NAME_ATTR = re.compile(_S + rb"Name" + _S + rb"*=")
    _DEFAULT_NS = re.compile(_S + rb"xmlns" + _S + rb'*=' + _S + rb"""*(?:"([^"]*)"|'([^']*)')""")
    _DECLARATION = re.compile(rb"<\?xml" + _S + rb"[^?]*encoding" + _S + rb"*=" + _S +
                              rb"""*["']([A-Za-z0-9._-]+)""")

#: lxml keeps a line in an unsigned short when it is set after parsing
_MAX_SET_LINE = 65535
_UTF8 = ("utf-8", "utf8", "us-ascii", "ascii")
_CONTAINERS = frozenset(("Enumeration", "StructReg")) | _NESTING_REGISTERS


class _Fallback(Exception):
    """The scan met something it does not fully understand: parse the whole document."""


class FullIndex:
    """The index of a fully parsed :class:`~nodemap.loader.Document` (the fallback,
    and what ``NodeMap([document])`` is given)."""

    __slots__ = ("document", "tags")

    def __init__(self, document: Document) -> None:
        self.document = document
        #: name → element type, document order
        self.tags = {name: localname(element.tag)
                     for name, element in document.elements.items()}

    def element(self, name: str) -> etree._Element:
        return self.document.elements[name]

    def struct_parent(self, name: str) -> etree._Element | None:
        return self.document.struct_parents.get(name)

    def invalidators(self) -> Iterator[tuple[str, str]]:
        """(named node, the node whose caches writing it invalidates) for every
        ``pInvalidator`` (not those of enumeration entries)."""
        return _invalidators(self.document.root, self.document.namespace)


class LazyIndex:
    """Named nodes found by scanning the bytes; elements parsed on first use."""

    __slots__ = ("data", "head", "close", "tags", "_where", "_gaps", "_elements",
                 "_parsed", "_lines", "_lines_head", "_parser", "_full", "namespace")

    def __init__(self, data: bytes, head: bytes, head_end: int, namespace: str,
                 gaps: list[bytes], elements: list[bytes], tags: dict[str, str],
                 where: dict[str, tuple[int, int, int]]) -> None:
        #: the description's bytes (preamble already replaced by empty lines)
        self.data = data
        #: the root's start tag, under which every element is parsed
        self.head = head
        self.close = b"</RegisterDescription>"
        self.namespace = namespace
        #: name → element type, document order
        self.tags = tags
        #: name → (top-level element, child index or -1, StructReg parent top or -1)
        self._where = where
        self._gaps = gaps
        self._elements = elements
        self._parsed: dict[int, etree._Element] = {}
        #: line of each top-level element (computed on first use)
        self._lines: list[int] | None = None
        self._lines_head = data.count(b"\n", 0, head_end)
        self._parser = _parser()
        self._full: Document | None = None

    # -- elements ------------------------------------------------------------------------

    def element(self, name: str) -> etree._Element:
        """The element of node ``name`` (parsed on first use; KeyError if absent)."""
        if self._full is not None:
            return self._full.elements[name]
        top, child, _ = self._where[name]
        element = self._top(top)
        if self._full is not None:          # parsing it fell back to the whole document
            return self._full.elements[name]
        return element if child < 0 else element[child]

    def struct_parent(self, name: str) -> etree._Element | None:
        """A StructEntry's enclosing StructReg element (None for other nodes)."""
        if self._full is not None:
            return self._full.struct_parents.get(name)
        top, _, parent = self._where[name]
        if parent < 0:
            return None
        element = self._top(parent)
        if self._full is not None:
            return self._full.struct_parents.get(name)
        return element

    def _top(self, index: int) -> etree._Element:
        found = self._parsed.get(index)
        if found is not None:
            return found
        line = self._line(index)
        text = self._elements[index]
        head = self.head
        padded = line + text.count(b"\n") > _MAX_SET_LINE
        if padded:   # lines lxml cannot store when set afterwards: parse them in place
            head = head + b"\n" * (line - 1 - head.count(b"\n"))
        try:
            root = etree.fromstring(head + text + self.close, self._parser)
        except (etree.XMLSyntaxError, ValueError):
            # A well-formedness error the scan left to this moment: the whole
            # document's parse names it, with its line (or, should it succeed, answers).
            self._full = parse_prepared(self.data)
            root = None
        if root is None:
            return self._full.root
        element = root[0]
        delta = line - 1 - head.count(b"\n")
        if delta:
            for item in element.iter(etree.Element):
                item.sourceline = item.sourceline + delta
        self._parsed[index] = element
        return element

    def _line(self, index: int) -> int:
        lines = self._lines
        if lines is None:
            lines = []
            count = self._lines_head
            for gap, text in zip(self._gaps, self._elements):
                count += gap.count(b"\n")
                lines.append(count + 1)
                count += text.count(b"\n")
            self._lines = lines
        return lines[index]

    # -- the whole document ------------------------------------------------------------------

    @property
    def document(self) -> Document:
        """The whole document, parsed on first use (for the tools that need the tree)."""
        if self._full is None:
            self._full = parse_prepared(self.data)
        return self._full

    def invalidators(self) -> Iterator[tuple[str, str]]:
        """As :meth:`FullIndex.invalidators`, parsing only the elements that have one."""
        if self._full is not None:
            yield from _invalidators(self._full.root, self._full.namespace)
            return
        for index, text in enumerate(self._elements):
            if b"<pInvalidator" in text:
                element = self._top(index)
                if self._full is not None:
                    yield from _invalidators(self._full.root, self._full.namespace)
                    return
                yield from _invalidators(element, self.namespace)

    def __repr__(self) -> str:
        return f"<LazyIndex {len(self.tags)} named elements>"


Index = Union[LazyIndex, FullIndex]


def _invalidators(root: etree._Element, namespace: str) -> Iterator[tuple[str, str]]:
    for element in root.iter(f"{{{namespace}}}pInvalidator" if namespace else "pInvalidator"):
        owner = element.getparent()
        owner_name = owner.get("Name") if owner is not None else None
        if owner is not None and localname(owner.tag) == "EnumEntry":
            continue
        if owner_name and element.text:
            yield element.text.strip(), owner_name


def open_index(source: Source) -> Index:
    """Read, check and index one description for the runtime: the fast scan when it
    understands the document, the full parse otherwise.  Refuses what
    :func:`~nodemap.loader.parse_document` refuses, with the same errors."""
    data = prepare_source(source)
    found = scan(data)
    if found is not None:
        return found
    return FullIndex(parse_prepared(data))


def scan(data: bytes) -> LazyIndex | None:
    """The lazy index of prepared description bytes, or None when the scan does not
    fully understand them (the caller then parses the whole document)."""
    if not FAST:
        return None
    try:
        return _scan(data)
    except _Fallback:
        return None


def _scan(data: bytes) -> LazyIndex:
    root = _ROOT.match(data)
    if root is None:
        raise _Fallback("no <RegisterDescription> start tag where expected")
    head = root.group(1)
    declared = _DECLARATION.match(data)
    if declared and declared.group(1).decode("ascii").lower().replace("_", "-") \
            not in _UTF8 and not data.isascii():
        raise _Fallback("an encoding other than UTF-8")
    if data.count(b"xmlns") != head.count(b"xmlns"):
        raise _Fallback("a namespace declared below the root")
    default = _DEFAULT_NS.search(head)
    raw = (default.group(1) or default.group(2) or b"") if default else b""
    if re.search(rb"[&\t\r\n]", raw):
        raise _Fallback("a default namespace with blanks or references")
    namespace = raw.decode("utf-8")
    at = data.find(b"<?", 1)
    while at >= 0:
        if data[at + 2:at + 5].lower() == b"xml":
            raise _Fallback("an XML declaration or a reserved PI after the start")
        at = data.find(b"<?", at + 2)
    close = data.rfind(b"</RegisterDescription")
    start = root.end()
    if close < start or _ROOT_END.fullmatch(data, close) is None:
        raise _Fallback("no </RegisterDescription> at the end")
    found_tops = _TOP.findall(data, start, close)
    consumed = 0
    for gap, text, _tag, _name in found_tops:
        consumed += len(gap) + len(text)
    if _TOP_GAP.fullmatch(data, start + consumed, close) is None:
        raise _Fallback("top-level content the scan does not understand")
    gaps: list[bytes] = []
    elements: list[bytes] = []
    tags: dict[str, str] = {}
    where: dict[str, tuple[int, int, int]] = {}
    depth = 0
    for index, (gap, text, tag_b, name_b) in enumerate(found_tops):
        gaps.append(gap)
        elements.append(text)
        if b"Group" in gap:
            for closing in re.findall(rb"<(/?)Group", gap):
                depth += -1 if closing else 1
                if depth < 0:
                    raise _Fallback("an unbalanced </Group>")
        tag = tag_b.decode("ascii")
        if tag == "StructReg":
            _struct_reg(text, index, tags, where)
            continue
        if not name_b:
            _unnamed(text)
            continue
        name = name_b.decode("utf-8")
        if name in tags:
            raise _Fallback(f"{name!r} defined twice")
        tags[name] = tag
        where[name] = (index, -1, -1)
        if tag == "Enumeration":
            for child, (ctag, cname) in _children(text):
                if ctag == "EnumEntry":
                    _add(f"EnumEntry_{name}_{cname}", ctag, (index, child, -1), tags, where)
        elif tag in _NESTING_REGISTERS and b"<IntSwissKnife" in text:
            for child, (ctag, cname) in _children(text):
                if ctag == "IntSwissKnife":
                    _add(nested_name(tag, name, cname), ctag, (index, child, -1), tags, where)
    tail = data[start + consumed:close]
    if b"Group" in tail:
        for closing in re.findall(rb"<(/?)Group", tail):
            depth += -1 if closing else 1
            if depth < 0:
                raise _Fallback("an unbalanced </Group>")
    if depth:
        raise _Fallback("an unclosed <Group>")
    return LazyIndex(data, head, root.end(), namespace, gaps, elements, tags, where)


def _add(name: str, tag: str, place: tuple[int, int, int], tags: dict[str, str],
         where: dict[str, tuple[int, int, int]]) -> None:
    if name in tags:
        raise _Fallback(f"{name!r} defined twice")
    tags[name] = tag
    where[name] = place


def _unnamed(text: bytes) -> None:
    """An element without a first ``Name``: skipped, as the full index skips elements
    without a name, unless it has a Name elsewhere in its start tag."""
    start = _START_TAG.match(text)
    tag_text = text[:start.end()] if start else text[:text.find(b">") + 1]
    if _NAME_ATTR.search(tag_text) and not re.search(
            _S + rb'++Name' + _S + rb'*+=' + _S + rb'*+""', tag_text):
        raise _Fallback("a Name that is not the first attribute")


def _children(text: bytes) -> list[tuple[int, tuple[str, str]]]:
    """(child index, (tag, name)) of the named element children of one element; the
    child index counts every element child (the parser drops comments and PIs)."""
    start = _START_TAG.match(text)
    if start is None:
        if text.endswith(b"/>"):
            return []
        raise _Fallback("a start tag the scan does not understand")
    body_end = text.rfind(b"</")
    found = _CHILD.findall(text, start.end(), body_end)
    consumed = 0
    named: list[tuple[int, tuple[str, str]]] = []
    for index, (gap, child, tag, name) in enumerate(found):
        consumed += len(gap) + len(child)
        if name:
            named.append((index, (tag.decode("ascii"), name.decode("utf-8"))))
        elif tag in (b"EnumEntry", b"IntSwissKnife", b"StructEntry"):
            _unnamed(child)
    if _CHILD_GAP.fullmatch(text, start.end() + consumed, body_end) is None:
        raise _Fallback("element content the scan does not understand")
    return named


def _struct_reg(text: bytes, index: int, tags: dict[str, str],
                where: dict[str, tuple[int, int, int]]) -> None:
    """A StructReg has no name of its own: its inline IntSwissKnife nodes (first, as
    the full index takes them) and its StructEntry nodes are indexed."""
    children = _children(text)
    for child, (tag, name) in children:
        if tag == "IntSwissKnife":
            _add(nested_name("StructReg", None, name), tag, (index, child, -1), tags, where)
    for child, (tag, name) in children:
        if tag == "StructEntry":
            _add(name, tag, (index, child, index), tags, where)
