"""XML → a lazy index of named GenApi elements.

Loading does as little as possible: read the bytes (unzip with bomb limits: :func:`unzip`
is the project's one unzip, used by every reader of zipped descriptions), parse with
a hardened lxml parser (no entities, no DTD, no network), and index every element that
carries a ``Name`` by that name.  Nodes are built from their elements only when first
used (see :mod:`nodemap.nodemap`).  The runtime opens faster still: it shares
:func:`prepare_source` and indexes the names by scanning the bytes
(:mod:`nodemap.lazyindex`), parsing an element when its node is built, and falls back to
:func:`parse_prepared` for whatever the scan does not understand.

Lenient where real files are sloppy: text before ``<?xml`` (arv-tool dumps start with a
header line; dropped with line numbers kept true), ``<Group>`` nesting, elements in any
order, either schema namespace.

This is the project's one XML model: the authoring tools (linter, graph, schema order)
parse with :func:`parse_document` too (``editable=True`` keeps comments and layout, for
tools that rewrite the file) and build their views on its :class:`Document`.
"""

from __future__ import annotations

import io
import lzma
import os
import re
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Iterator, Union

from lxml import etree

from .errors import XmlError

__all__ = ["Source", "Document", "read_source", "parse_document", "prepare_source",
           "parse_prepared", "named_children", "unzip", "is_zip", "MAX_XML_BYTES"]

Source = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview]

#: The largest description accepted (uncompressed).  Real files are ≤ 2 MB.
MAX_XML_BYTES = 64 * 1024 * 1024
#: A zip member may not expand by more than this ratio (bombs expand by ~1000×).
MAX_ZIP_RATIO = 200
MAX_ZIP_MEMBERS = 64

_ZIP_MAGIC = b"PK\x03\x04"


def _parser(editable: bool = False) -> etree.XMLParser:
    """The hardened parser: no entities, no network, no DTD, no huge trees.  For the
    runtime it also drops comments, processing instructions and layout whitespace (less
    memory, faster); ``editable`` keeps them, for tools that write the document back."""
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
        huge_tree=False, remove_comments=not editable, remove_pis=not editable,
        collect_ids=False, remove_blank_text=not editable)


def read_source(source: Source) -> bytes:
    """The XML bytes of a path, or of bytes that hold XML or a zip of XML."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    elif isinstance(source, (str, os.PathLike)):
        path = Path(source)
        try:
            size = path.stat().st_size
            if size > MAX_XML_BYTES:
                raise XmlError(f"{path}: {size} bytes is larger than the {MAX_XML_BYTES} "
                               f"bytes a GenApi description may have")
            data = path.read_bytes()
        except OSError as exc:
            raise XmlError(f"cannot read {path}: {exc.strerror or exc}") from exc
    else:
        raise TypeError(f"an XML source is a path or bytes, not {type(source).__name__}")
    if is_zip(data):
        return unzip(data, str(source) if isinstance(source, (str, os.PathLike))
                     else "zipped description")
    if len(data) > MAX_XML_BYTES:
        raise XmlError(f"{len(data)} bytes is larger than the {MAX_XML_BYTES} bytes a "
                       f"GenApi description may have")
    return data


def is_zip(data: bytes) -> bool:
    """Whether ``data`` starts like a zip archive (a local file header, or the end record
    an empty archive starts with: unzip then says it holds no XML)."""
    return data[:4] in (_ZIP_MAGIC, b"PK\x05\x06")


#: Everything the standard library's zip reading raises on a damaged, encrypted or
#: exotic archive (unknown compression methods, bad CRCs, truncated streams, names that
#: do not decode, headers that do not unpack).
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, lzma.LZMAError,
               EOFError, NotImplementedError, RuntimeError, ValueError, OSError,
               struct.error, OverflowError, IndexError, KeyError)


def unzip(data: bytes, source: str = "zipped description") -> bytes:
    """The one XML member of a zipped description, refusing bombs and odd archives.

    The one unzip of the project: every zipped description (a file, a GigE Vision
    device's ``Local:...zip``, the authoring tools' input) goes through it.  Whatever is
    wrong with the archive — corrupt, truncated, encrypted, an unknown compression
    method, a bomb, no XML in it — is an :class:`XmlError` naming ``source`` and the
    member.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [m for m in archive.infolist() if not m.is_dir()]
    except _ZIP_ERRORS as exc:
        raise XmlError(f"{source}: corrupt zip archive, not readable "
                       f"({_describe(exc)})") from exc
    if len(members) > MAX_ZIP_MEMBERS:
        raise XmlError(f"{source}: the zip archive has {len(members)} members; a "
                       f"description has one")
    xml_members = [m for m in members if m.filename.lower().endswith(".xml")] or members
    if not xml_members:
        raise XmlError(f"{source}: the zip archive contains no XML file")
    member = xml_members[0]
    if member.flag_bits & 0x1:
        raise XmlError(f"{source}: zip member {member.filename!r} is encrypted; a "
                       f"description must be stored without a password")
    limit = min(MAX_XML_BYTES, max(member.compress_size, 1) * MAX_ZIP_RATIO + 65536)
    if member.file_size > limit:
        raise XmlError(f"{source}: zip member {member.filename!r} claims {member.file_size} "
                       f"bytes from {member.compress_size}: refused as a zip bomb")
    out = bytearray()
    try:
        with archive.open(member) as stream:
            # Never trust the header: stop reading once past the limit.
            while chunk := stream.read(65536):
                out += chunk
                if len(out) > limit:
                    raise XmlError(f"{source}: zip member {member.filename!r} expands past "
                                   f"{limit} bytes: refused as a zip bomb")
    except _ZIP_ERRORS as exc:
        raise XmlError(f"{source}: zip member {member.filename!r} cannot be unpacked "
                       f"({_describe(exc)})") from exc
    return bytes(out)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, NotImplementedError):
        return f"unsupported compression method: {exc}"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


