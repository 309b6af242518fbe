"""GVSP (GigE Vision Streaming Protocol) codec: stream datagrams in, typed packets out — no I/O.

Sans-IO like :mod:`.protocol`: nothing here touches a socket, a clock or a thread, and
nothing imports the GenApi engine, so the receiver, the simulated device's streamer and
``nodemap decode`` share one definition of the wire format.

Layout (big-endian; the UDP port is chosen by the host through SCP/SCDA)::

    standard     status(2) block_id(2) packet_infos(4)                      8 bytes
    extended ID  status(2) flags(2) packet_infos(4) block_id(8) packet_id(4) 20 bytes

    packet_infos: bit 31 EI (extended-ID header), bits 24-30 content type,
                  bits 0-23 packet id (standard header only; 0 in extended-ID mode)

Content types: 1 leader, 2 trailer, 3 payload (data), 4 all-in, 5 H.264, 6 multi-zone,
7 multi-part, 8 GenDC.  Leader, trailer and payload bodies are decoded in full; the
others keep their body bytes after a decoded header.  A packet whose status has bit 15
set (an error such as PACKET_UNAVAILABLE 0x800C answering a resend request) is an
:class:`ErrorPacket`: the standard does not promise a body then.

Leader bodies (after ``flags(2) payload_type(2) timestamp(8)``), per payload type with
the extended-chunk bit 0x4000 cleared:

    0x0001 image / 0x4001 image + chunks   pixel_format(4) size_x(4) size_y(4) offset_x(4)
                                           offset_y(4) padding_x(2) padding_y(2)   36 bytes
    0x0002 raw data                        payload_size(8)                         20 bytes
    0x0004 chunk data                      nothing                                 12 bytes
    0x0006 JPEG / 0x0007 JPEG 2000         payload_size(8) tick_frequency(8)
                                           data_format(4)                          32 bytes

Trailer: ``reserved(2) payload_type(2)``, then ``size_y(4)`` for images (and multi-zone
images), ``payload_length(4)`` for chunk data, nothing for raw/JPEG; when the payload type
has the extended-chunk bit, ``chunk_data_payload_length(4) chunk_layout_id(4)`` follow
(the layouts Wireshark's GVSP dissector reads).

Fast path for the receiver: :func:`parse_header` returns a tuple without building objects,
and :data:`STANDARD_HEADER` / :data:`EXTENDED_HEADER` / :data:`LEADER_PREFIX` /
:data:`IMAGE_INFO` are the precompiled structs; tests pin them equal to :func:`decode`.
"""

from __future__ import annotations

import enum
import struct
from typing import Union

import attrs

__all__ = [
    "GvspError", "ContentType", "PayloadType", "EXTENDED_CHUNK", "STATUS_SUCCESS",
    "STATUS_PACKET_RESEND", "STATUS_PACKET_UNAVAILABLE", "STATUS_NAMES", "status_name",
    "FLAG_PACKET_RESEND", "FLAG_PREVIOUS_BLOCK_DROPPED", "FLAG_RESEND_RANGE_ERROR",
    "EI_FLAG", "MAX_PACKET_ID_STANDARD", "STANDARD_HEADER", "EXTENDED_HEADER",
    "LEADER_PREFIX", "IMAGE_INFO", "STANDARD_HEADER_LENGTH", "EXTENDED_HEADER_LENGTH",
    "IP_UDP_OVERHEAD", "PIXEL_FORMAT_NAMES", "pixel_format_name",
    "GvspHeader", "ImageLeader", "RawLeader", "ChunkLeader", "JpegLeader", "GenericLeader",
    "Trailer", "Payload", "OpaquePacket", "ErrorPacket", "Leader", "Packet",
    "decode", "parse_header", "parse_image_leader", "encode_header", "encode_image_leader",
    "encode_trailer", "encode_payload", "payload_header", "leader_length", "trailer_length",
    "data_per_packet", "describe",
]


class GvspError(ValueError):
    """A truncated or inconsistent GVSP datagram; the message says what and at which offset."""


class ContentType(enum.IntEnum):
    """GVSP packet content types (the 7-bit 'packet format' field)."""

    LEADER = 1
    TRAILER = 2
    PAYLOAD = 3
    ALL_IN = 4
    H264 = 5
    MULTI_ZONE = 6
    MULTI_PART = 7
    GENDC = 8


