"""SXH485 frame codec: CRC-16, named profiles, frames and a resynchronising stream parser.

Sans-IO: bytes in, typed frames out; no sockets, clocks or threads.  Used by the
client (``bus.py``/``port.py``) and by the simulated camera (``device.py``) alike.

The wire format, as the vendor's description (seed ``003``) defines it::

    down-link (host → camera):  HEADER · address · type · length · parameters · CRC
    up-link   (camera → host):  HEADER · address · type · status · length · data · CRC

* HEADER — two bytes.  The seed: "0x90EB, first byte 0xEB, second byte 0x90", i.e.
  ``EB 90`` on the wire (little-endian like every multi-byte field).
* address — 1 byte; 0 is reserved, 255 is broadcast (every camera obeys, none replies).
  A camera only processes frames carrying its own address (or 255).
* type — the message type (the seed's table is missing; see :class:`Profile`).
* length — number of parameter/data bytes only (2 bytes, little-endian).
* CRC — CRC-16 of the seed's table (poly 0x1021, init 0, no reflection: the
  CRC-16/XMODEM family, ``crc16(b"123456789") == 0x31C3``) over address · type ·
  [status] · length · parameters, i.e. from the address byte to the end of the
  parameters.  Frames with a bad CRC are invalid and are discarded.
* status — replies carry one status byte reflecting the camera's state (:class:`Status`).

Everything the seed leaves open lives in a named :class:`Profile`: header byte order,
width of the length field, CRC byte order, where the status byte sits, how a reply's
type relates to its request's, and the message-type codes of the picture transfer.
``PROFILES["seed"]`` (the default) is the seed's layout with this project's own,
documented choices; ``PROFILES["h200"]`` is the public SXH485-H200 variant.  A user
picks one with ``sxh485:...?profile=h200``.

Message types of the ``seed`` profile (this project's choice, also encoded in the
register addresses of ``xml/sxh485.xml``; a reply's type is ``request type + 0x80``)::

    0x01 DeviceAddress (1 B)        0x05 InfraredIllumination (1 B, 0/1)
    0x02 BaudRate (1 B index)       0x06 LowPowerMode (1 B, 0/1)
    0x03 Resolution (1 B index)     0x07 DeviceStatus (query only: the status byte)
    0x04 ImageQuality (1 B index)   0x08 PacketSize (2 B, bytes of JPEG per packet)
    0x30 Capture: take a picture; reply data = image size (4 B)
    0x31 ImageInfo: size of the last picture (4 B)
    0x32 ReadPacket: parameters = packet index (2 B); reply data = index (2 B) + bytes

A parameter frame with no parameters is a query (the reply data holds the value);
with parameters it sets the value (the reply echoes it once applied).
"""

from __future__ import annotations

import enum
from typing import Iterable, Literal, Mapping, Union

import attrs

from ..codec import CodecError

__all__ = [
    "Sxh485CodecError", "BROADCAST", "RESERVED", "CRC_TABLE", "crc16", "Profile", "PROFILES", "get_profile",
    "Direction", "Frame", "Discarded", "Event", "Status", "MessageType", "encode", "decode", "FrameParser",
    "BAUD_RATES", "RESOLUTIONS", "QUALITIES", "annotate",
]


class Sxh485CodecError(CodecError):
    """SXH485 bytes that do not decode (truncated, padded, bad CRC) or a frame that does
    not encode (a field out of range, more data than the profile allows)."""

BROADCAST = 255
RESERVED = 0


def _make_table() -> tuple[int, ...]:
    table = []
    for index in range(256):
        crc = index << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
        table.append(crc & 0xFFFF)
    return tuple(table)


#: The seed's ``crc_ta[256]`` (generated from poly 0x1021; the tests compare it with the
#: seed's text value by value).
CRC_TABLE: tuple[int, ...] = _make_table()


def crc16(data: bytes | bytearray | memoryview, crc: int = 0) -> int:
    """The seed's ``cal_crc``: table-driven CRC-16, MSB first, initial value 0."""
    table = CRC_TABLE
    for byte in bytes(data):
        crc = ((crc << 8) & 0xFFFF) ^ table[(crc >> 8) ^ byte]
    return crc


class Direction(str, enum.Enum):
    """Which way a frame travels: requests carry no status byte, replies do."""

    REQUEST = "request"
    REPLY = "reply"


class MessageType(enum.IntEnum):
    """The project's message-type names (``seed`` profile codes)."""

    DEVICE_ADDRESS = 0x01
    BAUD_RATE = 0x02
    RESOLUTION = 0x03
    IMAGE_QUALITY = 0x04
    INFRARED = 0x05
    LOW_POWER = 0x06
    DEVICE_STATUS = 0x07
    PACKET_SIZE = 0x08
    CAPTURE = 0x30
    IMAGE_INFO = 0x31
    READ_PACKET = 0x32


