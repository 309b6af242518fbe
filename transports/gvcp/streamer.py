"""The simulated device's stream channel: a thread that draws frames and sends them as GVSP.

One :class:`Streamer` runs one acquisition (AcquisitionStart → stop, or the frame count of
SingleFrame/MultiFrame): each frame is the diagonal ramp of :mod:`.pattern` for the block
id, sent as leader, payload packets of ``SCPS - 20 - 8 - header`` data bytes and trailer
(:mod:`.gvsp` builds every packet), paced by the frame rate (or as fast as it can) and
the SCPD inter-packet delay, or one frame per software trigger.  The last ``retain``
frames are kept to answer PACKETRESEND: resent packets carry status 0x0100; a block no
longer kept (or never sent) is answered with one PACKET_UNAVAILABLE (0x800C) error packet
— PACKET_REMOVED_FROM_MEMORY (0x8012) when the host enabled extended status codes.

Seeded faults (:class:`StreamFaults`) drop, duplicate or reorder first transmissions,
deterministically: each block draws from its own RNG seeded by ``(seed, block id)``, so the
outcome does not depend on thread timing.  ``drop_packets`` drops given (block, packet)
pairs once (a resend recovers them); ``lose_packets`` never delivers them, resends
included.  Block ids run 1..65535 then wrap to 1 (standard) or count up in 64 bits
(extended-ID mode); they continue from one acquisition to the next.

Chunk mode (``chunks``, a :class:`ChunkSource` such as :class:`.sim_chunks.FrameChunks`):
each block is payload type 0x4001, its data the image followed by the chunk tail the
source makes for that block id and timestamp, and the trailer carries the chunk data
length and layout id.  ``on_frame(phase, block_id, timestamp)`` is called with
``"start"`` before a frame's first packet and ``"end"`` after its trailer (the device
turns them into FrameStart/ExposureEnd/FrameEnd events); it must not block.
"""

from __future__ import annotations

import collections
import errno
import logging
import random
import socket
import sys
import threading
import time
from typing import Callable, Protocol

import attrs

from . import gvsp
from .pattern import RampGenerator, frame_size

__all__ = ["StreamFaults", "parse_stream_faults", "StreamConfig", "Streamer", "next_block_id",
           "send_test_packet", "set_do_not_fragment", "ChunkSource", "FrameHook"]

log = logging.getLogger("nodemap.gvcp.stream")

_HAS_SENDMSG = hasattr(socket.socket, "sendmsg") and sys.platform != "win32"
_MAX_QUEUED_TRIGGERS = 64
_MAX_RESEND_SPAN = 1 << 16          # packets one PACKETRESEND may ask for


@attrs.frozen(slots=True)
class StreamFaults:
    """Fractions (0..1) of first transmissions to drop / duplicate / reorder, seeded."""

    drop: float = 0.0
    duplicate: float = 0.0
    reorder: float = 0.0
    seed: int = 0
    drop_packets: frozenset[tuple[int, int]] = frozenset()
    lose_packets: frozenset[tuple[int, int]] = frozenset()

    @property
    def active(self) -> bool:
        return bool(self.drop or self.duplicate or self.reorder or self.drop_packets
                    or self.lose_packets)

    def __str__(self) -> str:
        return f"drop={self.drop},duplicate={self.duplicate},reorder={self.reorder},seed={self.seed}"


_FAULT_KEYS = ("drop", "duplicate", "reorder", "seed")


def parse_stream_faults(text: str) -> StreamFaults:
    """``"drop=0.05,duplicate=0.01,reorder=0.01,seed=1"`` → :class:`StreamFaults`.

    Keys may be omitted (0); an empty text means no faults.  ValueError names the problem.
    """
    values: dict[str, float | int] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep:
            raise ValueError(f"stream fault {item!r} is not KEY=VALUE (keys: "
                             f"{', '.join(_FAULT_KEYS)}; e.g. drop=0.05,seed=1)")
        if key not in _FAULT_KEYS:
            raise ValueError(f"unknown stream fault {key!r}: use {', '.join(_FAULT_KEYS)}")
        if key in values:
            raise ValueError(f"stream fault {key!r} given twice")
        try:
            if key == "seed":
                values[key] = int(raw, 0)
            else:
                fraction = float(raw)
                if not 0.0 <= fraction <= 1.0:
                    raise ValueError
                values[key] = fraction
        except ValueError:
            kind = "an integer" if key == "seed" else "a fraction between 0 and 1"
            raise ValueError(f"stream fault {key}={raw.strip()!r}: expected {kind}") from None
    # keys are StreamFaults' own fields (checked above); seed an int, the rest floats
    return StreamFaults(**values)  # type: ignore[arg-type]