class PayloadType(enum.IntEnum):
    """Leader/trailer payload types (extended-chunk bit 0x4000 cleared)."""

    IMAGE = 0x0001
    RAW = 0x0002
    FILE = 0x0003
    CHUNK_DATA = 0x0004
    EXTENDED_CHUNK_DATA = 0x0005   # deprecated by GigE Vision 2.0
    JPEG = 0x0006
    JPEG2000 = 0x0007
    H264 = 0x0008
    MULTI_ZONE_IMAGE = 0x0009
    MULTI_PART = 0x000A
    GENDC = 0x000B


EXTENDED_CHUNK = 0x4000            # payload_type bit: chunks follow the data (GEV 2.0)
EI_FLAG = 0x80000000               # packet_infos bit 31: extended-ID header
MAX_PACKET_ID_STANDARD = 0xFFFFFF
STATUS_SUCCESS = 0x0000
STATUS_PACKET_RESEND = 0x0100      # a packet sent again in answer to PACKETRESEND
STATUS_PACKET_UNAVAILABLE = 0x800C
# Extended-ID header flags (low byte; the high byte is device specific).
FLAG_PACKET_RESEND = 0x0001
FLAG_PREVIOUS_BLOCK_DROPPED = 0x0002
FLAG_RESEND_RANGE_ERROR = 0x0004

STATUS_NAMES: dict[int, str] = {
    0x0000: "SUCCESS", 0x0100: "PACKET_RESEND", 0x8001: "NOT_IMPLEMENTED",
    0x8002: "INVALID_PARAMETER", 0x8003: "INVALID_ADDRESS", 0x8004: "WRITE_PROTECT",
    0x8005: "BAD_ALIGNMENT", 0x8006: "ACCESS_DENIED", 0x8007: "BUSY",
    0x800C: "PACKET_UNAVAILABLE", 0x800D: "DATA_OVERRUN", 0x800E: "INVALID_HEADER",
    0x8010: "PACKET_NOT_YET_AVAILABLE", 0x8011: "PACKET_AND_PREV_REMOVED_FROM_MEMORY",
    0x8012: "PACKET_REMOVED_FROM_MEMORY", 0x8014: "PACKET_TEMPORARILY_UNAVAILABLE",
    0x8015: "OVERFLOW", 0x8017: "LEADER_TRAILER_OVERFLOW", 0x8FFF: "ERROR",
}

STANDARD_HEADER = struct.Struct(">HHI")       # status, block_id, packet_infos
EXTENDED_HEADER = struct.Struct(">HHIQI")     # status, flags, packet_infos, block_id, packet_id
STANDARD_HEADER_LENGTH = STANDARD_HEADER.size
EXTENDED_HEADER_LENGTH = EXTENDED_HEADER.size
LEADER_PREFIX = struct.Struct(">HHQ")         # flags, payload_type, timestamp
IMAGE_INFO = struct.Struct(">IIIIIHH")        # pixel_format, size_x, size_y, offset_x/y, padding_x/y
_RAW_INFO = struct.Struct(">Q")
_JPEG_INFO = struct.Struct(">QQI")
_TRAILER_PREFIX = struct.Struct(">HH")
_U32 = struct.Struct(">I")
_CHUNK_INFO = struct.Struct(">II")
IP_UDP_OVERHEAD = 20 + 8                      # SCPS packet size counts the IP and UDP headers

# PFNC names of the pixel formats GigE Vision devices commonly stream (for describe()).
PIXEL_FORMAT_NAMES: dict[int, str] = {
    0x01080001: "Mono8", 0x01080002: "Mono8s", 0x01100003: "Mono10", 0x010C0004: "Mono10Packed",
    0x01100005: "Mono12", 0x010C0006: "Mono12Packed", 0x01100007: "Mono16",
    0x01100025: "Mono14", 0x010A0046: "Mono10p", 0x010C0047: "Mono12p",
    0x01080008: "BayerGR8", 0x01080009: "BayerRG8", 0x0108000A: "BayerGB8", 0x0108000B: "BayerBG8",
    0x0110000C: "BayerGR10", 0x0110000D: "BayerRG10", 0x0110000E: "BayerGB10",
    0x0110000F: "BayerBG10", 0x01100010: "BayerGR12", 0x01100011: "BayerRG12",
    0x01100012: "BayerGB12", 0x01100013: "BayerBG12", 0x0110002E: "BayerGR16",
    0x0110002F: "BayerRG16", 0x01100030: "BayerGB16", 0x01100031: "BayerBG16",
    0x02180014: "RGB8", 0x02180015: "BGR8", 0x02200016: "RGBa8", 0x02200017: "BGRa8",
    0x02100032: "YUV422_8", 0x0210001F: "YUV422_8_UYVY", 0x0210003B: "YCbCr422_8",
}


