"""VISCA codec (Sony FCB block cameras): packets in, bytes out; bytes in, typed replies out.

Sans-IO (the h11 pattern): nothing here touches a serial line, a clock or a thread, so
the same code serves the client (:mod:`nodemap.transports.fcb.bus`) and the simulated camera
(:mod:`nodemap.transports.fcb.device`) and is tested exhaustively without I/O.

Wire facts (Sony FCB technical manuals):

* Controller → camera: ``8X QQ ... FF``; X = camera address 1–7, 8 = broadcast.
  Command ``8X 01 CC DD ...``, inquiry ``8X 09 CC DD ...``, cancel ``8X 2z``,
  AddressSet ``88 30 01 FF``, IF_Clear ``8X 01 00 01 FF`` (``88`` = every camera).
* Camera → controller, from ``Y0`` with Y = X + 8: ACK ``Y0 4z FF`` (z = socket 1/2),
  completion ``Y0 5z FF``, inquiry reply ``Y0 50 data FF``, error ``Y0 6z EE FF``,
  network change ``Y0 38 FF``; AddressSet answers ``88 30 0w FF`` (w = next free
  address) and the broadcast IF_Clear comes back as ``88 01 00 01 FF``.
* A packet is at most 16 bytes.  Values are nibble coded: ``0x1234`` → ``01 02 03 04``.

Stream resynchronisation: a reply is the bytes up to a ``FF``.  Line noise before a
reply is dropped by starting the packet at the *right-most* byte that is a valid reply
header (``88``, ``90`` … ``F0``) and from which the rest parses as a reply.  This
assumes reply payload bytes are 7-bit, which every FCB reply honours (nibbles, mode
bytes, version numbers).  Whatever cannot be parsed is returned as :class:`Garbage`.
"""

from __future__ import annotations

import enum
from typing import Generic, Iterable, TypeVar, Union

import attrs

from ..codec import CodecError

__all__ = [
    "ViscaCodecError", "TERMINATOR", "BROADCAST", "MAX_PACKET", "ErrorCode",
    "Ack", "Completion", "ErrorReply", "NetworkChange", "AddressSetReply", "IfClearReply",
    "Garbage", "Reply", "ReplyParser",
    "CommandRequest", "InquiryRequest", "CancelRequest", "AddressSetRequest",
    "IfClearRequest", "Request", "RequestParser", "parse_request", "parse_reply",
    "encode_command", "encode_inquiry", "encode_cancel", "encode_address_set", "encode_if_clear",
    "encode_ack", "encode_completion", "encode_error", "encode_network_change",
    "encode_address_set_reply", "encode_if_clear_reply",
    "to_nibbles", "from_nibbles", "hexdump", "describe", "iter_packets",
]


class ViscaCodecError(CodecError):
    """VISCA bytes that do not decode (or values that do not encode): truncated, too
    long, without header or terminator, or not nibble coded."""

TERMINATOR = 0xFF
BROADCAST = 8
MAX_PACKET = 16
_MAX_BUFFER = 256  # bytes kept without a terminator before they are declared garbage


class ErrorCode(enum.IntEnum):
    """The VISCA error codes (``Y0 6z EE FF``)."""

    MESSAGE_LENGTH = 0x01
    SYNTAX = 0x02
    BUFFER_FULL = 0x03
    CANCELLED = 0x04
    NO_SOCKET = 0x05
    NOT_EXECUTABLE = 0x41

    @property
    def text(self) -> str:
        return _ERROR_TEXT[self]

    @classmethod
    def describe(cls, code: int) -> str:
        try:
            return f"{code:02X} {cls(code).text}"
        except ValueError:
            return f"{code:02X} unknown VISCA error"


_ERROR_TEXT = {
    ErrorCode.MESSAGE_LENGTH: "message length error (packet longer than 14 bytes of payload)",
    ErrorCode.SYNTAX: "syntax error (the camera does not know this command or its parameters)",
    ErrorCode.BUFFER_FULL: "command buffer full (both sockets busy)",
    ErrorCode.CANCELLED: "command cancelled",
    ErrorCode.NO_SOCKET: "no socket (nothing to cancel on that socket)",
    ErrorCode.NOT_EXECUTABLE: "command not executable (value out of range or wrong mode)",
}


def hexdump(data: bytes) -> str:
    """``b"\\x81\\x09"`` → ``"81 09"``."""
    return " ".join(f"{b:02X}" for b in data)


def to_nibbles(value: int, count: int) -> bytes:
    """``to_nibbles(0x1234, 4)`` → ``01 02 03 04``: one nibble per byte, most significant first."""
    if count < 0 or value < 0 or value >> (4 * count):
        raise ValueError(f"{value:#x} does not fit in {count} VISCA nibbles")
    return bytes((value >> (4 * (count - 1 - i))) & 0xF for i in range(count))


