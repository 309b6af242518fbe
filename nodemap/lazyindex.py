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
whose ``Name`` is their first attribute, ``<Group>`` wrappers without namespace
declarations, comments, CDATA sections and PIs inside elements and comments and PIs
between them, no prefixed element where a node may be declared, no name defined twice;
docs/core.md lists it all).
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
from operator import itemgetter
from typing import Any, Iterator, Union, cast

from lxml import etree

from .errors import XmlError
from .loader import (Document, Source, _parser, localname, nested_name, parse_prepared,
                     prepare_source, _NESTING_REGISTERS)

__all__ = ["LazyIndex", "FullIndex", "Index", "open_index", "scan"]

#: Possessive quantifiers (Python 3.11) keep the scan linear and its tokens unambiguous;
#: on older interpreters every description takes the full parse.
FAST = sys.version_info >= (3, 11)

_S = rb"[ \t\r\n]"
_ATTR_NAME = rb"[A-Za-z_][\w.:-]*+"
_ATTR = rb"(?:" + _S + rb"++" + _ATTR_NAME + _S + rb"*+=" + _S + \
    rb"""*+(?:"[^"<]*+"|'[^'<]*+'))"""
#: a Group's attributes may not declare namespaces (its elements are parsed without it)
_GROUP_ATTR = _ATTR.replace(_ATTR_NAME, rb"(?!xmlns)" + _ATTR_NAME)
_COMMENT = rb"<!--(?:[^-]++|-(?!-))*+-->"
_CDATA = rb"<!\[CDATA\[(?:[^\]]++|\](?!\]>))*+\]\]>"
#: processing instructions; not an XML declaration, which may only start the document
_PI = rb"<\?(?![xX][mM][lL][ \t\r\n?])(?:[^?]++|\?(?!>))*+\?>"
_DECL = rb"<\?xml(?:[^?]++|\?(?!>))*+\?>"
_MISC = _S + rb"++|" + _COMMENT + rb"|" + _PI
_TAG = rb"[A-Za-z_][\w.-]*+"
_NAME = rb"++Name" + _S + rb"*+=" + _S + rb'*+"(?P<name>[^"<&\t\r\n]*+)"'
_SPECIAL = _CDATA + rb"|" + _COMMENT + rb"|" + _PI


def _element(tag: bytes, *, named: bool, isk: bool = False, exclude: bytes = b"") -> bytes:
    """An element: its tag (``tag`` a literal, or a pattern captured as ``tag``), its Name
    when that is the first attribute (``named``), and its content up to the first end
    tag of the same name; CDATA sections, comments and PIs in it are skipped whole (they
    may hold '<').  ``isk``: capture an ``I`` when an IntSwissKnife opens inside.
    ``exclude``: a tag it may not have.

    An element of the same name nested inside ends the match early; what follows it
    then matches nothing (it ends with the outer end tag), so the byte count of the
    pass comes out short and the scan falls back."""
    if tag == _TAG:
        head = rb"<" + (rb"(?!" + exclude + rb"[ \t\r\n/>])" if exclude else b"") + \
            rb"(?P<tag>" + _TAG + rb")"
        same = rb"(?P=tag)"
    else:
        head = rb"<" + tag
        same = tag
    opened = rb"<(?=[A-Za-z_])"
    if isk:
        opened += rb"(?:(?P<isk>I)(?=ntSwissKnife[ \t\r\n/>]))?+"
    return (head + (rb"(?:" + _S + _NAME + rb")?+" if named and tag == _TAG else
                    _S + _NAME if named else b"") +
            _ATTR + rb"*+" + _S + rb"*+(?:/>|>[^<]*+(?:(?:</(?!" + same + _S + rb"*+>)|" +
            opened + rb"|" + _SPECIAL + rb")[^<]*+)*+</" + same + _S + rb"*+>)")


_GROUP_TAGS = rb"<Group" + _GROUP_ATTR + rb"*+" + _S + rb"*+>|</Group" + _S + rb"*+>"