def pixel_format_name(code: int) -> str:
    """The PFNC name of a pixel format code, or its hex value when unknown here."""
    return PIXEL_FORMAT_NAMES.get(code, f"0x{code:08X}")


def status_name(status: int) -> str:
    return STATUS_NAMES.get(status, f"0x{status:04X}")


def _payload_type_name(payload_type: int) -> str:
    base = payload_type & ~EXTENDED_CHUNK
    try:
        name = PayloadType(base).name.lower().replace("_", "-")
    except ValueError:
        name = f"payload type 0x{base:04X}"
    return name + ("+chunks" if payload_type & EXTENDED_CHUNK else "")


# --------------------------------------------------------------------------- header

@attrs.frozen(slots=True)
class GvspHeader:
    """The common header.  ``flags`` exists in extended-ID mode only (0 otherwise)."""

    status: int
    block_id: int
    content_type: int
    packet_id: int
    extended: bool = False
    flags: int = 0

    @property
    def length(self) -> int:
        return EXTENDED_HEADER_LENGTH if self.extended else STANDARD_HEADER_LENGTH

    @property
    def resent(self) -> bool:
        return self.status == STATUS_PACKET_RESEND or bool(
            self.extended and self.flags & FLAG_PACKET_RESEND)

    def encode(self) -> bytes:
        return encode_header(self.status, self.block_id, self.content_type, self.packet_id,
                             extended=self.extended, flags=self.flags)


def encode_header(status: int, block_id: int, content_type: int, packet_id: int, *,
                  extended: bool = False, flags: int = 0) -> bytes:
    """The 8-byte standard or 20-byte extended-ID header; ValueError when a field overflows."""
    if not 0 <= content_type <= 0x7F:
        raise ValueError(f"content type {content_type} does not fit 7 bits")
    if extended:
        if not 0 <= block_id < 1 << 64 or not 0 <= packet_id < 1 << 32:
            raise ValueError(f"extended-ID block {block_id} / packet {packet_id} out of range "
                             "(64-bit block id, 32-bit packet id)")
        return EXTENDED_HEADER.pack(status, flags, EI_FLAG | content_type << 24, block_id,
                                    packet_id)
    if not 0 <= block_id <= 0xFFFF or not 0 <= packet_id <= MAX_PACKET_ID_STANDARD:
        raise ValueError(f"standard header: block {block_id} / packet {packet_id} out of range "
                         "(16-bit block id, 24-bit packet id; use extended IDs)")
    if flags:
        raise ValueError("header flags exist in extended-ID mode only")
    return STANDARD_HEADER.pack(status, block_id, content_type << 24 | packet_id)


def parse_header(buf: bytes | bytearray | memoryview) -> tuple[int, int, int, int, int]:
    """``(status, block_id, content_type, packet_id, header_length)`` without building objects.

    Raises :class:`GvspError` for a truncated header or an unknown content type, exactly as
    :func:`decode` would.
    """
    n = len(buf)
    if n < 8:
        raise GvspError(f"GVSP datagram of {n} bytes is shorter than the 8-byte header")
    status, block_id, infos = STANDARD_HEADER.unpack_from(buf)
    content_type = (infos >> 24) & 0x7F
    if not 1 <= content_type <= 8:
        raise GvspError(f"unknown GVSP content type {content_type} at offset 4")
    if infos & EI_FLAG:
        if n < 20:
            raise GvspError(f"extended-ID GVSP datagram of {n} bytes is shorter than its "
                            "20-byte header (EI flag set at offset 4)")
        _s, _f, _i, block_id, packet_id = EXTENDED_HEADER.unpack_from(buf)
        return status, block_id, content_type, packet_id, 20
    return status, block_id, content_type, infos & 0xFFFFFF, 8