def from_nibbles(data: bytes) -> int:
    """``01 02 03 04`` → ``0x1234``; every byte must be ``0x0?``."""
    value = 0
    for b in data:
        if b > 0x0F:
            raise ViscaCodecError(f"VISCA nibble byte {b:02X} > 0F in {hexdump(data)}")
        value = (value << 4) | b
    return value


def _check_camera(address: int, *, broadcast: bool = False) -> None:
    top = BROADCAST if broadcast else 7
    if not 1 <= address <= top:
        raise ValueError(f"VISCA camera address {address} outside 1–{top}")


def _packet(body: bytes) -> bytes:
    packet = body + bytes((TERMINATOR,))
    if len(packet) > MAX_PACKET:
        raise ValueError(f"VISCA packet {hexdump(packet)} is {len(packet)} bytes; the limit is 16")
    if TERMINATOR in body:
        raise ValueError(f"VISCA packet body {hexdump(body)} contains the terminator FF")
    return packet


# --------------------------------------------------------------------------- requests

@attrs.frozen(slots=True)
class CommandRequest:
    """``8X 01 CC DD payload FF``."""

    address: int
    category: int
    command: int
    payload: bytes = b""

    def encode(self) -> bytes:
        return encode_command(self.address, self.category, self.command, self.payload)


@attrs.frozen(slots=True)
class InquiryRequest:
    """``8X 09 CC DD extra FF``."""

    address: int
    category: int
    command: int
    payload: bytes = b""

    def encode(self) -> bytes:
        return encode_inquiry(self.address, self.category, self.command, self.payload)


@attrs.frozen(slots=True)
class CancelRequest:
    """``8X 2z FF``: cancel the command running on socket z."""

    address: int
    socket: int

    def encode(self) -> bytes:
        return encode_cancel(self.address, self.socket)


@attrs.frozen(slots=True)
class AddressSetRequest:
    """``88 30 0n FF``: the first camera takes address n and passes n+1 on."""

    first: int = 1

    def encode(self) -> bytes:
        return encode_address_set(self.first)


@attrs.frozen(slots=True)
class IfClearRequest:
    """``8X 01 00 01 FF``: clear the command buffers (X = 8: every camera)."""

    address: int = BROADCAST

    def encode(self) -> bytes:
        return encode_if_clear(self.address)


Request = Union[CommandRequest, InquiryRequest, CancelRequest, AddressSetRequest, IfClearRequest]


def encode_command(address: int, category: int, command: int, payload: bytes = b"") -> bytes:
    _check_camera(address, broadcast=True)
    return _packet(bytes((0x80 | address, 0x01, category, command)) + bytes(payload))


def encode_inquiry(address: int, category: int, command: int, payload: bytes = b"") -> bytes:
    _check_camera(address)
    return _packet(bytes((0x80 | address, 0x09, category, command)) + bytes(payload))


def encode_cancel(address: int, socket: int) -> bytes:
    _check_camera(address)
    if not 0 <= socket <= 0xF:
        raise ValueError(f"VISCA socket {socket} outside 0–15")
    return _packet(bytes((0x80 | address, 0x20 | socket)))


def encode_address_set(first: int = 1) -> bytes:
    _check_camera(first)
    return _packet(bytes((0x88, 0x30, first)))


def encode_if_clear(address: int = BROADCAST) -> bytes:
    _check_camera(address, broadcast=True)
    return _packet(bytes((0x80 | address, 0x01, 0x00, 0x01)))


def parse_request(packet: bytes) -> Request:
    """Decode one controller → camera packet (terminator included).  Used by the simulator."""
    if len(packet) < 3 or packet[-1] != TERMINATOR:
        raise ViscaCodecError(f"VISCA request {hexdump(packet)} is truncated (needs 8X .. FF)")
    if len(packet) > MAX_PACKET:
        raise ViscaCodecError(f"VISCA request {hexdump(packet)} is longer than 16 bytes")
    head, kind, body = packet[0], packet[1], packet[2:-1]
    if head & 0xF0 != 0x80 or not 1 <= head & 0x0F <= 8:
        raise ViscaCodecError(f"VISCA request {hexdump(packet)} has no 81–88 header")
    address = head & 0x0F
    if TERMINATOR in packet[:-1]:
        raise ViscaCodecError(f"VISCA request {hexdump(packet)} contains FF before its end")
    if address == BROADCAST and kind == 0x30 and len(body) == 1:
        return AddressSetRequest(body[0])
    if kind == 0x01 and body == b"\x00\x01":
        return IfClearRequest(address)
    if kind & 0xF0 == 0x20 and not body and address != BROADCAST:
        return CancelRequest(address, kind & 0x0F)
    if kind in (0x01, 0x09) and len(body) >= 2:
        cls = CommandRequest if kind == 0x01 else InquiryRequest
        if cls is InquiryRequest and address == BROADCAST:
            raise ViscaCodecError(f"VISCA inquiry {hexdump(packet)} cannot be broadcast")
        return cls(address, body[0], body[1], bytes(body[2:]))
    raise ViscaCodecError(f"VISCA request {hexdump(packet)} is not a command, inquiry, "
                        f"cancel, AddressSet or IF_Clear")


