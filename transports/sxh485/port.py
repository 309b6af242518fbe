"""SXH485 parameters as virtual registers: the Port a node map reads and writes.

A serial camera has no register map, so the address itself says what to send
(docs/architecture.md, "The port contract").  A virtual address is ``kind << 28 | type << 20 | offset``::

    0x K TT OOOOO
      │ │  └──── offset (20 bits): byte offset inside ImageData, else 0
      │ └─────── message type, as the ``seed`` profile numbers it (other profiles
      │          translate it through Profile.type_map)
      └───────── kind: what a read / write of this register does

    kind 0 VALUE    read: query (no parameters) → reply data; write: set → echo
    kind 1 IMAGE    read: bytes of the last picture, fetched packet by packet with the
                    type's ReadPacket messages (index 2 B LE → index + bytes)
    kind 2 ADDRESS  like VALUE; after the camera confirms a write the port talks to
                    the new address
    kind 3 BAUD     like VALUE (a BAUD_RATES index); after the camera confirms a
                    write the line switches speed
    kind 4 STATUS   read: query; the value is the reply's status byte
    kind 5 COMMAND  write: send the message (no parameters); read: 0 (done)
    kind 6 CAPTURE  like COMMAND; the reply carries the new picture's size (4 B LE)

So ``Resolution`` is at ``0x0030_0000`` (VALUE, type 0x03) and ``ImageData`` at
``0x1320_0000`` (IMAGE, type 0x32).  ``xml/sxh485.xml`` holds these addresses; a
vendor with different message codes edits the XML, not this module.

Writes to address 255 (broadcast) are sent once and expect no reply; reads from it
are refused.  Timeouts and frames with a bad CRC are retried by the :class:`Bus`.
"""

from __future__ import annotations

import enum
import logging
import threading
from typing import Callable

import attrs

from nodemap.errors import DeviceError, NodeMapError, PortError, ProtocolError

from ..vaddr import Layout, VaddrError
from .bus import Bus
from .protocol import (BAUD_RATES, BROADCAST, ERROR_TEXT, RESERVED, Frame, MessageType,
                       RESOLUTIONS, Profile)

__all__ = ["Kind", "MAX_IMAGE_BYTES", "MAX_PACKETS", "LAYOUT", "VirtualAddress", "SXH485Port", "virtual_address"]

#: kind (4 bits) · message type (8) · offset (20): see the module docstring.
LAYOUT = Layout("SXH485", ("kind", 4), ("type", 8), ("offset", 20))

log = logging.getLogger("nodemap.sxh485")

#: No JPEG from this camera can be larger than its largest resolution in uncompressed RGB
#: (plus 64 KiB of headers): the plausibility bound for announced picture sizes.
MAX_IMAGE_BYTES = max(w * h for w, h in RESOLUTIONS) * 3 + 64 * 1024
#: ImageData packets are indexed with 16 bits.
MAX_PACKETS = 1 << 16

Progress = Callable[[int, int], None]


class Kind(enum.IntEnum):
    VALUE = 0
    IMAGE = 1
    ADDRESS = 2
    BAUD = 3
    STATUS = 4
    COMMAND = 5
    CAPTURE = 6


def virtual_address(kind: Kind | int, message_type: int, offset: int = 0) -> int:
    """The register address of a message type (see the module docstring); a field out
    of range raises :class:`~..vaddr.VaddrError` (a ``ValueError``) naming it."""
    return LAYOUT.pack(kind=int(kind), type=message_type, offset=offset)


@attrs.frozen(slots=True)
class VirtualAddress:
    """A decoded virtual register address: the fields of :data:`LAYOUT`, the kind as a
    :class:`Kind`."""

    kind: Kind = attrs.field(converter=Kind)
    type: int = 0
    offset: int = 0

    @classmethod
    def decode(cls, address: int) -> "VirtualAddress":
        try:
            fields = LAYOUT.unpack(address)
        except VaddrError as exc:
            raise PortError(f"{exc} (see transports/sxh485/port.py for the layout)") from None
        try:
            return cls(*fields)
        except ValueError:
            raise PortError(
                f"SXH485 virtual address 0x{address:X} has kind {fields[0]}, which no SXH485 "
                f"register uses (kinds 0–6, see transports/sxh485/port.py)") from None

    def encode(self) -> int:
        return virtual_address(self.kind, self.type, self.offset)


def _status_text(status: int) -> str:
    return ERROR_TEXT.get(status, f"error status 0x{status:02X}")


