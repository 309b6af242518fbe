"""A simulated GigE Vision device: GVCP on a loopback address, any GenApi XML behind it.

It holds a sparse register memory with the bootstrap registers of the standard (the
GigE Vision 2.0 ones pylon insists on included), serves a GenApi XML (plain or zipped)
through its first URL, enforces the control channel privilege (CCP) and the heartbeat
timeout, answers with the standard status codes (BAD_ALIGNMENT, INVALID_ADDRESS,
ACCESS_DENIED, WRITE_PROTECT ...), supports concatenated READREG/WRITEREG, and can be told
to drop, duplicate, delay or corrupt a seeded fraction of the packets it receives and
sends (fault tests).  It hears DISCOVERY and FORCEIP sent to the limited broadcast
255.255.255.255 (a listener shared with other devices on the same port; ``broadcast_address``
names another broadcast address, None hears none) and answers from its own address.

It streams: when the served XML has ``AcquisitionStart``, executing it (a write of its
command register) starts a :class:`.streamer.Streamer` sending the ramp test image as GVSP
to SCDA0:SCP0 with the SCPS0 packet size and SCPD0 delay, honouring the XML's Width,
Height, OffsetX/Y, PixelFormat, AcquisitionMode/FrameCount/FrameRate and TriggerMode with
TriggerSoftware (read through :mod:`.acquisition`), until ``AcquisitionStop``.  It answers
PACKETRESEND from the last frames, fires SCPS test packets, switches to 64-bit block ids
when GVSP configuration (0x0960) bit 30 is set, and takes seeded stream faults.

Chunks and events, read from the same XML (:mod:`.sim_chunks`, :mod:`.sim_events`): with
``ChunkModeActive`` the frames carry the enabled chunks (payload type 0x4001); the events
the host enabled through ``EventSelector``/``EventNotification`` (AcquisitionStart,
FrameStart, ExposureEnd, FrameEnd, and Test on ``TestEventGenerate`` in the demo camera)
go to the message channel (MCDA:MCP) with MCTT/MCRC retries.

Run it on its own::

    python -m nodemap.transports.gvcp.device --address 127.0.0.2 --xml camera.xml [--zip] [-v]
        [--stream-faults drop=0.05,duplicate=0.01,reorder=0.01,seed=1] [--retain-frames 8]

Real tools (``arv-tool-0.8 -a 127.0.0.2 features``) and :mod:`.client` talk to it.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import heapq
import io
import logging
import random
import select
import socket
import struct
import threading
import time
import zipfile
from pathlib import Path
from typing import Callable, Iterable

from nodemap.errors import NodeMapError

from ..faults import Faults
from . import protocol as p
from .acquisition import AcquisitionFeatures
from .placement import PREFERRED, free_address, register_spans
from .protocol import Register as R
from .protocol import Status
from .sim_chunks import FrameChunks, SimChunks
from .sim_events import MC_RETRIES, MC_TIMEOUT_MS, SimEvents
from .sim_probe import Probe
from .sim_files import SimFiles
from .streamer import (StreamConfig, Streamer, StreamFaults, parse_stream_faults,
                       send_test_packet)

__all__ = ["Faults", "Memory", "SimulatedDevice", "StreamFaults", "parse_stream_faults", "main",
           "GEV2_REGISTERS", "GVSP_CONFIG_EXTENDED_ID", "GVCP_CONFIG_EXTENDED_STATUS",
           "LIMITED_BROADCAST"]

LIMITED_BROADCAST = "255.255.255.255"

log = logging.getLogger("nodemap.gvcp.device")

Tap = Callable[[str, tuple[str, int], bytes], None]
_PAGE = 4096

ACTIVE_LINKS = 0x0910
GVSP_CAPABILITY = 0x092C
MESSAGE_CHANNEL_CAPABILITY = 0x0930
GVSP_CONFIGURATION = 0x0960
PHYSICAL_LINK_CAPABILITY = 0x0964
PHYSICAL_LINK_CONFIGURATION = 0x0968
GVSP_CAP_SCSP = 0x80000000          # SCSPx registers exist
GVSP_CAP_LEGACY_BLOCK_ID = 0x40000000  # 16-bit block ids still supported
MC_CAP_MCSP = 0x80000000               # message channel: MCSP register exists
GVSP_CONFIG_EXTENDED_ID = 0x40000000   # 0x0960 bit 30 (BE bit 1): 64-bit block id enable
GVCP_CONFIG_HEARTBEAT_DISABLE = 0x1
GVCP_CONFIG_PENDING_ACK = 0x2
GVCP_CONFIG_EXTENDED_STATUS = 0x4      # GEV 1.1 extended status codes (PACKET_REMOVED ...)
PHYSICAL_LINK_SINGLE = 0x1             # capability: single link configuration
TIMESTAMP_RESET = 0x1
TIMESTAMP_LATCH = 0x2

#: Power-on values of the GigE Vision 2.0 registers the simulator adds (address → value).
GEV2_REGISTERS: dict[int, int] = {
    ACTIVE_LINKS: 1,
    GVSP_CAPABILITY: GVSP_CAP_SCSP | GVSP_CAP_LEGACY_BLOCK_ID,
    MESSAGE_CHANNEL_CAPABILITY: MC_CAP_MCSP,
    R.DISCOVERY_ACK_DELAY: 0,
    R.GVCP_CONFIGURATION: 0,
    GVSP_CONFIGURATION: 0,
    PHYSICAL_LINK_CAPABILITY: PHYSICAL_LINK_SINGLE,
    PHYSICAL_LINK_CONFIGURATION: 0,     # 0 = single link
}


def _corrupt(data: bytes, rng: random.Random) -> bytes:
    """Damage a datagram the way GVCP itself detects (truncation, or a garbled key or ack
    code); payload bit flips are the UDP checksum's business, not GVCP's."""
    if rng.random() < 0.5 and len(data) > 1:
        return data[:rng.randrange(len(data) - 1) if len(data) > 8 else 4]
    out = bytearray(data)
    if out[:1] == bytes([p.KEY]):
        out[0] = 0x24                      # a command without its 0x42 key
    else:
        out[2:4] = b"\xff\xfe"             # an ack code nobody knows
    return bytes(out)


class Memory:
    """Sparse byte memory over a 32-bit address space (4 KiB pages made on first write)."""

    def __init__(self) -> None:
        self._pages: dict[int, bytearray] = {}

    def read(self, address: int, length: int) -> bytes:
        out = bytearray()
        while length > 0:
            page, offset = divmod(address, _PAGE)
            n = min(length, _PAGE - offset)
            data = self._pages.get(page)
            out += data[offset:offset + n] if data is not None else bytes(n)
            address += n
            length -= n
        return bytes(out)

    def write(self, address: int, data: bytes) -> None:
        view = memoryview(data)
        while view:
            page, offset = divmod(address, _PAGE)
            n = min(len(view), _PAGE - offset)
            buf = self._pages.get(page)
            if buf is None:
                buf = self._pages[page] = bytearray(_PAGE)
            buf[offset:offset + n] = view[:n]
            address += n
            view = view[n:]

    def get32(self, address: int) -> int:
        value: int = struct.unpack(">I", self.read(address, 4))[0]
        return value

    def set32(self, address: int, value: int) -> None:
        self.write(address, struct.pack(">I", value & 0xFFFFFFFF))


# Bootstrap map below 0xA000: (start, end, access); anything else there is INVALID_ADDRESS.
def _bootstrap_map(stream_channels: int) -> list[tuple[int, int, str]]:
    spans = [
        (0x0000, 0x0014, "RO"), (0x0014, 0x0018, "RW"), (0x0024, 0x0028, "RO"),
        (0x0034, 0x0038, "RO"), (0x0044, 0x00E8, "RO"), (0x00E8, 0x00F8, "RW"),
        (0x0200, 0x0600, "RO"), (0x0600, 0x0604, "RO"), (0x064C, 0x0650, "RW"),
        (0x065C, 0x0660, "RW"), (0x066C, 0x0670, "RW"),
        (0x0900, 0x090C, "RO"), (0x0910, 0x0914, "RO"), (0x092C, 0x0938, "RO"),
        (0x0938, 0x093C, "RW"), (0x093C, 0x0944, "RO"), (0x0944, 0x0948, "WO"),
        (0x0948, 0x0950, "RO"), (0x0950, 0x0958, "RW"), (0x0958, 0x095C, "RO"),
        (0x0960, 0x0964, "RW"), (0x0964, 0x0968, "RO"), (0x0968, 0x096C, "RW"),
        (0x0A00, 0x0A04, "RW"), (0x0A04, 0x0A08, "RO"),
        (0x0A14, 0x0A18, "RO"), (0x0B00, 0x0B20, "RW"),
    ]
    for n in range(stream_channels):
        base = 0x0D00 + 0x40 * n
        spans += [(base, base + 0x0C, "RW"), (base + 0x18, base + 0x1C, "RW"),
                  (base + 0x1C, base + 0x20, "RO"), (base + 0x20, base + 0x28, "RW")]
    return spans


def _place(xml: bytes, length: int) -> int:
    """Where a ``length``-byte blob of ``xml`` goes: clear of the description's registers."""
    try:
        spans = register_spans(xml)
    except NodeMapError as exc:   # a deliberately broken description (tests): the default
        log.debug("served XML not indexable (%s): placed at 0x%X", exc, PREFERRED)
        return PREFERRED
    return free_address(spans, length)