# --------------------------------------------------------------------------- replies

@attrs.frozen(slots=True)
class Ack:
    """``Y0 4z FF``: the command was accepted into socket z."""

    camera: int
    socket: int


@attrs.frozen(slots=True)
class Completion:
    """``Y0 5z FF`` (command done on socket z) or ``Y0 50 data FF`` (inquiry answer)."""

    camera: int
    socket: int
    data: bytes = b""


@attrs.frozen(slots=True)
class ErrorReply:
    """``Y0 6z EE FF``."""

    camera: int
    socket: int
    code: int

    @property
    def text(self) -> str:
        return ErrorCode.describe(self.code)


@attrs.frozen(slots=True)
class NetworkChange:
    """``Y0 38 FF``: the daisy chain changed (a camera was added or removed)."""

    camera: int


@attrs.frozen(slots=True)
class AddressSetReply:
    """``88 30 0w FF``: the chain handed back the next free address (cameras = w − 1)."""

    next_address: int


@attrs.frozen(slots=True)
class IfClearReply:
    """``88 01 00 01 FF``: the broadcast IF_Clear made its way around the chain."""


@attrs.frozen(slots=True)
class Garbage:
    """Bytes that are no reply (line noise, a truncated or corrupted packet)."""

    data: bytes
    reason: str


Reply = Union[Ack, Completion, ErrorReply, NetworkChange, AddressSetReply, IfClearReply]
_REPLY_TYPES = (Ack, Completion, ErrorReply, NetworkChange, AddressSetReply, IfClearReply)


def parse_reply(packet: bytes) -> Reply:
    """Decode one camera → controller packet (terminator included) or raise ViscaCodecError."""
    if len(packet) < 3 or packet[-1] != TERMINATOR:
        raise ViscaCodecError(f"VISCA reply {hexdump(packet)} is truncated (needs Y0 .. FF)")
    if len(packet) > MAX_PACKET:
        raise ViscaCodecError(f"VISCA reply {hexdump(packet)} is longer than 16 bytes")
    if TERMINATOR in packet[:-1]:
        raise ViscaCodecError(f"VISCA reply {hexdump(packet)} contains FF before its end")
    head, kind, body = packet[0], packet[1], bytes(packet[2:-1])
    if head == 0x88:
        if kind == 0x30 and len(body) == 1 and 1 <= body[0] <= 8:
            return AddressSetReply(body[0])
        if kind == 0x01 and body == b"\x00\x01":
            return IfClearReply()
        raise ViscaCodecError(f"VISCA broadcast reply {hexdump(packet)} is neither "
                            f"AddressSet (88 30 0w FF) nor IF_Clear (88 01 00 01 FF)")
    if head & 0x0F or not 0x9 <= head >> 4 <= 0xF:
        raise ViscaCodecError(f"VISCA reply {hexdump(packet)} does not start with 90–F0")
    camera = (head >> 4) - 8
    group, socket = kind & 0xF0, kind & 0x0F
    if group == 0x40 and not body:
        return Ack(camera, socket)
    if group == 0x50:
        if socket and body:
            raise ViscaCodecError(f"VISCA completion {hexdump(packet)} carries data on socket {socket}")
        return Completion(camera, socket, body)
    if group == 0x60 and len(body) == 1:
        return ErrorReply(camera, socket, body[0])
    if kind == 0x38 and not body:
        return NetworkChange(camera)
    raise ViscaCodecError(f"VISCA reply {hexdump(packet)} is no ACK, completion, error "
                        f"or network change")


def _is_reply_header(b: int) -> bool:
    return b == 0x88 or (b & 0x0F == 0 and 0x9 <= b >> 4 <= 0xF)


def _is_request_header(b: int) -> bool:
    return 0x81 <= b <= 0x88


_Item = TypeVar("_Item")