def _decode_header(buf: memoryview, extended: bool | None) -> GvspHeader:
    status, block_id, content_type, packet_id, length = parse_header(buf)
    is_extended = length == EXTENDED_HEADER_LENGTH
    if extended is not None and extended != is_extended:
        raise GvspError(f"EI flag mismatch at offset 4: packet has a "
                        f"{'extended-ID' if is_extended else 'standard'} header but the stream "
                        f"uses {'extended' if extended else 'standard'} IDs")
    flags = STANDARD_HEADER.unpack_from(buf)[1] if is_extended else 0
    return GvspHeader(status, block_id, content_type, packet_id, is_extended, flags)


# --------------------------------------------------------------------------- leaders

_LEADER_LENGTHS: dict[int, int] = {
    PayloadType.IMAGE: 36, PayloadType.RAW: 20, PayloadType.CHUNK_DATA: 12,
    PayloadType.JPEG: 32, PayloadType.JPEG2000: 32}


def leader_length(payload_type: int) -> int:
    """Bytes of a leader body (after the header) for a payload type; 12 for unknown types."""
    base = payload_type & ~EXTENDED_CHUNK
    return _LEADER_LENGTHS.get(base, 12)


@attrs.frozen(slots=True)
class ImageLeader:
    """Leader of an image block (payload type 0x0001, or 0x4001 with extended chunks)."""

    header: GvspHeader
    timestamp: int
    pixel_format: int
    width: int
    height: int
    offset_x: int = 0
    offset_y: int = 0
    padding_x: int = 0
    padding_y: int = 0
    payload_type: int = PayloadType.IMAGE
    flags: int = 0

    @property
    def chunks(self) -> bool:
        return bool(self.payload_type & EXTENDED_CHUNK)

    def encode(self) -> bytes:
        return (self.header.encode()
                + LEADER_PREFIX.pack(self.flags, self.payload_type, self.timestamp)
                + IMAGE_INFO.pack(self.pixel_format, self.width, self.height, self.offset_x,
                                  self.offset_y, self.padding_x, self.padding_y))


@attrs.frozen(slots=True)
class RawLeader:
    """Leader of a raw-data block (0x0002): the block's size in bytes."""

    header: GvspHeader
    timestamp: int
    payload_size: int
    payload_type: int = PayloadType.RAW
    flags: int = 0

    def encode(self) -> bytes:
        return (self.header.encode()
                + LEADER_PREFIX.pack(self.flags, self.payload_type, self.timestamp)
                + _RAW_INFO.pack(self.payload_size))


@attrs.frozen(slots=True)
class ChunkLeader:
    """Leader of a chunk-data block (0x0004): no fields beyond the timestamp."""

    header: GvspHeader
    timestamp: int
    payload_type: int = PayloadType.CHUNK_DATA
    flags: int = 0

    def encode(self) -> bytes:
        return self.header.encode() + LEADER_PREFIX.pack(self.flags, self.payload_type,
                                                         self.timestamp)


@attrs.frozen(slots=True)
class JpegLeader:
    """Leader of a JPEG (0x0006) or JPEG 2000 (0x0007) block."""

    header: GvspHeader
    timestamp: int
    payload_size: int
    tick_frequency: int = 0
    data_format: int = 0
    payload_type: int = PayloadType.JPEG
    flags: int = 0

    def encode(self) -> bytes:
        return (self.header.encode()
                + LEADER_PREFIX.pack(self.flags, self.payload_type, self.timestamp)
                + _JPEG_INFO.pack(self.payload_size, self.tick_frequency, self.data_format))


@attrs.frozen(slots=True)
class GenericLeader:
    """Leader of any other payload type: the common fields, the rest kept as bytes."""

    header: GvspHeader
    timestamp: int
    payload_type: int
    body: bytes = b""
    flags: int = 0

    def encode(self) -> bytes:
        return (self.header.encode()
                + LEADER_PREFIX.pack(self.flags, self.payload_type, self.timestamp) + self.body)


