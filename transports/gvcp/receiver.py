"""GVSP receiver: one UDP socket, one thread, packets reassembled in preallocated buffers.

:class:`GvspReceiver` knows GVSP and UDP but no GVCP registers or features (that is
:mod:`.stream`): it binds a socket, receives leader / payload / trailer packets, writes each
payload at ``(packet_id - 1) * data_size`` in a pool buffer, asks for missing packets with
PACKETRESEND (bounded in rounds and time), and hands out :class:`nodemap.imaging.Frame` s
through ``next_frame(timeout)``.

Three ways in, chosen once per receiver (``ring=`` / ``batch=`` override):

1. Linux with CAP_NET_RAW (root): a PACKET_MMAP TPACKET_V3 ring (:mod:`.ring`), for every
   packet size — it measured best at 1400 and 8000 bytes alike (docs/gvsp.md).  The kernel
   hands over 2 MiB blocks of packets; per block the work is per *run*: a run of
   standard-header full data packets of one block lies in the ring as an arithmetic
   sequence, so one strided numpy view checks all their headers (sizes, block id, packet
   ids in order, links) and one strided copy puts their payloads in place.  A run stops at
   the first packet that does not fit (reordered, duplicated, resent, of another block…);
   that packet, leaders, trailers and a frame's short last packet go alone through the
   per-packet path below.
2. Linux otherwise: ``recvmmsg`` batches scattered straight into the frame buffer at the
   offsets the next expected packets belong at (:mod:`.mmsg`), checked together after the
   call; anything unexpected is copied out and handled per packet.
3. Elsewhere: per data packet one ``recv_into`` into a scratch buffer, one
   ``struct.unpack_from``, one slice copy into the frame buffer, a byte in the block's
   received-map — no packet objects.

Image leaders and trailers are read with ``struct`` directly; other payload types go
through the codec in :mod:`.gvsp`.

Guarantees: a frame with holes left after the resend rounds is delivered
``status == "incomplete"`` (holes zeroed), never complete; packets of a block already
delivered are counted ``late_packets`` and dropped, so they never touch a newer frame;
malformed datagrams are counted and dropped; when every pool buffer is still held by the
application the new block is dropped and counted in ``underruns``.
"""

from __future__ import annotations

import collections
import itertools
import logging
import os
import queue
import socket
import struct
import sys
import threading
import time
from typing import Any

from nodemap.errors import PortError, TimeoutError
from nodemap.imaging import pfnc
from nodemap.imaging.buffers import BufferPool
from nodemap.imaging.frame import Frame

from . import gvsp
from . import mmsg
from . import ring as _ring
from . import protocol as p

__all__ = ["GvspReceiver", "STAT_KEYS"]

_warned_rmem = False


def _note_rmem_warning() -> None:
    """The rmem_max warning is given once per process, not per stream."""
    global _warned_rmem
    _warned_rmem = True


log = logging.getLogger("nodemap.gvsp")

STAT_KEYS = ("completed", "incomplete", "packets", "bytes", "missing_packets",
             "resend_requests", "resent_packets", "duplicates", "late_packets", "underruns",
             "malformed", "error_packets", "unavailable_packets", "overflows", "dropped", "receive_calls",
             "kernel_drops")
_HDR = struct.Struct(">HHI")
_EXT = struct.Struct(">HHIQI")
_EI = 0x80000000
_STATUS_RESENT = 0x0100
_LEADER, _TRAILER, _PAYLOAD = 1, 2, 3
_TIMEVAL = struct.Struct("@ll")
_KERNEL_TIMEOUT = sys.platform.startswith("linux") and hasattr(socket, "SO_RCVTIMEO")
_RECV_TIMEOUTS = (socket.timeout, BlockingIOError, InterruptedError)
_DONE_MEMORY = 256          # finished block ids remembered to recognise late packets
_SERVICE_EVERY = 64         # packets between two looks at the clock (resends, retention)
_ONES = b"\1" * 4096
_IMAGE_TYPE = struct.Struct(">H")
_U32 = struct.Struct(">I")
_IMAGE_TYPES = (gvsp.PayloadType.IMAGE, gvsp.PayloadType.IMAGE | gvsp.EXTENDED_CHUNK)


class _Block:
    """One block (frame) being reassembled."""

    __slots__ = ("block_id", "index", "mv", "got", "count", "ndata", "high", "leader",
                 "trailer", "end", "payload_type", "pixel_format", "width", "height",
                 "offset_x", "offset_y", "padding_x", "padding_y", "timestamp", "last_seen",
                 "next_resend", "rounds", "unavailable", "overflow", "extended", "image_bytes", "done")

    def __init__(self, block_id: int, index: int, mv: memoryview, npackets: int,
                 now: float, extended: bool) -> None:
        self.block_id = block_id
        self.index = index
        self.mv = mv
        self.got = bytearray(npackets + 2)      # [0] leader, [1..n] data, grows if needed
        self.count = 0
        self.ndata = -1                         # data packets, once known
        self.high = 0                           # highest data packet id seen
        self.leader = False
        self.trailer = False
        self.end = 0                            # highest byte written + 1
        self.payload_type = 0
        self.pixel_format = 0
        self.width = self.height = self.offset_x = self.offset_y = 0
        self.padding_x = self.padding_y = 0
        self.timestamp = 0
        self.last_seen = now
        self.next_resend = 0.0                  # 0: no hole noticed yet
        self.rounds = 0
        self.unavailable = False
        self.overflow = False
        self.extended = extended
        self.image_bytes = -1
        self.done = 0                           # 1 complete / 2 incomplete, awaiting delivery