@attrs.frozen(slots=True)
class StreamConfig:
    """What one acquisition streams, snapshot of the registers at AcquisitionStart."""

    destination: tuple[str, int]
    packet_size: int = 1500
    width: int = 640
    height: int = 480
    pixel_format: int = 0x01080001
    offset_x: int = 0
    offset_y: int = 0
    delay_ticks: int = 0
    tick_frequency: int = 1_000_000_000
    extended_ids: bool = False
    frame_rate: float = 0.0
    mode: str = "Continuous"
    frame_count: int = 1
    triggered: bool = False
    extended_status: bool = False
    payload_size: int | None = None      # the XML's PayloadSize, when it has one

    @property
    def data_size(self) -> int:
        return gvsp.data_per_packet(self.packet_size, self.extended_ids)


def next_block_id(block_id: int, extended: bool) -> int:
    """The block id after ``block_id``: 0 is never used (wraps 0xFFFF → 1 in standard mode)."""
    limit = (1 << 64) - 1 if extended else 0xFFFF
    return 1 if block_id >= limit else block_id + 1


def set_do_not_fragment(sock: socket.socket, on: bool) -> bool:
    """Set/clear the IP don't-fragment bit for datagrams from ``sock`` (Linux
    IP_MTU_DISCOVER); False where the platform offers no way."""
    option = getattr(socket, "IP_MTU_DISCOVER", None)
    if option is None:
        return False
    value = getattr(socket, "IP_PMTUDISC_DO", 2) if on else getattr(socket, "IP_PMTUDISC_DONT", 0)
    try:
        sock.setsockopt(socket.IPPROTO_IP, option, value)
    except OSError:  # pragma: no cover - exotic kernels
        return False
    return True


def send_test_packet(sock: socket.socket, destination: tuple[str, int], packet_size: int,
                     extended: bool = False) -> bool:
    """Fire one GVSP test packet whose IP datagram is exactly ``packet_size`` bytes (the
    SCPS size counts the IP and UDP headers), with don't-fragment set; False when the
    size does not fit (or the network refuses it)."""
    payload = packet_size - gvsp.IP_UDP_OVERHEAD
    header = gvsp.encode_header(gvsp.STATUS_SUCCESS, 0, gvsp.ContentType.PAYLOAD, 0,
                                extended=extended)
    if payload < len(header) or payload > 65507:
        log.info("test packet of %d bytes cannot be sent (UDP payload %d)", packet_size, payload)
        return False
    df = set_do_not_fragment(sock, True)
    try:
        sock.sendto(header + bytes(payload - len(header)), destination)
        return True
    except OSError as exc:
        log.info("test packet of %d bytes to %s:%d not sent: %s", packet_size, *destination, exc)
        return False
    finally:
        if df:
            set_do_not_fragment(sock, False)


class ChunkSource(Protocol):
    """Chunk data of each frame of one acquisition (see :mod:`.sim_chunks`)."""

    layout_id: int

    def tail_size(self) -> int: ...

    def tail(self, block_id: int, timestamp: int, image_length: int) -> bytes: ...


FrameHook = Callable[[str, int, int], None]


@attrs.define(slots=True)
class _Block:
    """A retained frame: enough to rebuild any of its packets."""

    block_id: int
    leader: bytes
    trailer: bytes
    data: memoryview
    packets: int                    # data packets (ids 1..packets); trailer is packets + 1