def _decode_leader(h: GvspHeader, buf: memoryview) -> "Leader":
    start = h.length
    if len(buf) < start + 12:
        raise GvspError(f"GVSP leader of {len(buf)} bytes is truncated: its flags, payload type "
                        f"and timestamp need bytes {start}..{start + 11}")
    flags, payload_type, timestamp = LEADER_PREFIX.unpack_from(buf, start)
    base = payload_type & ~EXTENDED_CHUNK
    need = leader_length(payload_type)
    if base in (PayloadType.IMAGE, PayloadType.RAW, PayloadType.JPEG, PayloadType.JPEG2000) \
            and len(buf) < start + need:
        raise GvspError(f"GVSP {_payload_type_name(payload_type)} leader of {len(buf)} bytes is "
                        f"shorter than its payload type needs ({start + need} bytes; field at "
                        f"offset {start + 12} cut)")
    body = start + 12
    if base == PayloadType.IMAGE:
        pixel_format, width, height, offset_x, offset_y, padding_x, padding_y = \
            IMAGE_INFO.unpack_from(buf, body)
        return ImageLeader(h, timestamp, pixel_format, width, height, offset_x, offset_y,
                           padding_x, padding_y, payload_type=payload_type, flags=flags)
    if base == PayloadType.RAW:
        return RawLeader(h, timestamp, _RAW_INFO.unpack_from(buf, body)[0], payload_type, flags)
    if base == PayloadType.CHUNK_DATA:
        return ChunkLeader(h, timestamp, payload_type, flags)
    if base in (PayloadType.JPEG, PayloadType.JPEG2000):
        payload_size, tick_frequency, data_format = _JPEG_INFO.unpack_from(buf, body)
        return JpegLeader(h, timestamp, payload_size, tick_frequency, data_format,
                          payload_type=payload_type, flags=flags)
    return GenericLeader(h, timestamp, payload_type, bytes(buf[body:]), flags)


def parse_image_leader(buf: bytes | bytearray | memoryview, header_length: int
                       ) -> tuple[int, int, int, int, int, int, int, int, int]:
    """Fast path: ``(payload_type, timestamp, pixel_format, width, height, offset_x, offset_y,
    padding_x, padding_y)`` of an image leader whose header is ``header_length`` bytes."""
    if len(buf) < header_length + 36:
        raise GvspError(f"GVSP image leader of {len(buf)} bytes is shorter than its payload "
                        f"type needs ({header_length + 36} bytes)")
    _flags, payload_type, timestamp = LEADER_PREFIX.unpack_from(buf, header_length)
    return (payload_type, timestamp, *IMAGE_INFO.unpack_from(buf, header_length + 12))


def encode_image_leader(block_id: int, *, timestamp: int, pixel_format: int, width: int,
                        height: int, offset_x: int = 0, offset_y: int = 0, padding_x: int = 0,
                        padding_y: int = 0, chunks: bool = False, packet_id: int = 0,
                        extended: bool = False, status: int = STATUS_SUCCESS,
                        flags: int = 0) -> bytes:
    """An image leader datagram (payload type 0x0001, or 0x4001 with ``chunks``)."""
    header = GvspHeader(status, block_id, ContentType.LEADER, packet_id, extended, flags)
    payload_type = PayloadType.IMAGE | (EXTENDED_CHUNK if chunks else 0)
    return ImageLeader(header, timestamp, pixel_format, width, height, offset_x, offset_y,
                       padding_x, padding_y, payload_type).encode()


# --------------------------------------------------------------------------- trailer

def trailer_length(payload_type: int) -> int:
    """Bytes of a trailer body (after the header) for a payload type."""
    base = payload_type & ~EXTENDED_CHUNK
    n = 8 if base in (PayloadType.IMAGE, PayloadType.MULTI_ZONE_IMAGE,
                      PayloadType.CHUNK_DATA) else 4
    return n + (8 if payload_type & EXTENDED_CHUNK else 0)


@attrs.frozen(slots=True)
class Trailer:
    """End of a block.  ``size_y`` for images (the lines actually sent), ``payload_length``
    for chunk data, ``chunk_data_length``/``chunk_layout_id`` with extended chunks."""

    header: GvspHeader
    payload_type: int = PayloadType.IMAGE
    size_y: int | None = None
    payload_length: int | None = None
    chunk_data_length: int | None = None
    chunk_layout_id: int | None = None

    def encode(self) -> bytes:
        base = self.payload_type & ~EXTENDED_CHUNK
        out = self.header.encode() + _TRAILER_PREFIX.pack(0, self.payload_type)
        if base in (PayloadType.IMAGE, PayloadType.MULTI_ZONE_IMAGE):
            out += _U32.pack(self.size_y or 0)
        elif base == PayloadType.CHUNK_DATA:
            out += _U32.pack(self.payload_length or 0)
        if self.payload_type & EXTENDED_CHUNK:
            out += _CHUNK_INFO.pack(self.chunk_data_length or 0, self.chunk_layout_id or 0)
        return out


