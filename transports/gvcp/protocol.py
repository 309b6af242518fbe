"""GVCP (GigE Vision Control Protocol) codec: bytes in, typed packets out — no I/O.

Sans-IO in the h11 sense: nothing here touches a socket, a clock or a thread.  The
client (:mod:`.client`), the discovery helper (:mod:`.discovery`) and the simulated
device (:mod:`.device`) all use these classes, so the wire format lives in one place.

Layout (big-endian, UDP 3956)::

    command  42 flags cmd(2) length(2) req_id(2) payload
    ack      status(2) ack(2) length(2) req_id(2) payload

:func:`decode` tells a command (first byte 0x42) from an ack and returns the typed
packet; every class has ``encode()`` and a ``__str__`` in the annotated form that the
client and the device log at DEBUG.  Truncated or inconsistent bytes raise
:class:`GvcpCodecError` (this codec imports nothing of the engine; the shells translate
it); :func:`status_message` words a GEV status code and its remedy.

The READREG/WRITEREG fast path is codec functions too: :func:`encode_readreg1`,
:func:`encode_writereg1` pack a one-register request with one precompiled struct, and
:func:`success_ack_header` is the exact 8-byte header of the success ack a client may
accept by comparing bytes (``tests/transports/gvcp/test_fast_path.py`` pins all three
equal to the full codec).
"""

from __future__ import annotations

import enum
import ipaddress
import struct
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Union

import attrs

from ..codec import CodecError

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = [
    "GVCP_PORT", "KEY", "FLAG_ACK_REQUIRED", "FLAG_BROADCAST_ACK", "FLAG_EXTENDED_ID",
    "FLAG_SCHEDULED_ACTION",
    "MAX_READREG", "MAX_WRITEREG", "MAX_MEM", "DISCOVERY_PAYLOAD",
    "GvcpCodecError", "Cmd", "Status", "Capability", "Register", "status_name",
    "status_message", "REMEDIES", "encode_readreg1", "encode_writereg1", "success_ack_header",
    "u32_at",
    "DeviceInfo", "EventItem",
    "DiscoveryCmd", "DiscoveryAck", "ForceIpCmd", "ForceIpAck",
    "ReadRegCmd", "ReadRegAck", "WriteRegCmd", "WriteRegAck",
    "ReadMemCmd", "ReadMemAck", "WriteMemCmd", "WriteMemAck",
    "PendingAck", "PacketResendCmd", "EventCmd", "EventAck", "EventDataCmd", "EventDataAck",
    "ActionCmd", "ActionAck", "Command", "Ack", "Packet",
    "decode", "decode_command", "decode_ack", "expected_ack", "format_mac", "parse_mac",
    "stream_channel_register",
]

GVCP_PORT = 3956
KEY = 0x42
FLAG_ACK_REQUIRED = 0x01
FLAG_BROADCAST_ACK = 0x10          # DISCOVERY: the device may answer by broadcast
FLAG_EXTENDED_ID = 0x10            # PACKETRESEND/EVENT: 64-bit block id, 32-bit packet ids
FLAG_SCHEDULED_ACTION = 0x80       # ACTION: an 8-byte action time follows the keys
MAX_READREG = 135                  # addresses in one READREG (540-byte payload)
MAX_WRITEREG = 67                  # address/value pairs in one WRITEREG (536-byte payload)
MAX_MEM = 536                      # bytes in one READMEM/WRITEMEM
DISCOVERY_PAYLOAD = 248            # bootstrap 0x0000-0x00F7

_HEADER = struct.Struct(">BBHHH")
_ACK_HEADER = struct.Struct(">HHHH")
_U32 = struct.Struct(">I")
_READREG_1 = struct.Struct(">BBHHHI")      # command header + one address
_WRITEREG_1 = struct.Struct(">BBHHHII")    # command header + one address/value pair


class GvcpCodecError(CodecError):
    """GVCP bytes that do not decode: truncated, inconsistent or of an unknown code."""


class Cmd(enum.IntEnum):
    """Command and acknowledge codes."""

    DISCOVERY = 0x0002
    DISCOVERY_ACK = 0x0003
    FORCEIP = 0x0004
    FORCEIP_ACK = 0x0005
    PACKETRESEND = 0x0040
    READREG = 0x0080
    READREG_ACK = 0x0081
    WRITEREG = 0x0082
    WRITEREG_ACK = 0x0083
    READMEM = 0x0084
    READMEM_ACK = 0x0085
    WRITEMEM = 0x0086
    WRITEMEM_ACK = 0x0087
    PENDING_ACK = 0x0089
    EVENT = 0x00C0
    EVENT_ACK = 0x00C1
    EVENTDATA = 0x00C2
    EVENTDATA_ACK = 0x00C3
    ACTION = 0x0100
    ACTION_ACK = 0x0101