class Streamer:
    """One acquisition's sending thread.  ``start()``, ``stop()``, ``trigger()``, ``resend()``."""

    def __init__(self, sock: socket.socket, config: StreamConfig, *,
                 faults: StreamFaults | None = None, first_block_id: int = 1, retain: int = 8,
                 timestamp: Callable[[], int] = time.monotonic_ns,
                 on_finished: Callable[["Streamer"], None] | None = None,
                 chunks: ChunkSource | None = None, on_frame: FrameHook | None = None) -> None:
        if retain < 1:
            raise ValueError("a streamer must retain at least one frame for resends")
        self.sock = sock
        self.config = config
        self.faults = faults or StreamFaults()
        self.retain = retain
        self.timestamp = timestamp
        self.on_finished = on_finished
        self.chunks = chunks
        self.on_frame = on_frame
        self.block_id = first_block_id        # the next block to send
        self.stats = {"frames": 0, "packets": 0, "bytes": 0, "dropped": 0, "duplicated": 0,
                      "reordered": 0, "resend_requests": 0, "resent": 0, "unavailable": 0,
                      "send_errors": 0, "triggers": 0}
        self.image_bytes = frame_size(config.pixel_format, config.width, config.height)
        self.frame_bytes = self.image_bytes + (chunks.tail_size() if chunks is not None else 0)
        n = -(-self.frame_bytes // config.data_size)
        if not config.extended_ids and n + 1 > gvsp.MAX_PACKET_ID_STANDARD:
            raise ValueError(f"a {self.frame_bytes}-byte frame needs {n} packets: more than "
                             "24-bit packet ids allow; enable extended IDs or larger packets")
        self._generator = RampGenerator(config.pixel_format, config.width)
        self._blocks: collections.OrderedDict[int, _Block] = collections.OrderedDict()
        self._sent: set[int] = set()                      # every block id ever sent, bounded
        self._sent_order: collections.deque[int] = collections.deque()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._triggers = 0
        self._thread: threading.Thread | None = None
        self._delay_s = (config.delay_ticks / config.tick_frequency
                         if config.delay_ticks and config.tick_frequency else 0.0)

    # ------------------------------------------------------------------ lifecycle

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> "Streamer":
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name=f"gvsp-stream-{self.config.destination[0]}")
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
            if thread.is_alive():  # pragma: no cover - a send blocked for seconds
                log.warning("stream thread to %s:%d did not stop within %.1f s",
                            *self.config.destination, timeout)

    def trigger(self) -> None:
        """One more frame (TriggerMode On); triggers beyond a small queue are ignored."""
        with self._lock:
            self.stats["triggers"] += 1
            if self._triggers < _MAX_QUEUED_TRIGGERS:
                self._triggers += 1
        self._wake.set()

    # ------------------------------------------------------------------ the thread

    def _frames_wanted(self) -> int | None:
        mode = self.config.mode
        if mode == "SingleFrame":
            return 1
        if mode == "MultiFrame":
            return max(1, self.config.frame_count)
        return None

    def _run(self) -> None:
        cfg = self.config
        wanted = self._frames_wanted()
        period = 1.0 / cfg.frame_rate if cfg.frame_rate > 0 else 0.0
        due = time.monotonic()
        sent = 0
        log.info("streaming %dx%d 0x%08X to %s:%d, %d-byte packets%s", cfg.width, cfg.height,
                 cfg.pixel_format, *cfg.destination, cfg.packet_size,
                 " (extended IDs)" if cfg.extended_ids else "")
        try:
            while not self._stop.is_set() and (wanted is None or sent < wanted):
                if cfg.triggered:
                    if not self._take_trigger():
                        self._wake.wait(0.5)
                        self._wake.clear()
                        continue
                elif period:
                    now = time.monotonic()
                    if due > now:
                        if self._stop.wait(due - now):
                            break
                    due = max(due + period, time.monotonic() - period)
                self._send_frame()
                sent += 1
        except Exception:  # pragma: no cover - a bug must not kill the device silently
            log.exception("stream thread to %s:%d failed", *cfg.destination)
        finally:
            log.info("stream to %s:%d ended after %d frames", *cfg.destination, sent)
            if self.on_finished is not None and not self._stop.is_set():
                self.on_finished(self)

    def _take_trigger(self) -> bool:
        with self._lock:
            if self._triggers:
                self._triggers -= 1
                return True
            return False

    def _send_frame(self) -> None:
        cfg = self.config
        block_id = self.block_id
        self.block_id = next_block_id(block_id, cfg.extended_ids)
        timestamp = self.timestamp()
        self._hook("start", block_id, timestamp)
        image = self._generator.frame(cfg.height, block_id)
        chunks = self.chunks
        if chunks is not None:
            data = memoryview(bytes(image) + chunks.tail(block_id, timestamp, len(image)))
        else:
            data = memoryview(image)
        packets = -(-len(data) // cfg.data_size)
        ext = cfg.extended_ids
        leader = gvsp.encode_image_leader(
            block_id, timestamp=timestamp, pixel_format=cfg.pixel_format,
            width=cfg.width, height=cfg.height, offset_x=cfg.offset_x, offset_y=cfg.offset_y,
            chunks=chunks is not None, extended=ext)
        if chunks is not None:
            trailer = gvsp.encode_trailer(
                block_id, packets + 1, size_y=cfg.height,
                payload_type=gvsp.PayloadType.IMAGE | gvsp.EXTENDED_CHUNK,
                chunk_data_length=len(data), chunk_layout_id=chunks.layout_id, extended=ext)
        else:
            trailer = gvsp.encode_trailer(block_id, packets + 1, size_y=cfg.height,
                                          extended=ext)
        block = _Block(block_id, leader, trailer, data, packets)
        with self._lock:
            self._blocks[block_id] = block
            while len(self._blocks) > self.retain:
                self._blocks.popitem(last=False)
            self._remember(block_id)
        faults = self.faults
        rng = random.Random(f"{faults.seed}/{block_id}") if faults.active else None
        held: tuple[int, bool] | None = None          # a packet kept back to reorder
        pace = time.perf_counter()
        for packet_id in range(packets + 2):
            if self._stop.is_set():
                return
            copies = 1
            if rng is not None:
                key = (block_id, packet_id)
                drop_roll, dup_roll, reorder_roll = rng.random(), rng.random(), rng.random()
                if key in faults.lose_packets or key in faults.drop_packets \
                        or drop_roll < faults.drop:
                    self.stats["dropped"] += 1
                    continue
                if dup_roll < faults.duplicate:
                    copies = 2
                    self.stats["duplicated"] += 1
                if held is None and reorder_roll < faults.reorder and packet_id < packets + 1:
                    held = (packet_id, copies == 2)
                    self.stats["reordered"] += 1
                    continue
            for _ in range(copies):
                self._send_packet(block, packet_id)
            if held is not None:
                self._send_packet(block, held[0])
                if held[1]:
                    self._send_packet(block, held[0])
                held = None
            if self._delay_s:
                pace += self._delay_s
                ahead = pace - time.perf_counter()
                if ahead > 0.0005:
                    time.sleep(ahead)
        if held is not None:
            self._send_packet(block, held[0])
        self.stats["frames"] += 1
        self._hook("end", block_id, self.timestamp())

    def _hook(self, phase: str, block_id: int, timestamp: int) -> None:
        if self.on_frame is None:
            return
        try:
            self.on_frame(phase, block_id, timestamp)
        except Exception:  # noqa: BLE001 - events must never stop the stream
            log.exception("frame hook (%s of block %d) failed", phase, block_id)

    def _remember(self, block_id: int) -> None:
        self._sent.add(block_id)
        self._sent_order.append(block_id)
        while len(self._sent_order) > 4096:
            self._sent.discard(self._sent_order.popleft())

    # ------------------------------------------------------------------ packets

    def _send_packet(self, block: _Block, packet_id: int, status: int = gvsp.STATUS_SUCCESS
                     ) -> None:
        cfg = self.config
        if packet_id == 0:
            datagram: bytes | list[bytes | memoryview] = \
                block.leader if status == gvsp.STATUS_SUCCESS else \
                _restatus(block.leader, status)
        elif packet_id == block.packets + 1:
            datagram = block.trailer if status == gvsp.STATUS_SUCCESS else \
                _restatus(block.trailer, status)
        else:
            start = (packet_id - 1) * cfg.data_size
            header = gvsp.payload_header(block.block_id, packet_id, extended=cfg.extended_ids,
                                         status=status)
            datagram = [header, block.data[start:start + cfg.data_size]]
        self._transmit(datagram)

    def _transmit(self, datagram: bytes | list[bytes | memoryview]) -> None:
        try:
            if isinstance(datagram, list):
                if _HAS_SENDMSG:
                    n = self.sock.sendmsg(datagram, (), 0, self.config.destination)
                else:  # pragma: no cover - Windows
                    n = self.sock.sendto(b"".join(datagram), self.config.destination)
            else:
                n = self.sock.sendto(datagram, self.config.destination)
        except OSError as exc:
            self.stats["send_errors"] += 1
            if exc.errno not in (errno.ECONNREFUSED, errno.ENOBUFS, errno.EAGAIN):
                log.debug("GVSP send to %s:%d failed: %s", *self.config.destination, exc)
            return
        self.stats["packets"] += 1
        self.stats["bytes"] += n

    def resend(self, block_id: int, first: int, last: int) -> int:
        """Answer a PACKETRESEND: send retained packets again (status 0x0100); an error
        packet for a block no longer kept or packet ids it never had.  Returns packets sent."""
        self.stats["resend_requests"] += 1
        with self._lock:
            block = self._blocks.get(block_id)
            evicted = block is None and block_id in self._sent
        if block is None:
            status = (0x8012 if evicted and self.config.extended_status
                      else gvsp.STATUS_PACKET_UNAVAILABLE)
            self._error_packet(block_id, first, status)
            return 0
        if last < first or last - first >= _MAX_RESEND_SPAN:
            self._error_packet(block_id, first, gvsp.STATUS_PACKET_UNAVAILABLE)
            return 0
        sent = 0
        for packet_id in range(first, last + 1):
            if packet_id > block.packets + 1:
                self._error_packet(block_id, packet_id, gvsp.STATUS_PACKET_UNAVAILABLE)
                break
            if (block_id, packet_id) in self.faults.lose_packets:
                continue
            self._send_packet(block, packet_id, gvsp.STATUS_PACKET_RESEND)
            sent += 1
        self.stats["resent"] += sent
        return sent

    def _error_packet(self, block_id: int, packet_id: int, status: int) -> None:
        self.stats["unavailable"] += 1
        ext = self.config.extended_ids
        if not ext:
            block_id &= 0xFFFF
            packet_id &= gvsp.MAX_PACKET_ID_STANDARD
        self._transmit(gvsp.encode_header(status, block_id, gvsp.ContentType.PAYLOAD,
                                          packet_id & 0xFFFFFFFF, extended=ext))


def _restatus(datagram: bytes, status: int) -> bytes:
    return status.to_bytes(2, "big") + datagram[2:]