def _plain(head: bytes, same: bytes) -> bytes:
    """An element (after ``head``, up to its end tag ``same``) with no comment, CDATA
    section or PI in it and no ``<EnumEntry`` below it."""
    return (head + _ATTR + rb"*+" + _S + rb"*+(?:/>|>[^<]*+(?:(?:</(?!" + same + _S +
            rb"*+>)|<(?!EnumEntry[ \t\r\n/>])(?=[A-Za-z_]))[^<]*+)*+</" + same + _S + rb"*+>)")


#: An Enumeration whose structure the top-level pass checks while it walks it (one pass
#: instead of two): a Name first, then only whitespace, EnumEntry children with a Name
#: first and other children, none holding an EnumEntry, a comment, CDATA or a PI.  Then
#: every ``<EnumEntry`` in its text opens one of its entries, whose names one cheap
#: search finds (:data:`_ENTRY_NAME`).  Any other Enumeration is matched as any element
#: and its children scanned apart (:func:`_named_children`).
_ENUMERATION = (
    rb"<Enumeration" + _S + rb"++Name" + _S + rb"*+=" + _S +
    rb'*+"(?P<enumeration>[^"<&\t\r\n]++)"' + _ATTR + rb"*+" + _S + rb"*+>(?:" + _S + rb"++|" +
    _plain(rb"<EnumEntry" + _S + rb"++Name" + _S + rb"*+=" + _S + rb'*+"[^"<&\t\r\n]*+"',
           b"EnumEntry") + rb"|" +
    _plain(rb"<(?!EnumEntry[ \t\r\n/>])(?P<child>" + _TAG + rb")", rb"(?P=child)") +
    rb")*+</Enumeration" + _S + rb"*+>")

# The scan's expressions, compiled by :func:`_compile` on the first scan (about 9 ms of
# regular-expression compilation kept off ``import nodemap``).
_TOP: re.Pattern[bytes]
_ENTRY_NAME: re.Pattern[bytes]
_NAMED_CHILD: dict[bytes, re.Pattern[bytes]]
_ROOT: re.Pattern[bytes]
_ROOT_END: re.Pattern[bytes]
_START_TAG: re.Pattern[bytes]
_NAME_ATTR: re.Pattern[bytes]
_EMPTY_NAME: re.Pattern[bytes]
_GROUP_TAG: re.Pattern[bytes]
_XMLNS: re.Pattern[bytes]
_DECLARATION: re.Pattern[bytes]
_compiled = False


def _compile() -> None:
    global _TOP, _ENTRY_NAME, _NAMED_CHILD, _ROOT, _ROOT_END, _START_TAG, _NAME_ATTR, _EMPTY_NAME
    global _GROUP_TAG, _XMLNS, _DECLARATION, _compiled
    #: top level: (gap, element, checked Enumeration's name, its last child's tag, tag, name,
    #: isk) (see _ENUMERATION_NAME); gaps hold whitespace, comments, PIs and
    #: Group tags (a Group the gap does not take is no element either: fallback); the last matches are the gap before the end (element empty).  Every
    #: byte is in a match unless the scan met something it does not understand.
    _TOP = re.compile(rb"((?:" + _MISC + rb"|" + _GROUP_TAGS + rb")*+)(?:(" + _ENUMERATION +
                      rb"|" + _element(_TAG, named=True, isk=True, exclude=b"Group") +
                      rb")|\Z)")
    _ENTRY_NAME = re.compile(rb"<EnumEntry" + _S + rb"++Name" + _S + rb"*+=" + _S +
                             rb'*+"([^"<&\t\r\n]*+)"')
    #: the named ``tag`` children of an element, each with the siblings before it, and
    #: the siblings after the last: (siblings, last sibling's tag, child, name)
    _NAMED_CHILD = {tag: re.compile(rb"((?:" + _MISC + rb"|" +
                                    _element(_TAG, named=False, exclude=tag) + rb")*+)(?:(" +
                                    _element(tag, named=True) + rb")|\Z)")
                    for tag in (b"EnumEntry", b"IntSwissKnife", b"StructEntry")}
    _ROOT = re.compile(rb"(?:" + _DECL + rb")?+(?:" + _MISC + rb")*+(<RegisterDescription" +
                       _ATTR + rb"*+" + _S + rb"*+>)")
    _ROOT_END = re.compile(rb"</RegisterDescription" + _S + rb"*+>(?:" + _MISC + rb")*+")
    _START_TAG = re.compile(rb"<" + _TAG + _ATTR + rb"*+" + _S + rb"*+(/?)>")
    _NAME_ATTR = re.compile(_S + rb"Name" + _S + rb"*=")
    _EMPTY_NAME = re.compile(_S + rb"Name" + _S + rb"*=" + _S + rb'*""')
    _GROUP_TAG = re.compile(rb"<(/?)Group")
    _XMLNS = re.compile(rb"(" + _S + rb"++xmlns(?::" + _TAG + rb")?+" + _S + rb"*+=" + _S +
                        rb"""*+(?:"[^"<]*+"|'[^'<]*+'))""")
    _DECLARATION = re.compile(rb"<\?xml" + _S + rb"[^?]*encoding" + _S + rb"*=" + _S +
                              rb"""*["']([A-Za-z0-9._-]+)""")
    _compiled = True