class Status(enum.IntEnum):
    """GEV status codes (GigE Vision 2.x, table 19-1)."""

    SUCCESS = 0x0000
    PACKET_RESEND = 0x0100
    NOT_IMPLEMENTED = 0x8001
    INVALID_PARAMETER = 0x8002
    INVALID_ADDRESS = 0x8003
    WRITE_PROTECT = 0x8004
    BAD_ALIGNMENT = 0x8005
    ACCESS_DENIED = 0x8006
    BUSY = 0x8007
    LOCAL_PROBLEM = 0x8008
    MSG_MISMATCH = 0x8009
    INVALID_PROTOCOL = 0x800A
    NO_MSG = 0x800B
    PACKET_UNAVAILABLE = 0x800C
    DATA_OVERRUN = 0x800D
    INVALID_HEADER = 0x800E
    WRONG_CONFIG = 0x800F
    PACKET_NOT_YET_AVAILABLE = 0x8010
    PACKET_AND_PREV_REMOVED_FROM_MEMORY = 0x8011
    PACKET_REMOVED_FROM_MEMORY = 0x8012
    NO_REF_TIME = 0x8013
    PACKET_TEMPORARILY_UNAVAILABLE = 0x8014
    OVERFLOW = 0x8015
    ACTION_LATE = 0x8016
    LEADER_TRAILER_OVERFLOW = 0x8017
    ERROR = 0x8FFF


_REMEDIES: dict[int, str] = {
    Status.NOT_IMPLEMENTED: "the device does not implement this command",
    Status.INVALID_PARAMETER: "check the count/length of the request",
    Status.INVALID_ADDRESS: "the address is not implemented by the device; check the XML's register address",
    Status.WRITE_PROTECT: "the register is read-only",
    Status.BAD_ALIGNMENT: "addresses and lengths must be multiples of 4",
    Status.ACCESS_DENIED: "another application controls the device (or this one lost control): "
                          "close the other application or reopen with control",
    Status.BUSY: "the device is busy; try again",
}


class Capability(enum.IntFlag):
    """GVCP capability register (0x0934) bits used by this project."""

    CONCATENATION = 0x00000001
    WRITEMEM = 0x00000002
    PACKETRESEND = 0x00000004
    EVENT = 0x00000008
    EVENTDATA = 0x00000010
    PENDING_ACK = 0x00000020
    ACTION = 0x00000040
    SCHEDULED_ACTION = 0x00020000
    EXTENDED_STATUS_2 = 0x00040000
    UNCONDITIONAL_ACTION = 0x00100000
    SWITCHOVER = 0x00200000
    EXTENDED_STATUS = 0x00400000
    HEARTBEAT_DISABLE = 0x20000000
    SERIAL_NUMBER = 0x40000000
    USER_DEFINED_NAME = 0x80000000


class Register(enum.IntEnum):
    """Bootstrap register addresses (GigE Vision 2.x)."""

    VERSION = 0x0000
    DEVICE_MODE = 0x0004
    MAC_HIGH = 0x0008
    MAC_LOW = 0x000C
    SUPPORTED_IP_CONFIG = 0x0010
    CURRENT_IP_CONFIG = 0x0014
    CURRENT_IP = 0x0024
    SUBNET_MASK = 0x0034
    GATEWAY = 0x0044
    MANUFACTURER_NAME = 0x0048
    MODEL_NAME = 0x0068
    DEVICE_VERSION = 0x0088
    MANUFACTURER_INFO = 0x00A8
    SERIAL_NUMBER = 0x00D8
    USER_DEFINED_NAME = 0x00E8
    FIRST_URL = 0x0200
    SECOND_URL = 0x0400
    NUMBER_OF_INTERFACES = 0x0600
    MESSAGE_CHANNELS = 0x0900
    STREAM_CHANNELS = 0x0904
    ACTION_SIGNALS = 0x0908
    GVCP_CAPABILITY = 0x0934
    HEARTBEAT_TIMEOUT = 0x0938
    TIMESTAMP_FREQ_HIGH = 0x093C
    TIMESTAMP_FREQ_LOW = 0x0940
    TIMESTAMP_CONTROL = 0x0944
    TIMESTAMP_VALUE_HIGH = 0x0948
    TIMESTAMP_VALUE_LOW = 0x094C
    DISCOVERY_ACK_DELAY = 0x0950
    GVCP_CONFIGURATION = 0x0954
    PENDING_TIMEOUT = 0x0958
    CCP = 0x0A00
    PRIMARY_APP_PORT = 0x0A04
    PRIMARY_APP_IP = 0x0A14
    MCP = 0x0B00
    MCDA = 0x0B10
    MCTT = 0x0B14
    MCRC = 0x0B18
    MCSP = 0x0B1C
    SCP0 = 0x0D00
    SCPS0 = 0x0D04
    SCPD0 = 0x0D08
    SCDA0 = 0x0D18
    SCSP0 = 0x0D1C
    SCC0 = 0x0D20
    SCCFG0 = 0x0D24
    MANUFACTURER_SPECIFIC = 0xA000


URL_LENGTH = 512
CCP_EXCLUSIVE = 0x1
CCP_CONTROL = 0x2
CCP_SWITCHOVER = 0x4


def stream_channel_register(base: Register | int, channel: int) -> int:
    """Address of a stream-channel register for channel ``n`` (0x0D00 + 0x40·n)."""
    return int(base) + 0x40 * channel


def status_name(status: int) -> str:
    try:
        return f"GEV_STATUS_{Status(status).name}"
    except ValueError:
        return f"GEV_STATUS_0x{status:04X}"


REMEDIES = _REMEDIES