def _timeval(seconds: float) -> bytes:
    us = max(1, int(seconds * 1_000_000))
    return _TIMEVAL.pack(us // 1_000_000, us % 1_000_000)


class GvspReceiver:
    """Receive one GVSP stream channel into a pool of ``buffers`` buffers of
    ``buffer_size`` bytes (see the module docstring).

    ``device``: (host, GVCP port) that PACKETRESEND commands go to (None: no resend).
    ``packet_size``: the SCPS packet size the device sends (IP + UDP + GVSP header + data).
    """

    def __init__(self, *, buffer_size: int, buffers: int = 8, packet_size: int = 1500,
                 bind: tuple[str, int] = ("0.0.0.0", 0), device: tuple[str, int] | None = None,
                 channel: int = 0, resend: bool = True, resend_delay: float = 0.004,
                 resend_interval: float = 0.03, max_resend_rounds: int = 5,
                 max_resend_ranges: int = 32, retention: float = 0.5, max_in_flight: int = 8,
                 rcvbuf: int = 32 * 1024 * 1024, force_rcvbuf: bool = True,
                 poll_interval: float = 0.01, batch: bool | None = None,
                 coalesce: float = 0.0003, ring: bool | None = None,
                 name: str = "") -> None:
        self.pool = BufferPool(buffers, buffer_size)
        self.device = device
        self.channel = channel
        self.resend = resend and device is not None
        self.resend_delay = resend_delay
        self.resend_interval = resend_interval
        self.max_resend_rounds = max_resend_rounds
        self.max_resend_ranges = max_resend_ranges
        self.retention = retention
        self.max_in_flight = max(1, max_in_flight)
        self.poll_interval = poll_interval
        # Linux: recvmmsg batches scattered straight into the frame buffers (see .mmsg)
        self.batch = mmsg.available() if batch is None else (batch and mmsg.available())
        self.coalesce = coalesce
        # Linux as root: a PACKET_MMAP ring hands over whole blocks of packets (see .ring)
        self.use_ring = _ring.available() if ring is None else (ring and _ring.available())
        self._ring: _ring.PacketRing | None = None
        self.name = name or (f"{device[0]}" if device else "gvsp")
        self.stats: dict[str, int] = dict.fromkeys(STAT_KEYS, 0)
        self._frames: queue.SimpleQueue[Frame | BaseException] = queue.SimpleQueue()
        self._blocks: dict[int, _Block] = {}
        self._done: collections.deque[int] = collections.deque(maxlen=_DONE_MEMORY)
        self._done_set: set[int] = set()
        self._skip_order: collections.deque[int] = collections.deque(maxlen=_DONE_MEMORY)
        self._skipped: set[int] = set()
        self._newest: int | None = None
        self._req_ids = itertools.cycle(range(1, 0x10000))
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._error: BaseException | None = None
        self._closed = False
        self._service_period = min(resend_delay, poll_interval, 0.005)
        self._next_service = 0.0
        self._next_drop_check = 0.0
        self._sizes: dict[tuple[int, ...], int] = {}    # image bytes per leader geometry
        self.set_packet_size(packet_size)
        try:
            self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self._sock.bind(bind)
        except OSError as exc:
            raise PortError(f"cannot bind a GVSP stream socket on {bind[0]}:{bind[1]}: {exc} "
                            "— pass the address of the interface that reaches the camera") from exc
        self.rcvbuf = self._grow_rcvbuf(rcvbuf, force_rcvbuf)
        if _KERNEL_TIMEOUT:
            self._sock.settimeout(None)
            self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, _timeval(poll_interval))
        else:
            self._sock.settimeout(poll_interval)
        self.address: tuple[str, int] = self._sock.getsockname()

    # ------------------------------------------------------------------ setup

    def set_packet_size(self, packet_size: int) -> None:
        """The SCPS packet size the device uses (sets the data bytes per packet)."""
        self.packet_size = packet_size
        self.data_size = gvsp.data_per_packet(packet_size, extended=False)
        self.data_size_ext = gvsp.data_per_packet(packet_size, extended=True)
        self._scratch = bytearray(max(65536, packet_size + 64))
        self._smv = memoryview(self._scratch)

    def _grow_rcvbuf(self, wanted: int, force: bool) -> int:
        sock = self._sock
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, wanted)
        except OSError:
            pass
        got = sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
        # Linux reports twice the value it grants (bookkeeping overhead).
        granted = got // 2 if sys.platform.startswith("linux") else got
        if granted < wanted and force and hasattr(socket, "SO_RCVBUFFORCE"):
            try:   # needs CAP_NET_ADMIN; lifts the rmem_max cap
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUFFORCE, wanted)
                got = sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
                granted = got // 2 if sys.platform.startswith("linux") else got
            except OSError:
                pass
        if granted < wanted and not _warned_rmem:
            _note_rmem_warning()
            log.warning("the kernel capped the GVSP socket receive buffer at %d bytes (asked %d): "
                        "frames may lose packets at high rates — raise net.core.rmem_max "
                        "(sysctl -w net.core.rmem_max=%d)", granted, wanted, wanted)
        return granted

    # ------------------------------------------------------------------ FrameSource

    def start(self) -> None:
        if self._closed:
            raise PortError(f"the GVSP receiver for {self.name} is closed")
        if self._thread is not None:
            return
        self._stop.clear()
        self._error = None
        if self.use_ring and self._ring is None:
            try:
                self._ring = _ring.PacketRing(self.address[0], self.address[1])
                # the ring takes every datagram: the UDP socket (kept for the port and
                # for PACKETRESEND) drops them on arrival instead of queueing copies
                _ring.attach_filter(self._sock, _ring.DROP_ALL)
            except OSError as exc:
                log.info("no packet ring for %s (%s): the UDP socket receives", self.name, exc)
                self._ring = None
                self.use_ring = False
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name=f"gvsp-receiver-{self.name}")
        self._thread.start()

    def stop(self) -> None:
        """Stop receiving; blocks in flight are dropped (their buffers return to the pool)."""
        thread = self._thread
        if thread is None:
            return
        self._stop.set()
        thread.join(5)
        self._thread = None
        if self._ring is not None:
            self.stats["kernel_drops"] += self._ring.drops()
        for blk in list(self._blocks.values()):
            self._discard(blk)

    def close(self) -> None:
        if self._closed:
            return
        self.stop()
        self._closed = True
        if self._ring is not None:
            self._ring.close()
            self._ring = None
        self._sock.close()

    def next_frame(self, timeout: float) -> Frame:
        try:
            item = self._frames.get(timeout=timeout)
        except queue.Empty:
            if self._error is not None:
                raise PortError(f"the GVSP receiver for {self.name} failed: "
                                f"{self._error}") from self._error
            raise TimeoutError(
                f"no frame from GigE Vision device {self.name} within {timeout:g} s on "
                f"{self.address[0]}:{self.address[1]} ({self._summary()}) — check that the "
                "camera is acquiring and reachable and that no firewall drops UDP to that "
                "port") from None
        if isinstance(item, BaseException):
            raise item
        return item

    def _summary(self) -> str:
        s = self.stats
        return (f"{s['completed']} complete, {s['incomplete']} incomplete, {s['packets']} "
                f"packets, {s['underruns']} underruns")

    @property
    def pending(self) -> int:
        """Frames received and not yet taken with next_frame."""
        return self._frames.qsize()

    # ------------------------------------------------------------------ receive loop

    def _run(self) -> None:
        try:
            if self._ring is not None:
                self._loop_ring()
            elif self.batch:
                self._loop_batched()
            else:
                self._loop()
        except BaseException as exc:  # pragma: no cover - reported to the consumer
            if not self._stop.is_set():
                log.exception("GVSP receiver for %s failed", self.name)
                self._error = exc

    def _loop(self) -> None:
        sock = self._sock
        recv_into = sock.recv_into
        unpack = _HDR.unpack_from
        stats = self.stats
        blocks = self._blocks
        stop = self._stop
        monotonic = time.monotonic
        cur: _Block | None = None
        cur_id = -1
        countdown = _SERVICE_EVERY
        packets = nbytes = 0
        while not stop.is_set():
            scratch, smv, ds = self._scratch, self._smv, self.data_size
            try:
                n = recv_into(scratch)
            except _RECV_TIMEOUTS:
                stats["packets"] += packets
                stats["bytes"] += nbytes
                packets = nbytes = 0
                self._service(monotonic())
                cur = None
                cur_id = -1
                continue
            except OSError as exc:
                if stop.is_set():
                    break
                raise PortError(f"GVSP receive on {self.address} failed: {exc}") from exc
            packets += 1
            nbytes += n
            countdown -= 1
            stats["receive_calls"] += 1
            if countdown <= 0:
                countdown = _SERVICE_EVERY
                stats["packets"] += packets
                stats["bytes"] += nbytes
                packets = nbytes = 0
                now = monotonic()
                if cur is not None:
                    cur.last_seen = now
                if now >= self._next_service:
                    self._service(now)
                    cur = None
                    cur_id = -1
            if n < 8:
                stats["malformed"] += 1
                continue
            status, bid, infos = unpack(scratch)
            # ---- hot path: a standard-header data packet of the block being filled
            if bid == cur_id and (infos >> 24) == _PAYLOAD and not status:
                pid = infos & 0xFFFFFF
                got = cur.got   # type: ignore[union-attr]
                if 0 < pid < len(got) and not got[pid]:
                    off = (pid - 1) * ds
                    end = off + n - 8
                    if end <= cur.mv.nbytes:   # type: ignore[union-attr]
                        cur.mv[off:end] = smv[8:n]   # type: ignore[union-attr]
                        got[pid] = 1
                        cur.count += 1   # type: ignore[union-attr]
                        if end > cur.end:   # type: ignore[union-attr]
                            cur.end = end   # type: ignore[union-attr]
                        if pid > cur.high:   # type: ignore[union-attr]
                            if pid != cur.high + 1 and not cur.next_resend:   # type: ignore[union-attr]
                                cur.next_resend = monotonic() + self.resend_delay   # type: ignore[union-attr]
                            cur.high = pid   # type: ignore[union-attr]
                        if cur.count == cur.ndata and cur.leader:   # type: ignore[union-attr]
                            stats["packets"] += packets
                            stats["bytes"] += nbytes
                            packets = nbytes = 0
                            self._deliver(cur)   # type: ignore[arg-type]
                            cur = None
                            cur_id = -1
                        continue
            # ---- everything else: leaders, trailers, resent / reordered / extended packets
            stats["packets"] += packets
            stats["bytes"] += nbytes
            packets = nbytes = 0
            now = monotonic()
            blk = self._packet(n, status, bid, infos, now)
            if now >= self._next_service:
                self._service(now)
                blk = blk if blk is not None and blk.block_id in blocks and not blk.done \
                    else None
            if blk is not None and not blk.extended:
                cur, cur_id = blk, blk.block_id
            else:
                cur, cur_id = None, -1
        stats["packets"] += packets
        stats["bytes"] += nbytes

    def _loop_batched(self) -> None:
        """The receive loop with recvmmsg: the next packets of the block being filled are
        received in one call straight into place and checked together (see .mmsg)."""
        import array
        import errno

        sock = self._sock
        fd = sock.fileno()
        stats = self.stats
        blocks = self._blocks
        stop = self._stop
        monotonic = time.monotonic
        ds = self.data_size
        pool = self.pool
        headers = mmsg.Headers((pool.size + ds - 1) // ds)
        plans = [mmsg.ScatterPlan(buf, ds, headers) for buf in pool.buffers]
        scratch = mmsg.ScratchPlan(8)
        step = ctypes_sizeof = mmsg._SIZE
        full = memoryview(array.array("I", [8 + ds] * mmsg.BATCH))
        ones = b"\1" * mmsg.BATCH
        word0, word1, infos = headers.word0, headers.word1, headers.infos_template
        hdr_bytes, over = headers.headers, headers.overflow
        recv = mmsg.recvmmsg
        again = (errno.EAGAIN, errno.EWOULDBLOCK, errno.EINTR)
        cur: _Block | None = None
        w0_block = -1
        w0 = full
        smv = self._smv
        del ctypes_sizeof
        sleep = time.sleep
        coalesce = self.coalesce
        coalesce_below = 8 if coalesce > 0 else 0
        while not stop.is_set():
            k = 0
            if cur is not None and cur.leader and not cur.done and not cur.extended:
                p0 = cur.high + 1
                plan = plans[cur.index]
                # never past the plan: a leader may claim more packets than the buffer
                # holds, and recvmmsg must only see the plan's own mmsghdrs
                last_pid = min(cur.ndata, plan.npackets) if cur.ndata > 0 else plan.npackets
                k = min(mmsg.BATCH, last_pid - p0 + 1)
                if k > 0:
                    j = cur.got.find(1, p0, p0 + k)
                    if j >= 0:
                        k = j - p0
            if k > 0:
                assert cur is not None
                n = recv(fd, plan.address + p0 * step, k)
                if n < 0:
                    if -n not in again:
                        if stop.is_set():
                            break
                        raise PortError(f"GVSP receive on {self.address} failed: "
                                        f"{os.strerror(-n)}")
                    self._service(monotonic())
                    cur = cur if cur is not None and cur.block_id in blocks and not cur.done \
                        else None
                    continue
                stats["packets"] += n
                stats["receive_calls"] += 1
                if cur.block_id != w0_block:
                    w0_block = cur.block_id
                    w0 = memoryview(array.array("I", [headers.block_word(w0_block)]
                                                * mmsg.BATCH))
                last = p0 + n - 1
                lens = plan.lens
                tail = last == cur.ndata           # the block's last (short) data packet
                m = n - 1 if tail else n
                ok = (word0[p0:p0 + n] == w0[:n] and word1[p0:p0 + n] == infos[p0:p0 + n]
                      and lens[p0:p0 + m] == full[:m])
                if ok and tail:
                    tail_len = lens[last] - 8
                    want = cur.image_bytes - (last - 1) * ds if cur.image_bytes > 0 else -1
                    ok = 0 < tail_len <= ds and (want < 0 or tail_len == want)
                if ok:
                    if n < k and n < coalesce_below:
                        # the source is slower than we are: let a few packets gather in
                        # the socket buffer so that the next call takes many at once
                        sleep(coalesce)
                    cur.got[p0:p0 + n] = ones[:n]
                    cur.count += n
                    cur.high = last
                    end = (last - 1) * ds + (lens[last] - 8)
                    stats["bytes"] += (n - 1) * (8 + ds) + lens[last]
                    if end > cur.end:
                        cur.end = end
                    if cur.count == cur.ndata:
                        self._deliver(cur)
                        cur = None
                else:
                    # something else arrived: copy every datagram out, then handle each
                    datagrams = []
                    for i in range(n):
                        pid = p0 + i
                        length = lens[pid]
                        region = plan.iov[3 * pid + 1].iov_len
                        off = (pid - 1) * ds
                        body = min(max(length - 8, 0), region)
                        rest = min(max(length - 8 - region, 0), mmsg.OVERFLOW)
                        slot = (pid % mmsg.BATCH) * mmsg.OVERFLOW
                        datagrams.append(bytes(hdr_bytes[8 * pid:8 * pid + min(8, length)])
                                         + bytes(pool.buffers[cur.index][off:off + body])
                                         + bytes(over[slot:slot + rest]))
                    for data in datagrams:
                        stats["bytes"] += len(data)
                        blk = self._handle(data, monotonic())
                        if blk is not None:
                            cur = blk
                    cur = cur if cur is not None and cur.block_id in blocks and not cur.done \
                        else None
            else:
                n = recv(fd, scratch.address, scratch.count)
                if n < 0:
                    if -n not in again:
                        if stop.is_set():
                            break
                        raise PortError(f"GVSP receive on {self.address} failed: "
                                        f"{os.strerror(-n)}")
                    self._service(monotonic())
                    cur = cur if cur is not None and cur.block_id in blocks and not cur.done \
                        else None
                    continue
                stats["packets"] += n
                stats["receive_calls"] += 1
                view = scratch.view
                for i in range(n):
                    length = min(scratch.lens[i], mmsg.OVERFLOW)
                    stats["bytes"] += length
                    smv[:length] = view[i * mmsg.OVERFLOW:i * mmsg.OVERFLOW + length]
                    blk = self._handle_scratch(length, monotonic())
                    if blk is not None:
                        cur = blk
                cur = cur if cur is not None and cur.block_id in blocks and not cur.done \
                    else None
            now = monotonic()
            if now >= self._next_service:
                if cur is not None:
                    cur.last_seen = now
                self._service(now)
                cur = cur if cur is not None and cur.block_id in blocks and not cur.done \
                    else None

    def _loop_ring(self) -> None:
        """The receive loop over the PACKET_MMAP ring: one wakeup per filled ring block,
        whose packets are handled together (see :meth:`_ring_handle`)."""
        ring = self._ring
        assert ring is not None
        stats = self.stats
        stop = self._stop
        monotonic = time.monotonic
        rows = self._ring_rows()
        while not stop.is_set():
            block = ring.next_block(self.poll_interval)
            if block is None:
                self._service(monotonic())
                continue
            stats["receive_calls"] += 1
            self._ring_handle(block, rows, monotonic())
            now = monotonic()
            if now >= self._next_service:
                self._service(now)

    def _ring_rows(self) -> list[Any]:
        """Each pool buffer as rows of one full data packet (numpy views)."""
        import numpy as np

        ds = self.data_size
        return [np.frombuffer(buf, dtype=np.uint8)[:(len(buf) // ds) * ds].reshape(-1, ds)
                for buf in self.pool.buffers]

    def _ring_handle(self, block: tuple[int, int, int, int], rows: list[Any],
                     now: float) -> None:
        """Handle the ring block ``block`` (see RingLayout.ready) and give it back.

        Per run, not per packet: a run of standard-header full data packets (the bulk of
        a frame) lies in the block as an arithmetic sequence (same size, same
        ``tp_next_offset``), so one strided numpy view of the run's headers checks all of
        them at once (:meth:`RingLayout.run_view`) and one strided copy puts their
        payloads in place (:meth:`_ring_run`).  Every other packet — leaders, trailers, a
        frame's short last packet, resent, duplicated, out-of-order, extended-id, error or
        malformed ones — goes alone through the slow path, in arrival order."""
        ring = self._ring
        assert ring is not None
        stats = self.stats
        base, num, first, length = block
        pos, end = base + first, base + length
        full_snap = 20 + 8 + 8 + self.data_size       # IPv4 + UDP + GVSP + full payload
        words = ring.words
        try:
            i = 0
            while i < num:
                if pos < base or pos + _ring.HDR3_SIZE > end or pos & 7:
                    stats["malformed"] += num - i        # a broken chain: the rest is lost
                    break
                if num - i > 1 and words[(pos + 12) >> 2] == full_snap:
                    taken, pos = self._ring_run(pos, num - i, end, full_snap, rows, now)
                    if taken:
                        i += taken
                        continue
                link, start, n = ring.packet(pos)
                stats["packets"] += 1
                i += 1
                if n < 0:
                    stats["malformed"] += 1
                else:
                    stats["bytes"] += n
                    self._smv[:n] = ring.view[start:start + n]
                    self._handle_scratch(n, now)
                if link <= 0 and i < num:
                    stats["malformed"] += num - i
                    break
                pos += link
        finally:
            ring.release()

    def _ring_run(self, pos: int, left: int, end: int, full_snap: int, rows: list[Any],
                  now: float) -> tuple[int, int]:
        """The run of full data packets of one block starting at ``pos``: (packets put
        in place, the position after them); (0, pos) when the packet at ``pos`` does not
        start a run its block can take in bulk — not a full standard-header data packet,
        out of order, already received, beyond the frame, of a block not open — and the
        caller then takes it alone through the per-packet path."""
        import numpy as np

        ring = self._ring
        assert ring is not None
        net = ring.words16[(pos + 26) >> 1]
        step = (net + full_snap + 7) & ~7
        if ring.words[pos >> 2] != step:
            return 0, pos
        most = min(left, (end - pos) // step)
        if most < 2:
            return 0, pos
        v = ring.run_view(pos, most, step, net)
        full = v["snap"] == full_snap
        r = int(full.argmin())
        if full[r]:
            r = most
        if r < 2:
            return 0, pos
        w0 = v["w0"][:r]
        w1 = v["w1"][:r]
        bid = int(w0[0])
        p0 = int(w1[0]) - (_PAYLOAD << 24)
        if bid > 0xFFFF or not 0 < p0 <= 0xFFFFFF:
            return 0, pos                                # status set, not data, extended…
        good = ((w0 == bid) & (w1 == int(w1[0]) + ring.arange[:r])
                & (v["ulen"][:r] == self.data_size + 16) & (v["vihl"][:r] == 0x45)
                & (v["net"][:r] == net))
        if r > 1:
            good[:r - 1] &= v["next"][:r - 1] == step
        g = int(good.argmin())
        if good[g]:
            g = r
        if g < 1:
            return 0, pos
        blk = self._blocks.get(bid)
        last = p0 + g - 1
        stats = self.stats
        ds = self.data_size
        if blk is None and (bid in self._done_set or bid in self._skipped):
            # a run of a block already delivered (late) or dropped for want of a buffer:
            # counted as the per-packet path counts each of its packets, none touched
            stats["packets"] += g
            stats["bytes"] += g * (ds + 8)
            if bid not in self._skipped:
                stats["late_packets"] += g
            return g, pos + g * step
        if blk is not None and not blk.done and not blk.extended:
            dst = rows[blk.index]
            limit = min(blk.ndata if blk.ndata > 0 else len(blk.got) - 1, dst.shape[0])
            dup = blk.got.find(1, p0, last + 1) if last <= limit else -1
            if dup >= 0:
                g = dup - p0                      # up to the packet already received
                last = p0 + g - 1
        else:
            limit = -1
        if g < 1 or last > limit or blk is None:
            return 0, pos
        dst[p0 - 1:last] = np.ndarray((g, ds), np.uint8, buffer=ring.map,
                                      offset=pos + net + 36, strides=(step, 1))
        blk.got[p0:last + 1] = _ONES[:g] if g <= len(_ONES) else b"\1" * g
        stats["packets"] += g
        stats["bytes"] += g * (ds + 8)
        blk.count += g
        blk.last_seen = now
        if last * ds > blk.end:
            blk.end = last * ds
        if last > blk.high:
            if p0 != blk.high + 1 and not blk.next_resend:
                blk.next_resend = now + self.resend_delay
            blk.high = last
        if blk.leader and blk.count == blk.ndata:
            self._deliver(blk)
        return g, pos + g * step

    def _handle(self, data: bytes, now: float) -> _Block | None:
        n = len(data)
        self._smv[:n] = data
        return self._handle_scratch(n, now)

    def _handle_scratch(self, n: int, now: float) -> _Block | None:
        """Handle the datagram in the scratch buffer (``n`` bytes) through the slow path."""
        if n < 8:
            self.stats["malformed"] += 1
            return None
        status, bid, infos = _HDR.unpack_from(self._scratch)
        return self._packet(n, status, bid, infos, now)

    # ------------------------------------------------------------------ slow path

    def _packet(self, n: int, status: int, bid: int, infos: int, now: float) -> _Block | None:
        """Handle any packet; return the block it belongs to when still in flight."""
        stats = self.stats
        smv = self._smv
        if infos & _EI:
            if n < 20:
                stats["malformed"] += 1
                return None
            status, _flags, infos, bid, pid = _EXT.unpack_from(smv)
            hlen, extended, ds = 20, True, self.data_size_ext
            resent = status == _STATUS_RESENT or bool(_flags & gvsp.FLAG_PACKET_RESEND)
        else:
            pid = infos & 0xFFFFFF
            hlen, extended, ds = 8, False, self.data_size
            resent = status == _STATUS_RESENT
        kind = (infos >> 24) & 0x7F
        if resent:
            stats["resent_packets"] += 1
        elif status & 0x8000:
            stats["error_packets"] += 1
            blk = self._blocks.get(bid)
            if status == gvsp.STATUS_PACKET_UNAVAILABLE:
                stats["unavailable_packets"] += 1
                if blk is not None:
                    blk.unavailable = True
            return blk
        blk = self._blocks.get(bid)
        if blk is None:
            if bid in self._skipped:   # dropped for want of a buffer: already counted
                return None
            if bid in self._done_set:
                if kind != _TRAILER:    # a trailer after an early completion is expected
                    stats["late_packets"] += 1
                return None
            if kind not in (_LEADER, _TRAILER, _PAYLOAD):
                stats["malformed"] += 1
                return None
            blk = self._open(bid, now, extended)
            if blk is None:
                return None
        if blk.done:           # finished, waiting for an older block to be delivered first
            if kind != _TRAILER:
                stats["duplicates"] += 1
            return None
        blk.last_seen = now
        if kind == _PAYLOAD:
            off = (pid - 1) * ds
            end = off + n - hlen
            if pid == 0 or end > blk.mv.nbytes or pid >= len(blk.got):
                stats["overflows" if pid else "malformed"] += 1
                blk.overflow = blk.overflow or pid > 0
                return blk
            if blk.got[pid]:
                stats["duplicates"] += 1
                return blk
            blk.mv[off:end] = smv[hlen:n]
            blk.got[pid] = 1
            blk.count += 1
            if end > blk.end:
                blk.end = end
            if pid > blk.high:
                if pid != blk.high + 1 and not blk.next_resend:
                    blk.next_resend = now + self.resend_delay
                blk.high = pid
        elif kind == _LEADER:
            if blk.leader:
                stats["duplicates"] += 1
                return blk
            if n >= hlen + 36 and _IMAGE_TYPE.unpack_from(smv, hlen + 2)[0] in _IMAGE_TYPES:
                # the common case without the codec's objects (same fields, same checks)
                self._image_leader(blk, *gvsp.parse_image_leader(smv[:n], hlen), ds)
            else:
                try:
                    leader = gvsp.decode(smv[:n])
                except gvsp.GvspError as exc:
                    stats["malformed"] += 1
                    log.debug("malformed leader from %s: %s", self.name, exc)
                    return blk
                self._read_leader(blk, leader, ds)
        elif kind == _TRAILER:
            if blk.trailer:
                stats["duplicates"] += 1
                return blk
            if n >= hlen + 8 and _IMAGE_TYPE.unpack_from(smv, hlen + 2)[0] == \
                    gvsp.PayloadType.IMAGE:
                # the common case without the codec's objects: an image trailer's size_y
                size_y: int | None = _U32.unpack_from(smv, hlen + 4)[0]
            else:
                try:
                    trailer = gvsp.decode(smv[:n])
                except gvsp.GvspError as exc:
                    stats["malformed"] += 1
                    log.debug("malformed trailer from %s: %s", self.name, exc)
                    return blk
                size_y = getattr(trailer, "size_y", None)
            blk.trailer = True
            blk.ndata = pid - 1
            if size_y is not None and blk.leader and size_y < blk.height and blk.width:
                blk.height = size_y        # a short (variable height) frame
            if blk.ndata > blk.high and not blk.next_resend:
                blk.next_resend = now + self.resend_delay
            if len(blk.got) < blk.ndata + 1:
                # more packets than the buffer holds: never grown to what the device
                # claims (a 24-bit or 32-bit id) — the frame can only end incomplete
                self._overflowed(blk)
        else:
            stats["malformed"] += 1
            return blk
        if blk.leader and blk.count == blk.ndata:
            self._deliver(blk)
            return None
        return blk

    def _read_leader(self, blk: _Block, leader: Any, ds: int) -> None:
        blk.leader = True
        blk.got[0] = 1
        blk.payload_type = leader.payload_type
        blk.timestamp = leader.timestamp
        if isinstance(leader, gvsp.ImageLeader):
            self._image_leader(blk, leader.payload_type, leader.timestamp,
                               leader.pixel_format, leader.width, leader.height,
                               leader.offset_x, leader.offset_y, leader.padding_x,
                               leader.padding_y, ds)
        elif isinstance(leader, (gvsp.RawLeader, gvsp.JpegLeader)):
            blk.image_bytes = leader.payload_size
            if not blk.trailer and leader.payload_size:
                blk.ndata = (leader.payload_size + ds - 1) // ds
            if leader.payload_size > self.pool.size:
                self._overflowed(blk)
            if isinstance(leader, gvsp.JpegLeader):
                blk.pixel_format = -1

    def _image_leader(self, blk: _Block, payload_type: int, timestamp: int,
                      pixel_format: int, width: int, height: int, offset_x: int,
                      offset_y: int, padding_x: int, padding_y: int, ds: int) -> None:
        blk.leader = True
        blk.got[0] = 1
        blk.payload_type = payload_type
        blk.timestamp = timestamp
        blk.pixel_format = pixel_format
        blk.width, blk.height = width, height
        blk.offset_x, blk.offset_y = offset_x, offset_y
        blk.padding_x, blk.padding_y = padding_x, padding_y
        if not payload_type & gvsp.EXTENDED_CHUNK and not blk.trailer:
            key = (pixel_format, width, height, padding_x, padding_y)
            size = self._sizes.get(key)
            if size is None:
                size = -1
                if pfnc.is_supported(pixel_format):
                    try:
                        size = pfnc.payload_size(pixel_format, width, height,
                                                 padding_x) + padding_y
                    except Exception:  # noqa: BLE001 - an odd format: wait for the trailer
                        size = -1
                if len(self._sizes) > 64:
                    self._sizes.clear()
                self._sizes[key] = size
            if size > 0:
                blk.image_bytes = size
                blk.ndata = (size + ds - 1) // ds
                if size > self.pool.size:
                    self._overflowed(blk)

    def _open(self, bid: int, now: float, extended: bool) -> _Block | None:
        if len(self._blocks) >= self.max_in_flight or (self._blocks and not self.pool.free):
            # at the limit, or every buffer is in a block still in flight: the oldest one
            # is as whole as it will get — finish it rather than drop the new block
            for oldest in self._blocks.values():     # opening order
                if not oldest.done:
                    self._finish(oldest)
                    break
            self._flush()
        # Every block before this one should be whole by now: look for holes soon.
        for other in self._blocks.values():
            if not other.next_resend:
                other.next_resend = now + self.resend_delay
        index = self.pool.acquire()
        if index is None:
            self.stats["underruns"] += 1
            if len(self._skip_order) == self._skip_order.maxlen:
                self._skipped.discard(self._skip_order[0])
            self._skip_order.append(bid)
            self._skipped.add(bid)
            log.debug("no free buffer for block %d from %s (all %d held): dropped", bid,
                      self.name, self.pool.count)
            return None
        ds = self.data_size_ext if extended else self.data_size
        blk = _Block(bid, index, memoryview(self.pool.buffers[index]),
                     (self.pool.size + ds - 1) // ds, now, extended)
        self._blocks[bid] = blk
        self._newest = bid
        return blk

    def _remember(self, bid: int) -> None:
        if len(self._done) == self._done.maxlen:
            self._done_set.discard(self._done[0])
        self._done.append(bid)
        self._done_set.add(bid)

    # ------------------------------------------------------------------ resend & retention

    def _service(self, now: float) -> None:
        self._next_service = now + self._service_period
        if self._ring is not None and now >= self._next_drop_check:
            # datagrams the kernel could not put in a full ring: whole frames vanish so
            self._next_drop_check = now + 0.1
            self.stats["kernel_drops"] += self._ring.drops()
        idle = self.retention / 2
        for blk in list(self._blocks.values()):
            if blk.done:
                continue
            if blk.unavailable or blk.overflow:
                self._finish(blk)
                continue
            # closed: every packet of the block has been sent (trailer seen, a newer block
            # started, or the device went quiet) — anything not here by now is missing.
            closed = blk.trailer or blk.block_id != self._newest or now - blk.last_seen > idle
            if closed and not blk.next_resend:
                blk.next_resend = now
            if blk.next_resend and now >= blk.next_resend:
                ranges = self._missing_ranges(blk, closed)
                if not ranges:
                    if closed:
                        self._finish(blk)
                    else:
                        blk.next_resend = 0.0
                    continue
                if self.resend and blk.rounds < self.max_resend_rounds:
                    self._request_missing(blk, ranges)
                    blk.rounds += 1
                    blk.next_resend = now + self.resend_interval
                    continue
                if closed:
                    self._finish(blk)
                    continue
            if now - blk.last_seen > self.retention:
                self._finish(blk)

    def _missing_ranges(self, blk: _Block, closed: bool) -> list[tuple[int, int]]:
        limit = blk.ndata if blk.ndata >= 0 and closed else blk.high
        got = blk.got
        ranges: list[tuple[int, int]] = []
        start = 0 if not blk.leader else 1
        while start <= limit:
            first = got.find(0, start, limit + 1)
            if first < 0:
                break
            last = got.find(1, first, limit + 1)
            last = limit if last < 0 else last - 1
            ranges.append((first, last))
            start = last + 1
        if closed and blk.ndata < 0 and not blk.trailer and blk.high:
            # the trailer (and any packets after the highest seen) is unaccounted for
            ranges.append((blk.high + 1, blk.high + 1))
        return ranges

    def _request_missing(self, blk: _Block, ranges: list[tuple[int, int]]) -> None:
        if len(ranges) > self.max_resend_ranges:
            ranges = [(ranges[0][0], ranges[-1][1])]
        assert self.device is not None
        for first, last in ranges:
            cmd = p.PacketResendCmd(next(self._req_ids), self.channel, blk.block_id, first, last,
                                    extended=blk.extended)
            try:
                self._sock.sendto(cmd.encode(), self.device)
            except OSError as exc:
                log.debug("PACKETRESEND to %s failed: %s", self.device, exc)
                continue
            self.stats["resend_requests"] += 1
            if log.isEnabledFor(logging.DEBUG):
                log.debug("→ %s:%d %s", self.device[0], self.device[1], cmd)

    # ------------------------------------------------------------------ delivery

    def _finish(self, blk: _Block) -> None:
        """Deliver ``blk`` as it is: complete if nothing is missing, else incomplete."""
        if blk.leader and blk.count == blk.ndata and not blk.overflow:
            self._deliver(blk)
        else:
            self._deliver(blk, complete=False)

    def _overflowed(self, blk: _Block) -> None:
        """The device claims more than a pool buffer holds (leader size, trailer packet
        id): counted once per block; the frame ends ``incomplete``, never complete."""
        if not blk.overflow:
            blk.overflow = True
            self.stats["overflows"] += 1

    def _deliver(self, blk: _Block, complete: bool = True) -> None:
        """Mark ``blk`` finished; frames go out in block order (an older block still being
        repaired holds the newer ones back, within the resend and retention bounds).  A
        block that overflowed its buffer is never complete."""
        blk.done = 1 if complete and not blk.overflow else 2
        self._flush()

    def _flush(self) -> None:
        blocks = self._blocks
        while blocks:
            first = next(iter(blocks.values()))
            if not first.done:
                return
            self._emit(first, first.done == 1)

    def _emit(self, blk: _Block, complete: bool) -> None:
        self._blocks.pop(blk.block_id, None)
        self._remember(blk.block_id)
        ds = self.data_size_ext if blk.extended else self.data_size
        if blk.ndata >= 0:
            npackets = blk.ndata
        else:
            npackets = max(blk.high, (max(blk.image_bytes, 0) + ds - 1) // ds)
        missing = 0
        if not complete:
            mv = blk.mv
            got = blk.got
            for pid in range(1, min(npackets, len(got) - 1) + 1):
                if not got[pid]:
                    missing += 1
                    off = (pid - 1) * ds
                    stop = min(off + ds, mv.nbytes)
                    if off < stop:
                        mv[off:stop] = bytes(stop - off)
            if not blk.leader:
                # No leader, even after resends: no geometry, no format — not a frame.
                # (Also what a stray or forged datagram opening a bogus block ends as.)
                blk.mv.release()
                self.pool.give_back(blk.index)
                self.stats["dropped"] += 1
                log.debug("block %d from %s dropped: its leader never arrived", blk.block_id,
                          self.name)
                return
        size = blk.image_bytes if blk.image_bytes >= 0 and complete else blk.end
        if blk.image_bytes >= 0:
            size = min(max(size, blk.image_bytes), self.pool.size)
        chunks = None
        if blk.payload_type & gvsp.EXTENDED_CHUNK and blk.width:
            try:
                image = pfnc.payload_size(blk.pixel_format, blk.width, blk.height,
                                          blk.padding_x)
                chunks = bytes(blk.mv[image:blk.end]) if blk.end > image else None
            except Exception:  # noqa: BLE001 - unknown format: leave chunks raw in payload
                chunks = None
        blk.mv.release()
        payload = self.pool.lease(blk.index, size)
        pixel_format: int | str = pfnc.JPEG if blk.pixel_format == -1 else blk.pixel_format
        frame = Frame(payload, width=blk.width, height=blk.height, pixel_format=pixel_format,
                      frame_id=blk.block_id, timestamp=blk.timestamp, offset_x=blk.offset_x,
                      offset_y=blk.offset_y, padding_x=blk.padding_x, padding_y=blk.padding_y,
                      status="complete" if complete else "incomplete",
                      missing_packets=missing, chunks=chunks,
                      payload_type=blk.payload_type)
        if complete:
            self.stats["completed"] += 1
        else:
            self.stats["incomplete"] += 1
            self.stats["missing_packets"] += missing
            log.debug("block %d from %s incomplete: %d packet(s) missing after %d resend "
                      "round(s)", blk.block_id, self.name, missing, blk.rounds)
        self._frames.put(frame)

    def _discard(self, blk: _Block) -> None:
        self._blocks.pop(blk.block_id, None)
        self._remember(blk.block_id)
        blk.mv.release()
        self.pool.give_back(blk.index)

    def __repr__(self) -> str:
        return f"<GvspReceiver {self.name} on {self.address[0]}:{self.address[1]}>"
