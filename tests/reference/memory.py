"""Deterministic sparse register memory shared by the GenApi reference and nodemap.

The differential tests put the *same bytes* behind both node maps and compare
what each reports.  Vendor descriptions place registers anywhere in a 64-bit
address space (Basler: 0xFFFF_F000_0000 and up), so the memory is sparse: 4 KiB
pages are created on first touch and filled by a deterministic function of their
address.  Writes are stored (and logged); two memories built the same way hold
identical bytes, and :meth:`SparseMemory.clone` copies one for the other side.

Profiles (the *base* content of a fresh page):

``zero``
    Every byte 0.  Integers read 0, most enumerations with an entry of value 0
    are valid, bounds formulas see zeros.
``pattern``
    Pseudo-random bytes from BLAKE2b(page address, seed).  Values are mostly
    huge / invalid: this exercises the error paths (both sides must fail alike).

On top of a base, :func:`derived_memory` *presets* the registers named in an XML
file so values are meaningful (see :mod:`tests.reference.seeding`): every
enumeration register holds one of its entries, every integer register a value
within its literal bounds, every boolean its OnValue.  Presets are not counted as
writes.

Two adapters expose a memory:

* :class:`SparseMemory` itself satisfies the nodemap ``Port`` protocol
  (``read(address, length) -> bytes``, ``write(address, data)``);
* :func:`reference_port` wraps it — or any nodemap ``Port`` (a link's port, a
  ``MemoryPort``…) — in a ``genicam.genapi.AbstractPort`` subclass for the reference.
"""

from __future__ import annotations

import hashlib
from typing import Any, Callable

__all__ = ["PAGE_SIZE", "PROFILES", "SparseMemory", "reference_port"]

PAGE_SIZE = 0x1000
#: The longest single read the memory answers (longer ones raise OSError).
MAX_READ = 1 << 20
ADDRESS_LIMIT = 1 << 64


def _zero_page(page_address: int, seed: int) -> bytearray:
    return bytearray(PAGE_SIZE)


def _pattern_page(page_address: int, seed: int) -> bytearray:
    out = bytearray()
    key = page_address.to_bytes(8, "little") + seed.to_bytes(8, "little")
    counter = 0
    while len(out) < PAGE_SIZE:
        out += hashlib.blake2b(key + counter.to_bytes(4, "little"), digest_size=64).digest()
        counter += 1
    return out[:PAGE_SIZE]


PROFILES: dict[str, Callable[[int, int], bytearray]] = {
    "zero": _zero_page,
    "pattern": _pattern_page,
}


class SparseMemory:
    """A sparse, deterministic 64-bit byte-addressed memory; also a nodemap Port."""

    def __init__(self, profile: str = "zero", *, seed: int = 0) -> None:
        if profile not in PROFILES:
            raise ValueError(f"unknown memory profile {profile!r}; choose one of {sorted(PROFILES)}")
        self.profile = profile
        self.seed = seed
        self._fill = PROFILES[profile]
        self._pages: dict[int, bytearray] = {}
        self.reads = 0
        self.writes: list[tuple[int, bytes]] = []

    # -- page management ---------------------------------------------------------
    def _page(self, index: int) -> bytearray:
        page = self._pages.get(index)
        if page is None:
            page = self._fill(index * PAGE_SIZE, self.seed)
            self._pages[index] = page
        return page

    def _check(self, address: int, length: int) -> None:
        if address < 0 or length < 0 or address + length > ADDRESS_LIMIT:
            raise ValueError(f"access 0x{address:X} (+{length}) outside the 64-bit address space")

    def peek(self, address: int, length: int) -> bytes:
        """Read without counting (for assertions)."""
        self._check(address, length)
        out = bytearray()
        while length > 0:
            index, offset = divmod(address, PAGE_SIZE)
            chunk = min(length, PAGE_SIZE - offset)
            out += self._page(index)[offset:offset + chunk]
            address += chunk
            length -= chunk
        return bytes(out)

    def preset(self, address: int, data: bytes) -> None:
        """Store bytes without logging them as a write (initial content)."""
        data = bytes(data)
        self._check(address, len(data))
        pos = 0
        while pos < len(data):
            index, offset = divmod(address + pos, PAGE_SIZE)
            chunk = min(len(data) - pos, PAGE_SIZE - offset)
            self._page(index)[offset:offset + chunk] = data[pos:pos + chunk]
            pos += chunk

    # -- the nodemap Port protocol ---------------------------------------------------
    def read(self, address: int, length: int) -> bytes:
        self.reads += 1
        if length > MAX_READ:
            # a length read from random memory (a StringReg's pLength): no device answers
            # a gigabyte read; failing it keeps both sides (and this process) small
            raise OSError(f"read of {length} bytes at 0x{address:X} refused (more than "
                          f"{MAX_READ} bytes)")
        return self.peek(address, length)

    def log_reads(self) -> list[int]:
        """From now on every read appends its address to the list returned (a counting
        port: which registers each side reads, in order)."""
        log: list[int] = []
        read = self.read

        def counting(address: int, length: int) -> bytes:
            log.append(address)
            return read(address, length)

        self.read = counting  # type: ignore[method-assign]
        return log

    def write(self, address: int, data: bytes) -> None:
        data = bytes(data)
        self.writes.append((address, data))
        self.preset(address, data)

    # -- comparison helpers --------------------------------------------------------------
    def clone(self) -> "SparseMemory":
        """An independent copy with the same bytes (touched pages copied, log emptied)."""
        twin = SparseMemory(self.profile, seed=self.seed)
        twin._pages = {index: bytearray(page) for index, page in self._pages.items()}
        return twin

    def written_bytes(self) -> dict[int, bytes]:
        """Address → byte for every byte written so far (last write wins)."""
        out: dict[int, bytes] = {}
        for address, data in self.writes:
            for i, b in enumerate(data):
                out[address + i] = bytes([b])
        return out

    def snapshot(self, addresses: list[int] | None = None) -> dict[int, int]:
        """Current value of every byte ever written (or of ``addresses``)."""
        if addresses is None:
            addresses = sorted(self.written_bytes())
        return {a: self.peek(a, 1)[0] for a in addresses}

    def __repr__(self) -> str:
        return f"SparseMemory({self.profile!r}, seed={self.seed}, pages={len(self._pages)})"


_REFERENCE_PORT_CLASS: Any = None


def reference_port(memory: Any) -> Any:
    """A ``genicam.genapi.AbstractPort`` over ``memory``: a SparseMemory or any nodemap
    Port (``read(address, length)``, ``write(address, data)``); genicam imported lazily.
    Keep the returned object alive while the reference NodeMap uses it (it holds a raw
    pointer)."""
    global _REFERENCE_PORT_CLASS
    if _REFERENCE_PORT_CLASS is None:
        import genicam.genapi as genapi

        class ReferencePort(genapi.AbstractPort):  # type: ignore[misc]
            """The reference's view of a SparseMemory or Port: always RW."""

            def __init__(self, memory: Any) -> None:
                super().__init__()
                self.memory = memory
                self._open = True

            def is_open(self) -> bool:
                return self._open

            def open(self) -> None:
                self._open = True

            def close(self) -> None:
                self._open = False

            def get_access_mode(self) -> Any:
                return genapi.EAccessMode.RW

            def read(self, address: int, length: int) -> bytes:
                return bytes(self.memory.read(address, length))

            def write(self, address: int, value: bytes) -> None:
                self.memory.write(address, bytes(value))

        _REFERENCE_PORT_CLASS = ReferencePort
    return _REFERENCE_PORT_CLASS(memory)
