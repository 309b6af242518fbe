"""GVCP packets in a capture, annotated for ``nodemap decode``.

Framing: a GVCP command starts with the key byte 0x42, an ack with its status; both are
sized by their length field.  Anything else whose byte 4 holds a GVSP content type is
decoded as one GVSP stream datagram (leader, payload, trailer …) by the GVSP codec.  Register names come from the GigE Vision bootstrap
description and from the user's ``--xml`` files (they win); an ack is matched with the
command of the same request id seen earlier in the capture.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any, cast

from nodemap.capture import CaptureContext, Decoded, RegisterNames, camel_words
from nodemap.resources import read_description

from ..codec import CodecError
from . import protocol as p

__all__ = ["GvcpCaptureDecoder", "register_label"]

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


def register_label(name: str) -> str:
    """``SCPS0`` → ``Stream Channel #0 Packet Size``; otherwise the CamelCase words."""
    for pattern, label in _LABELS:
        match = re.fullmatch(pattern, name)
        if match:
            return label.format(*match.groups())
    return camel_words(name)


def _named(names: RegisterNames, address: int) -> str:
    return names.name_address(address, register_label)


def _value_text(names: RegisterNames, address: int | None, value: int) -> str:
    extra = str(value)
    register = names.lookup(address) if address is not None else None
    if register is not None and _IP_REGISTERS.match(register.name):
        extra = str(ipaddress.IPv4Address(value & 0xFFFFFFFF))
    return f"0x{value:08x} ({extra})"


def _name(names: RegisterNames, address: int) -> str | None:
    register = names.lookup(address)
    return register.name if register else None


_ACK_CODES = frozenset(int(c) for c in p.Cmd if int(c) & 1 or c.name.endswith("_ACK"))


def _looks_like_gvsp(data: bytes) -> bool:
    """A GVSP datagram rather than GVCP: not a command (key 0x42), not an ack (an ack code in
    bytes 2-3 whose length field fits the bytes given), and a GVSP content type in byte 4.
    GVSP has no length field, so a GVSP packet is the rest of the input (give one datagram
    per ``nodemap decode`` call)."""
    if data[0] == p.KEY:
        return False
    if int.from_bytes(data[2:4], "big") in _ACK_CODES and \
            8 + int.from_bytes(data[4:6], "big") <= len(data):
        return False
    return 1 <= (data[4] & 0x7F) <= 8


def _gvsp(raw: bytes) -> Decoded:
    from . import gvsp

    try:
        packet = gvsp.decode(raw)
    except gvsp.GvspError as exc:
        return Decoded("gvsp", raw, f"GVSP? {raw[:16].hex(' ')}", error=str(exc))
    return Decoded("gvsp", raw, gvsp.describe(packet), fields={"type": type(packet).__name__})


class GvcpCaptureDecoder:
    """The GVCP :class:`~nodemap.plugin.CaptureDecoder`: asked last (any 8+ bytes frame)."""

    name = "gvcp"
    priority = 90

    def __init__(self, **_: Any) -> None:
        self._ready: set[int] = set()

    def decode_next(self, data: bytes, context: CaptureContext) -> tuple[int, Decoded] | None:
        if len(data) < 8:
            return None
        if _looks_like_gvsp(data):
            return len(data), _gvsp(data)
        if id(context) not in self._ready:   # the user's names first, then the bootstrap's
            context.names.add_xml(read_description("gige-bootstrap.xml"),
                                  label="gige-bootstrap.xml")
            self._ready.add(id(context))
        length = int.from_bytes(data[4:6], "big")
        size = min(len(data), 8 + length)
        pending = context.pending.setdefault("gvcp", {})
        return size, self._decode(data[:size], context.names, pending)

    def _decode(self, raw: bytes, names: RegisterNames, pending: dict[Any, Any]) -> Decoded:
        try:
            packet = p.decode(raw)
        except CodecError as exc:
            return Decoded("gvcp", raw, f"GVCP? {raw.hex(' ')}", error=str(exc))
        code = int(packet.code)
        name = p.Cmd(code).name
        label = name if name.endswith("_ACK") else f"{name}_CMD"
        details: list[str] = []
        fields: dict[str, Any] = {"type": label, "code": code, "req_id": packet.req_id}
        if raw[0] == p.KEY:                       # p.decode made it a command
            flags = cast(p.Command, packet).flags
            meaning = []
            if flags & p.FLAG_ACK_REQUIRED:
                meaning.append("ack required")
            if code == p.Cmd.DISCOVERY and flags & p.FLAG_BROADCAST_ACK:
                meaning.append("broadcast ack allowed")
            summary = (f"{label} (0x{code:04x}) req 0x{packet.req_id:04x} flags 0x{flags:02x}"
                       + (f" ({', '.join(meaning)})" if meaning else ""))
            pending[packet.req_id] = packet
            if isinstance(packet, p.ReadRegCmd):
                details += [f"read {_named(names, a)}" for a in packet.addresses]
                fields["registers"] = [{"address": a, "name": _name(names, a)}
                                       for a in packet.addresses]
            elif isinstance(packet, p.WriteRegCmd):
                details += [f"{_named(names, a)} ← {_value_text(names, a, v)}"
                            for a, v in packet.pairs]
                fields["registers"] = [{"address": a, "name": _name(names, a), "value": v}
                                       for a, v in packet.pairs]
            elif isinstance(packet, p.ReadMemCmd):
                details.append(f"read {packet.count} bytes at {_named(names, packet.address)}")
            elif isinstance(packet, p.WriteMemCmd):
                details.append(f"write {len(packet.data)} bytes at "
                               f"{_named(names, packet.address)}: {packet.data[:16].hex(' ')}")
            elif not isinstance(packet, p.DiscoveryCmd):
                details.append(str(packet))
            return Decoded("gvcp", raw, summary, tuple(details), fields=fields)
        status = cast(p.Ack, packet).status       # any other first byte: an ack
        status_text = p.status_name(status)
        summary = f"{label} (0x{code:04x}) req 0x{packet.req_id:04x} {status_text}"
        fields["status"] = status
        command = pending.get(packet.req_id)
        if status != p.Status.SUCCESS:
            remedy = p.REMEDIES.get(status)
            if remedy:
                details.append(f"status 0x{status:04x}: {remedy}")
        if isinstance(packet, p.ReadRegAck):
            addresses = list(command.addresses) if isinstance(command, p.ReadRegCmd) else []
            values = []
            for i, value in enumerate(packet.values):
                if i < len(addresses):
                    details.append(f"{_named(names, addresses[i])} → "
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
                               (": " + ", ".join(_name(names, a) or f"0x{a:08X}"
                                                 for a, _ in pairs[:packet.index])
                                if pairs else ""))
            elif pairs:
                failed = pairs[min(packet.index, len(pairs) - 1)]
                details.append(f"not written: {_named(names, failed[0])}")
        elif isinstance(packet, p.DiscoveryAck):
            details.append(str(packet.info))
        elif not isinstance(packet, p.ReadRegAck):
            text = str(packet)
            if text != summary:
                details.append(text)
        return Decoded("gvcp", raw, summary, tuple(details), fields=fields)
