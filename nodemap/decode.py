"""Annotate captured packets of GVCP, VISCA (Sony FCB) and SXH485, naming registers.

``nodemap decode`` uses this; so can a script::

    from nodemap.decode import Decoder
    for packet in Decoder().decode_text("42 01 00 82 00 08 00 26 00 00 0d 04 00 00 05 dc"):
        print(packet.render())
    # WRITEREG_CMD (0x0082) req 0x0026 flags 0x01 (ack required)
    #   SCPS0 (Stream Channel #0 Packet Size) (0x00000d04) ← 0x000005dc (1500)

Input is hex text with any spacing, newlines, ``0x`` prefixes or ``:``/``-`` separators;
lines starting with ``#`` and lines that are not hex are skipped (so a whole capture
file with its comments can be pasted).  The hex is one byte stream split into packets by
each protocol's own framing: an SXH485 frame starts ``EB 90`` (length field + CRC), a
VISCA packet starts ``81``–``88`` or ``90``–``F0`` and ends at ``FF``, anything else is a
GVCP command (``42 …``) or ack, sized by its length field.

The packets are decoded by the transports' sans-IO codecs (``nodemap.transports.gvcp.protocol``,
``nodemap.transports.fcb.protocol``, ``nodemap.transports.sxh485.protocol``); register names come from the
shipped descriptions (``gige-bootstrap.xml``, ``sony-fcb.xml``, ``sxh485.xml``) and from
any ``--xml`` the user passes (vendor registers above 0xA000).  An ack is matched with
the command of the same request id seen earlier in the stream, so a READREG_ACK says
which register each value came from.
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Any, Iterable

import attrs

from .errors import NodeMapError

__all__ = ["Decoded", "Decoder", "RegisterNames", "hex_bytes", "register_label"]

_HEX_LINE = re.compile(r"^[0-9a-fA-F]+$")

# Wireshark-style long names of GigE Vision bootstrap registers (the standard's wording).
_LABELS: list[tuple[str, str]] = [
    (r"CCP", "Control Channel Privilege"),
    (r"SCP(\d+)", "Stream Channel #{0} Port"),
    (r"SCPS(\d+)", "Stream Channel #{0} Packet Size"),
    (r"SCPD(\d+)", "Stream Channel #{0} Packet Delay"),
    (r"SCDA(\d+)", "Stream Channel #{0} Destination Address"),
    (r"SCSP(\d+)", "Stream Channel #{0} Source Port"),
    (r"SCC(\d+)", "Stream Channel #{0} Capability"),
    (r"SCCFG(\d+)", "Stream Channel #{0} Configuration"),
    (r"MCP", "Message Channel Port"),
    (r"MCDA", "Message Channel Destination Address"),
    (r"MCTT", "Message Channel Transmission Timeout"),
    (r"MCRC", "Message Channel Retry Count"),
    (r"MCSP", "Message Channel Source Port"),
    (r"TimestampTickFrequencyHigh", "Timestamp tick frequency - High"),
    (r"TimestampTickFrequencyLow", "Timestamp tick frequency - Low"),
    (r"GVCPCapability", "GVCP Capability"),
    (r"GVCPConfiguration", "GVCP Configuration"),
    (r"FirstURL", "First URL"),
    (r"SecondURL", "Second URL"),
]
_IP_REGISTERS = re.compile(r"^(SCDA\d+|MCDA|CurrentIPAddress|CurrentSubnetMask|"
                           r"CurrentDefaultGateway|PrimaryApplicationIPAddress|"
                           r"PersistentIPAddress|PersistentSubnetMask|PersistentDefaultGateway)$")
_SMALL_WORDS = {"Of": "of", "And": "and", "For": "for", "To": "to", "In": "in"}


def register_label(name: str) -> str:
    """``SCPS0`` → ``Stream Channel #0 Packet Size``; otherwise the CamelCase words."""
    for pattern, label in _LABELS:
        match = re.fullmatch(pattern, name)
        if match:
            return label.format(*match.groups())
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
        count = 0
        for name, element in document.elements.items():
            addresses = [c for c in element if localname(c.tag) == "Address"]
            if not addresses:
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

    def name_address(self, address: int) -> str:
        """``SCPS0 (Stream Channel #0 Packet Size) (0x00000d04)``."""
        register = self.lookup(address)
        if register is None:
            where = "manufacturer-specific" if address >= 0xA000 else "bootstrap"
            return f"0x{address:08x} [{where}, not in the XML; name it with --xml FILE]"
        label = register_label(register.name)
        text = register.name if label == register.name else f"{register.name} ({label})"
        if register.feature and register.feature != register.name:
            text += f" → {register.feature}"
        return f"{text} (0x{address:08x})"