_ENCODING = re.compile(rb"encoding=[\"']([A-Za-z0-9._-]+)")
_UTF8 = ("utf-8", "utf8", "us-ascii", "ascii")


def _strip_preamble(data: bytes) -> bytes:
    """Drop anything before ``<?xml`` or the first element (and a BOM), keeping line
    numbers true: the dropped lines become empty lines.  An XML declaration after such a
    preamble cannot stay (it must come first): it is dropped too, and the body recoded
    to UTF-8 when it declared another encoding."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    head = data[:4096]
    stripped = head.lstrip()
    if stripped.startswith(b"<"):              # at most whitespace before the XML
        index = len(head) - len(stripped)
        if index == 0:
            return data
        marker = b"<?xml" if data.startswith(b"<?xml", index) else b"<"
    else:
        for marker in (b"<?xml", b"<RegisterDescription", b"<"):
            index = data.find(marker)
            if index >= 0:
                break
        else:
            raise XmlError("no XML found in the description")
    if marker != b"<?xml":
        return b"\n" * data.count(b"\n", 0, index) + data[index:]
    end = data.find(b"?>", index)
    if end < 0:
        raise XmlError("the XML declaration is not closed (no '?>')",
                       line=data.count(b"\n", 0, index) + 1)
    match = _ENCODING.search(data, index, end)
    encoding = match.group(1).decode("ascii") if match else "utf-8"
    newlines = data.count(b"\n", 0, end + 2)
    body = data[end + 2:]
    if encoding.lower().replace("_", "-") not in _UTF8:
        try:
            body = body.decode(encoding, errors="replace").encode("utf-8")
        except LookupError:
            raise XmlError(f"the XML declaration names an unknown encoding {encoding!r}",
                           line=newlines + 1) from None
    return b"\n" * newlines + body


def localname(tag: object) -> str:
    """``{namespace}Integer`` → ``Integer``; comments and PIs → ``""``."""
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2]


class Document:
    """One parsed description: its root and the named elements in it.

    A plain slotted class rather than attrs: ``import nodemap`` must stay fast, and
    attrs alone costs a noticeable share of the import budget.
    """

    __slots__ = ("root", "elements", "struct_parents", "namespace")

    def __init__(self, root: etree._Element, elements: dict[str, etree._Element],
                 struct_parents: dict[str, etree._Element], namespace: str) -> None:
        self.root = root
        #: name → element, in document order (first definition wins inside one file)
        self.elements = elements
        #: StructEntry name → its enclosing StructReg element
        self.struct_parents = struct_parents
        self.namespace = namespace

    @property
    def attributes(self) -> dict[str, str]:
        return dict(self.root.attrib)

    def __repr__(self) -> str:
        return f"<Document {len(self.elements)} named elements>"


def parse_document(source: Source, *, editable: bool = False) -> Document:
    """Parse and index one description (a path, or bytes of XML or of a zip).

    ``editable``: keep comments, processing instructions and whitespace (for tools that
    rewrite the document); the runtime leaves it False."""
    return parse_prepared(prepare_source(source), editable=editable)


def prepare_source(source: Source) -> bytes:
    """The bytes of one description, checked before any parsing: read (unzipped, size
    limits), preamble dropped (lines kept), document type declarations refused.  The
    full parse and the runtime's lazy index (:mod:`nodemap.lazyindex`) share it."""
    data = _strip_preamble(read_source(source))
    if b"<!ENTITY" in data[:65536] or b"<!DOCTYPE" in data[:65536]:
        line = data[: data.find(b"<!")].count(b"\n") + 1
        raise XmlError("document type declarations and entities are not allowed in a "
                       "GenApi description (refused: entity expansion attack surface)",
                       line=line)
    return data