#: how many top-level elements are parsed together when one of them is first needed
_CHUNK = 32
#: Groups nested deeper are left to the full parse (which refuses trees deeper than 256)
_MAX_GROUP_DEPTH = 16
#: lxml keeps a line in an unsigned short when it is set after parsing
_MAX_SET_LINE = 65535
_UTF8 = ("utf-8", "utf8", "us-ascii", "ascii")
#: elements whose children are scanned for named nodes: always, or (registers) when they
#: hold an IntSwissKnife
_ALWAYS_SCANNED = frozenset(("Enumeration", "StructReg"))


#: where a name is: its top-level element, or (top-level element, the child's tag and
#: Name, the StructReg parent's top-level element or -1)
_Place = Union[int, tuple[int, str, str, int]]


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

    def owned(self, tag: str) -> Iterator[tuple[str, str | None, str]]:
        """(owner's element type, owner's Name, text) of every ``tag`` element."""
        return _owned(self.document.root, self.document.namespace, tag)

    def invalidators(self) -> Iterator[tuple[str, str]]:
        """(named node, the node whose caches writing it invalidates) for every
        ``pInvalidator`` (not those of enumeration entries)."""
        return _invalidators(self.owned("pInvalidator"))


class LazyIndex:
    """Named nodes found by scanning the bytes; elements parsed on first use."""

    __slots__ = ("data", "head", "close", "tags", "_where", "_found", "_names",
                 "_parsed", "_bad_chunks", "_lines", "_lines_head", "_parser", "_full")

    def __init__(self, data: bytes, head: bytes, head_end: int,
                 found: list[tuple[bytes, ...]], names: list[str], tags: dict[str, str],
                 where: dict[str, _Place]) -> None:
        #: the description's bytes (preamble already replaced by empty lines)
        self.data = data
        #: the root's start tag with only its namespace declarations: every element is
        #: parsed under it (the other attributes would be copied into every fragment)
        self.head = b"<RegisterDescription" + b"".join(_XMLNS.findall(head)) + b">"
        self.close = b"</RegisterDescription>"
        #: name → element type, document order
        self.tags = tags
        #: name → where its element is (see _Place)
        self._where = where
        #: the top-level pass's matches: (gap before, element text, ...: see _TAG_OF); kept
        #: whole (the element texts are parsed from here, and freeing them is not free)
        self._found = found
        #: the top-level elements' names ("" when unnamed or a StructReg), to place the
        #: top-level nodes (``_where`` holds the nested ones) on first use
        self._names: list[str] | None = names
        self._parsed: dict[int, etree._Element] = {}
        #: chunks (by first element) holding a malformed element
        self._bad_chunks: set[int] = set()
        #: line of each top-level element (computed on first use)
        self._lines: list[int] | None = None
        self._lines_head = data.count(b"\n", 0, head_end)
        self._parser: etree.XMLParser | None = None
        self._full: Document | None = None

    # -- elements ------------------------------------------------------------------------

    def element(self, name: str) -> etree._Element:
        """The element of node ``name`` (parsed on first use; KeyError if absent)."""
        if self._full is not None:
            return self._full.elements[name]
        place = self._place(name)
        if isinstance(place, int):
            element = self._top(place)
        else:
            element = self._top(place[0])
        if self._full is not None:          # parsing it fell back to the whole document
            return self._full.elements[name]
        if isinstance(place, int):
            return element
        _, tag, child_name, _ = place
        for child in element:
            if child.get("Name") == child_name and localname(child.tag) == tag:
                return child
        raise KeyError(name)  # pragma: no cover - the scan found it there

    def struct_parent(self, name: str) -> etree._Element | None:
        """A StructEntry's enclosing StructReg element (None for other nodes)."""
        if self._full is not None:
            return self._full.struct_parents.get(name)
        place = self._place(name)
        parent = -1 if isinstance(place, int) else place[3]
        if parent < 0:
            return None
        element = self._top(parent)
        if self._full is not None:
            return self._full.struct_parents.get(name)
        return element

    def _place(self, name: str) -> _Place:
        names = self._names
        if names is not None:       # first use: the top-level names join the nested ones
            where: dict[str, _Place] = dict(zip(names, range(len(names))))
            where.pop("", None)
            where.update(self._where)
            self._where = where
            self._names = None
        return self._where[name]

    def _top(self, index: int) -> etree._Element:
        """Top-level element ``index``, parsed with its neighbours (``_CHUNK`` of them
        in one document: one document per element would cost ~3 kB each when a whole
        file is built); a chunk with a malformed element is parsed element by element,
        and a malformed element makes the whole document's parse raise its error."""
        found = self._parsed.get(index)
        if found is not None:
            return found
        first = index - index % _CHUNK
        last = min(first + _CHUNK, len(self._found))
        elements = None if first in self._bad_chunks else self._parse(first, last)
        if elements is None:
            self._bad_chunks.add(first)
            elements = self._parse(index, index + 1)
            first = index
        if elements is None:
            # A well-formedness error the scan left to this moment: the whole
            # document's parse names it, with its line (or, should it succeed, answers).
            full = self._full = parse_prepared(self.data)
            return full.root
        for offset, element in enumerate(elements):
            self._parsed.setdefault(first + offset, element)
        return self._parsed[index]

    def _parse(self, first: int, last: int) -> list[etree._Element] | None:
        """Top-level elements ``first`` to ``last`` (excluded) in one document, with
        the lines of the file (the gaps between them kept as their newlines); None when
        lxml refuses them."""
        found = self._found
        pieces = [found[first][1]]
        for gap, text, *_ in found[first + 1:last]:
            pieces.append(b"\n" * gap.count(b"\n"))
            pieces.append(text)
        text = b"".join(pieces)
        line = self._line(first)
        head = self.head
        if line + text.count(b"\n") > _MAX_SET_LINE:
            # lines lxml cannot store when set after parsing: parse them in place
            head = head + b"\n" * (line - 1 - head.count(b"\n"))
        if self._parser is None:
            self._parser = _parser()
        try:
            root = etree.fromstring(head + text + self.close, self._parser)
        except (etree.XMLSyntaxError, ValueError):
            return None
        elements = list(root)
        if len(elements) != last - first:   # pragma: no cover - one element per match
            return None
        delta = line - 1 - head.count(b"\n")
        if delta:
            for item in root.iter(etree.Element):
                # writable in lxml (an unsigned short: longer files are parsed padded)
                cast(Any, item).sourceline = (item.sourceline or 0) + delta
        return elements

    def _line(self, index: int) -> int:
        lines = self._lines
        if lines is None:
            lines = []
            count = self._lines_head
            for gap, text, *_ in self._found:
                count += gap.count(b"\n")
                lines.append(count + 1)
                count += text.count(b"\n")
            self._lines = lines
        return lines[index]

    @property
    def namespace(self) -> str:
        """The root's namespace (as :attr:`loader.Document.namespace`)."""
        tag = etree.fromstring(self.head + self.close, self._parser or _parser()).tag
        return tag[1:].partition("}")[0] if isinstance(tag, str) and tag.startswith("{") else ""

    # -- the whole document ------------------------------------------------------------------

    @property
    def document(self) -> Document:
        """The whole document, parsed on first use (for the tools that need the tree)."""
        if self._full is None:
            self._full = parse_prepared(self.data)
        return self._full

    def owned(self, tag: str) -> Iterator[tuple[str, str | None, str]]:
        """As :meth:`FullIndex.owned`, parsing only the elements whose text holds one."""
        if self._full is not None:
            yield from _owned(self._full.root, self._full.namespace, tag)
            return
        namespace = self.namespace
        needle = b"<" + tag.encode("ascii")
        for index, text in enumerate(map(_SECOND, self._found)):
            if needle in text:
                element = self._top(index)
                if self._full is not None:
                    yield from _owned(self._full.root, self._full.namespace, tag)
                    return
                yield from _owned(element, namespace, tag)

    def invalidators(self) -> Iterator[tuple[str, str]]:
        """As :meth:`FullIndex.invalidators`."""
        return _invalidators(self.owned("pInvalidator"))

    def __repr__(self) -> str:
        return f"<LazyIndex {len(self.tags)} named elements>"


