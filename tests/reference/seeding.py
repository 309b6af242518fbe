"""Derive meaningful register contents from a GenApi XML file (the "derived" memory).

An all-zero or random memory makes most enumerations invalid and most integers
out of range, so a differential test over it compares mostly error paths.  The
derived memory presets, for every register node of the file (IntReg,
MaskedIntReg, StructEntry, FloatReg, StringReg), a value its *consumer* accepts:

* an Enumeration reading the register (``pValue``, ``pValueIndexed``,
  ``pValueDefault``, directly or through one plain ``Integer``) gets one of its
  entries' values — preferring entries without ``pIsImplemented``/``pIsAvailable``,
  picked by ``crc32(enumeration name) % count``;
* a Boolean gets its ``OnValue`` (1 when absent);
* an Integer with literal ``Min``/``Max`` gets ``Min + Inc * (crc32 % 4)``, kept ≤ Max;
* any other integer register gets ``1 + crc32(register name) % 4`` (clipped to
  the field width);
* a FloatReg gets ``1.5`` (or the middle of a Float consumer's literal bounds);
* a StringReg gets ``b"nm:" + name`` NUL-padded to its length.

Bit fields are merged read-modify-write in document order, so several fields of one
register all hold their chosen value.  Addresses: literal ``Address`` elements
(summed) when the register has no ``pAddress``/``IntSwissKnife``/``pIndex``
address part; otherwise the address the GenApi reference computes for an integer
register over the base memory (``resolve_address``), and registers whose address
cannot be found are left at the base content.  Everything is a pure function of
the XML, the base profile and the reference's address arithmetic: deterministic.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path
from typing import Callable, Iterator

from lxml import etree

from nodemap.loader import is_zip, unzip

from .memory import SparseMemory

__all__ = ["xml_bytes", "derive_presets", "apply_presets", "Preset", "port_names"]

REGISTER_TAGS = {"IntReg", "MaskedIntReg", "FloatReg", "StringReg", "StructReg"}
NODE_TAGS = REGISTER_TAGS | {
    "Integer", "Float", "Boolean", "Enumeration", "Command", "String", "Register", "Category",
    "SwissKnife", "IntSwissKnife", "Converter", "IntConverter", "Port",
}

Preset = tuple[int, bytes]  # (address, bytes)


def xml_bytes(source: bytes | str | Path) -> bytes:
    """The XML document of a plain or zipped description (first .xml member)."""
    data = Path(source).read_bytes() if isinstance(source, (str, Path)) else bytes(source)
    if is_zip(data):
        data = unzip(data, str(source) if isinstance(source, (str, Path)) else "zip")
    start = data.find(b"<")
    return data[start:] if start > 0 else data


def _parse(data: bytes) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True,
                             remove_comments=True)
    return etree.fromstring(xml_bytes(data), parser)


def _local(el: etree._Element) -> str:
    tag = el.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _children(el: etree._Element, name: str) -> Iterator[etree._Element]:
    for child in el:
        if _local(child) == name:
            yield child


def _text(el: etree._Element, name: str) -> str | None:
    for child in _children(el, name):
        return (child.text or "").strip()
    return None


def _int(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        body = text.strip().lower()
        sign = -1 if body.startswith("-") else 1
        body = body.lstrip("+-")
        return sign * (int(body[2:], 16) if body.startswith("0x") else int(body, 10))
    except ValueError:
        return None


def _float(text: str | None) -> float | None:
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None


def _crc(name: str) -> int:
    return zlib.crc32(name.encode())


def port_names(source: bytes | str | Path) -> list[str]:
    """Names of the Port nodes of a description, in document order."""
    root = _parse(xml_bytes(source))
    return [el.get("Name", "") for el in root.iter() if _local(el) == "Port"]


def _nodes(root: etree._Element) -> dict[str, etree._Element]:
    nodes: dict[str, etree._Element] = {}
    for el in root.iter():
        local = _local(el)
        if local in NODE_TAGS or local == "StructEntry":
            name = el.get("Name")
            if name and name not in nodes:
                nodes[name] = el
    return nodes


def _value_refs(el: etree._Element) -> list[str]:
    refs = []
    for tag in ("pValue", "pValueIndexed", "pValueDefault"):
        refs += [(c.text or "").strip() for c in _children(el, tag)]
    return [r for r in refs if r]


def _consumers(nodes: dict[str, etree._Element]) -> dict[str, etree._Element]:
    """register name → the Enumeration/Boolean/Integer/Float reading it (priority order)."""
    priority = {"Enumeration": 0, "Boolean": 1, "Integer": 2, "Float": 3}
    found: dict[str, tuple[int, etree._Element]] = {}

    def offer(target: str, consumer: etree._Element, rank: int) -> None:
        if target not in found or found[target][0] > rank:
            found[target] = (rank, consumer)

    for el in nodes.values():
        rank = priority.get(_local(el))
        if rank is None:
            continue
        for ref in _value_refs(el):
            offer(ref, el, rank)
            middle = nodes.get(ref)
            if middle is not None and _local(middle) == "Integer" and rank < 2:
                for inner in _value_refs(middle):
                    offer(inner, el, rank)
    return {name: el for name, (_, el) in found.items()}


def _choose_int(register: str, consumer: etree._Element | None) -> int:
    if consumer is not None:
        kind = _local(consumer)
        if kind == "Enumeration":
            entries = list(_children(consumer, "EnumEntry"))
            plain = [e for e in entries
                     if not any(True for _ in _children(e, "pIsImplemented"))
                     and not any(True for _ in _children(e, "pIsAvailable"))]
            pool = [v for v in (_int(_text(e, "Value")) for e in (plain or entries)) if v is not None]
            if pool:
                return pool[_crc(consumer.get("Name", "")) % len(pool)]
        elif kind == "Boolean":
            on = _int(_text(consumer, "OnValue"))
            return 1 if on is None else on
        elif kind == "Integer":
            lo, hi = _int(_text(consumer, "Min")), _int(_text(consumer, "Max"))
            inc = _int(_text(consumer, "Inc")) or 1
            if lo is not None and hi is not None and lo <= hi:
                value = lo + inc * (_crc(consumer.get("Name", "")) % 4)
                while value > hi:
                    value -= inc
                return max(value, lo)
    return 1 + _crc(register) % 4


def _static_address(el: etree._Element, parent: etree._Element | None) -> int | None:
    holder = parent if parent is not None else el
    if any(True for tag in ("pAddress", "IntSwissKnife", "pIndex") for _ in _children(holder, tag)):
        return None
    addresses = [_int(c.text.strip() if c.text else None) for c in _children(holder, "Address")]
    if not addresses or any(a is None for a in addresses):
        return None
    return sum(a for a in addresses if a is not None)


def _bits(el: etree._Element, parent: etree._Element | None, length: int,
          endian: str) -> tuple[int, int]:
    """(low, high) bit positions counted from the least significant bit."""
    bit = _int(_text(el, "Bit"))
    lsb, msb = _int(_text(el, "LSB")), _int(_text(el, "MSB"))
    if bit is not None:
        lsb = msb = bit
    width = length * 8
    if lsb is None or msb is None:
        if _local(el) == "MaskedIntReg" or parent is not None:
            lsb = msb = 0 if endian == "LittleEndian" else width - 1
        else:
            return 0, width - 1
    if endian == "BigEndian":
        lsb, msb = width - 1 - lsb, width - 1 - msb
    return min(lsb, msb), max(lsb, msb)


def derive_presets(source: bytes | str | Path, base: SparseMemory,
                   resolve_address: Callable[[str], int | None] | None = None) -> list[Preset]:
    """The preset writes (address, bytes) for ``source`` over a copy of ``base``."""
    root = _parse(xml_bytes(source))
    nodes = _nodes(root)
    consumers = _consumers(nodes)
    scratch = base.clone()
    presets: list[Preset] = []

    def place(address: int, data: bytes) -> None:
        scratch.preset(address, data)
        presets.append((address, data))

    registers: list[tuple[etree._Element, etree._Element | None]] = []
    for el in root.iter():
        local = _local(el)
        if local == "StructReg":
            registers += [(entry, el) for entry in _children(el, "StructEntry")]
        elif local in REGISTER_TAGS:
            registers.append((el, None))

    for el, parent in registers:
        name = el.get("Name", "")
        holder = parent if parent is not None else el

        def prop(tag: str, default: str | None = None) -> str | None:
            own = _text(el, tag)
            return own if own is not None else (_text(parent, tag) if parent is not None else default) or default

        length = _int(prop("Length"))
        if not length or length > 4096:
            continue
        if _text(holder, "pPort") is None:
            continue
        address = _static_address(el, parent)
        if address is None and resolve_address is not None and _local(el) != "FloatReg" \
                and _local(el) != "StringReg":
            address = resolve_address(name)
        if address is None or address < 0 or address + length > 1 << 64:
            continue
        endian = prop("Endianess", "LittleEndian") or "LittleEndian"
        order = "big" if endian == "BigEndian" else "little"
        kind = _local(el)
        if kind == "FloatReg":
            value = 1.5
            consumer = consumers.get(name)
            if consumer is not None:
                lo, hi = _float(_text(consumer, "Min")), _float(_text(consumer, "Max"))
                if lo is not None and hi is not None and lo <= hi and abs(hi - lo) < 1e300:
                    value = (lo + hi) / 2
            if length not in (4, 8):
                continue
            fmt = ("<" if order == "little" else ">") + ("f" if length == 4 else "d")
            place(address, struct.pack(fmt, value))
        elif kind == "StringReg":
            text = (b"nm:" + name.encode("ascii", "replace"))[: max(length - 1, 0)]
            place(address, text.ljust(length, b"\0"))
        else:
            low, high = _bits(el, parent, length, endian)
            width = high - low + 1
            value = _choose_int(name, consumers.get(name))
            signed = (prop("Sign", "Unsigned") == "Signed")
            lo_lim = -(1 << (width - 1)) if signed else 0
            hi_lim = (1 << (width - 1)) - 1 if signed else (1 << width) - 1
            if not lo_lim <= value <= hi_lim:
                value = 1 if hi_lim >= 1 else 0
            field = value & ((1 << width) - 1)
            word = int.from_bytes(scratch.peek(address, length), order)
            mask = ((1 << width) - 1) << low
            word = (word & ~mask) | (field << low)
            place(address, word.to_bytes(length, order))
    return presets


def apply_presets(memory: SparseMemory, presets: list[Preset]) -> SparseMemory:
    for address, data in presets:
        memory.preset(address, data)
    return memory
