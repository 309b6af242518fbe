"""Linux ``recvmmsg(2)`` through ctypes: many datagrams per system call, scattered in place.

For each pool buffer :class:`ScatterPlan` precomputes, per packet id ``pid``, an
``mmsghdr`` whose iovecs are ``[header slot pid (8 bytes), the frame buffer at
(pid - 1) * data_size, overflow slot pid % BATCH]``.  Receiving the next ``k`` packets of
a block is then one call on the sub-array starting at the first expected id: when they
arrive in order their payload is already where it belongs, and the caller checks all
``k`` headers and lengths at once (memoryview comparisons against templates) instead of
packet by packet.  Anything unexpected is copied out and handled packet by packet.

Only the addresses of buffers that never move are used: pool bytearrays are pinned by a
ctypes export for the plan's lifetime (a bytearray with an export cannot be resized).
``available()`` says whether this platform has it; elsewhere the receiver uses plain
``recv_into``.
"""

from __future__ import annotations

import array
import ctypes
import ctypes.util
import os
import sys

__all__ = ["available", "ScatterPlan", "ScratchPlan", "BATCH", "OVERFLOW", "MSG_WAITFORONE"]

BATCH = 64
OVERFLOW = 9216 + 64        # beyond any jumbo frame's payload
MSG_WAITFORONE = 0x10000
MSG_DONTWAIT = 0x40


class _IoVec(ctypes.Structure):
    _fields_ = [("iov_base", ctypes.c_void_p), ("iov_len", ctypes.c_size_t)]


class _MsgHdr(ctypes.Structure):
    _fields_ = [("msg_name", ctypes.c_void_p), ("msg_namelen", ctypes.c_uint32),
                ("msg_iov", ctypes.POINTER(_IoVec)), ("msg_iovlen", ctypes.c_size_t),
                ("msg_control", ctypes.c_void_p), ("msg_controllen", ctypes.c_size_t),
                ("msg_flags", ctypes.c_int)]


class _MMsgHdr(ctypes.Structure):
    _fields_ = [("msg_hdr", _MsgHdr), ("msg_len", ctypes.c_uint)]


_SIZE = ctypes.sizeof(_MMsgHdr)
_LEN_OFFSET = _MMsgHdr.msg_len.offset
_recvmmsg = None
if sys.platform.startswith("linux") and _SIZE % 4 == 0 and _LEN_OFFSET % 4 == 0:
    try:
        _libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        _recvmmsg = _libc.recvmmsg
        _recvmmsg.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_uint, ctypes.c_int,
                              ctypes.c_void_p]
        _recvmmsg.restype = ctypes.c_int
    except (OSError, AttributeError):  # pragma: no cover - non-glibc platforms
        _recvmmsg = None


def available() -> bool:
    return _recvmmsg is not None and os.environ.get("NODEMAP_GVSP_NO_MMSG", "") == ""


def recvmmsg(fd: int, address: int, count: int, flags: int = MSG_WAITFORONE) -> int:
    """Receive up to ``count`` datagrams into the mmsghdr array at ``address``; the number
    received, or -errno (EAGAIN when the socket's SO_RCVTIMEO expired)."""
    # Not None here: callers check available() once, the hot path does not re-check.
    n = _recvmmsg(fd, address, count, flags, None)  # type: ignore[misc]
    return n if n >= 0 else -ctypes.get_errno()


def _address(buf: bytearray) -> tuple[int, object]:
    pin = (ctypes.c_char * len(buf)).from_buffer(buf)   # pins buf: it can no longer resize
    return ctypes.addressof(pin), pin


class ScratchPlan:
    """``BATCH`` whole-datagram slots, for packets no block is expecting."""

    def __init__(self, count: int = 8) -> None:
        self.count = count
        self.slots = bytearray(count * OVERFLOW)
        self.view = memoryview(self.slots)
        base, self._pin = _address(self.slots)
        self.iov = (_IoVec * count)()
        self.mm = (_MMsgHdr * count)()
        for i in range(count):
            self.iov[i].iov_base = base + i * OVERFLOW
            self.iov[i].iov_len = OVERFLOW
            self.mm[i].msg_hdr.msg_iov = ctypes.pointer(self.iov[i])
            self.mm[i].msg_hdr.msg_iovlen = 1
        self.address = ctypes.addressof(self.mm)
        self.lens = memoryview(self.mm).cast("B").cast("I")[_LEN_OFFSET // 4::_SIZE // 4]


class ScatterPlan:
    """Per packet id mmsghdrs scattering into one pool buffer (see module docstring)."""

    def __init__(self, buf: bytearray, data_size: int, headers: "Headers") -> None:
        self.data_size = data_size
        size = len(buf)
        self.npackets = (size + data_size - 1) // data_size
        n = self.npackets + 1                          # index 0 (the leader) unused
        base, self._pin = _address(buf)
        self.iov = (_IoVec * (3 * n))()
        self.mm = (_MMsgHdr * n)()
        hdr_base, over_base = headers.header_address, headers.overflow_address
        for pid in range(1, n):
            off = (pid - 1) * data_size
            i = 3 * pid
            self.iov[i].iov_base = hdr_base + 8 * pid
            self.iov[i].iov_len = 8
            self.iov[i + 1].iov_base = base + off
            self.iov[i + 1].iov_len = min(data_size, size - off)
            self.iov[i + 2].iov_base = over_base + (pid % BATCH) * OVERFLOW
            self.iov[i + 2].iov_len = OVERFLOW
            hdr = self.mm[pid].msg_hdr
            hdr.msg_iov = ctypes.cast(ctypes.byref(self.iov, i * ctypes.sizeof(_IoVec)),
                                      ctypes.POINTER(_IoVec))
            hdr.msg_iovlen = 3
        self.address = ctypes.addressof(self.mm)
        self.lens = memoryview(self.mm).cast("B").cast("I")[_LEN_OFFSET // 4::_SIZE // 4]


class Headers:
    """The header slots (8 bytes per packet id) and overflow slots the plans share, and
    the templates a batch is checked against."""

    def __init__(self, npackets: int) -> None:
        self.headers = bytearray(8 * (npackets + 2))
        self.overflow = bytearray(BATCH * OVERFLOW)
        self.header_address, self._pin_h = _address(self.headers)
        self.overflow_address, self._pin_o = _address(self.overflow)
        words = memoryview(self.headers).cast("I")
        self.word0 = words[0::2]                       # status + block id, per packet id
        self.word1 = words[1::2]                       # packet infos, per packet id
        big = sys.byteorder == "big"
        infos = array.array("I", ((0x03000000 | pid) if big else
                                  int.from_bytes((0x03000000 | pid).to_bytes(4, "big"),
                                                 "little")
                                  for pid in range(npackets + 2)))
        self.infos_template = memoryview(infos)
        self._infos = infos

    def block_word(self, block_id: int) -> int:
        """word0 of a success-status data packet of ``block_id`` (native order)."""
        return int.from_bytes(b"\0\0" + block_id.to_bytes(2, "big"), sys.byteorder)