def _decode_trailer(h: GvspHeader, buf: memoryview) -> Trailer:
    start = h.length
    if len(buf) < start + 4:
        raise GvspError(f"GVSP trailer of {len(buf)} bytes is truncated: its payload type at "
                        f"offset {start + 2} is cut")
    _reserved, payload_type = _TRAILER_PREFIX.unpack_from(buf, start)
    need = start + trailer_length(payload_type)
    if len(buf) < need:
        raise GvspError(f"GVSP {_payload_type_name(payload_type)} trailer of {len(buf)} bytes is "
                        f"shorter than its payload type needs ({need} bytes; field at offset "
                        f"{start + 4} cut)")
    base = payload_type & ~EXTENDED_CHUNK
    pos = start + 4
    size_y = payload_length = chunk_length = layout = None
    if base in (PayloadType.IMAGE, PayloadType.MULTI_ZONE_IMAGE):
        size_y = _U32.unpack_from(buf, pos)[0]
        pos += 4
    elif base == PayloadType.CHUNK_DATA:
        payload_length = _U32.unpack_from(buf, pos)[0]
        pos += 4
    if payload_type & EXTENDED_CHUNK:
        chunk_length, layout = _CHUNK_INFO.unpack_from(buf, pos)
    return Trailer(h, payload_type, size_y, payload_length, chunk_length, layout)


def encode_trailer(block_id: int, packet_id: int, *, size_y: int | None = None,
                   payload_type: int = PayloadType.IMAGE, payload_length: int | None = None,
                   chunk_data_length: int | None = None, chunk_layout_id: int | None = None,
                   extended: bool = False, status: int = STATUS_SUCCESS,
                   flags: int = 0) -> bytes:
    """A trailer datagram; for images pass ``size_y``."""
    header = GvspHeader(status, block_id, ContentType.TRAILER, packet_id, extended, flags)
    return Trailer(header, payload_type, size_y, payload_length, chunk_data_length,
                   chunk_layout_id).encode()


# --------------------------------------------------------------------------- payload & others

@attrs.frozen(slots=True)
class Payload:
    """A data packet: ``data`` lands at ``(packet_id - 1) * data_per_packet`` in the block."""

    header: GvspHeader
    data: bytes

    def encode(self) -> bytes:
        return self.header.encode() + bytes(self.data)


@attrs.frozen(slots=True)
class OpaquePacket:
    """All-in, H.264, multi-zone, multi-part and GenDC packets: header decoded, body kept."""

    header: GvspHeader
    body: bytes

    def encode(self) -> bytes:
        return self.header.encode() + bytes(self.body)


@attrs.frozen(slots=True)
class ErrorPacket:
    """A packet whose status is an error (bit 15), e.g. PACKET_UNAVAILABLE for a resend
    the device can no longer answer; any body is kept uninterpreted."""

    header: GvspHeader
    body: bytes = b""

    def encode(self) -> bytes:
        return self.header.encode() + bytes(self.body)


def payload_header(block_id: int, packet_id: int, *, extended: bool = False,
                   status: int = STATUS_SUCCESS, flags: int = 0) -> bytes:
    """The header of a data packet (prepend it to the data slice)."""
    return encode_header(status, block_id, ContentType.PAYLOAD, packet_id, extended=extended,
                         flags=flags)


def encode_payload(block_id: int, packet_id: int, data: bytes | bytearray | memoryview, *,
                   extended: bool = False, status: int = STATUS_SUCCESS,
                   flags: int = 0) -> bytes:
    """A data packet datagram."""
    return payload_header(block_id, packet_id, extended=extended, status=status,
                          flags=flags) + bytes(data)


def data_per_packet(packet_size: int, extended: bool = False) -> int:
    """Data bytes a payload packet carries when SCPS programs ``packet_size`` (which counts
    the IP and UDP headers as well as the GVSP header)."""
    n = packet_size - IP_UDP_OVERHEAD - (EXTENDED_HEADER_LENGTH if extended
                                         else STANDARD_HEADER_LENGTH)
    if n <= 0:
        raise ValueError(f"packet size {packet_size} leaves no room for data after the IP, UDP "
                         "and GVSP headers")
    return n


Leader = Union[ImageLeader, RawLeader, ChunkLeader, JpegLeader, GenericLeader]
Packet = Union[ImageLeader, RawLeader, ChunkLeader, JpegLeader, GenericLeader, Trailer, Payload,
               OpaquePacket, ErrorPacket]