class SXH485Port:
    """The Port of one camera (``address``) on a shared :class:`Bus`."""

    def __init__(self, bus: Bus, address: int, *, timeout: float = 0.5, retries: int = 3) -> None:
        self.bus = bus
        self._address = check_address(address)
        self.timeout = timeout
        self.retries = retries
        self._lock = threading.RLock()
        self._image_size: int | None = None
        self._packets: dict[int, bytes] = {}
        self.closed = False

    @property
    def address(self) -> int:
        return self._address

    @property
    def profile(self) -> Profile:
        return self.bus.profile

    @property
    def is_broadcast(self) -> bool:
        return self._address == BROADCAST

    def __repr__(self) -> str:
        return f"<SXH485Port {self.bus.url} address={self._address} profile={self.profile.name}>"

    # -- messages --------------------------------------------------------------------------
    def request(self, message_type: int, data: bytes = b"", *,
                accept: Callable[[Frame], bool] | None = None,
                after: Callable[[Frame | None], None] | None = None,
                what: str = "") -> Frame | None:
        """Send a message (``message_type`` in ``seed`` numbering) and return the reply
        (None for broadcast).  An error status raises :class:`DeviceError`."""
        if self.closed:
            raise PortError(f"SXH485 port for address {self._address} is closed")
        profile = self.profile
        frame = Frame(self._address, profile.code(message_type), bytes(data))
        reply = self.bus.transact(frame, reply_type=profile.reply_code(message_type),
                                  timeout=self.timeout, retries=self.retries,
                                  accept=accept, after=after)
        if reply is not None and reply.is_error:
            label = what or f"message type 0x{message_type:02X}"
            raise DeviceError(
                f"SXH485 camera at address {self._address} rejected {label}: "
                f"{_status_text(reply.status or 0)}", status=reply.status)
        return reply

    # -- Port contract ---------------------------------------------------------------------
    def read(self, address: int, length: int) -> bytes:
        try:
            return self._read(address, length)
        except NodeMapError as exc:
            raise exc.locate(address=address)

    def write(self, address: int, data: bytes) -> None:
        try:
            self._write(address, data)
        except NodeMapError as exc:
            raise exc.locate(address=address)

    def _read(self, address: int, length: int) -> bytes:
        where = VirtualAddress.decode(address)
        if self.is_broadcast:
            raise PortError(
                f"cannot read register 0x{address:X} from the broadcast address 255: nobody "
                f"answers a broadcast; open the camera at its own address to read")
        what = f"read of register 0x{address:X}"
        with self._lock:
            if where.kind is Kind.IMAGE:
                return self.read_image(where.offset, length, message_type=where.type)
            self._require_no_offset(where, address)
            if where.kind in (Kind.COMMAND, Kind.CAPTURE):
                return bytes(length)            # commands complete before they are confirmed
            reply = self.request(where.type, what=what)
            assert reply is not None
            if where.kind is Kind.STATUS:
                return (reply.status or 0).to_bytes(length, "little") if length else b""
            if len(reply.data) != length:
                raise ProtocolError(
                    f"SXH485 camera at address {self._address} answered {len(reply.data)} bytes "
                    f"to the {what} (message type 0x{where.type:02X}); the description expects "
                    f"{length}: check the register Length in the XML")
            if where.type == MessageType.IMAGE_INFO and length:
                self._note_size(int.from_bytes(reply.data, "little"))
            return reply.data

    def _write(self, address: int, data: bytes) -> None:
        where = VirtualAddress.decode(address)
        data = bytes(data)
        what = f"write of {data.hex(' ') or 'nothing'} to register 0x{address:X}"
        with self._lock:
            if where.kind in (Kind.IMAGE, Kind.STATUS):
                raise PortError(f"register 0x{address:X} ({where.kind.name}) is read-only")
            self._require_no_offset(where, address)
            self._packets.clear()
            if where.kind in (Kind.COMMAND, Kind.CAPTURE):
                reply = self.request(where.type, what=what)
                if where.kind is Kind.CAPTURE:
                    self._image_size = None
                    if reply is not None and len(reply.data) >= 4:
                        self._image_size = self._plausible_size(
                            int.from_bytes(reply.data[:4], "little"))
                return
            after: Callable[[Frame | None], None] | None = None
            if where.kind is Kind.BAUD:
                after = self._baud_switcher(data, address)
            accept = (lambda reply: reply.data == data) if data else None
            reply = self.request(where.type, data, accept=accept, after=after, what=what)
            if where.kind is Kind.ADDRESS and reply is not None:
                new = int.from_bytes(data, "little")
                log.debug("%s: camera %d now answers at address %d", self.bus.url,
                          self._address, new)
                self._address = new

    def _baud_switcher(self, data: bytes, address: int) -> Callable[[Frame | None], None]:
        index = int.from_bytes(data, "little")
        if not 0 <= index < len(BAUD_RATES):
            raise PortError(f"BaudRate index {index} (register 0x{address:X}) is not one of "
                            f"0–{len(BAUD_RATES) - 1} ({', '.join(map(str, BAUD_RATES))} bd)")

        def switch(reply: Frame | None) -> None:
            # The camera confirmed at the old speed (or, for a broadcast, the frame is out):
            # only now does the line change speed.
            self.bus.set_baudrate(BAUD_RATES[index])
        return switch

    @staticmethod
    def _require_no_offset(where: VirtualAddress, address: int) -> None:
        if where.offset:
            raise PortError(f"SXH485 register 0x{address:X}: only ImageData registers take an "
                            f"offset; parameters are read and written whole")

    # -- pictures --------------------------------------------------------------------------
    def _plausible_size(self, size: int) -> int:
        """``size`` if a picture of that many bytes can come from this camera, else PortError.

        The largest resolution's uncompressed RGB (:data:`MAX_IMAGE_BYTES`) bounds any JPEG
        it can send; a larger announcement is a confused or hostile camera.
        """
        if not 0 <= size <= MAX_IMAGE_BYTES:
            width, height = max(RESOLUTIONS)
            raise PortError(
                f"SXH485 camera at address {self._address} announces a picture of {size} bytes "
                f"(0x{size:X}); no picture of this camera can exceed {MAX_IMAGE_BYTES} bytes "
                f"({width}×{height} uncompressed RGB): the camera or the line is faulty — "
                f"power-cycle it and take the picture again")
        return size

    def _note_size(self, size: int) -> None:
        self._plausible_size(size)
        if size != self._image_size:
            self._packets.clear()
        self._image_size = size

    def capture(self) -> int:
        """Take a picture; return its size in bytes (confirmed with ImageInfo)."""
        with self._lock:
            self.write(virtual_address(Kind.CAPTURE, MessageType.CAPTURE), b"\x01")
            # Ask again rather than trust the capture reply: after a retried capture the
            # first reply may describe the picture the retry replaced.
            return self.image_size()

    def image_size(self) -> int:
        """Size of the last picture (asks the camera)."""
        return int.from_bytes(self.read(virtual_address(Kind.VALUE, MessageType.IMAGE_INFO), 4),
                              "little")

    def _packet(self, index: int, message_type: int) -> bytes:
        cached = self._packets.get(index)
        if cached is not None:
            return cached
        wanted = index.to_bytes(2, "little")
        reply = self.request(message_type, wanted, accept=lambda r: r.data[:2] == wanted,
                             what=f"ImageData packet {index}")
        assert reply is not None
        chunk = reply.data[2:]
        self._packets[index] = chunk
        return chunk

    def read_image(self, offset: int, length: int, progress: Progress | None = None, *,
                   message_type: int = MessageType.READ_PACKET) -> bytes:
        """``length`` bytes of the last picture from ``offset``, packet by packet.

        The packet size is learnt from packet 0 (a full packet unless the picture is
        smaller); each later packet must have exactly the expected length.
        """
        with self._lock:
            size = self._image_size if self._image_size is not None else self.image_size()
            self._plausible_size(size)
            if size == 0 and length:
                raise PortError(
                    f"camera at address {self._address} holds no picture yet: execute "
                    f"TriggerSoftware (or call snapshot()) before reading ImageData")
            if offset + length > size:
                raise PortError(
                    f"ImageData read of {length} bytes at offset {offset} passes the end of the "
                    f"{size}-byte picture at address {self._address}; read ImageSize first")
            if length == 0:
                return b""
            first = self._packet(0, message_type)
            if not first:
                raise ProtocolError(
                    f"SXH485 camera {self._address} sent an empty first packet of a "
                    f"{size}-byte picture")
            packet_size = len(first)
            count = -(-size // packet_size)
            if count > MAX_PACKETS:
                raise PortError(
                    f"SXH485 camera at address {self._address}: a {size}-byte picture in "
                    f"{packet_size}-byte packets needs {count} packets, more than the "
                    f"{MAX_PACKETS} a 16-bit packet index can name; set a larger PacketSize")
            start, stop = offset // packet_size, (offset + length - 1) // packet_size
            skip = offset - start * packet_size
            out = bytearray()
            for index in range(start, stop + 1):
                chunk = self._packet(index, message_type)
                expected = min(packet_size, size - index * packet_size)
                if len(chunk) != expected:
                    self._packets.pop(index, None)
                    raise ProtocolError(
                        f"ImageData packet {index}/{count} from camera {self._address} has "
                        f"{len(chunk)} bytes, expected {expected} (packet size {packet_size}, "
                        f"picture {size} bytes); was PacketSize changed meanwhile?")
                out += chunk
                if progress is not None:
                    progress(min(max(0, len(out) - skip), length), length)
            return bytes(out[skip:skip + length])

    def close(self) -> None:
        self.closed = True


def check_address(address: int) -> int:
    """Validate a camera address from a URL or feature (1–254, or 255 for broadcast)."""
    if address == RESERVED or not 0 < address <= BROADCAST:
        raise PortError(f"SXH485 address {address} is invalid: use 1–254, or 255 to broadcast "
                        f"(0 is reserved)")
    return address