Index = Union[LazyIndex, FullIndex]


def _owned(root: etree._Element, namespace: str,
           tag: str) -> Iterator[tuple[str, str | None, str]]:
    for element in root.iter(f"{{{namespace}}}{tag}" if namespace else tag):
        owner = element.getparent()
        if owner is not None:
            yield localname(owner.tag), owner.get("Name"), element.text or ""


def _invalidators(owned: Iterator[tuple[str, str | None, str]]) -> Iterator[tuple[str, str]]:
    for owner_tag, owner_name, text in owned:
        if owner_tag != "EnumEntry" and owner_name and text:
            yield text.strip(), owner_name


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
    if not _compiled:
        _compile()
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
    close = data.rfind(b"</RegisterDescription")
    start = root.end()
    if close < start or _ROOT_END.fullmatch(data, close) is None:
        raise _Fallback("no </RegisterDescription> at the end")
    found = _TOP.findall(data, start, close)
    tail: list[bytes] = []
    while found and not found[-1][1]:
        tail.append(found.pop()[0])
    gaps = b"".join(map(_FIRST, found))   # one join: counted, and searched for Groups
    consumed = len(gaps) + sum(map(len, map(_SECOND, found)))
    if consumed + sum(map(len, tail)) != close - start:
        raise _Fallback("top-level content the scan does not understand")
    if b"Group" in gaps or b"Group" in b"".join(tail):
        _check_groups([*map(_FIRST, found), *reversed(tail)])
    # tags and names decoded in one C-level call each (names hold no newline)
    tags = b"\n".join(map(_TAG_OF, found)).decode("ascii").split("\n") if found else []
    names = b"\n".join(map(_NAME_OF, found)).decode("utf-8").split("\n") if found else []
    # the Enumerations the pass checked (their tag and name are in their own groups)
    checked = _positions(tags, frozenset(("",)))
    for i in checked:
        tags[i] = "Enumeration"
        names[i] = found[i][_ENUMERATION_NAME].decode("utf-8")
    # the elements that need more than their name: unnamed ones, and those that declare
    # nodes inside them (in document order, where their nested names go)
    special = _positions(tags, _ALWAYS_SCANNED)
    if b"".join(map(_ISK, found)):        # rare: a register holding an IntSwissKnife
        special.extend(i for i, isk in enumerate(map(_ISK, found))
                       if isk and tags[i] in _NESTING_REGISTERS)
    if "" in names:
        special.extend(i for i, name in enumerate(names) if not name)
    index_tags: dict[str, str] = {}
    where: dict[str, _Place] = {}
    expected = 0
    previous = 0
    for i in sorted(set(special)):
        if previous < i:
            index_tags.update(zip(names[previous:i], tags[previous:i]))
            expected += i - previous
        previous = i + 1
        tag, name, text = tags[i], names[i], found[i][1]
        if tag == "StructReg":
            names[i] = ""
            for child in _named_children(text, b"IntSwissKnife"):
                nested = nested_name("StructReg", None, child)
                index_tags[nested] = "IntSwissKnife"
                where[nested] = (i, "IntSwissKnife", child, -1)
                expected += 1
            for child in _named_children(text, b"StructEntry"):
                index_tags[child] = "StructEntry"
                where[child] = (i, "StructEntry", child, i)
                expected += 1
            continue
        if not name:
            _unnamed(text)
            continue
        index_tags[name] = tag
        expected += 1
        if tag == "Enumeration":
            if found[i][_ENUMERATION_NAME]:   # checked by the top-level pass
                entries = b"\n".join(_ENTRY_NAME.findall(text)).decode("utf-8").split("\n") \
                    if b"<EnumEntry" in text else []
            else:
                entries = _named_children(text, b"EnumEntry")
            for child in entries:
                nested = f"EnumEntry_{name}_{child}"
                index_tags[nested] = "EnumEntry"
                where[nested] = (i, "EnumEntry", child, -1)
                expected += 1
        elif tag in _NESTING_REGISTERS:
            for child in _named_children(text, b"IntSwissKnife"):
                nested = nested_name(tag, name, child)
                index_tags[nested] = "IntSwissKnife"
                where[nested] = (i, "IntSwissKnife", child, -1)
                expected += 1
    if previous < len(names):
        index_tags.update(zip(names[previous:], tags[previous:]))
        expected += len(names) - previous
    if len(index_tags) != expected:
        raise _Fallback("a name defined twice")
    return LazyIndex(data, head, root.end(), found, names, index_tags, where)