def _value_text(names: RegisterNames, address: int | None, value: int) -> str:
    extra = str(value)
    register = names.lookup(address) if address is not None else None
    if register is not None and _IP_REGISTERS.match(register.name):
        extra = str(ipaddress.IPv4Address(value & 0xFFFFFFFF))
    return f"0x{value:08x} ({extra})"


@attrs.frozen(slots=True)
class Decoded:
    """One annotated packet."""

    protocol: str            # "gvcp" | "visca" | "sxh485" | "unknown"
    raw: bytes
    summary: str
    details: tuple[str, ...] = ()
    error: str | None = None
    fields: dict = attrs.field(factory=dict, hash=False)

    def render(self) -> str:
        return "\n".join([self.summary, *("  " + d for d in self.details)])

    def as_dict(self) -> dict:
        return {"protocol": self.protocol, "hex": self.raw.hex(), "summary": self.summary,
                "details": list(self.details), "error": self.error, **self.fields}


class Decoder:
    """Splits a byte stream into packets and annotates each (see the module docstring)."""

    def __init__(self, xml: Iterable[Any] = (), *, sxh485_profile: str = "seed") -> None:
        from .resources import read_description

        self.names = RegisterNames()
        for source in xml:
            self.names.add_xml(source, label=str(source) if isinstance(source, (str, Path)) else "xml")
        self.names.add_xml(read_description("gige-bootstrap.xml"), label="gige-bootstrap.xml")
        self._pending: dict[int, Any] = {}
        self._visca_names = self._serial_names("sony-fcb.xml", self._visca_key)
        self._sxh_names = self._serial_names("sxh485.xml", lambda a: (a >> 20) & 0xFF)
        self.sxh485_profile = sxh485_profile

    # ---------------------------------------------------------------- names for serial

    @staticmethod
    def _visca_key(address: int) -> tuple[int, int]:
        return ((address >> 32) & 0xFF, (address >> 24) & 0xFF)

    @staticmethod
    def _serial_names(description: str, key: Any) -> dict[Any, str]:
        from .resources import read_description

        names = RegisterNames()
        try:
            names.add_xml(read_description(description), label=description)
        except (FileNotFoundError, NodeMapError):
            return {}
        out: dict[Any, str] = {}
        for register in names.registers:
            out.setdefault(key(register.address), register.feature or register.name)
        return out

    # ---------------------------------------------------------------- entry points

    def decode_text(self, text: str) -> list[Decoded]:
        data, _ = hex_bytes(text)
        return self.decode_bytes(data)

    def decode_bytes(self, data: bytes) -> list[Decoded]:
        out: list[Decoded] = []
        offset = 0
        while offset < len(data):
            size, decoded = self._next(data, offset)
            out.append(decoded)
            offset += max(size, 1)
        return out

    # ---------------------------------------------------------------- framing

    def _next(self, data: bytes, offset: int) -> tuple[int, Decoded]:
        rest = data[offset:]
        if rest[:2] == b"\xeb\x90":
            return self._sxh485(rest)
        first = rest[0]
        if (0x81 <= first <= 0x88 or (first & 0x0F == 0 and first >> 4 >= 0x9)) and \
                0xFF in rest[:16]:
            end = rest.index(0xFF) + 1
            return end, self._visca(rest[:end])
        if len(rest) < 8:
            return len(rest), Decoded("unknown", rest, f"{len(rest)} stray bytes: {rest.hex(' ')}",
                                      error="too short for any packet")
        length = int.from_bytes(rest[4:6], "big")
        size = min(len(rest), 8 + length)
        return size, self._gvcp(rest[:size])

    # ---------------------------------------------------------------- GVCP

    def _gvcp(self, raw: bytes) -> Decoded:
        from nodemap.transports.gvcp import protocol as p

        try:
            packet = p.decode(raw)
        except NodeMapError as exc:
            return Decoded("gvcp", raw, f"GVCP? {raw.hex(' ')}", error=str(exc))
        names = self.names
        code = int(packet.code)
        name = p.Cmd(code).name
        label = name if name.endswith("_ACK") else f"{name}_CMD"
        details: list[str] = []
        fields: dict[str, Any] = {"type": label, "code": code, "req_id": packet.req_id}
        if raw[0] == p.KEY:
            flags = packet.flags
            meaning = []
            if flags & p.FLAG_ACK_REQUIRED:
                meaning.append("ack required")
            if code == p.Cmd.DISCOVERY and flags & p.FLAG_BROADCAST_ACK:
                meaning.append("broadcast ack allowed")
            summary = (f"{label} (0x{code:04x}) req 0x{packet.req_id:04x} flags 0x{flags:02x}"
                       + (f" ({', '.join(meaning)})" if meaning else ""))
            self._pending[packet.req_id] = packet
            if isinstance(packet, p.ReadRegCmd):
                details += [f"read {names.name_address(a)}" for a in packet.addresses]
                fields["registers"] = [{"address": a, "name": _name(names, a)}
                                       for a in packet.addresses]
            elif isinstance(packet, p.WriteRegCmd):
                details += [f"{names.name_address(a)} ← {_value_text(names, a, v)}"
                            for a, v in packet.pairs]
                fields["registers"] = [{"address": a, "name": _name(names, a), "value": v}
                                       for a, v in packet.pairs]
            elif isinstance(packet, p.ReadMemCmd):
                details.append(f"read {packet.count} bytes at {names.name_address(packet.address)}")
            elif isinstance(packet, p.WriteMemCmd):
                details.append(f"write {len(packet.data)} bytes at "
                               f"{names.name_address(packet.address)}: {packet.data[:16].hex(' ')}")
            elif not isinstance(packet, p.DiscoveryCmd):
                details.append(str(packet))
            return Decoded("gvcp", raw, summary, tuple(details), fields=fields)
        status = packet.status
        status_text = p.status_name(status)
        summary = f"{label} (0x{code:04x}) req 0x{packet.req_id:04x} {status_text}"
        fields["status"] = status
        command = self._pending.get(packet.req_id)
        if status != p.Status.SUCCESS:
            remedy = p._REMEDIES.get(status) if hasattr(p, "_REMEDIES") else None
            if remedy:
                details.append(f"status 0x{status:04x}: {remedy}")
        if isinstance(packet, p.ReadRegAck):
            addresses = list(command.addresses) if isinstance(command, p.ReadRegCmd) else []
            values = []
            for i, value in enumerate(packet.values):
                if i < len(addresses):
                    details.append(f"{names.name_address(addresses[i])} → "
                                   f"{_value_text(names, addresses[i], value)}")
                    values.append({"address": addresses[i], "name": _name(names, addresses[i]),
                                   "value": value})
                else:
                    details.append(f"value #{i} → {_value_text(names, None, value)} "
                                   f"(its READREG_CMD was not in the capture)")
                    values.append({"value": value})
            fields["registers"] = values
        elif isinstance(packet, p.WriteRegAck):
            pairs = list(command.pairs) if isinstance(command, p.WriteRegCmd) else []
            fields["index"] = packet.index
            if status == p.Status.SUCCESS:
                details.append(f"{packet.index} register(s) written" +
                               (": " + ", ".join(_name(names, a) for a, _ in pairs[:packet.index])
                                if pairs else ""))
            elif pairs:
                failed = pairs[min(packet.index, len(pairs) - 1)]
                details.append(f"not written: {names.name_address(failed[0])}")
        elif isinstance(packet, p.DiscoveryAck):
            details.append(str(packet.info))
        elif not isinstance(packet, p.ReadRegAck):
            text = str(packet)
            if text != summary:
                details.append(text)
        return Decoded("gvcp", raw, summary, tuple(details), fields=fields)

    # ---------------------------------------------------------------- VISCA

    def _visca(self, raw: bytes) -> Decoded:
        from nodemap.transports.fcb import protocol as v

        try:
            if 0x81 <= raw[0] <= 0x88 and not (raw[0] == 0x88 and raw[1] == 0x30 and
                                                 len(raw) == 4 and raw[2] >= 2):
                item: Any = v.parse_request(raw)
                direction = "request"
            else:
                item = v.parse_reply(raw)
                direction = "reply"
        except NodeMapError as exc:
            try:
                item = v.parse_reply(raw)
                direction = "reply"
            except NodeMapError:
                return Decoded("visca", raw, f"VISCA? {raw.hex(' ')}", error=str(exc))
        summary = f"VISCA {direction}: {v.describe(item)}"
        details: list[str] = []
        if isinstance(item, (v.CommandRequest, v.InquiryRequest)):
            name = self._visca_names.get((item.category, item.command))
            if name:
                if isinstance(item, v.CommandRequest) and item.payload:
                    value = (v.from_nibbles(item.payload)
                             if all(b <= 0x0F for b in item.payload) else item.payload[-1])
                    details.append(f"{name} ← 0x{value:x} ({value})")
                elif isinstance(item, v.InquiryRequest):
                    details.append(f"read {name}")
                else:
                    details.append(name)
        return Decoded("visca", raw, summary, tuple(details), fields={"direction": direction})

    # ---------------------------------------------------------------- SXH485

    def _sxh485(self, rest: bytes) -> tuple[int, Decoded]:
        from nodemap.transports.sxh485 import protocol as s

        profile = s.get_profile(self.sxh485_profile)
        best: tuple[int, Decoded] | None = None
        for direction in (s.Direction.REQUEST, s.Direction.REPLY):
            fixed = 2 + (1 if direction is s.Direction.REPLY and
                         profile.status_position == "before_length" else 0) + profile.length_width
            if len(rest) < 2 + fixed:
                continue
            length = int.from_bytes(rest[2 + fixed - profile.length_width:2 + fixed],
                                    profile.length_order)
            size = 2 + fixed + length + 2
            try:
                frame = s.decode(rest[:size], profile, direction)
            except NodeMapError as exc:
                if best is None:
                    best = (min(size, len(rest)), Decoded(
                        "sxh485", rest[:size], f"SXH485? {rest[:size].hex(' ')}", error=str(exc)))
                continue
            name = self._sxh_names.get(frame.type if direction is s.Direction.REQUEST
                                       else frame.type - 0x80)
            details = [f"parameter {name}"] if name else []
            if frame.data and len(frame.data) <= 4:
                value = int.from_bytes(frame.data, "little")
                details.append(f"value {value} (0x{value:x})")
            summary = f"SXH485 {direction.value}: {s.annotate(frame, profile)}"
            return size, Decoded("sxh485", rest[:size], summary, tuple(details),
                                 fields={"direction": direction.value, "address": frame.address,
                                         "message_type": frame.type})
        if best is None:
            return len(rest), Decoded("sxh485", rest, f"SXH485? {rest.hex(' ')}",
                                      error=f"truncated SXH485 frame ({len(rest)} bytes)")
        return best


def _name(names: RegisterNames, address: int) -> str | None:
    register = names.lookup(address)
    return register.name if register else None