class _StreamParser(Generic[_Item]):
    """Split a byte stream on FF; resynchronise on the right-most valid header."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def _decode(self, packet: bytes) -> _Item:  # pragma: no cover - overridden
        raise NotImplementedError

    def _is_header(self, b: int) -> bool:  # pragma: no cover - overridden
        raise NotImplementedError

    def feed(self, data: bytes) -> list[_Item | Garbage]:
        """Add received bytes; return every complete item (decoded packets and Garbage)."""
        out: list[_Item | Garbage] = []
        self._buffer += data
        while True:
            end = self._buffer.find(TERMINATOR)
            if end < 0:
                if len(self._buffer) > _MAX_BUFFER:
                    out.append(Garbage(bytes(self._buffer), "no FF terminator in 256 bytes"))
                    self._buffer.clear()
                return out
            chunk = bytes(self._buffer[:end + 1])
            del self._buffer[:end + 1]
            out.extend(self._split(chunk))

    def _split(self, chunk: bytes) -> list[_Item | Garbage]:
        error = "no packet header before FF"
        for start in range(len(chunk) - 2, -1, -1):
            if not self._is_header(chunk[start]):
                continue
            try:
                item = self._decode(chunk[start:])
            except ViscaCodecError as exc:
                error = str(exc)
                continue
            found: list[_Item | Garbage] = [item]
            return [Garbage(chunk[:start], "noise before a packet"), *found] if start else found
        return [Garbage(chunk, error)]

    @property
    def pending(self) -> bytes:
        """Bytes received after the last terminator."""
        return bytes(self._buffer)


class ReplyParser(_StreamParser[Reply]):
    """Camera → controller stream: ``feed(bytes)`` → list of :data:`Reply` / :class:`Garbage`."""

    def _decode(self, packet: bytes) -> Reply:
        return parse_reply(packet)

    def _is_header(self, b: int) -> bool:
        return _is_reply_header(b)


class RequestParser(_StreamParser[Request]):
    """Controller → camera stream (the simulator's side): ``feed`` → :data:`Request` / Garbage.

    A packet that has a header but does not decode is returned as Garbage whose data
    starts with the header, so the camera can answer it with a syntax or length error.
    """

    def _decode(self, packet: bytes) -> Request:
        return parse_request(packet)

    def _is_header(self, b: int) -> bool:
        return _is_request_header(b)


def encode_ack(camera: int, socket: int) -> bytes:
    _check_camera(camera)
    return bytes((0x80 + (camera << 4), 0x40 | socket, TERMINATOR))


def encode_completion(camera: int, socket: int, data: bytes = b"") -> bytes:
    _check_camera(camera)
    return _packet(bytes((0x80 + (camera << 4), 0x50 | socket)) + bytes(data))


def encode_error(camera: int, socket: int, code: int) -> bytes:
    _check_camera(camera)
    return bytes((0x80 + (camera << 4), 0x60 | socket, code, TERMINATOR))


def encode_network_change(camera: int) -> bytes:
    _check_camera(camera)
    return bytes((0x80 + (camera << 4), 0x38, TERMINATOR))


def encode_address_set_reply(next_address: int) -> bytes:
    return bytes((0x88, 0x30, next_address, TERMINATOR))


def encode_if_clear_reply() -> bytes:
    return bytes((0x88, 0x01, 0x00, 0x01, TERMINATOR))


def describe(item: object) -> str:
    """One annotated line for logs: ``ACK camera 1 socket 1`` …"""
    if isinstance(item, Ack):
        return f"ACK camera {item.camera} socket {item.socket}"
    if isinstance(item, Completion):
        if item.data:
            return f"inquiry reply camera {item.camera} data {hexdump(item.data)}"
        return f"completion camera {item.camera} socket {item.socket}"
    if isinstance(item, ErrorReply):
        return f"error camera {item.camera} socket {item.socket}: {item.text}"
    if isinstance(item, NetworkChange):
        return f"network change reported by camera {item.camera}"
    if isinstance(item, AddressSetReply):
        return f"AddressSet reply: next address {item.next_address}"
    if isinstance(item, IfClearReply):
        return "IF_Clear (broadcast) came back"
    if isinstance(item, Garbage):
        return f"garbage {hexdump(item.data)} ({item.reason})"
    if isinstance(item, CommandRequest):
        return (f"command camera {item.address} category {item.category:02X} "
                f"command {item.command:02X} payload {hexdump(item.payload) or '-'}")
    if isinstance(item, InquiryRequest):
        return (f"inquiry camera {item.address} category {item.category:02X} "
                f"command {item.command:02X}" + (f" {hexdump(item.payload)}" if item.payload else ""))
    if isinstance(item, CancelRequest):
        return f"cancel camera {item.address} socket {item.socket}"
    if isinstance(item, AddressSetRequest):
        return f"AddressSet starting at {item.first}"
    if isinstance(item, IfClearRequest):
        who = "every camera" if item.address == BROADCAST else f"camera {item.address}"
        return f"IF_Clear {who}"
    return repr(item)


def iter_packets(items: Iterable[object]) -> list[Reply]:
    """Only the decoded replies of a ``feed`` result (Garbage dropped)."""
    return [i for i in items if isinstance(i, _REPLY_TYPES)]
