"""Linux AF_PACKET ``PACKET_MMAP`` receive ring (TPACKET_V3) for one GVSP stream port.

The kernel writes every IPv4/UDP datagram addressed to the stream's address and port into
blocks of a ring shared with us through ``mmap``; one wakeup hands over a whole block of
packets, with no system call and no copy per packet.  A classic BPF filter keeps only
unfragmented, incoming (not our own outgoing) UDP datagrams to that address and port.

:class:`RingLayout` only knows the ring layout (TPACKET_V3 block descriptors, tpacket3_hdr
packets 8-byte aligned and linked by ``tp_next_offset``, the IPv4/UDP headers after
``tp_net``): it returns filled blocks, one packet's datagram (:meth:`RingLayout.packet`),
and a run of equally sized packets as one strided structured numpy view of their headers
(:meth:`RingLayout.run_view`); the GVSP work on them is the receiver's.  It reads any
buffer, so tests lay crafted blocks out in a bytearray.  :class:`PacketRing` is the layout
over a kernel ring.  Opening the packet socket needs CAP_NET_RAW (root); :func:`available`
says whether this process can, and the receiver falls back to the UDP socket when it
cannot.
"""

from __future__ import annotations

import ctypes
import mmap
import os
import select
import socket
import struct
import sys
from typing import Any


__all__ = ["available", "PacketRing", "RingLayout", "attach_filter", "udp_filter", "DROP_ALL"]

SOL_PACKET = 263
PACKET_RX_RING = 5
PACKET_STATISTICS = 6
PACKET_VERSION = 10
TPACKET_V3 = 2
TP_STATUS_KERNEL = 0
TP_STATUS_USER = 1
ETH_P_IP = 0x0800
SO_ATTACH_FILTER = 26
PACKET_OUTGOING = 4
_SKF_AD_PKTTYPE = -0x1000 + 4

# 16 blocks of 2 MiB, handed over when full or 5 ms after their first packet (as Aravis's
# packet-socket mode does): few, large blocks keep the per-block work small per frame, and a
# frame waits at most 5 ms in a block that is not full
BLOCK_SIZE = 1 << 21
BLOCK_NR = 16
BLOCK_TIMEOUT_MS = 5
_ALIGN = 8                        # TPACKET_V3 packet headers start 8-byte aligned (ALIGN_8)
_REQ3 = struct.Struct("@7I")
_STATS3 = struct.Struct("@3I")      # tpacket_stats_v3: packets, drops, freeze_q_cnt
_HDR3 = struct.Struct("@IIIIIIHH")  # tpacket3_hdr: next, sec, nsec, snaplen, len, status, mac, net
HDR3_SIZE = 48
_BLOCK = struct.Struct("@IIIIII")   # version, offset_to_priv, status, num_pkts, first, blk_len
_FILTER = struct.Struct("@HBBI")


class _Fprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def _insn(code: int, jt: int, jf: int, k: int) -> tuple[int, int, int, int]:
    return (code, jt, jf, k & 0xFFFFFFFF)


DROP_ALL = [_insn(0x06, 0, 0, 0)]   # ret #0


def udp_filter(address: str, port: int) -> list[tuple[int, int, int, int]]:
    """Classic BPF (offsets from the IP header, as a SOCK_DGRAM packet socket sees it):
    incoming, IPv4 UDP, unfragmented, to ``port`` (and ``address`` unless 0.0.0.0)."""
    ip = struct.unpack(">I", socket.inet_aton(address))[0]
    prog = [
        _insn(0x30, 0, 0, _SKF_AD_PKTTYPE),      # ldb pkttype
        _insn(0x15, 0, 1, PACKET_OUTGOING),      # outgoing → drop
        _insn(0x06, 0, 0, 0),
        _insn(0x30, 0, 0, 0),                    # ldb [0]: version / ihl
        _insn(0x54, 0, 0, 0xF0),                 # and #0xf0
        _insn(0x15, 1, 0, 0x40),                 # IPv4 → go on
        _insn(0x06, 0, 0, 0),
        _insn(0x30, 0, 0, 9),                    # ldb [9]: protocol
        _insn(0x15, 1, 0, 17),                   # UDP → go on
        _insn(0x06, 0, 0, 0),
        _insn(0x28, 0, 0, 6),                    # ldh [6]: flags + fragment offset
        _insn(0x45, 0, 1, 0x3FFF),               # MF or an offset → drop
        _insn(0x06, 0, 0, 0),
    ]
    if ip:
        prog += [_insn(0x20, 0, 0, 16),          # ld [16]: destination address
                 _insn(0x15, 1, 0, ip),
                 _insn(0x06, 0, 0, 0)]
    prog += [
        _insn(0xB1, 0, 0, 0),                    # ldxb 4*([0]&0xf)
        _insn(0x48, 0, 0, 2),                    # ldh [x+2]: destination port
        _insn(0x15, 1, 0, port),
        _insn(0x06, 0, 0, 0),
        _insn(0x06, 0, 0, 0x40000),              # accept the whole datagram
    ]
    return prog