class Status(enum.IntFlag):
    """The reply status byte (project's choice).

    Bit 7 clear: state flags.  Bit 7 set: the request was rejected, bits 0–6 say why
    (``ERROR | code``, see :data:`ERROR_TEXT`).
    """

    OK = 0x00
    IMAGE_READY = 0x01
    LOW_POWER = 0x02
    INFRARED_ON = 0x04
    ERROR = 0x80


ERROR_UNKNOWN_TYPE = 0x81
ERROR_BAD_LENGTH = 0x82
ERROR_BAD_VALUE = 0x83
ERROR_NO_IMAGE = 0x84
ERROR_BAD_PACKET = 0x85

ERROR_TEXT: Mapping[int, str] = {
    ERROR_UNKNOWN_TYPE: "unknown message type (check the profile / xml/sxh485.xml codes)",
    ERROR_BAD_LENGTH: "wrong parameter length",
    ERROR_BAD_VALUE: "parameter value out of range",
    ERROR_NO_IMAGE: "no picture taken yet (execute TriggerSoftware first)",
    ERROR_BAD_PACKET: "packet index out of range",
}

#: BaudRate parameter index → bits per second (enumeration values in xml/sxh485.xml).
BAUD_RATES: tuple[int, ...] = (4800, 9600, 19200, 57600, 115200)
#: Resolution parameter index → (width, height).
RESOLUTIONS: tuple[tuple[int, int], ...] = ((1280, 960), (640, 480), (320, 240), (160, 160))
#: ImageQuality parameter index → name.  1280×960 has one quality only (the seed).
QUALITIES: tuple[str, ...] = ("High", "Medium", "Low")


ByteOrder = Literal["little", "big"]


@attrs.frozen(slots=True)
class Profile:
    """The variable parts of the SXH485 wire format.

    ``header``: the two header bytes in wire order.  ``length_width``/``length_order``:
    the length field.  ``crc_order``: CRC byte order on the wire.  ``status_position``:
    ``"before_length"`` (a header byte between type and length, not counted by the
    length) or ``"first_data"`` (the first data byte, counted by the length).
    ``reply_offset``: reply type = (request type + offset) & 0xFF.
    ``type_map``: message types as written in ``xml/sxh485.xml`` (the ``seed`` codes)
    → this variant's codes; unmapped codes are sent unchanged.
    ``max_length``: the parser rejects frames announcing more parameter bytes.
    """

    name: str
    header: bytes = b"\xEB\x90"
    length_width: int = 2
    length_order: ByteOrder = "little"
    crc_order: ByteOrder = "little"
    status_position: str = "before_length"
    reply_offset: int = 0x80
    type_map: Mapping[int, int] = attrs.field(factory=dict)
    max_length: int = 8192
    description: str = ""

    def __attrs_post_init__(self) -> None:
        if len(self.header) != 2:
            raise ValueError("an SXH485 header has two bytes")
        if self.length_width not in (1, 2):
            raise ValueError("length_width must be 1 or 2")
        if self.length_order not in ("little", "big") or self.crc_order not in ("little", "big"):
            raise ValueError("byte orders are 'little' or 'big'")
        if self.status_position not in ("before_length", "first_data"):
            raise ValueError("status_position is 'before_length' or 'first_data'")

    def code(self, message_type: int) -> int:
        """The wire code of a message type named by its ``seed`` code."""
        return self.type_map.get(int(message_type), int(message_type))

    def reply_code(self, message_type: int) -> int:
        """The wire code of the reply to a message type named by its ``seed`` code."""
        return (self.code(message_type) + self.reply_offset) & 0xFF

    @property
    def max_data(self) -> int:
        """Largest parameter block the length field can express (and we accept)."""
        return min(self.max_length, (1 << (8 * self.length_width)) - 1)


PROFILES: Mapping[str, Profile] = {
    "seed": Profile(
        name="seed",
        description="the seed's layout: EB 90, LE 2-byte length, LE CRC, status before "
                    "length, reply type = request + 0x80, project message codes"),
    "h200": Profile(
        name="h200",
        header=b"\x90\xEB",
        reply_offset=1,
        type_map={MessageType.CAPTURE: 0x40, MessageType.IMAGE_INFO: 0x42,
                  MessageType.READ_PACKET: 0x48},
        description="public SXH485-H200 variant: 90 EB, capture 0x40 (reply 0x41), read "
                    "image 0x48 (reply 0x49), 16-bit LE length; image info 0x42 and the "
                    "parameter codes are assumptions (edit xml/sxh485.xml)"),
}