class SimulatedDevice:
    """A GVCP device on ``address:port``; ``start()``/``stop()`` or use as a context manager."""

    def __init__(self, xml: bytes | None = None, *, address: str = "127.0.0.2",
                 port: int = p.GVCP_PORT, xml_name: str = "device.xml", zipped: bool = False,
                 xml_address: int | None = None, schema_version: str | None = None,
                 mac: int | None = None, serial: str | None = None,
                 manufacturer: str = "nodemap", model: str = "GVCP simulator",
                 concatenation: bool = True, heartbeat_timeout_ms: int = 3000,
                 require_control: bool = False, stream_channels: int = 4,
                 pending_ms: int = 0, faults: Faults | None = None,
                 broadcast_address: str | None = LIMITED_BROADCAST, tap: Tap | None = None,
                 registers: dict[int, int] | None = None,
                 read_only: Iterable[tuple[int, int]] = (),
                 invalid: Iterable[tuple[int, int]] = (),
                 stream_faults: StreamFaults | str | None = None,
                 retain_frames: int = 8) -> None:
        self.address = address
        self.port = port
        self.concatenation = concatenation
        self.require_control = require_control
        self.stream_channels = stream_channels
        self.pending_ms = pending_ms
        self.faults = faults or Faults()
        self.broadcast_address = broadcast_address
        self.tap = tap
        self.memory = Memory()
        self.controller: tuple[str, int] | None = None
        self.controller_last_seen = 0.0
        self.stats = {"received": 0, "sent": 0, "dropped": 0, "duplicated": 0, "delayed": 0,
                      "corrupted": 0, "retransmitted_acks": 0, "control_expired": 0}
        self._bootstrap = _bootstrap_map(stream_channels)
        self._read_only = list(read_only)
        self._invalid = list(invalid)
        self._last: dict[tuple[str, int], tuple[bytes, list[bytes]]] = {}
        self._queue: list[tuple[float, int, bytes, tuple[str, int]]] = []
        self._seq = 0
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None
        self._bsock: socket.socket | None = None
        if isinstance(stream_faults, str):
            stream_faults = parse_stream_faults(stream_faults)
        self.stream_faults = stream_faults or StreamFaults()
        if retain_frames < 1:
            raise ValueError("retain_frames must be at least 1 (frames kept for PACKETRESEND)")
        self.retain_frames = retain_frames
        self.acquisition: AcquisitionFeatures | None = None
        self.files: SimFiles | None = None          # FileAccessControl (sim_files.py)
        self.streamer: Streamer | None = None       # the current (or last) acquisition
        self._stream_sock: socket.socket | None = None
        self._next_block = 1
        self._ts_origin = time.monotonic_ns()
        self.chunks: SimChunks | None = None        # chunk data the XML declares
        self.events: SimEvents | None = None        # events the XML declares

        last_octet = int(address.rsplit(".", 1)[-1]) if address.count(".") == 3 else 1
        self.mac = mac if mac is not None else \
            0x02_00_5E_00_00_00 | (int.from_bytes(socket.inet_aton(address), "big") & 0xFFFFFF)
        info = p.DeviceInfo(
            spec_version=0x00020000, device_mode=0x80000001, mac=self.mac,
            supported_ip_config=0x7, current_ip_config=0x6, ip=address, mask="255.0.0.0",
            gateway="0.0.0.0", manufacturer=manufacturer, model=model, device_version="1.0",
            manufacturer_info="simulated by nodemap", serial=serial or f"SIM{last_octet:05d}",
            user_name="")
        self.memory.write(0, info.encode())
        caps = (p.Capability.USER_DEFINED_NAME | p.Capability.SERIAL_NUMBER
                | p.Capability.HEARTBEAT_DISABLE | p.Capability.EXTENDED_STATUS
                | p.Capability.WRITEMEM | p.Capability.PENDING_ACK
                | p.Capability.PACKETRESEND | p.Capability.EVENT | p.Capability.EVENTDATA)
        if concatenation:
            caps |= p.Capability.CONCATENATION
        for reg, value in ((R.NUMBER_OF_INTERFACES, 1), (R.MESSAGE_CHANNELS, 1),
                           (R.MCTT, MC_TIMEOUT_MS), (R.MCRC, MC_RETRIES),
                           (R.STREAM_CHANNELS, stream_channels), (R.GVCP_CAPABILITY, int(caps)),
                           (R.HEARTBEAT_TIMEOUT, heartbeat_timeout_ms),
                           (R.TIMESTAMP_FREQ_HIGH, 0), (R.TIMESTAMP_FREQ_LOW, 1_000_000_000),
                           (R.PENDING_TIMEOUT, max(pending_ms * 2, 100)),
                           *GEV2_REGISTERS.items()):
            self.memory.set32(reg, value)
        for n in range(stream_channels):
            self.memory.set32(p.stream_channel_register(R.SCPS0, n), 1500)
            self.memory.set32(p.stream_channel_register(R.SCSP0, n), 0x1209 + n)
        # None: placed where the description declares no register (see placement.py)
        self._fixed_xml_address = xml_address
        self.xml_address = PREFERRED if xml_address is None else xml_address
        self.xml_length = 0
        if xml is not None:
            self.serve_xml(xml, name=xml_name, zipped=zipped, schema_version=schema_version)
        for reg, value in (registers or {}).items():
            self.memory.set32(reg, value)

    # ------------------------------------------------------------------ configuration

    def serve_xml(self, xml: bytes, *, name: str = "device.xml", zipped: bool = False,
                  schema_version: str | None = None) -> str:
        """Place ``xml`` (zipped on request) in memory and point the first URL at it.

        Unless the device was given a fixed ``xml_address``, the blob goes to an aligned range
        where the description itself declares no register (PlacementError when none is left).
        """
        blob = xml
        if zipped and not xml.startswith(b"PK"):
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
                zf.writestr(name, xml)
            blob = buf.getvalue()
            name = name.rsplit(".", 1)[0] + ".zip"
        if self._fixed_xml_address is None:
            self.xml_address = _place(xml, len(blob))
        self.memory.write(self.xml_address, blob)
        self.xml_length = len(blob)
        try:
            self.acquisition = AcquisitionFeatures(xml, self.memory)
        except Exception as exc:  # noqa: BLE001 - any XML the engine refuses: no streaming
            log.warning("the served XML cannot drive acquisition (%s): the simulated device "
                        "will answer GVCP but not stream", exc)
            self.acquisition = None
        self._adapters(xml)
        try:
            self.files = SimFiles.from_xml(xml, self.memory)
        except Exception as exc:  # noqa: BLE001 - any XML the engine refuses: no files
            log.warning("the served XML cannot drive file access (%s): no files", exc)
            self.files = None
        url = f"Local:{name};{self.xml_address:X};{len(blob):X}"
        if schema_version:
            url += f"?SchemaVersion={schema_version}"
        self.set_url(url)
        return url

    def _adapters(self, xml: bytes) -> None:
        """Chunks and events of the served XML (none when it declares none)."""
        if self.events is not None:
            self.events.close()
        self.chunks = self.events = None
        if self.acquisition is None:
            return
        try:
            probe = Probe(xml, self.memory)
            self.chunks = SimChunks(probe)
            self.events = SimEvents(probe, self.memory, self.address,
                                    extended=self._extended_ids)
        except Exception as exc:  # noqa: BLE001 - an XML the engine half-refuses
            log.warning("the served XML's chunks/events cannot be simulated (%s)", exc)
            self.chunks = self.events = None

    def _extended_ids(self) -> bool:
        return bool(self.memory.get32(GVSP_CONFIGURATION) & GVSP_CONFIG_EXTENDED_ID)

    def set_url(self, url: str, second: bool = False) -> None:
        raw = url.encode("ascii")
        if len(raw) >= p.URL_LENGTH:
            raise ValueError(f"URL {url!r} does not fit the 512-byte URL register")
        self.memory.write(R.SECOND_URL if second else R.FIRST_URL, raw.ljust(p.URL_LENGTH, b"\0"))

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> "SimulatedDevice":
        # No SO_REUSEADDR here: on UDP it would let a second simulator bind the same
        # address and port and silently take over the first one's clients.
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.bind((self.address, self.port))
        except OSError as exc:
            sock.close()
            if exc.errno == errno.EADDRINUSE:
                raise OSError(exc.errno, f"UDP {self.address}:{self.port} is already in use "
                              f"(another simulator or camera program holds it): stop it or "
                              f"choose another --address/--port") from None
            raise
        self.port = sock.getsockname()[1]
        self._sock = sock
        stream = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:   # the source port SCSP0 has always reported, when it is free on this address
            stream.bind((self.address, self.memory.get32(R.SCSP0) or 0))
        except OSError:
            stream.bind((self.address, 0))
        with contextlib.suppress(OSError):
            stream.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
        self._stream_sock = stream
        self.memory.set32(R.SCSP0, stream.getsockname()[1])
        if self.broadcast_address:
            self._bsock = self._broadcast_listener(self.broadcast_address)
        self._stop.clear()
        if self.events is not None:
            self.events.reopen()
        self._thread = threading.Thread(target=self._run, name=f"gvcp-device-{self.address}",
                                        daemon=True)
        self._thread.start()
        log.info("simulated GigE Vision device on %s:%d (MAC %s)", self.address, self.port,
                 p.format_mac(self.mac))
        return self

    def _broadcast_listener(self, address: str) -> socket.socket | None:
        """A socket hearing datagrams sent to ``address``:port, shared with every other device
        on that port (SO_REUSEADDR: a broadcast reaches all of them, a unicast none), or None
        when it cannot be bound (the device then answers unicast only)."""
        bsock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            bsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if hasattr(socket, "SO_REUSEPORT"):
                bsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            bsock.bind((address, self.port))
        except OSError as exc:
            bsock.close()
            log.warning("simulated device %s:%d does not hear broadcasts to %s: %s",
                        self.address, self.port, address, exc)
            return None
        return bsock

    @property
    def hears_broadcast(self) -> bool:
        """Whether the running device listens on its broadcast address."""
        return self._bsock is not None

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
        self.stop_acquisition()
        if self.events is not None:
            self.events.close()
        for s in (self._sock, self._bsock, self._stream_sock):
            if s is not None:
                s.close()
        self._sock = self._bsock = self._stream_sock = None

    def __enter__(self) -> "SimulatedDevice":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def serve_forever(self) -> None:
        self.start()
        try:
            while self._thread is not None and self._thread.is_alive():
                self._thread.join(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    # ------------------------------------------------------------------ I/O loop

    def _run(self) -> None:
        assert self._sock is not None
        socks = [s for s in (self._sock, self._bsock) if s is not None]
        while not self._stop.is_set():
            now = time.monotonic()
            self._flush_queue(now)
            wait = 0.05
            if self._queue:
                wait = max(0.0, min(wait, self._queue[0][0] - now))
            try:
                ready, _, _ = select.select(socks, [], [], wait)
            except (OSError, ValueError):
                break
            self._expire_control(time.monotonic())
            for s in ready:
                try:
                    data, peer = s.recvfrom(2048)
                except OSError:
                    continue
                if s is self._bsock and not _broadcast_command(data):
                    log.debug("ignoring a broadcast other than DISCOVERY/FORCEIP from %s", peer)
                    continue
                self._incoming(data, peer)

    def _flush_queue(self, now: float) -> None:
        while self._queue and self._queue[0][0] <= now:
            _, _, data, peer = heapq.heappop(self._queue)
            self._transmit(data, peer)

    def _transmit(self, data: bytes, peer: tuple[str, int]) -> None:
        if self._sock is None:
            return
        if self.tap:
            self.tap("out", peer, data)
        try:
            self._sock.sendto(data, peer)
            self.stats["sent"] += 1
        except OSError as exc:  # pragma: no cover - peer vanished
            log.debug("send to %s failed: %s", peer, exc)

    def _send(self, data: bytes, peer: tuple[str, int], delay: float = 0.0) -> None:
        copies, data, late = self._inject(self.faults.outgoing, data, f"ack to {peer}")
        delay += late
        for _ in range(copies):
            if delay > 0:
                self._seq += 1
                heapq.heappush(self._queue, (time.monotonic() + delay, self._seq, data, peer))
            else:
                self._transmit(data, peer)

    def _inject(self, direction: bool, data: bytes, what: str) -> tuple[int, bytes, float]:
        """Roll the configured faults for one packet: (copies to deliver, bytes, delay)."""
        if not direction:
            return 1, data, 0.0
        fate = self.faults.packet(data, _corrupt)
        if fate.dropped:
            self.stats["dropped"] += 1
            log.debug("fault: dropping %s", what)
            return 0, data, 0.0
        self.stats["duplicated"] += fate.duplicated
        self.stats["corrupted"] += fate.corrupted
        self.stats["delayed"] += bool(fate.delay)
        return fate.copies, fate.data, fate.delay

    def _incoming(self, data: bytes, peer: tuple[str, int]) -> None:
        self.stats["received"] += 1
        if self.tap:
            self.tap("in", peer, data)
        copies, data, _ = self._inject(self.faults.incoming, data, f"command from {peer}")
        for _ in range(copies):
            with self._lock:
                self._handle(data, peer)

    # ------------------------------------------------------------------ protocol

    def _handle(self, data: bytes, peer: tuple[str, int]) -> None:
        try:
            cmd = p.decode_command(data)
        except p.GvcpCodecError as exc:
            log.debug("ignoring undecodable packet from %s: %s (%s)", peer, exc, data[:16].hex(" "))
            return
        if log.isEnabledFor(logging.DEBUG):
            log.debug("%s:%d → %s", peer[0], peer[1], cmd)
        now = time.monotonic()
        if peer == self.controller:
            self.controller_last_seen = now
        last = self._last.get(peer)
        if last is not None and last[0] == data and cmd.req_id != 0:
            # A retry of the command just executed: answer again, do not execute twice.
            self.stats["retransmitted_acks"] += 1
            for encoded in last[1]:
                self._send(encoded, peer)
            return
        acks = self._execute(cmd, peer)
        if not cmd.flags & p.FLAG_ACK_REQUIRED:
            return
        self._last[peer] = (data, [a.encode() for a in acks])
        for ack in acks:
            if log.isEnabledFor(logging.DEBUG):
                log.debug("%s:%d ← %s", peer[0], peer[1], ack)
            delay = 0.0
            if isinstance(ack, p.PendingAck):
                self._send(ack.encode(), peer)
                continue
            if len(acks) > 1:
                delay = self.pending_ms / 2000
            self._send(ack.encode(), peer, delay)

    def _execute(self, cmd: p.Command, peer: tuple[str, int]) -> list[p.Ack]:
        if isinstance(cmd, p.DiscoveryCmd):
            info = p.DeviceInfo.decode(self.memory.read(0, p.DISCOVERY_PAYLOAD))
            return [p.DiscoveryAck(cmd.req_id, info)]
        if isinstance(cmd, p.ForceIpCmd):
            if cmd.mac != self.mac:
                return []
            self.memory.set32(R.CURRENT_IP, p._ip_int(cmd.ip))
            self.memory.set32(R.SUBNET_MASK, p._ip_int(cmd.mask))
            self.memory.set32(R.GATEWAY, p._ip_int(cmd.gateway))
            log.info("FORCEIP: now reporting %s/%s", cmd.ip, cmd.mask)
            return [p.ForceIpAck(cmd.req_id)]
        if isinstance(cmd, p.ReadRegCmd):
            return [self._readreg(cmd, peer)]
        if isinstance(cmd, p.WriteRegCmd):
            return self._pending(cmd.req_id, [self._writereg(cmd, peer)])
        if isinstance(cmd, p.ReadMemCmd):
            return [self._readmem(cmd, peer)]
        if isinstance(cmd, p.WriteMemCmd):
            return self._pending(cmd.req_id, [self._writemem(cmd, peer)])
        if isinstance(cmd, p.ActionCmd):
            return []          # no action signals: silently ignored, as the standard asks
        if isinstance(cmd, p.EventCmd):
            return [p.EventAck(cmd.req_id, Status.NOT_IMPLEMENTED)]
        if isinstance(cmd, p.EventDataCmd):
            return [p.EventDataAck(cmd.req_id, Status.NOT_IMPLEMENTED)]
        if isinstance(cmd, p.PacketResendCmd):
            self._packet_resend(cmd)
        return []  # PACKETRESEND is never acknowledged

    def _pending(self, req_id: int, acks: list[p.Ack]) -> list[p.Ack]:
        if self.pending_ms:
            return [p.PendingAck(req_id, self.pending_ms), *acks]
        return acks

    def _access(self, address: int, length: int) -> set[str] | None:
        """Access modes ("RO"/"RW"/"WO") a span touches, or None if part of it is invalid."""
        end = address + length
        if end > 0x1_0000_0000:
            return None
        for start, stop in self._invalid:
            if address < stop and start < end:
                return None
        if address >= R.MANUFACTURER_SPECIFIC:
            if self.xml_length and address < self.xml_address + self.xml_length \
                    and self.xml_address < end:
                return {"RO"}
            for start, stop in self._read_only:
                if address < stop and start < end:
                    return {"RO"}
            return {"RW"}
        modes: set[str] = set()
        pos = address
        while pos < end:
            for start, stop, mode in self._bootstrap:
                if start <= pos < stop:
                    modes.add(mode)
                    pos = stop
                    break
            else:
                return None
        return modes

    def _denied(self, peer: tuple[str, int], write: bool) -> bool:
        ccp = self.memory.get32(R.CCP)
        if self.controller is None or peer == self.controller:
            return write and self.require_control and self.controller is None
        return write or bool(ccp & p.CCP_EXCLUSIVE)

    def _readreg(self, cmd: p.ReadRegCmd, peer: tuple[str, int]) -> p.ReadRegAck:
        if len(cmd.addresses) > 1 and not self.concatenation:
            return p.ReadRegAck(cmd.req_id, (), Status.NOT_IMPLEMENTED)
        if len(cmd.addresses) > p.MAX_READREG:
            return p.ReadRegAck(cmd.req_id, (), Status.INVALID_PARAMETER)
        values: list[int] = []
        for address in cmd.addresses:
            status = self._check_read(address, 4, peer)
            if status:
                return p.ReadRegAck(cmd.req_id, tuple(values), status)
            values.append(self._read32(address, peer))
        return p.ReadRegAck(cmd.req_id, tuple(values))

    def _check_read(self, address: int, length: int, peer: tuple[str, int]) -> int:
        if address % 4 or length % 4:
            return Status.BAD_ALIGNMENT
        access = self._access(address, length)
        if access is None:
            return Status.INVALID_ADDRESS
        if "WO" in access:
            return Status.ACCESS_DENIED
        if address != R.CCP and self._denied(peer, write=False):
            return Status.ACCESS_DENIED
        return Status.SUCCESS

    def _check_write(self, address: int, length: int, peer: tuple[str, int]) -> int:
        if address % 4 or length % 4:
            return Status.BAD_ALIGNMENT
        access = self._access(address, length)
        if access is None:
            return Status.INVALID_ADDRESS
        if "RO" in access:
            return Status.WRITE_PROTECT
        if address == R.CCP:
            return Status.ACCESS_DENIED if self.controller not in (None, peer) else Status.SUCCESS
        if self._denied(peer, write=True):
            return Status.ACCESS_DENIED
        return Status.SUCCESS

    def _read32(self, address: int, peer: tuple[str, int]) -> int:
        if address == R.CCP and self.controller is not None and peer != self.controller:
            return self.memory.get32(R.CCP)
        return self.memory.get32(address)

    def _write32(self, address: int, value: int, peer: tuple[str, int]) -> None:
        if address == R.CCP:
            if value & (p.CCP_CONTROL | p.CCP_EXCLUSIVE):
                if self.controller != peer:
                    log.info("control granted to %s:%d (CCP=0x%X)", peer[0], peer[1], value)
                self.controller = peer
                self.controller_last_seen = time.monotonic()
                self.memory.set32(R.PRIMARY_APP_PORT, peer[1])
                self.memory.set32(R.PRIMARY_APP_IP, p._ip_int(peer[0]))
            else:
                if self.controller is not None:
                    log.info("control released by %s:%d", peer[0], peer[1])
                    self.stop_acquisition()
                    self._close_files()
                self.controller = None
                self.memory.set32(R.PRIMARY_APP_PORT, 0)
                self.memory.set32(R.PRIMARY_APP_IP, 0)
        elif address == R.TIMESTAMP_CONTROL:
            if value & TIMESTAMP_RESET:
                self._ts_origin = time.monotonic_ns()
            if value & TIMESTAMP_LATCH:
                ticks = self.timestamp()
                self.memory.set32(R.TIMESTAMP_VALUE_HIGH, ticks >> 32)
                self.memory.set32(R.TIMESTAMP_VALUE_LOW, ticks & 0xFFFFFFFF)
            return
        elif address == R.SCPS0 and value & 0x80000000:
            self.memory.set32(address, value & 0x7FFFFFFF)   # the fire bit self-clears
            self.fire_test_packet()
            return
        self.memory.set32(address, value)
        self._written(address)

    # ------------------------------------------------------------------ streaming

    def timestamp(self) -> int:
        """The device clock in ticks (1 GHz), since power-on or the last reset."""
        return time.monotonic_ns() - self._ts_origin

    def _stream_destination(self) -> tuple[str, int] | None:
        ip = self.memory.get32(R.SCDA0)
        port = self.memory.get32(R.SCP0) & 0xFFFF
        if not ip or not port:
            return None
        return socket.inet_ntoa(ip.to_bytes(4, "big")), port

    def fire_test_packet(self) -> bool:
        """Send the SCPS0 test packet (exactly the programmed size, don't-fragment set)."""
        destination = self._stream_destination()
        if destination is None or self._stream_sock is None:
            log.info("test packet requested but SCDA0/SCP0 name no destination")
            return False
        size = self.memory.get32(R.SCPS0) & 0xFFFF
        extended = bool(self.memory.get32(GVSP_CONFIGURATION) & GVSP_CONFIG_EXTENDED_ID)
        return send_test_packet(self._stream_sock, destination, size, extended)

    def _close_files(self) -> None:
        if self.files is not None:
            self.files.close_all()              # what the old controller left open

    def _written(self, address: int) -> None:
        if self.files is not None and address >= R.MANUFACTURER_SPECIFIC:
            self.files.written(address)
        acquisition = self.acquisition
        if acquisition is None or address < R.MANUFACTURER_SPECIFIC:
            return
        if self.events is not None:
            self.events.changed()
        for name in acquisition.fired(address, self.memory):
            if name == "AcquisitionStart":
                self.start_acquisition()
            elif name == "AcquisitionStop":
                self.stop_acquisition()
            elif name == "TriggerSoftware":
                streamer = self.streamer
                if streamer is not None and streamer.running:
                    streamer.trigger()
            elif name == "TestEventGenerate":
                self.test_event()

    def stream_config(self) -> StreamConfig | None:
        """What AcquisitionStart would stream now (None: no destination or no XML)."""
        destination = self._stream_destination()
        if destination is None or self.acquisition is None:
            return None
        snap = self.acquisition.snapshot()
        scps = self.memory.get32(R.SCPS0)
        freq = (self.memory.get32(R.TIMESTAMP_FREQ_HIGH) << 32) | self.memory.get32(
            R.TIMESTAMP_FREQ_LOW)
        return StreamConfig(
            destination=destination, packet_size=scps & 0xFFFF, width=snap.width,
            height=snap.height, pixel_format=snap.pixel_format, offset_x=snap.offset_x,
            offset_y=snap.offset_y, delay_ticks=self.memory.get32(R.SCPD0),
            tick_frequency=freq or 1_000_000_000,
            extended_ids=bool(self.memory.get32(GVSP_CONFIGURATION) & GVSP_CONFIG_EXTENDED_ID),
            frame_rate=snap.frame_rate, mode=snap.mode, frame_count=snap.frame_count,
            triggered=snap.triggered, payload_size=snap.payload_size,
            extended_status=bool(self.memory.get32(R.GVCP_CONFIGURATION)
                                 & GVCP_CONFIG_EXTENDED_STATUS))

    def start_acquisition(self) -> Streamer | None:
        """What executing AcquisitionStart does; returns the running streamer (or None)."""
        if self.streamer is not None and self.streamer.running:
            return self.streamer
        if self._stream_sock is None:
            log.warning("AcquisitionStart before the device was started: nothing to stream")
            return None
        config = self.stream_config()
        if config is None:
            log.warning("AcquisitionStart with no stream destination (program SCDA0 and SCP0 "
                        "first): not streaming")
            return None
        chunks = None
        if self.chunks is not None:
            plan = self.chunks.plan()
            if plan is not None:
                chunks = FrameChunks(self.chunks, plan)
        try:
            if self.streamer is not None and \
                    self.streamer.config.extended_ids != config.extended_ids:
                self._next_block = 1             # a new id mode starts counting afresh
            streamer = Streamer(self._stream_sock, config, faults=self.stream_faults,
                                first_block_id=self._next_block, retain=self.retain_frames,
                                timestamp=self.timestamp, chunks=chunks,
                                on_frame=self._frame_events if self.events else None)
        except ValueError as exc:
            log.warning("AcquisitionStart refused: %s", exc)
            return None
        if config.payload_size is not None and config.payload_size != streamer.frame_bytes:
            log.warning("PayloadSize says %d bytes but a %dx%d 0x%08X frame is %d bytes: "
                        "receivers sized by PayloadSize will see mismatches",
                        config.payload_size, config.width, config.height, config.pixel_format,
                        streamer.frame_bytes)
        if self.events is not None:
            self.events.emit("AcquisitionStart", 0, self.timestamp())
        self.streamer = streamer.start()
        return streamer

    # ------------------------------------------------------------------ events

    def _frame_events(self, phase: str, block_id: int, timestamp: int) -> None:
        """The stream thread's hook: FrameStart and ExposureEnd (the frame's timestamp plus
        the exposure time) before a frame, FrameEnd after it."""
        events = self.events
        if events is None:
            return
        wanted = events.enabled()
        if phase == "start":
            if "FrameStart" in wanted:
                events.emit("FrameStart", block_id, timestamp, stream_channel=0)
            if "ExposureEnd" in wanted:
                exposure_us = float(events.probe.value("ExposureTime", 0.0) or 0.0)
                ticks = round(exposure_us * self.tick_frequency() / 1_000_000)
                events.emit("ExposureEnd", block_id, timestamp + ticks, stream_channel=0)
        elif "FrameEnd" in wanted:
            events.emit("FrameEnd", block_id, timestamp, stream_channel=0)

    def tick_frequency(self) -> int:
        return ((self.memory.get32(R.TIMESTAMP_FREQ_HIGH) << 32)
                | self.memory.get32(R.TIMESTAMP_FREQ_LOW)) or 1_000_000_000

    def test_event(self) -> bool:
        """What TestEventGenerate does: a Test event carrying EVENTDATA (LineStatusAll and
        the number of Test events so far, 32 bits each)."""
        events = self.events
        if events is None:
            return False
        events.sequence["Test"] += 1
        line_status = int(events.probe.value("LineStatusAll", 0) or 0)
        data = struct.pack(">II", line_status & 0xFFFFFFFF, events.sequence["Test"] & 0xFFFFFFFF)
        return events.emit("Test", 0, self.timestamp(), data)

    def stop_acquisition(self) -> None:
        """What executing AcquisitionStop does (also on device stop and control loss)."""
        streamer = self.streamer
        if streamer is not None:
            streamer.stop()
            self._next_block = streamer.block_id

    def _packet_resend(self, cmd: p.PacketResendCmd) -> None:
        streamer = self.streamer
        if streamer is None:
            log.debug("PACKETRESEND for block %d with no stream: ignored", cmd.block_id)
            return
        if cmd.extended != streamer.config.extended_ids:
            log.debug("PACKETRESEND in the other id mode than the stream: ignored")
            return
        streamer.resend(cmd.block_id, cmd.first_packet, cmd.last_packet)

    def _writereg(self, cmd: p.WriteRegCmd, peer: tuple[str, int]) -> p.WriteRegAck:
        if len(cmd.pairs) > 1 and not self.concatenation:
            return p.WriteRegAck(cmd.req_id, 0, Status.NOT_IMPLEMENTED)
        for index, (address, value) in enumerate(cmd.pairs):
            status = self._check_write(address, 4, peer)
            if status:
                return p.WriteRegAck(cmd.req_id, index, status)
            self._write32(address, value, peer)
        return p.WriteRegAck(cmd.req_id, len(cmd.pairs))

    def _readmem(self, cmd: p.ReadMemCmd, peer: tuple[str, int]) -> p.ReadMemAck:
        if cmd.count > p.MAX_MEM or cmd.count == 0:
            return p.ReadMemAck(cmd.req_id, cmd.address, b"", Status.INVALID_PARAMETER)
        status = self._check_read(cmd.address, cmd.count, peer)
        if status:
            return p.ReadMemAck(cmd.req_id, cmd.address, b"", status)
        return p.ReadMemAck(cmd.req_id, cmd.address, self.memory.read(cmd.address, cmd.count))

    def _writemem(self, cmd: p.WriteMemCmd, peer: tuple[str, int]) -> p.WriteMemAck:
        if len(cmd.data) > p.MAX_MEM or not cmd.data:
            return p.WriteMemAck(cmd.req_id, 0, Status.INVALID_PARAMETER)
        status = self._check_write(cmd.address, len(cmd.data), peer)
        if status:
            return p.WriteMemAck(cmd.req_id, 0, status)
        if cmd.address <= R.CCP < cmd.address + len(cmd.data):
            self._write32(R.CCP, struct.unpack_from(">I", cmd.data, R.CCP - cmd.address)[0], peer)
        self.memory.write(cmd.address, cmd.data)
        for offset in range(0, len(cmd.data), 4):
            self._written(cmd.address + offset)
        return p.WriteMemAck(cmd.req_id, len(cmd.data))

    def _expire_control(self, now: float) -> None:
        with self._lock:
            if self.controller is None:
                return
            if self.memory.get32(R.GVCP_CONFIGURATION) & 0x1:  # heartbeat disabled
                return
            timeout = self.memory.get32(R.HEARTBEAT_TIMEOUT) / 1000
            if now - self.controller_last_seen > timeout:
                log.warning("heartbeat timeout (%.0f ms): control of %s:%d expired",
                            timeout * 1000, *self.controller)
                self.stats["control_expired"] += 1
                self.stop_acquisition()
                self._close_files()
                self.controller = None
                self.memory.set32(R.CCP, 0)
                self.memory.set32(R.PRIMARY_APP_PORT, 0)
                self.memory.set32(R.PRIMARY_APP_IP, 0)


def _broadcast_command(data: bytes) -> bool:
    """Whether ``data`` is a command a device obeys when broadcast: DISCOVERY or FORCEIP."""
    try:
        return isinstance(p.decode_command(data), (p.DiscoveryCmd, p.ForceIpCmd))
    except p.GvcpCodecError:
        return False


def _stream_faults_arg(text: str) -> StreamFaults:
    try:
        return parse_stream_faults(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nodemap.transports.gvcp.device",
                                     description="A simulated GigE Vision (GVCP) device.")
    parser.add_argument("--address", default="127.0.0.2", help="IPv4 address to bind (loopback)")
    parser.add_argument("--port", type=int, default=p.GVCP_PORT)
    parser.add_argument("--xml", type=Path, help="GenApi XML (or .zip) to serve via the first URL")
    parser.add_argument("--zip", action="store_true", help="serve the XML zipped")
    parser.add_argument("--no-concatenation", action="store_true")
    parser.add_argument("--heartbeat-timeout", type=int, default=3000, help="milliseconds")
    parser.add_argument("--require-control", action="store_true",
                        help="refuse writes until an application holds CCP")
    parser.add_argument("--register", action="append", default=[], metavar="ADDR=VALUE",
                        help="initial 32-bit register value, e.g. 0xA000=640")
    parser.add_argument("--drop", type=float, default=0.0)
    parser.add_argument("--duplicate", type=float, default=0.0)
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--corrupt", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--broadcast", default=LIMITED_BROADCAST,
                        help="hear broadcast DISCOVERY/FORCEIP sent to this address "
                             "(default 255.255.255.255; 'none': unicast only)")
    parser.add_argument("--stream-faults", type=_stream_faults_arg, default=None, metavar="TEXT",
                        help="seeded GVSP faults, e.g. drop=0.05,duplicate=0.01,reorder=0.01,seed=1")
    parser.add_argument("--retain-frames", type=int, default=8,
                        help="frames kept to answer PACKETRESEND (default 8)")
    parser.add_argument("-v", "--verbose", action="count", default=0)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose > 1 else
                        logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(name)s %(message)s")
    xml = args.xml.read_bytes() if args.xml else None
    registers = {}
    for item in args.register:
        addr, _, value = item.partition("=")
        registers[int(addr, 0)] = int(value, 0)
    device = SimulatedDevice(
        xml, address=args.address, port=args.port,
        xml_name=args.xml.name if args.xml else "device.xml", zipped=args.zip,
        concatenation=not args.no_concatenation, heartbeat_timeout_ms=args.heartbeat_timeout,
        require_control=args.require_control, registers=registers,
        broadcast_address=None if args.broadcast == "none" else args.broadcast,
        stream_faults=args.stream_faults,
        retain_frames=args.retain_frames,
        faults=Faults(drop=args.drop, duplicate=args.duplicate, delay=args.delay,
                      corrupt=args.corrupt, seed=args.seed))
    print(f"GVCP device on {args.address}:{device.port} serving "
          f"{args.xml or 'no XML'}; Ctrl-C stops", flush=True)
    device.serve_forever()
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