_FIRST, _SECOND, _THIRD, _FOURTH, _FIFTH = (itemgetter(i) for i in range(5))
#: the top-level pass's groups: gap, element text, a checked Enumeration's name, its last
#: child's tag, then any other element's tag, name and IntSwissKnife flag
_ENUMERATION_NAME = 2
_TAG_OF, _NAME_OF, _ISK = itemgetter(4), itemgetter(5), itemgetter(6)


def _positions(items: list[str], wanted: frozenset[str]) -> list[int]:
    """The indexes of ``items`` equal to one of ``wanted`` (a few values), ascending:
    ``list.index`` runs, C-level, instead of a Python loop over every item."""
    out: list[int] = []
    for value in wanted:
        at = -1
        while True:
            try:
                at = items.index(value, at + 1)
            except ValueError:
                break
            out.append(at)
    out.sort()
    return out


def _check_groups(gaps: list[bytes]) -> None:
    """``<Group>`` and ``</Group>`` balance, in order, over the top level."""
    depth = 0
    for gap in gaps:
        if b"Group" in gap:
            for closing in _GROUP_TAG.findall(gap):
                depth += -1 if closing else 1
                if depth < 0:
                    raise _Fallback("an unbalanced </Group>")
                if depth > _MAX_GROUP_DEPTH:
                    raise _Fallback("Groups nested deeper than the scan follows")
    if depth:
        raise _Fallback("an unclosed <Group>")