def get_profile(name: str | Profile) -> Profile:
    """A profile by name (``seed``, ``h200``) or the Profile itself."""
    if isinstance(name, Profile):
        return name
    try:
        return PROFILES[name.lower()]
    except KeyError:
        raise Sxh485CodecError(
            f"unknown SXH485 profile {name!r}; use one of {', '.join(PROFILES)}") from None


@attrs.frozen(slots=True)
class Frame:
    """One decoded (or to-be-encoded) frame.  ``status`` is None for requests."""

    address: int
    type: int
    data: bytes = b""
    status: int | None = None

    def __attrs_post_init__(self) -> None:
        if not 0 <= self.address <= 255:
            raise Sxh485CodecError(f"SXH485 address {self.address} is outside 0..255")
        if not 0 <= self.type <= 255:
            raise Sxh485CodecError(f"SXH485 message type {self.type} is outside 0..255")
        if self.status is not None and not 0 <= self.status <= 255:
            raise Sxh485CodecError(f"SXH485 status {self.status} is outside 0..255")

    @property
    def direction(self) -> Direction:
        return Direction.REQUEST if self.status is None else Direction.REPLY

    @property
    def is_error(self) -> bool:
        return self.status is not None and bool(self.status & Status.ERROR)


@attrs.frozen(slots=True)
class Discarded:
    """Bytes the parser threw away: a frame with a bad CRC (``reason == "crc"``, with the
    address/type it claimed) or an impossible length (``"length"``)."""

    reason: str
    raw: bytes
    address: int | None = None
    type: int | None = None


Event = Union[Frame, Discarded]


def _body(frame: Frame, profile: Profile) -> bytes:
    """address · type · [status] · length · data (the CRC-protected part)."""
    data = frame.data
    if frame.status is not None and profile.status_position == "first_data":
        data = bytes([frame.status]) + data
    if len(data) > profile.max_data:
        raise Sxh485CodecError(
            f"SXH485 frame for address {frame.address} carries {len(data)} bytes; the "
            f"{profile.name} profile allows at most {profile.max_data} (lower PacketSize)")
    out = bytearray((frame.address, frame.type))
    if frame.status is not None and profile.status_position == "before_length":
        out.append(frame.status)
    out += len(data).to_bytes(profile.length_width, profile.length_order)
    out += data
    return bytes(out)


def encode(frame: Frame, profile: Profile = PROFILES["seed"]) -> bytes:
    """The wire bytes of ``frame`` (a request if ``status`` is None, else a reply)."""
    body = _body(frame, profile)
    return profile.header + body + crc16(body).to_bytes(2, profile.crc_order)


def _fixed(profile: Profile, direction: Direction) -> int:
    """Bytes between the header and the data: address, type, [status], length."""
    status = 1 if direction is Direction.REPLY and profile.status_position == "before_length" else 0
    return 2 + status + profile.length_width


def _parse_at(buffer: bytes | bytearray, start: int, profile: Profile,
              direction: Direction) -> tuple[Event | None, int]:
    """Try a frame whose header starts at ``start``.

    Returns ``(event, end)``: a Frame or a Discarded and the index after it, or
    ``(None, 0)`` when more bytes are needed.
    """
    fixed = _fixed(profile, direction)
    head_end = start + 2 + fixed
    if len(buffer) < head_end:
        return None, 0
    body_start = start + 2
    length = int.from_bytes(buffer[head_end - profile.length_width:head_end],
                            profile.length_order)
    minimum = 1 if direction is Direction.REPLY and profile.status_position == "first_data" else 0
    if length > profile.max_data or length < minimum:
        return Discarded("length", bytes(buffer[start:head_end])), head_end
    end = head_end + length + 2
    if len(buffer) < end:
        return None, 0
    body = bytes(buffer[body_start:end - 2])
    wire_crc = int.from_bytes(buffer[end - 2:end], profile.crc_order)
    address, type_ = body[0], body[1]
    if crc16(body) != wire_crc:
        return Discarded("crc", bytes(buffer[start:end]), address, type_), end
    data = body[fixed:]
    status: int | None = None
    if direction is Direction.REPLY:
        if profile.status_position == "before_length":
            status = body[2]
        else:
            status, data = data[0], data[1:]
    return Frame(address, type_, bytes(data), status), end


def decode(raw: bytes, profile: Profile = PROFILES["seed"],
           direction: Direction | str = Direction.REPLY) -> Frame:
    """Decode exactly one frame; :class:`Sxh485CodecError` if truncated, padded or corrupt."""
    direction = Direction(direction)
    if raw[:2] != profile.header[:len(raw[:2])] or len(raw) < 2:
        raise Sxh485CodecError(
            f"not an SXH485 {direction.value}: starts {raw[:2].hex(' ')!r}, expected header "
            f"{profile.header.hex(' ')} ({profile.name} profile)")
    event, end = _parse_at(raw, 0, profile, direction)
    if event is None:
        raise Sxh485CodecError(f"truncated SXH485 {direction.value} ({len(raw)} bytes): {raw.hex(' ')}")
    if isinstance(event, Discarded):
        raise Sxh485CodecError(f"SXH485 {direction.value} discarded ({event.reason}): {raw.hex(' ')}")
    if end != len(raw):
        raise Sxh485CodecError(f"{len(raw) - end} trailing bytes after an SXH485 {direction.value}")
    return event