def status_message(status: int, what: str = "") -> str:
    """The words for a non-success GEV status: ``what``, the code by name, a remedy."""
    remedy = _REMEDIES.get(status, "")
    text = f"{what + ': ' if what else ''}device answered {status_name(status)} (0x{status:04X})"
    if remedy:
        text += f" — {remedy}"
    return text


def format_mac(mac: int) -> str:
    return ":".join(f"{(mac >> shift) & 0xFF:02x}" for shift in range(40, -8, -8))


def parse_mac(text: str | int) -> int:
    if isinstance(text, int):
        return text
    parts = text.replace("-", ":").split(":")
    if len(parts) != 6:
        raise ValueError(f"{text!r} is not a MAC address (expected aa:bb:cc:dd:ee:ff)")
    return int("".join(f"{int(p, 16):02x}" for p in parts), 16)


def _ip(value: int) -> str:
    return str(ipaddress.IPv4Address(value))


def _ip_int(value: str | int) -> int:
    return value if isinstance(value, int) else int(ipaddress.IPv4Address(value))


def _cstr(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode("latin-1")


def _fixed(text: str, size: int) -> bytes:
    raw = text.encode("latin-1")
    if len(raw) > size:
        raise ValueError(f"{text!r} is longer than {size} bytes")
    return raw.ljust(size, b"\0")


def _need(payload: bytes, size: int, what: str) -> None:
    if len(payload) < size:
        raise GvcpCodecError(f"{what}: payload of {len(payload)} bytes is truncated (need {size})")


# --------------------------------------------------------------------------- device info

@attrs.frozen(slots=True)
class DeviceInfo:
    """The discovery block (bootstrap 0x0000-0x00F7) as a typed record."""

    spec_version: int = 0x00020000
    device_mode: int = 0x80000001
    mac: int = 0
    supported_ip_config: int = 0x7
    current_ip_config: int = 0x5
    ip: str = "0.0.0.0"
    mask: str = "0.0.0.0"
    gateway: str = "0.0.0.0"
    manufacturer: str = ""
    model: str = ""
    device_version: str = ""
    manufacturer_info: str = ""
    serial: str = ""
    user_name: str = ""
    reserved: int = 0   # the 2 bytes before the MAC; kept so foreign acks round-trip

    _S = struct.Struct(">IIHHIII12sI12sI12sI32s32s32s48s16s16s")

    @property
    def mac_address(self) -> str:
        return format_mac(self.mac)

    @property
    def spec_major(self) -> int:
        return self.spec_version >> 16

    @property
    def spec_minor(self) -> int:
        return self.spec_version & 0xFFFF

    @property
    def ip_config(self) -> str:
        """The current IP configuration in words (LLA / DHCP / persistent IP)."""
        names = [name for bit, name in ((0x4, "LLA"), (0x2, "DHCP"), (0x1, "PersistentIP"))
                 if self.current_ip_config & bit]
        return "+".join(names) or "none"

    def encode(self) -> bytes:
        z = b"\0" * 12
        return self._S.pack(
            self.spec_version, self.device_mode, self.reserved, self.mac >> 32, self.mac & 0xFFFFFFFF,
            self.supported_ip_config, self.current_ip_config, z, _ip_int(self.ip), z,
            _ip_int(self.mask), z, _ip_int(self.gateway), _fixed(self.manufacturer, 32),
            _fixed(self.model, 32), _fixed(self.device_version, 32),
            _fixed(self.manufacturer_info, 48), _fixed(self.serial, 16), _fixed(self.user_name, 16))

    @classmethod
    def decode(cls, payload: bytes) -> "DeviceInfo":
        _need(payload, DISCOVERY_PAYLOAD, "DISCOVERY_ACK")
        (spec, mode, reserved, mac_hi, mac_lo, sup, cur, _z1, ip, _z2, mask, _z3, gw, manu, model,
         ver, info, serial, user) = cls._S.unpack_from(payload)
        return cls(spec, mode, (mac_hi << 32) | mac_lo, sup, cur, _ip(ip), _ip(mask), _ip(gw),
                   _cstr(manu), _cstr(model), _cstr(ver), _cstr(info), _cstr(serial), _cstr(user),
                   reserved)

    def __str__(self) -> str:
        return (f"{self.manufacturer} {self.model} ({self.serial or 'no serial'}) "
                f"MAC {self.mac_address} IP {self.ip}/{self.mask} gw {self.gateway} "
                f"[{self.ip_config}] spec {self.spec_major}.{self.spec_minor}"
                f"{' user ' + repr(self.user_name) if self.user_name else ''}")


# --------------------------------------------------------------------------- commands

def _header(flags: int, cmd: int, payload: bytes, req_id: int) -> bytes:
    return _HEADER.pack(KEY, flags, cmd, len(payload), req_id) + payload


def _ack_header(status: int, ack: int, payload: bytes, req_id: int) -> bytes:
    return _ACK_HEADER.pack(status, ack, len(payload), req_id) + payload


@attrs.frozen(slots=True)
class DiscoveryCmd:
    req_id: int
    broadcast_ack: bool = False
    flags: int = attrs.field(default=None)

    code = Cmd.DISCOVERY

    def __attrs_post_init__(self) -> None:
        if self.flags is None:
            object.__setattr__(self, "flags",
                               FLAG_ACK_REQUIRED | (FLAG_BROADCAST_ACK if self.broadcast_ack else 0))

    def encode(self) -> bytes:
        return _header(self.flags, self.code, b"", self.req_id)

    @classmethod
    def _decode(cls, flags: int, req_id: int, payload: bytes) -> "DiscoveryCmd":
        return cls(req_id, bool(flags & FLAG_BROADCAST_ACK), flags)

    def __str__(self) -> str:
        return f"DISCOVERY_CMD id={self.req_id}{' broadcast-ack' if self.broadcast_ack else ''}"


@attrs.frozen(slots=True)
class ForceIpCmd:
    req_id: int
    mac: int
    ip: str
    mask: str
    gateway: str
    flags: int = FLAG_ACK_REQUIRED

    code = Cmd.FORCEIP
    _S = struct.Struct(">HHI12sI12sI12sI")

    def encode(self) -> bytes:
        z = b"\0" * 12
        payload = self._S.pack(0, self.mac >> 32, self.mac & 0xFFFFFFFF, z, _ip_int(self.ip), z,
                               _ip_int(self.mask), z, _ip_int(self.gateway))
        return _header(self.flags, self.code, payload, self.req_id)

    @classmethod
    def _decode(cls, flags: int, req_id: int, payload: bytes) -> "ForceIpCmd":
        _need(payload, cls._S.size, "FORCEIP_CMD")
        _r, hi, lo, _z1, ip, _z2, mask, _z3, gw = cls._S.unpack_from(payload)
        return cls(req_id, (hi << 32) | lo, _ip(ip), _ip(mask), _ip(gw), flags)

    def __str__(self) -> str:
        return (f"FORCEIP_CMD id={self.req_id} MAC {format_mac(self.mac)} → {self.ip}/{self.mask} "
                f"gw {self.gateway}")


@attrs.frozen(slots=True)
class ReadRegCmd:
    req_id: int
    addresses: tuple[int, ...]
    flags: int = FLAG_ACK_REQUIRED

    code = Cmd.READREG

    def encode(self) -> bytes:
        n = len(self.addresses)
        if not 1 <= n <= MAX_READREG:
            raise ValueError(f"READREG takes 1..{MAX_READREG} addresses, not {n}")
        return _header(self.flags, self.code, struct.pack(f">{n}I", *self.addresses), self.req_id)

    @classmethod
    def _decode(cls, flags: int, req_id: int, payload: bytes) -> "ReadRegCmd":
        if not payload or len(payload) % 4:
            raise GvcpCodecError(f"READREG_CMD payload of {len(payload)} bytes is not a non-empty "
                                "multiple of 4")
        return cls(req_id, struct.unpack(f">{len(payload) // 4}I", payload), flags)

    def __str__(self) -> str:
        return f"READREG_CMD id={self.req_id} [{', '.join(f'0x{a:08X}' for a in self.addresses)}]"


@attrs.frozen(slots=True)
class WriteRegCmd:
    req_id: int
    pairs: tuple[tuple[int, int], ...]
    flags: int = FLAG_ACK_REQUIRED

    code = Cmd.WRITEREG

    def encode(self) -> bytes:
        n = len(self.pairs)
        if not 1 <= n <= MAX_WRITEREG:
            raise ValueError(f"WRITEREG takes 1..{MAX_WRITEREG} pairs, not {n}")
        flat = [x for pair in self.pairs for x in pair]
        return _header(self.flags, self.code, struct.pack(f">{2 * n}I", *flat), self.req_id)

    @classmethod
    def _decode(cls, flags: int, req_id: int, payload: bytes) -> "WriteRegCmd":
        if not payload or len(payload) % 8:
            raise GvcpCodecError(f"WRITEREG_CMD payload of {len(payload)} bytes is not a non-empty "
                                "multiple of 8")
        flat = struct.unpack(f">{len(payload) // 4}I", payload)
        return cls(req_id, tuple(zip(flat[0::2], flat[1::2])), flags)

    def __str__(self) -> str:
        body = ", ".join(f"0x{a:08X}=0x{v:08X}" for a, v in self.pairs)
        return f"WRITEREG_CMD id={self.req_id} [{body}]"


@attrs.frozen(slots=True)
class ReadMemCmd:
    req_id: int
    address: int
    count: int
    flags: int = FLAG_ACK_REQUIRED

    code = Cmd.READMEM
    _S = struct.Struct(">IHH")

    def encode(self) -> bytes:
        return _header(self.flags, self.code, self._S.pack(self.address, 0, self.count), self.req_id)

    @classmethod
    def _decode(cls, flags: int, req_id: int, payload: bytes) -> "ReadMemCmd":
        _need(payload, 8, "READMEM_CMD")
        address, _r, count = cls._S.unpack_from(payload)
        return cls(req_id, address, count, flags)

    def __str__(self) -> str:
        return f"READMEM_CMD id={self.req_id} 0x{self.address:08X} +{self.count}"


@attrs.frozen(slots=True)
class WriteMemCmd:
    req_id: int
    address: int
    data: bytes
    flags: int = FLAG_ACK_REQUIRED

    code = Cmd.WRITEMEM

    def encode(self) -> bytes:
        if len(self.data) > MAX_MEM:
            raise ValueError(f"WRITEMEM takes at most {MAX_MEM} bytes, not {len(self.data)}")
        return _header(self.flags, self.code, _U32.pack(self.address) + self.data, self.req_id)

    @classmethod
    def _decode(cls, flags: int, req_id: int, payload: bytes) -> "WriteMemCmd":
        _need(payload, 4, "WRITEMEM_CMD")
        return cls(req_id, _U32.unpack_from(payload)[0], bytes(payload[4:]), flags)

    def __str__(self) -> str:
        return f"WRITEMEM_CMD id={self.req_id} 0x{self.address:08X} {self.data[:16].hex(' ')}" + (
            " …" if len(self.data) > 16 else "") + f" ({len(self.data)} bytes)"


@attrs.frozen(slots=True)
class PacketResendCmd:
    """Ask the device to send a block's packets ``first_packet..last_packet`` again.

    Standard mode (12-byte payload): ``stream_channel(2) block_id(2) first(4) last(4)``
    with 24-bit packet ids.  Extended-ID mode (GigE Vision 2.0; flag 0x10 on the command,
    20-byte payload): ``stream_channel(2) reserved(2) first(4) last(4) block_id(8)`` with
    32-bit packet ids and a 64-bit block id.  ``extended=True`` sets the flag and vice versa.
    """

    req_id: int
    stream_channel: int
    block_id: int
    first_packet: int
    last_packet: int
    flags: int = 0
    extended: bool = False

    code = Cmd.PACKETRESEND
    _S = struct.Struct(">HHII")
    _S_EXT = struct.Struct(">HHIIQ")

    def __attrs_post_init__(self) -> None:
        if self.extended:
            object.__setattr__(self, "flags", self.flags | FLAG_EXTENDED_ID)
        elif self.flags & FLAG_EXTENDED_ID:
            object.__setattr__(self, "extended", True)

    def encode(self) -> bytes:
        if self.extended:
            payload = self._S_EXT.pack(self.stream_channel, 0, self.first_packet & 0xFFFFFFFF,
                                       self.last_packet & 0xFFFFFFFF, self.block_id)
        else:
            payload = self._S.pack(self.stream_channel, self.block_id, self.first_packet & 0xFFFFFF,
                                   self.last_packet & 0xFFFFFF)
        return _header(self.flags, self.code, payload, self.req_id)

    @classmethod
    def _decode(cls, flags: int, req_id: int, payload: bytes) -> "PacketResendCmd":
        if flags & FLAG_EXTENDED_ID:
            _need(payload, 20, "extended-ID PACKETRESEND_CMD")
            channel, _r, first, last, block = cls._S_EXT.unpack_from(payload)
            return cls(req_id, channel, block, first, last, flags)
        _need(payload, 12, "PACKETRESEND_CMD")
        channel, block, first, last = cls._S.unpack_from(payload)
        return cls(req_id, channel, block, first & 0xFFFFFF, last & 0xFFFFFF, flags)

    def __str__(self) -> str:
        return (f"PACKETRESEND_CMD id={self.req_id} channel {self.stream_channel} block "
                f"{self.block_id} packets {self.first_packet}..{self.last_packet}"
                f"{' [ext-id]' if self.extended else ''}")


@attrs.frozen(slots=True)
class EventItem:
    """One event of an EVENT command, or the header of an EVENTDATA command.

    Standard (16 bytes): ``reserved(2) event_id(2) stream_channel(2) block_id(2)
    timestamp(8)``.  Extended-ID mode (GigE Vision 2.0, flag 0x10 on the command; 24
    bytes): ``event_size(2) event_id(2) stream_channel(2) reserved(2) block_id(8)
    timestamp(8)``, where ``event_size`` counts the item and its EVENTDATA data.
    """

    event_id: int
    stream_channel: int = 0xFFFF
    block_id: int = 0
    timestamp: int = 0

    _S = struct.Struct(">HHHHII")
    _S_EXT = struct.Struct(">HHHHQQ")

    @staticmethod
    def size(extended: bool = False) -> int:
        return 24 if extended else 16

    def encode(self, extended: bool = False, data_length: int = 0) -> bytes:
        if extended:
            return self._S_EXT.pack(24 + data_length, self.event_id, self.stream_channel, 0,
                                    self.block_id & 0xFFFFFFFFFFFFFFFF,
                                    self.timestamp & 0xFFFFFFFFFFFFFFFF)
        return self._S.pack(0, self.event_id, self.stream_channel, self.block_id & 0xFFFF,
                            self.timestamp >> 32, self.timestamp & 0xFFFFFFFF)

    @classmethod
    def decode(cls, raw: bytes, offset: int = 0, extended: bool = False) -> "EventItem":
        if extended:
            _size, event_id, channel, _r, block, stamp = cls._S_EXT.unpack_from(raw, offset)
            return cls(event_id, channel, block, stamp)
        _r, event_id, channel, block, hi, lo = cls._S.unpack_from(raw, offset)
        return cls(event_id, channel, block, (hi << 32) | lo)

    def __str__(self) -> str:
        return f"event 0x{self.event_id:04X} channel {self.stream_channel} block {self.block_id} t={self.timestamp}"


def _extended_flag(command: Any) -> None:
    """``extended=True`` sets FLAG_EXTENDED_ID on the flags, and a flag sets ``extended``."""
    if command.extended:
        object.__setattr__(command, "flags", command.flags | FLAG_EXTENDED_ID)
    elif command.flags & FLAG_EXTENDED_ID:
        object.__setattr__(command, "extended", True)


@attrs.frozen(slots=True)
class EventCmd:
    """EVENT_CMD: one or more event items (16 bytes each, 24 in extended-ID mode)."""

    req_id: int
    events: tuple[EventItem, ...]
    flags: int = FLAG_ACK_REQUIRED
    extended: bool = False

    code = Cmd.EVENT

    def __attrs_post_init__(self) -> None:
        _extended_flag(self)

    def encode(self) -> bytes:
        return _header(self.flags, self.code,
                       b"".join(e.encode(self.extended) for e in self.events), self.req_id)

    @classmethod
    def _decode(cls, flags: int, req_id: int, payload: bytes) -> "EventCmd":
        extended = bool(flags & FLAG_EXTENDED_ID)
        step = EventItem.size(extended)
        if not payload or len(payload) % step:
            raise GvcpCodecError(f"{'extended-ID ' if extended else ''}EVENT_CMD payload of "
                                 f"{len(payload)} bytes is not a non-empty multiple of {step}")
        return cls(req_id, tuple(EventItem.decode(payload, i, extended)
                                 for i in range(0, len(payload), step)), flags)

    def __str__(self) -> str:
        return (f"EVENT_CMD id={self.req_id}{' [ext-id]' if self.extended else ''} "
                f"[{'; '.join(map(str, self.events))}]")


@attrs.frozen(slots=True)
class EventDataCmd:
    """EVENTDATA_CMD: one event item (16 or, extended-ID, 24 bytes) then device data."""

    req_id: int
    event: EventItem
    data: bytes = b""
    flags: int = FLAG_ACK_REQUIRED
    extended: bool = False

    code = Cmd.EVENTDATA

    def __attrs_post_init__(self) -> None:
        _extended_flag(self)

    def encode(self) -> bytes:
        return _header(self.flags, self.code,
                       self.event.encode(self.extended, len(self.data)) + self.data, self.req_id)

    @classmethod
    def _decode(cls, flags: int, req_id: int, payload: bytes) -> "EventDataCmd":
        extended = bool(flags & FLAG_EXTENDED_ID)
        step = EventItem.size(extended)
        _need(payload, step, "extended-ID EVENTDATA_CMD" if extended else "EVENTDATA_CMD")
        end = len(payload)
        if extended:
            size = struct.unpack_from(">H", payload)[0]
            if size < step or size > len(payload):
                raise GvcpCodecError(f"extended-ID EVENTDATA_CMD: event_size {size} is outside "
                                     f"{step}..{len(payload)} (the payload's length)")
            end = size
        return cls(req_id, EventItem.decode(payload, 0, extended), bytes(payload[step:end]),
                   flags)

    def __str__(self) -> str:
        return (f"EVENTDATA_CMD id={self.req_id}{' [ext-id]' if self.extended else ''} "
                f"{self.event} data {self.data.hex(' ')}")


@attrs.frozen(slots=True)
class ActionCmd:
    req_id: int
    device_key: int
    group_key: int
    group_mask: int
    action_time: int | None = None
    flags: int = attrs.field(default=None)

    code = Cmd.ACTION

    def __attrs_post_init__(self) -> None:
        if self.flags is None:
            object.__setattr__(self, "flags", FLAG_ACK_REQUIRED | (
                FLAG_SCHEDULED_ACTION if self.action_time is not None else 0))

    def encode(self) -> bytes:
        payload = struct.pack(">III", self.device_key, self.group_key, self.group_mask)
        if self.action_time is not None:
            payload += struct.pack(">Q", self.action_time)
        return _header(self.flags, self.code, payload, self.req_id)

    @classmethod
    def _decode(cls, flags: int, req_id: int, payload: bytes) -> "ActionCmd":
        _need(payload, 12, "ACTION_CMD")
        device_key, group_key, group_mask = struct.unpack_from(">III", payload)
        time = None
        if flags & FLAG_SCHEDULED_ACTION:
            _need(payload, 20, "scheduled ACTION_CMD")
            time = struct.unpack_from(">Q", payload, 12)[0]
        return cls(req_id, device_key, group_key, group_mask, time, flags)

    def __str__(self) -> str:
        when = f" at {self.action_time}" if self.action_time is not None else ""
        return (f"ACTION_CMD id={self.req_id} device key 0x{self.device_key:08X} group key "
                f"0x{self.group_key:08X} mask 0x{self.group_mask:08X}{when}")


# --------------------------------------------------------------------------- acks

@attrs.frozen(slots=True)
class DiscoveryAck:
    req_id: int
    info: DeviceInfo
    status: int = Status.SUCCESS

    code = Cmd.DISCOVERY_ACK

    def encode(self) -> bytes:
        return _ack_header(self.status, self.code, self.info.encode(), self.req_id)

    @classmethod
    def _decode(cls, status: int, req_id: int, payload: bytes) -> "DiscoveryAck":
        return cls(req_id, DeviceInfo.decode(payload), status)

    def __str__(self) -> str:
        return f"DISCOVERY_ACK id={self.req_id} {status_name(self.status)} {self.info}"


@attrs.frozen(slots=True)
class _EmptyAck:
    """An ack that is a header without payload; each subclass names its ack code."""

    req_id: int
    status: int = Status.SUCCESS

    code: ClassVar[Cmd]

    def encode(self) -> bytes:
        return _ack_header(self.status, self.code, b"", self.req_id)

    @classmethod
    def _decode(cls, status: int, req_id: int, payload: bytes) -> Self:
        return cls(req_id, status)

    def __str__(self) -> str:
        return f"{self.code.name} id={self.req_id} {status_name(self.status)}"


@attrs.frozen(slots=True)
class ForceIpAck(_EmptyAck):
    """FORCEIP_ACK: a header without payload."""

    code = Cmd.FORCEIP_ACK


@attrs.frozen(slots=True)
class EventAck(_EmptyAck):
    """EVENT_ACK: a header without payload."""

    code = Cmd.EVENT_ACK


@attrs.frozen(slots=True)
class EventDataAck(_EmptyAck):
    """EVENTDATA_ACK: a header without payload."""

    code = Cmd.EVENTDATA_ACK


@attrs.frozen(slots=True)
class ActionAck(_EmptyAck):
    """ACTION_ACK: a header without payload."""

    code = Cmd.ACTION_ACK


@attrs.frozen(slots=True)
class ReadRegAck:
    """Values read; on an error status, the values read before the failing address."""

    req_id: int
    values: tuple[int, ...]
    status: int = Status.SUCCESS

    code = Cmd.READREG_ACK

    def encode(self) -> bytes:
        return _ack_header(self.status, self.code,
                           struct.pack(f">{len(self.values)}I", *self.values), self.req_id)

    @classmethod
    def _decode(cls, status: int, req_id: int, payload: bytes) -> "ReadRegAck":
        if len(payload) % 4:
            raise GvcpCodecError(f"READREG_ACK payload of {len(payload)} bytes is not a multiple of 4")
        return cls(req_id, struct.unpack(f">{len(payload) // 4}I", payload), status)

    def __str__(self) -> str:
        return (f"READREG_ACK id={self.req_id} {status_name(self.status)} "
                f"[{', '.join(f'0x{v:08X}' for v in self.values)}]")


@attrs.frozen(slots=True)
class _IndexAck:
    """An ack whose payload is ``reserved(2) index(2)`` (WRITEREG_ACK, WRITEMEM_ACK)."""

    req_id: int
    index: int
    status: int = Status.SUCCESS

    code: ClassVar[int] = 0

    def encode(self) -> bytes:
        return _ack_header(self.status, self.code, struct.pack(">HH", 0, self.index), self.req_id)

    @classmethod
    def _decode(cls, status: int, req_id: int, payload: bytes) -> Self:
        if not payload and status != Status.SUCCESS:
            return cls(req_id, 0, status)   # lenient: some devices omit the payload on errors
        _need(payload, 4, Cmd(cls.code).name)
        return cls(req_id, struct.unpack_from(">HH", payload)[1], status)

    def __str__(self) -> str:
        return (f"{Cmd(self.code).name} id={self.req_id} {status_name(self.status)} "
                f"index {self.index}")


@attrs.frozen(slots=True)
class WriteRegAck(_IndexAck):
    """``index``: how many registers were written (on error: the failing one's index)."""

    code = Cmd.WRITEREG_ACK


@attrs.frozen(slots=True)
class ReadMemAck:
    req_id: int
    address: int
    data: bytes
    status: int = Status.SUCCESS

    code = Cmd.READMEM_ACK

    def encode(self) -> bytes:
        return _ack_header(self.status, self.code, _U32.pack(self.address) + self.data, self.req_id)

    @classmethod
    def _decode(cls, status: int, req_id: int, payload: bytes) -> "ReadMemAck":
        if not payload and status != Status.SUCCESS:
            return cls(req_id, 0, b"", status)
        _need(payload, 4, "READMEM_ACK")
        return cls(req_id, _U32.unpack_from(payload)[0], bytes(payload[4:]), status)

    def __str__(self) -> str:
        return (f"READMEM_ACK id={self.req_id} {status_name(self.status)} 0x{self.address:08X} "
                f"{self.data[:16].hex(' ')}{' …' if len(self.data) > 16 else ''} ({len(self.data)} bytes)")


@attrs.frozen(slots=True)
class WriteMemAck(_IndexAck):
    """``index``: how many bytes were written."""

    code = Cmd.WRITEMEM_ACK

    def __str__(self) -> str:
        return f"WRITEMEM_ACK id={self.req_id} {status_name(self.status)} {self.index} bytes"


@attrs.frozen(slots=True)
class PendingAck:
    """The device needs ``time_ms`` more before the real ack: extend the deadline."""

    req_id: int
    time_ms: int
    status: int = Status.SUCCESS

    code = Cmd.PENDING_ACK

    def encode(self) -> bytes:
        return _ack_header(self.status, self.code, struct.pack(">HH", 0, self.time_ms), self.req_id)

    @classmethod
    def _decode(cls, status: int, req_id: int, payload: bytes) -> "PendingAck":
        _need(payload, 4, "PENDING_ACK")
        return cls(req_id, struct.unpack_from(">HH", payload)[1], status)

    def __str__(self) -> str:
        return f"PENDING_ACK id={self.req_id} {status_name(self.status)} {self.time_ms} ms"


Command = Union[DiscoveryCmd, ForceIpCmd, ReadRegCmd, WriteRegCmd, ReadMemCmd, WriteMemCmd,
                PacketResendCmd, EventCmd, EventDataCmd, ActionCmd]
Ack = Union[DiscoveryAck, ReadRegAck, WriteRegAck, ReadMemAck, WriteMemAck, PendingAck, ForceIpAck,
            EventAck, EventDataAck, ActionAck]
Packet = Union[Command, Ack]

# Each packet code → the classmethod decoding (flags or status, req_id, payload) into it.
_COMMANDS: dict[int, Callable[[int, int, bytes], Command]] = {c.code: c._decode for c in (
    DiscoveryCmd, ForceIpCmd, ReadRegCmd, WriteRegCmd, ReadMemCmd, WriteMemCmd, PacketResendCmd,
    EventCmd, EventDataCmd, ActionCmd)}
_ACKS: dict[int, Callable[[int, int, bytes], Ack]] = {c.code: c._decode for c in (
    DiscoveryAck, ReadRegAck, WriteRegAck, ReadMemAck, WriteMemAck, PendingAck, ForceIpAck,
    EventAck, EventDataAck, ActionAck)}
_EXPECTED: dict[int, int] = {Cmd.DISCOVERY: Cmd.DISCOVERY_ACK, Cmd.FORCEIP: Cmd.FORCEIP_ACK,
             Cmd.READREG: Cmd.READREG_ACK, Cmd.WRITEREG: Cmd.WRITEREG_ACK,
             Cmd.READMEM: Cmd.READMEM_ACK, Cmd.WRITEMEM: Cmd.WRITEMEM_ACK,
             Cmd.EVENT: Cmd.EVENT_ACK, Cmd.EVENTDATA: Cmd.EVENTDATA_ACK, Cmd.ACTION: Cmd.ACTION_ACK}


def encode_readreg1(req_id: int, address: int) -> bytes:
    """``ReadRegCmd(req_id, (address,)).encode()`` in one precompiled pack (the hot path)."""
    return _READREG_1.pack(KEY, FLAG_ACK_REQUIRED, 0x0080, 4, req_id, address)


def encode_writereg1(req_id: int, address: int, value: int) -> bytes:
    """``WriteRegCmd(req_id, ((address, value),)).encode()`` in one precompiled pack."""
    return _WRITEREG_1.pack(KEY, FLAG_ACK_REQUIRED, 0x0082, 8, req_id, address, value)


def success_ack_header(ack_code: int, length: int, req_id: int) -> bytes:
    """The 8 header bytes of a SUCCESS ack ``ack_code`` to ``req_id`` with ``length``
    payload bytes: a datagram of exactly ``8 + length`` bytes starting with these is
    that ack, with no need to decode it."""
    return _ACK_HEADER.pack(0, ack_code, length, req_id)


def u32_at(data: bytes, offset: int) -> int:
    """The big-endian 32-bit word at ``offset`` (the value of a fast-accepted READREG_ACK
    at offset 8)."""
    value: int = _U32.unpack_from(data, offset)[0]
    return value


def expected_ack(command_code: int) -> int | None:
    """The ack code answering ``command_code`` (None for PACKETRESEND: no ack)."""
    return _EXPECTED.get(command_code)


def _split(data: bytes, header: struct.Struct, kind: str) -> tuple[tuple[int, ...], bytes]:
    if len(data) < 8:
        raise GvcpCodecError(f"GVCP {kind} of {len(data)} bytes is shorter than its 8-byte header")
    fields = header.unpack_from(data)
    length = fields[-2]
    if len(data) < 8 + length:
        raise GvcpCodecError(f"GVCP {kind} truncated: header announces {length} payload bytes, "
                            f"only {len(data) - 8} present")
    # Trailing bytes beyond the announced length (e.g. Ethernet padding) are ignored.
    return fields, bytes(data[8:8 + length])


def decode_command(data: bytes) -> Command:
    """Decode a command packet (first byte 0x42)."""
    (key, flags, code, _length, req_id), payload = _split(data, _HEADER, "command")
    if key != KEY:
        raise GvcpCodecError(f"not a GVCP command: key byte 0x{key:02X} (expected 0x42)")
    try:
        decoder = _COMMANDS[code]
    except KeyError:
        raise GvcpCodecError(f"unknown GVCP command code 0x{code:04X}") from None
    return decoder(flags, req_id, payload)


def decode_ack(data: bytes) -> Ack:
    """Decode an acknowledge packet."""
    (status, code, _length, req_id), payload = _split(data, _ACK_HEADER, "ack")
    try:
        decoder = _ACKS[code]
    except KeyError:
        raise GvcpCodecError(f"unknown GVCP ack code 0x{code:04X}") from None
    return decoder(status, req_id, payload)


def decode(data: bytes) -> Packet:
    """Decode any GVCP packet: commands start with 0x42, acks with a status."""
    if data[:1] == bytes([KEY]):
        return decode_command(data)
    return decode_ack(data)
