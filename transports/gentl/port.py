"""A nodemap Port over a GenTL module's register map: GCReadPort / GCWritePort.

Every GenTL module handle (TL, IF, DEV, DS, and the remote device's port from DevGetPort)
is a port handle; :class:`GenTLPort` wraps one for a NodeMap.  ``read_many`` uses
GCReadPortStacked when the producer has it (one call for many registers), else single reads.
A port refuses access after :meth:`close` (its module handle is gone) instead of handing a
dangling handle to the producer.
"""

from __future__ import annotations

import ctypes
import threading
from typing import Sequence

from nodemap.errors import PortError, ProtocolError

from .api import GC, PORT_REGISTER_STACK_ENTRY, Library, error_for

__all__ = ["GenTLPort"]

SMALL = 64      # reads up to this many bytes reuse one buffer


class GenTLPort:
    """``read(address, length)`` / ``write(address, data)`` on one GenTL port handle."""

    def __init__(self, lib: Library, handle: int, name: str) -> None:
        self.lib = lib
        self.handle = ctypes.c_void_p(handle)
        self.name = name            # e.g. "remote device VikyTL_DEV_red"
        self._read = lib.functions["GCReadPort"]
        self._write = lib.functions["GCWritePort"]
        self._stacked = lib.functions.get("GCReadPortStacked")
        self._closed = False
        self._lock = threading.Lock()
        self._small = ctypes.create_string_buffer(SMALL)
        self._size = ctypes.c_size_t(0)
        self._size_ref = ctypes.byref(self._size)

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Forget the handle (the owning module closes it)."""
        self._closed = True

    def _check(self, address: int, length: int, verb: str) -> None:
        if self._closed:
            raise PortError(f"cannot {verb} 0x{address:X} on the {self.name} port: it is "
                            "closed (the camera was closed); open it again")
        if address < 0 or address + length > 1 << 64:
            raise PortError(f"address 0x{address:X} (+{length}) is outside the 64-bit "
                            f"register space of the {self.name} port")

    def read(self, address: int, length: int) -> bytes:
        if length <= SMALL and not self._closed and address >= 0:
            # the register fast path: one reused buffer and size, no allocation
            with self._lock:
                self._size.value = length
                code = self._read(self.handle, address, self._small, self._size_ref)
                got = self._size.value
                data = self._small.raw[:got]
        else:
            self._check(address, length, "read")
            if length == 0:
                return b""
            buf, size = ctypes.create_string_buffer(length), ctypes.c_size_t(length)
            with self._lock:
                code = self._read(self.handle, address, buf, ctypes.byref(size))
            got = size.value
            data = buf.raw[:got]
        if code != GC.SUCCESS:
            raise error_for("GCReadPort", code, self.lib.last_error(),
                            f"{self.name}, {length} bytes at 0x{address:X}")
        if got != length:
            raise ProtocolError(f"GCReadPort ({self.name}, 0x{address:X}) returned "
                                f"{got} of {length} bytes")
        return data

    def write(self, address: int, data: bytes) -> None:
        data = bytes(data)
        self._check(address, len(data), "write")
        if not data:
            return
        size = ctypes.c_size_t(len(data))
        with self._lock:
            code = self._write(self.handle, address, data, ctypes.byref(size))
        if code != GC.SUCCESS:
            raise error_for("GCWritePort", code, self.lib.last_error(),
                            f"{self.name}, {len(data)} bytes at 0x{address:X}")
        if size.value != len(data):
            raise ProtocolError(f"GCWritePort ({self.name}, 0x{address:X}) wrote "
                                f"{size.value} of {len(data)} bytes")

    def read_many(self, requests: Sequence[tuple[int, int]]) -> list[bytes]:
        """Several reads; one GCReadPortStacked call when the producer offers it."""
        if not requests:
            return []
        if self._stacked is None or len(requests) == 1:
            return [self.read(a, n) for a, n in requests]
        for address, length in requests:
            self._check(address, length, "read")
        entries = (PORT_REGISTER_STACK_ENTRY * len(requests))()
        buffers = [ctypes.create_string_buffer(max(n, 1)) for _, n in requests]
        for entry, (address, length), buf in zip(entries, requests, buffers):
            entry.Address = address
            entry.pBuffer = ctypes.cast(buf, ctypes.c_void_p)
            entry.Size = length
        count = ctypes.c_size_t(len(requests))
        with self._lock:
            code = self._stacked(self.handle, entries, ctypes.byref(count))
        if code == GC.NOT_IMPLEMENTED:
            self._stacked = None
            return [self.read(a, n) for a, n in requests]
        if code != GC.SUCCESS:
            raise error_for("GCReadPortStacked", code, self.lib.last_error(),
                            f"{self.name}, {len(requests)} reads from "
                            f"0x{requests[0][0]:X}")
        return [buf.raw[:n] for buf, (_, n) in zip(buffers, requests)]

    def __repr__(self) -> str:
        return f"<GenTLPort {self.name}{' closed' if self._closed else ''}>"


