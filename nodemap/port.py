"""The Port contract: the only bridge between a node map and a device.

A Port moves bytes at addresses.  Transports implement it (GVCP registers, VISCA
commands mapped onto a virtual address space, ...); :class:`MemoryPort` implements it
over a bytearray for tests, simulations and demos.
"""

from __future__ import annotations

import threading
from typing import Protocol, Sequence, runtime_checkable

from .errors import PortError

__all__ = ["Port", "MemoryPort"]


@runtime_checkable
class Port(Protocol):
    """Register access.  ``read_many`` is optional: batch reads where the device allows."""

    def read(self, address: int, length: int) -> bytes: ...

    def write(self, address: int, data: bytes) -> None: ...


class MemoryPort:
    """A Port over a flat bytearray starting at ``base``.

    Out-of-range accesses raise :class:`PortError` naming the address, as a device
    would answer INVALID_ADDRESS.  Thread-safe.
    """

    def __init__(self, size_or_data: int | bytes | bytearray = 0x10000, *, base: int = 0) -> None:
        if isinstance(size_or_data, int):
            self.memory = bytearray(size_or_data)
        else:
            self.memory = bytearray(size_or_data)
        self.base = base
        self.reads = 0
        self.writes = 0
        self._lock = threading.Lock()

    def _span(self, address: int, length: int) -> slice:
        start = address - self.base
        if length < 0 or start < 0 or start + length > len(self.memory):
            raise PortError(
                f"address 0x{address:X} (+{length} bytes) is outside this MemoryPort "
                f"[0x{self.base:X}, 0x{self.base + len(self.memory):X})")
        return slice(start, start + length)

    def read(self, address: int, length: int) -> bytes:
        with self._lock:
            self.reads += 1
            return bytes(self.memory[self._span(address, length)])

    def write(self, address: int, data: bytes) -> None:
        with self._lock:
            self.writes += 1
            self.memory[self._span(address, len(data))] = data

    def read_many(self, requests: Sequence[tuple[int, int]]) -> list[bytes]:
        return [self.read(address, length) for address, length in requests]
