"""Linux AF_PACKET ``PACKET_MMAP`` receive ring (TPACKET_V3) for one GVSP stream port.

The kernel writes every IPv4/UDP datagram addressed to the stream's address and port into
blocks of a ring shared with us through ``mmap``; one wakeup hands over a whole block of
packets, with no system call and no copy per packet.  A classic BPF filter keeps only
unfragmented, incoming (not our own outgoing) UDP datagrams to that address and port.

:class:`PacketRing` only knows the ring layout: it returns filled blocks and, per block, the
offsets of its packets; the GVSP work on them is the receiver's.  Opening the packet socket
needs CAP_NET_RAW (root); :func:`available` says whether this process can, and the
receiver falls back to the plain UDP socket when it cannot.
"""

from __future__ import annotations

import ctypes
import mmap
import os
import select
import socket
import struct
import sys


__all__ = ["available", "PacketRing", "attach_filter", "udp_filter", "DROP_ALL"]

SOL_PACKET = 263
PACKET_RX_RING = 5
PACKET_VERSION = 10
TPACKET_V3 = 2
TP_STATUS_KERNEL = 0
TP_STATUS_USER = 1
ETH_P_IP = 0x0800
SO_ATTACH_FILTER = 26
PACKET_OUTGOING = 4
_SKF_AD_PKTTYPE = -0x1000 + 4

_REQ3 = struct.Struct("@7I")
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


class PacketRing:
    """A TPACKET_V3 ring of ``block_nr`` blocks of ``block_size`` bytes receiving the UDP
    datagrams to ``address``:``port``.  ``next_block`` waits for a filled block; the
    numpy views ``u8`` / ``u16`` / ``u32`` read the whole mapping (native byte order)."""

    def __init__(self, address: str, port: int, *, block_size: int = 1 << 20,
                 block_nr: int = 32, frame_size: int = 1 << 16,
                 block_timeout_ms: int = 2) -> None:
        self.block_size = block_size
        self.block_nr = block_nr
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_IP))
        try:
            attach_filter(self.sock, udp_filter(address, port))
            # drain anything that arrived before the filter was in place
            self.sock.setblocking(False)
            try:
                while True:
                    self.sock.recv(65536)
            except BlockingIOError:
                pass
            self.sock.setsockopt(SOL_PACKET, PACKET_VERSION, TPACKET_V3)
            frame_nr = block_size // frame_size * block_nr
            self.sock.setsockopt(SOL_PACKET, PACKET_RX_RING,
                                 _REQ3.pack(block_size, block_nr, frame_size, frame_nr,
                                            block_timeout_ms, 0, 0))
            self.map = mmap.mmap(self.sock.fileno(), block_size * block_nr, mmap.MAP_SHARED,
                                 mmap.PROT_READ | mmap.PROT_WRITE)
        except BaseException:
            self.sock.close()
            raise
        import numpy as np   # only when a ring is opened: import nodemap stays numpy-free

        self.u8 = np.frombuffer(self.map, dtype=np.uint8)
        self.u16 = self.u8.view(np.uint16)
        self.u32 = self.u8.view(np.uint32)
        self.view = memoryview(self.map)
        self._poll = select.poll()
        self._poll.register(self.sock.fileno(), select.POLLIN | select.POLLERR)
        self.current = 0

    def next_block(self, timeout: float) -> tuple[int, int, int, int] | None:
        """The next filled block as (its offset, packets, offset of the first packet from
        the block, block length), or None when none filled within ``timeout`` seconds."""
        base = self.current * self.block_size
        _v, _p, status, num, first, length = _BLOCK.unpack_from(self.map, base)
        if not status & TP_STATUS_USER:
            self._poll.poll(max(1, int(timeout * 1000)))
            _v, _p, status, num, first, length = _BLOCK.unpack_from(self.map, base)
            if not status & TP_STATUS_USER:
                return None
        return base, num, first, length

    def release(self) -> None:
        """Hand the current block back to the kernel and move to the next."""
        struct.pack_into("@I", self.map, self.current * self.block_size + 8, TP_STATUS_KERNEL)
        self.current = (self.current + 1) % self.block_nr

    def close(self) -> None:
        self._poll.unregister(self.sock.fileno())
        del self.u8, self.u16, self.u32
        self.view.release()
        try:
            self.map.close()
        except BufferError:  # pragma: no cover - a view still alive; the GC unmaps later
            pass
        self.sock.close()
