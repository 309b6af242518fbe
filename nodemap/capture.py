"""Captured packets, annotated: the pieces every transport's capture decoder shares.

``nodemap decode`` (in ``nodemap.app.decode``) splits a byte stream into packets by asking
each transport plugin's :class:`~nodemap.plugin.CaptureDecoder` in turn; the decoders build
:class:`Decoded` records and name registers through :class:`RegisterNames`, an address →
name index built from GenApi XML descriptions.
"""

from __future__ import annotations

import re
from typing import Any, Callable

import attrs

__all__ = ["CaptureContext", "Decoded", "Register", "RegisterNames", "camel_words", "hex_bytes",
           "names_by_key"]

_HEX_LINE = re.compile(r"^[0-9a-fA-F]+$")
_SMALL_WORDS = {"Of": "of", "And": "and", "For": "for", "To": "to", "In": "in"}


def camel_words(name: str) -> str:
    """``AcquisitionFrameRate`` → ``Acquisition Frame Rate``."""
    words = re.findall(r"[A-Z]+(?=[A-Z][a-z]|\d|$)|[A-Z]?[a-z]+|\d+|[A-Z]+", name)
    return " ".join(_SMALL_WORDS.get(w, w) if i else w for i, w in enumerate(words)) or name


def hex_bytes(text: str) -> tuple[bytes, list[str]]:
    """The bytes of every hex line in ``text``, and the comment lines skipped.

    Raises ValueError when nothing in ``text`` is hex.
    """
    out = bytearray()
    comments: list[str] = []
    saw_hex = False
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            comments.append(line)
            continue
        cleaned = re.sub(r"0[xX]", "", line)
        cleaned = re.sub(r"[\s:,\-]", "", cleaned)
        if not cleaned or not _HEX_LINE.match(cleaned) or len(cleaned) % 2:
            continue
        out += bytes.fromhex(cleaned)
        saw_hex = True
    if not saw_hex:
        raise ValueError("no hex bytes found (expected e.g. 42 01 00 80 00 04 00 01 00 00 0a 00)")
    return bytes(out), comments


@attrs.frozen(slots=True)
class Register:
    """A named register of a description."""

    name: str
    address: int
    length: int
    feature: str | None = None      # the feature whose pValue it is
    indexed: bool = False
    source: str = ""


class RegisterNames:
    """Address → register name, from GenApi XML descriptions (first one wins)."""

    def __init__(self) -> None:
        self.by_address: dict[int, list[Register]] = {}
        self.registers: list[Register] = []

    def add_xml(self, source: Any, label: str = "") -> int:
        """Index the registers of one description (path or bytes); returns how many."""
        from .loader import localname, parse_document

        document = parse_document(source)
        owners: dict[str, str] = {}
        for name, element in document.elements.items():
            for child in element:
                if localname(child.tag) == "pValue" and child.text:
                    owners.setdefault(child.text.strip(), name)
        # chunk and event ports: their registers' addresses are offsets in a frame's chunk
        # or an event's data, not device addresses
        foreign = {name for name, element in document.elements.items()
                   if localname(element.tag) == "Port"
                   and any(localname(c.tag) in ("ChunkID", "EventID") for c in element)}
        count = 0
        for name, element in document.elements.items():
            addresses = [c for c in element if localname(c.tag) == "Address"]
            if not addresses:
                continue
            if any(localname(c.tag) == "pPort" and (c.text or "").strip() in foreign
                   for c in element):
                continue
            try:
                address = sum(int((c.text or "0").strip(), 0) for c in addresses)
            except ValueError:
                continue
            length = 4
            for child in element:
                if localname(child.tag) == "Length" and child.text:
                    try:
                        length = int(child.text.strip(), 0)
                    except ValueError:
                        pass
            indexed = any(localname(c.tag) in ("pIndex", "pAddress") for c in element)
            feature = owners.get(name)
            # a masked register inherits nothing: report its own name; the full one first
            register = Register(name, address, length, feature, indexed, label)
            if localname(element.tag) == "MaskedIntReg":
                self.by_address.setdefault(address, []).append(register)
            else:
                self.by_address.setdefault(address, []).insert(
                    sum(1 for r in self.by_address.get(address, ())
                        if r.source != label and r.source), register)
            self.registers.append(register)
            count += 1
        return count

    def lookup(self, address: int) -> Register | None:
        candidates = self.by_address.get(address)
        return candidates[0] if candidates else None

    def name_address(self, address: int, label: Callable[[str], str] | None = None) -> str:
        """``SCPS0 (Stream Channel #0 Packet Size) (0x00000d04)`` (``label`` gives the long
        name of a register name; default: its CamelCase words)."""
        register = self.lookup(address)
        if register is None:
            where = "manufacturer-specific" if address >= 0xA000 else "bootstrap"
            return f"0x{address:08x} [{where}, not in the XML; name it with --xml FILE]"
        long_name = (label or camel_words)(register.name)
        text = register.name if long_name == register.name else f"{register.name} ({long_name})"
        if register.feature and register.feature != register.name:
            text += f" → {register.feature}"
        return f"{text} (0x{address:08x})"


@attrs.frozen(slots=True)
class Decoded:
    """One annotated packet."""

    protocol: str            # "gvcp" | "visca" | "sxh485" | "unknown"
    raw: bytes
    summary: str
    details: tuple[str, ...] = ()
    error: str | None = None
    fields: dict[str, Any] = attrs.field(factory=dict, hash=False)

    def render(self) -> str:
        return "\n".join([self.summary, *("  " + d for d in self.details)])

    def as_dict(self) -> dict[str, Any]:
        return {"protocol": self.protocol, "hex": self.raw.hex(), "summary": self.summary,
                "details": list(self.details), "error": self.error, **self.fields}



@attrs.define
class CaptureContext:
    """State shared by the decoders over one capture: register names from the user's XML,
    commands seen so far (by protocol and request id, to match acks), decoder options."""

    names: RegisterNames = attrs.field(factory=RegisterNames)
    pending: dict[Any, Any] = attrs.field(factory=dict)
    options: dict[str, Any] = attrs.field(factory=dict)


def names_by_key(xml: bytes, key: Callable[[int], Any], label: str = "") -> dict[Any, str]:
    """``key(address)`` → the feature (or register) name, over one description's registers
    (the first register of a key wins).  Serial protocols name commands this way."""
    names = RegisterNames()
    names.add_xml(xml, label=label)
    out: dict[Any, str] = {}
    for register in names.registers:
        out.setdefault(key(register.address), register.feature or register.name)
    return out
