"""Lint rules on constant values: bounds, enumeration entries, MaskedIntReg bit ranges
and overlapping registers."""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Iterator

from .findings import Finding
from .model import Document, Node, local

__all__ = ["RULES", "parse_int", "parse_number"]


def parse_int(text: str | None) -> int | None:
    """A GenApi integer literal (decimal or 0x hex), or None."""
    if text is None:
        return None
    text = text.strip()
    try:
        if text.lower().startswith(("0x", "-0x")):
            return int(text, 16)
        return int(text, 10)
    except ValueError:
        return None


def parse_number(text: str | None) -> float | None:
    """A GenApi number (integer, hex, float, INF, -INF), or None."""
    value = parse_int(text)
    if value is not None:
        return float(value)
    if text is None:
        return None
    text = text.strip()
    if text in ("INF", "+INF"):
        return math.inf
    if text == "-INF":
        return -math.inf
    try:
        return float(text)
    except ValueError:
        return None


def bounds(doc: Document) -> Iterator[Finding]:
    for node in doc.nodes.values():
        if node.type not in ("Integer", "Float"):
            continue
        parse = parse_int if node.type == "Integer" else parse_number
        low = parse(node.text_of("Min"))
        high = parse(node.text_of("Max"))
        inc = parse(node.text_of("Inc"))
        if low is not None and high is not None and low > high:
            yield Finding("bounds-min-max", "error",
                          f"Min {node.text_of('Min')} is greater than Max {node.text_of('Max')}: "
                          "no value can be written", node.name, node.line)
        if inc is not None and inc <= 0:
            yield Finding("bounds-inc", "error",
                          f"Inc {node.text_of('Inc')} must be positive", node.name, node.line)
        defaults = [(c, parse(c.text)) for c in node.children()
                    if local(c) in ("Value", "ValueIndexed", "ValueDefault")]
        for element, value in defaults:
            if value is None:
                continue
            if (low is not None and value < low) or (high is not None and value > high):
                yield Finding("bounds-default", "warning",
                              f"<{local(element)}> {(element.text or '').strip()} lies outside "
                              f"[{node.text_of('Min')}, {node.text_of('Max')}]",
                              node.name, element.sourceline)


def enum_duplicates(doc: Document) -> Iterator[Finding]:
    for node in doc.nodes.values():
        if node.type != "Enumeration":
            continue
        values: dict[int, str] = {}
        names: set[str] = set()
        for entry in node.element:
            if local(entry) != "EnumEntry":
                continue
            name = entry.get("Name", "")
            if name in names:
                yield Finding("enum-duplicate", "error",
                              f"EnumEntry name {name!r} appears twice", node.name,
                              entry.sourceline)
            names.add(name)
            value = None
            for child in entry:
                if local(child) == "Value":
                    value = parse_int(child.text)
            if value is None:
                continue
            if value in values:
                yield Finding("enum-duplicate", "error",
                              f"EnumEntry {name!r} has Value {value}, already used by "
                              f"{values[value]!r}: reading the feature cannot tell them apart",
                              node.name, entry.sourceline)
            else:
                values[value] = name


def _register_of(node: Node, doc: Document) -> Node:
    """The node holding Address/Length/Endianess (a StructEntry's StructReg)."""
    return node.parent if node.type == "StructEntry" and node.parent is not None else node


def bit_ranges(doc: Document) -> Iterator[Finding]:
    for node in doc.order:
        if node.type not in ("MaskedIntReg", "StructEntry"):
            continue
        register = _register_of(node, doc)
        length = parse_int(register.text_of("Length"))
        endianness = register.text_of("Endianess") or "LittleEndian"
        bit = parse_int(node.text_of("Bit"))
        lsb = parse_int(node.text_of("LSB"))
        msb = parse_int(node.text_of("MSB"))
        if length is not None:
            width = 8 * length
            for label, value in (("Bit", bit), ("LSB", lsb), ("MSB", msb)):
                if value is not None and not 0 <= value < width:
                    yield Finding("bits-range", "error",
                                  f"{label} {value} is outside the {length}-byte register "
                                  f"(bits 0..{width - 1})", node.name, node.line)
        if lsb is not None and msb is not None and lsb != msb:
            big = endianness == "BigEndian"
            if (big and msb > lsb) or (not big and msb < lsb):
                want = "MSB < LSB" if big else "MSB > LSB"
                yield Finding("bits-inverted", "error",
                              f"LSB {lsb} / MSB {msb} are inverted for {endianness} "
                              f"(bit 0 is the {'most' if big else 'least'} significant bit, "
                              f"so {want})", node.name, node.line)