class FrameParser:
    """Finds frames in a byte stream with noise; discards bad frames; resynchronises.

    ``feed(data)`` returns the events completed by ``data``: :class:`Frame` for each
    valid frame, :class:`Discarded` for a frame whose CRC fails or whose length is
    impossible (the parser then resumes one byte after that header).  Bytes before a
    header are noise and are counted in ``noise_bytes``.  While a candidate frame is
    incomplete, the parser looks further ahead for a complete valid frame: if one is
    found the candidate was noise (e.g. a stray header with a large bogus length), so a
    corrupted length never stalls the stream.
    """

    def __init__(self, profile: Profile = PROFILES["seed"],
                 direction: Direction | str = Direction.REPLY) -> None:
        self.profile = profile
        self.direction = Direction(direction)
        self._buffer = bytearray()
        self.noise_bytes = 0

    def reset(self) -> None:
        """Forget buffered bytes (e.g. before a retry)."""
        self._buffer.clear()

    @property
    def pending(self) -> int:
        return len(self._buffer)

    def needed(self) -> int:
        """How many more bytes would complete the frame being received (at least 1).

        A hint for readers that block until N bytes arrive (pyserial): asking for
        exactly this many returns as soon as the frame is complete.
        """
        buffer = self._buffer
        fixed = _fixed(self.profile, self.direction)
        head = 2 + fixed
        if not buffer.startswith(self.profile.header) or len(buffer) < head:
            return max(1, head + 2 - len(buffer))
        length = int.from_bytes(buffer[head - self.profile.length_width:head],
                                self.profile.length_order)
        return max(1, head + min(length, self.profile.max_data) + 2 - len(buffer))

    def feed(self, data: bytes | bytearray = b"") -> list[Event]:
        buffer = self._buffer
        buffer += data
        events: list[Event] = []
        header = self.profile.header
        while True:
            start = buffer.find(header)
            if start < 0:
                keep = 1 if buffer[-1:] == header[:1] else 0
                self.noise_bytes += len(buffer) - keep
                del buffer[:len(buffer) - keep]
                return events
            if start:
                self.noise_bytes += start
                del buffer[:start]
            event, end = _parse_at(buffer, 0, self.profile, self.direction)
            if event is None:
                later = self._valid_frame_after(1)
                if later is None:
                    return events
                self.noise_bytes += later
                del buffer[:later]
                continue
            if isinstance(event, Discarded):
                events.append(event)
                del buffer[:2]          # resynchronise just after this header
                continue
            events.append(event)
            del buffer[:end]

    def _valid_frame_after(self, position: int) -> int | None:
        buffer = self._buffer
        while True:
            start = buffer.find(self.profile.header, position)
            if start < 0:
                return None
            event, _ = _parse_at(buffer, start, self.profile, self.direction)
            if isinstance(event, Frame):
                return start
            position = start + 1


def annotate(frame: Frame | Discarded, profile: Profile = PROFILES["seed"]) -> str:
    """One line describing a frame, as logged at DEBUG."""
    if isinstance(frame, Discarded):
        return (f"discarded ({frame.reason}) addr={frame.address} type={frame.type} "
                f"raw={frame.raw.hex(' ')}")
    names = {profile.code(t): t.name for t in MessageType}
    names.update({profile.reply_code(t): t.name + "-reply" for t in MessageType})
    kind = names.get(frame.type, "?")
    text = f"addr={frame.address}{' (broadcast)' if frame.address == BROADCAST else ''} " \
           f"type=0x{frame.type:02X} {kind}"
    if frame.status is not None:
        text += f" status=0x{frame.status:02X}"
        if frame.is_error:
            text += f" (error: {ERROR_TEXT.get(frame.status, 'unknown')})"
    shown = frame.data[:16].hex(' ')
    text += f" len={len(frame.data)} data={shown}{' …' if len(frame.data) > 16 else ''}"
    return text


def iter_frames(chunks: Iterable[bytes], profile: Profile = PROFILES["seed"],
                direction: Direction | str = Direction.REPLY) -> list[Event]:
    """Convenience: every event found in a sequence of chunks."""
    parser = FrameParser(profile, direction)
    events: list[Event] = []
    for chunk in chunks:
        events += parser.feed(chunk)
    return events