def attach_filter(sock: socket.socket, program: list[tuple[int, int, int, int]]) -> None:
    """SO_ATTACH_FILTER ``program`` (classic BPF) on ``sock``."""
    code = b"".join(_FILTER.pack(*insn) for insn in program)
    buf = ctypes.create_string_buffer(code, len(code))
    fprog = _Fprog(len(program), ctypes.addressof(buf))
    sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, bytes(fprog))


def available() -> bool:
    """Linux, AF_PACKET, permission to open a packet socket, NODEMAP_GVSP_NO_RING unset."""
    if not sys.platform.startswith("linux") or not hasattr(socket, "AF_PACKET"):
        return False
    if os.environ.get("NODEMAP_GVSP_NO_RING", ""):
        return False
    try:
        s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_IP))
    except OSError:          # no CAP_NET_RAW
        return False
    s.close()
    return True


class RingLayout:
    """Reading a TPACKET_V3 ring laid out in ``buffer`` (``block_nr`` blocks of
    ``block_size`` bytes): filled blocks, their packets' offsets, the UDP datagrams in them.
    ``u8`` is the whole buffer as numpy bytes, ``words`` / ``words16`` as native 32- / 16-bit
    words for scalar reads.  :class:`PacketRing` is this over a kernel ring; tests lay
    crafted blocks out in a bytearray."""

    def __init__(self, buffer: Any, block_size: int, block_nr: int) -> None:
        import numpy as np   # only when a ring is opened: import nodemap stays numpy-free

        self.block_size = block_size
        self.block_nr = block_nr
        self.map = buffer
        self._np = np
        self.u8 = np.frombuffer(buffer, dtype=np.uint8)
        self.view = memoryview(buffer)
        self.words = self.view.cast("I")                   # scalar reads, cheaper than numpy's
        self.words16 = self.view.cast("H")
        self.arange = np.arange(block_size // _ALIGN + 1, dtype=np.int64)
        self._run_types: dict[int, Any] = {}
        self.current = 0

    def ready(self) -> tuple[int, int, int, int] | None:
        """The current block as (its offset, packets, offset of the first packet from the
        block, block length) when the kernel has handed it over, else None."""
        base = self.current * self.block_size
        _v, _p, status, num, first, length = _BLOCK.unpack_from(self.map, base)
        if not status & TP_STATUS_USER:
            return None
        return base, num, first, length

    def next_block(self, timeout: float) -> tuple[int, int, int, int] | None:
        """The next filled block (see :meth:`ready`); no waiting here."""
        return self.ready()

    def packet(self, pos: int) -> tuple[int, int, int]:
        """The packet whose header is at ``pos``: (its ``tp_next_offset``, where its UDP
        payload starts, the payload's length — the UDP length; -1 when the packet holds
        no whole IPv4/UDP datagram, e.g. its capture was cut short)."""
        link, _s, _ns, snap, _len, _st, _mac, net = _HDR3.unpack_from(self.map, pos)
        ip = pos + net
        size = len(self.u8)
        if net < HDR3_SIZE or ip + 28 > size:
            return link, 0, -1
        ihl = (self.map[ip] & 0x0F) * 4
        udp = ip + ihl
        if ihl < 20 or udp + 8 > size:
            return link, 0, -1
        n = ((self.map[udp + 4] << 8) | self.map[udp + 5]) - 8
        if n > snap - ihl - 8:       # cut short: never hand out a part as if whole
            return link, 0, -1
        return link, udp + 8, n if n >= 0 and udp + 8 + n <= size else -1

    def run_view(self, pos: int, count: int, step: int, net: int) -> Any:
        """``count`` packets ``step`` bytes apart from ``pos``, whose IP header is ``net``
        bytes after their tpacket3_hdr, as one strided structured numpy view (no copy) with
        fields ``next`` (tp_next_offset), ``snap`` (tp_snaplen), ``net`` (tp_net),
        ``vihl`` (IP version and header length), ``ulen`` (UDP length) and the two GVSP
        header words ``w0`` (status, block id) and ``w1`` (EI, format, packet id) for a
        20-byte IP header."""
        dtype = self._run_types.get(net)
        if dtype is None:
            np = self._np
            dtype = np.dtype({"names": ["next", "snap", "net", "vihl", "ulen", "w0", "w1"],
                              "formats": ["<u4" if sys.byteorder == "little" else ">u4"] * 2
                              + ["u2", "u1", ">u2", ">u4", ">u4"],
                              "offsets": [0, 12, 26, net, net + 24, net + 28, net + 32],
                              "itemsize": net + 36})
            self._run_types[net] = dtype
        return self._np.ndarray((count,), dtype, buffer=self.map, offset=pos,
                                strides=(step,))

    def release(self) -> None:
        """Hand the current block back to the kernel and move to the next."""
        struct.pack_into("@I", self.map, self.current * self.block_size + 8, TP_STATUS_KERNEL)
        self.current = (self.current + 1) % self.block_nr

    def drops(self) -> int:
        """Packets the kernel dropped since the last call (none known here)."""
        return 0

    def close(self) -> None:
        del self.u8
        self.words.release()
        self.words16.release()
        self.view.release()


class PacketRing(RingLayout):
    """A TPACKET_V3 ring of ``block_nr`` blocks of ``block_size`` bytes receiving the UDP
    datagrams to ``address``:``port``; ``next_block`` waits for a filled block."""

    def __init__(self, address: str, port: int, *, block_size: int = BLOCK_SIZE,
                 block_nr: int = BLOCK_NR, frame_size: int = 1 << 16,
                 block_timeout_ms: int = BLOCK_TIMEOUT_MS) -> None:
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_IP))
        try:
            attach_filter(sock, udp_filter(address, port))
            # drain anything that arrived before the filter was in place
            sock.setblocking(False)
            try:
                while True:
                    sock.recv(65536)
            except BlockingIOError:
                pass
            sock.setsockopt(SOL_PACKET, PACKET_VERSION, TPACKET_V3)
            frame_nr = block_size // frame_size * block_nr
            sock.setsockopt(SOL_PACKET, PACKET_RX_RING,
                            _REQ3.pack(block_size, block_nr, frame_size, frame_nr,
                                       block_timeout_ms, 0, 0))
            mapping = mmap.mmap(sock.fileno(), block_size * block_nr, mmap.MAP_SHARED,
                                mmap.PROT_READ | mmap.PROT_WRITE)
        except BaseException:
            sock.close()
            raise
        self.sock = sock
        super().__init__(mapping, block_size, block_nr)
        self._poll = select.poll()
        self._poll.register(sock.fileno(), select.POLLIN | select.POLLERR)

    def next_block(self, timeout: float) -> tuple[int, int, int, int] | None:
        """The next filled block (see :meth:`RingLayout.ready`), or None when none filled
        within ``timeout`` seconds."""
        block = self.ready()
        if block is None:
            self._poll.poll(max(1, int(timeout * 1000)))
            block = self.ready()
        return block

    def drops(self) -> int:
        """Packets the kernel dropped (ring full) since the last call (PACKET_STATISTICS,
        which the kernel resets on each read)."""
        try:
            dropped: int
            _packets, dropped, _freezes = _STATS3.unpack(
                self.sock.getsockopt(SOL_PACKET, PACKET_STATISTICS, _STATS3.size))
        except OSError:
            return 0
        return dropped

    def close(self) -> None:
        self._poll.unregister(self.sock.fileno())
        super().close()
        try:
            self.map.close()
        except BufferError:  # pragma: no cover - a view still alive; the GC unmaps later
            pass
        self.sock.close()