def _constant_span(node: Node) -> tuple[int, int] | None:
    if any(local(c) in ("pAddress", "pIndex", "IntSwissKnife", "pLength")
           for c in node.children()):
        return None
    addresses = [parse_int(c.text) for c in node.children() if local(c) == "Address"]
    length = parse_int(node.text_of("Length"))
    if not addresses or None in addresses or length is None or length <= 0:
        return None
    return sum(a for a in addresses if a is not None), length


def overlaps(doc: Document) -> Iterator[Finding]:
    by_port: dict[str, list[tuple[int, int, str, Node]]] = defaultdict(list)
    for node in doc.order:
        if node.type not in ("Register", "IntReg", "MaskedIntReg", "FloatReg", "StringReg",
                             "StructReg"):
            continue
        span = _constant_span(node)
        if span is None:
            continue
        endianness = node.text_of("Endianess") or "LittleEndian"
        if node.type in ("Register", "StringReg"):
            endianness = "bytes"  # byte arrays have no endianness
        port = node.text_of("pPort") or ""
        by_port[port].append((span[0], span[1], endianness, node))
    for port, spans in by_port.items():
        spans.sort(key=lambda s: (s[0], s[1]))
        active: list[tuple[int, int, str, Node]] = []
        reported: set[tuple[int, int]] = set()
        for start, length, endianness, node in spans:
            active = [a for a in active if a[0] + a[1] > start]
            for other in active:
                same_span = (other[0], other[1]) == (start, length)
                bytes_involved = "bytes" in (other[2], endianness)
                if same_span and (other[2] == endianness or bytes_involved):
                    continue
                key = (other[0], start)
                if key in reported:
                    continue
                reported.add(key)
                what = "endianness" if same_span else "length/offset"
                yield Finding("register-overlap", "warning",
                              f"0x{start:X}+{length} ({endianness}) overlaps {_label(other[3])!r} "
                              f"at 0x{other[0]:X}+{other[1]} ({other[2]}) on port {port!r} "
                              f"with a different {what}", _label(node), node.line)
            active.append((start, length, endianness, node))


def shared_writes(doc: Document) -> Iterator[Finding]:
    """A writable register whose bytes other registers read (the same constant address
    on the same port) without a pInvalidator path from it (Y names X, or names a node
    that names X ...): after a write of it they keep their cached values (GenApi
    invalidates through the graph only, not by address).  One finding per writable
    register, naming the registers that miss the path."""
    by_address: dict[tuple[str, int], list[Node]] = defaultdict(list)
    invalidates: dict[str, set[str]] = defaultdict(set)  # X -> nodes naming X
    for node in doc.order:
        for element in node.all_text("pInvalidator"):
            invalidates[(element.text or "").strip()].add(node.name)
        if node.type not in ("IntReg", "MaskedIntReg", "FloatReg", "Register", "StringReg"):
            continue
        span = _constant_span(node)
        if span is not None:
            by_address[(node.text_of("pPort") or "", span[0])].append(node)
    for (port, address), nodes in by_address.items():
        if len(nodes) < 2:
            continue
        for writer in nodes:
            if (writer.text_of("AccessMode") or "RO") not in ("RW", "WO"):
                continue
            reached, todo = {writer.name}, [writer.name]
            while todo:
                for name in invalidates.get(todo.pop(), ()):
                    if name not in reached:
                        reached.add(name)
                        todo.append(name)
            missing = [other.name for other in nodes if other.name not in reached
                       and (other.text_of("AccessMode") or "RO") in ("RO", "RW")]
            if missing:
                yield Finding("register-shared-write", "warning",
                              f"{', '.join(sorted(missing))} read the bytes at 0x{address:X} on "
                              f"port {port!r} with no pInvalidator path from {writer.name!r}: "
                              f"after a write of it they keep their cached values",
                              writer.name, writer.line)


def _label(node: Node) -> str:
    """A node's name for a finding (a StructReg holder is just "StructReg")."""
    return node.name if not node.name.startswith("StructReg@") else "StructReg"


RULES = [bounds, enum_duplicates, bit_ranges, overlaps, shared_writes]