def _unnamed(text: bytes) -> None:
    """An element without a first ``Name``: skipped, as the full index skips elements
    without a name, unless it has a Name elsewhere in its start tag."""
    start = _START_TAG.match(text)
    tag_text = text[:start.end()] if start else text[:text.find(b">") + 1]
    if _NAME_ATTR.search(tag_text) and not _EMPTY_NAME.search(tag_text):
        raise _Fallback("a Name that is not the first attribute")


def _named_children(text: bytes, tag: bytes) -> list[str]:
    """The names of the ``tag`` children of one element, in document order.  Falls
    back when a ``tag`` child has no Name first, or the content is not understood."""
    start = _START_TAG.match(text)
    if start is None:
        raise _Fallback("a start tag the scan does not understand")
    if start.group(1):          # <X .../>: no children
        return []
    body_end = text.rfind(b"</")
    found = _NAMED_CHILD[tag].findall(text, start.end(), body_end)
    # groups: the siblings before, the last sibling's tag, the child, its name
    if sum(map(len, map(_FIRST, found))) + sum(map(len, map(_THIRD, found))) != \
            body_end - start.end():
        raise _Fallback(f"a <{tag.decode()}> without a first Name, or content the scan "
                        f"does not understand")
    found = [match for match in found if match[2]]
    if not found:
        return []
    return b"\n".join(map(_FOURTH, found)).decode("utf-8").split("\n")