def parse_prepared(data: bytes, *, editable: bool = False) -> Document:
    """Parse and index bytes :func:`prepare_source` returned."""
    try:
        root = etree.fromstring(data, _parser(editable))
    except etree.XMLSyntaxError as exc:
        where: int | None = exc.position[0] if getattr(exc, "position", None) else exc.lineno
        raise XmlError(f"malformed XML: {exc.msg}", line=where) from None
    except ValueError as exc:
        raise XmlError(f"malformed XML: {exc}") from None
    if root.getroottree().docinfo.internalDTD is not None:
        raise XmlError("document type declarations are not allowed in a GenApi description")
    if localname(root.tag) != "RegisterDescription":
        raise XmlError(f"root element is <{localname(root.tag)}>, expected "
                       f"<RegisterDescription>", line=root.sourceline)
    root_tag = root.tag
    namespace = (root_tag[1:].partition("}")[0]
                 if isinstance(root_tag, str) and root_tag.startswith("{") else "")
    elements: dict[str, etree._Element] = {}
    struct_parents: dict[str, etree._Element] = {}
    for element in _named_children(root):
        name = element.get("Name")
        tag = localname(element.tag)
        if tag == "StructReg":  # nameless: its StructEntries are the nodes
            _index_nested(element, None, tag, elements)
            for entry in element:
                entry_name = entry.get("Name")
                if localname(entry.tag) == "StructEntry" and entry_name:
                    elements.setdefault(entry_name, entry)
                    struct_parents.setdefault(entry_name, element)
            continue
        if not name:
            continue
        elements.setdefault(name, element)
        if tag in _NESTING_REGISTERS:
            _index_nested(element, name, tag, elements)
        if tag == "Enumeration":
            # Entry names repeat across enumerations ("On", "Off"): GenApi names the
            # entry node EnumEntry_<Enumeration>_<Entry>.
            for entry in element:
                entry_name = entry.get("Name") if isinstance(entry.tag, str) else None
                if entry_name and localname(entry.tag) == "EnumEntry":
                    elements.setdefault(f"EnumEntry_{name}_{entry_name}", entry)
    return Document(root=root, elements=elements, struct_parents=struct_parents,
                    namespace=namespace)


#: Register elements whose address may hold an inline, named ``<IntSwissKnife>`` node
#: (next to ``<Address>``/``<pAddress>``/``<pIndex>``).
_NESTING_REGISTERS = frozenset(("IntReg", "MaskedIntReg", "FloatReg", "Register",
                                "StringReg", "StructReg"))
#: Of those, the ones whose inline nodes keep their own name; in the others the GenApi
#: reference registers an inline node as ``_<Register>_<Name>`` (measured with the
#: ``genicam`` wheel, GenApi 3.5: IntReg, MaskedIntReg, FloatReg, Register prefix;
#: StructReg, which has no name, and StringReg do not).
_UNPREFIXED = frozenset(("StructReg", "StringReg"))


def nested_name(parent_tag: str, parent_name: str | None, name: str) -> str:
    """The node-map name of a node declared inline in a ``parent_tag`` element."""
    if parent_tag in _UNPREFIXED or not parent_name:
        return name
    return f"_{parent_name}_{name}"


def _index_nested(element: etree._Element, name: str | None, tag: str,
                  elements: dict[str, etree._Element]) -> None:
    """Index the named nodes declared inside a register element (its inline
    ``<IntSwissKnife Name=...>`` address terms): they are nodes of the map like any other,
    which other nodes may name."""
    for child in element:
        if isinstance(child.tag, str) and localname(child.tag) == "IntSwissKnife":
            child_name = child.get("Name")
            if child_name:
                elements.setdefault(nested_name(tag, name, child_name), child)


def _named_children(parent: etree._Element) -> Iterator[etree._Element]:
    """Top-level node elements, looking through ``<Group>`` wrappers."""
    stack = [parent.iterchildren(tag=etree.Element)]
    while stack:
        for element in stack[-1]:
            tag = str(element.tag)  # the Element filter leaves string tags only
            if tag == "Group" or tag.endswith("}Group"):
                stack.append(element.iterchildren(tag=etree.Element))
                break
            yield element
        else:
            stack.pop()


#: Public name of :func:`_named_children`: the authoring tools walk documents with it.
named_children = _named_children