def decode(datagram: bytes | bytearray | memoryview, *, extended: bool | None = None) -> Packet:
    """Decode one GVSP datagram into a typed packet.

    ``extended``: when the stream's id mode is known, a packet in the other mode is a
    :class:`GvspError` (EI flag mismatch).  Bytes beyond a leader's or trailer's fields are
    ignored (padding), except for leaders of payload types this codec does not know.
    """
    buf = memoryview(datagram)
    if buf.format != "B" or buf.ndim != 1:
        buf = buf.cast("B")
    h = _decode_header(buf, extended)
    if h.status & 0x8000:
        return ErrorPacket(h, bytes(buf[h.length:]))
    if h.content_type == ContentType.LEADER:
        return _decode_leader(h, buf)
    if h.content_type == ContentType.TRAILER:
        return _decode_trailer(h, buf)
    if h.content_type == ContentType.PAYLOAD:
        return Payload(h, bytes(buf[h.length:]))
    return OpaquePacket(h, bytes(buf[h.length:]))


# --------------------------------------------------------------------------- describe

def _header_text(h: GvspHeader, kind: str) -> str:
    text = f"GVSP {kind} block {h.block_id} packet {h.packet_id}"
    if h.extended:
        text += " [ext-id]"
    if h.status == STATUS_PACKET_RESEND or (h.extended and h.flags & FLAG_PACKET_RESEND):
        text += " [resent]"
    elif h.status:
        text += f" status {status_name(h.status)}"
    if h.extended and h.flags & FLAG_PREVIOUS_BLOCK_DROPPED:
        text += " [previous block dropped]"
    if h.extended and h.flags & FLAG_RESEND_RANGE_ERROR:
        text += " [resend range error]"
    return text


def describe(packet: Packet) -> str:
    """One annotated line, e.g. ``GVSP leader block 5 packet 0 image Mono8 640x480 offset 0,0
    ts 123``."""
    h = packet.header
    if isinstance(packet, ImageLeader):
        text = (f"{_header_text(h, 'leader')} {_payload_type_name(packet.payload_type)} "
                f"{pixel_format_name(packet.pixel_format)} {packet.width}x{packet.height} "
                f"offset {packet.offset_x},{packet.offset_y}")
        if packet.padding_x or packet.padding_y:
            text += f" padding {packet.padding_x},{packet.padding_y}"
        return text + f" ts {packet.timestamp}"
    if isinstance(packet, RawLeader):
        return (f"{_header_text(h, 'leader')} {_payload_type_name(packet.payload_type)} "
                f"{packet.payload_size} bytes ts {packet.timestamp}")
    if isinstance(packet, ChunkLeader):
        return (f"{_header_text(h, 'leader')} {_payload_type_name(packet.payload_type)} "
                f"ts {packet.timestamp}")
    if isinstance(packet, JpegLeader):
        return (f"{_header_text(h, 'leader')} {_payload_type_name(packet.payload_type)} "
                f"{packet.payload_size} bytes tick {packet.tick_frequency} Hz format "
                f"0x{packet.data_format:08X} ts {packet.timestamp}")
    if isinstance(packet, GenericLeader):
        return (f"{_header_text(h, 'leader')} {_payload_type_name(packet.payload_type)} "
                f"ts {packet.timestamp} ({len(packet.body)} more bytes)")
    if isinstance(packet, Trailer):
        text = f"{_header_text(h, 'trailer')} {_payload_type_name(packet.payload_type)}"
        if packet.size_y is not None:
            text += f" size_y {packet.size_y}"
        if packet.payload_length is not None:
            text += f" length {packet.payload_length}"
        if packet.chunk_data_length is not None:
            text += (f" chunk data {packet.chunk_data_length} bytes layout "
                     f"0x{packet.chunk_layout_id or 0:08X}")
        return text
    if isinstance(packet, Payload):
        return f"{_header_text(h, 'payload')} {len(packet.data)} bytes"
    if isinstance(packet, ErrorPacket):
        kind = _content_name(h.content_type)
        return f"{_header_text(h, kind)} error {status_name(h.status)} (0x{h.status:04X})"
    return f"{_header_text(h, _content_name(h.content_type))} {len(packet.body)} bytes"


def _content_name(content_type: int) -> str:
    try:
        return ContentType(content_type).name.lower().replace("_", "-")
    except ValueError:  # pragma: no cover - decode refuses unknown content types
        return f"content type {content_type}"
