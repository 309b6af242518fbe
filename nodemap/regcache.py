"""The set of registers holding cached bytes, indexed by address.

After a register write, every *other* cached register overlapping the written bytes
must drop its cache (:meth:`nodemap.nodemap.NodeMap.register_written`).  Scanning every
cached register made each write cost O(cached registers), so restoring a feature set of
n registers cost O(n²).  :class:`CachedRegisters` keeps the set (same ``add`` /
``discard`` / ``clear`` / iteration as a ``set``) plus an index by (port, 64-byte bucket) of
the span each register was cached at, so :meth:`CachedRegisters.overlapping` looks at
the registers in the written buckets only.  A register spanning more than
:data:`WIDE_PAGES` buckets, or added without a span, is kept in a short list that every
lookup checks.  Registers are named (any hashable key): the index belongs to the node
map's value store (:class:`nodemap.cache.Store`).
"""

from __future__ import annotations

from typing import Any, Iterator

__all__ = ["CachedRegisters", "PAGE_BITS", "WIDE_PAGES"]

PAGE_BITS = 6      # 64-byte buckets: a dense map has few registers per bucket
WIDE_PAGES = 64    # registers wider than 4 KiB go to the list every lookup checks


class CachedRegisters:
    """Registers with cached bytes; ``overlapping`` finds those a write makes stale."""

    def __init__(self) -> None:
        self._where: dict[Any, tuple[Any, ...]] = {}   # register -> the buckets it is in
        self._pages: dict[tuple[str, int], set[Any]] = {}
        self._wide: set[Any] = set()

    def _buckets(self, key: tuple[str, int, int] | None) -> tuple[Any, ...]:
        if key is None:
            return ("wide",)
        port, address, length = key
        first, last = address >> PAGE_BITS, (address + max(length, 1) - 1) >> PAGE_BITS
        if first == last:  # most registers: one bucket (no generator)
            return ((port, first),)
        if last - first >= WIDE_PAGES:
            return ("wide",)
        return tuple((port, page) for page in range(first, last + 1))

    def add(self, register: Any, span: tuple[str, int, int] | None = None) -> None:
        """Index ``register`` as holding the bytes of ``span`` = (port, address, length)
        (None: unknown, checked by every lookup)."""
        if register in self._where:
            self.discard(register)
        buckets = self._buckets(span)
        self._where[register] = buckets
        for bucket in buckets:
            if bucket == "wide":
                self._wide.add(register)
            else:
                self._pages.setdefault(bucket, set()).add(register)

    def discard(self, register: Any) -> None:
        buckets = self._where.pop(register, None)
        if buckets is None:
            return
        for bucket in buckets:
            if bucket == "wide":
                self._wide.discard(register)
            else:
                members = self._pages.get(bucket)
                if members is not None:
                    members.discard(register)
                    if not members:
                        del self._pages[bucket]

    def clear(self) -> None:
        self._where.clear()
        self._pages.clear()
        self._wide.clear()

    def __contains__(self, register: object) -> bool:
        return register in self._where

    def __iter__(self) -> Iterator[Any]:
        return iter(list(self._where))

    def __len__(self) -> int:
        return len(self._where)

    def overlapping(self, port: str, address: int, length: int) -> set[Any]:
        """Cached registers that may hold bytes of ``port`` [address, address+length):
        those indexed on the written pages, and every wide or span-less one."""
        found: set[Any] = set(self._wide)
        first, last = address >> PAGE_BITS, (address + max(length, 1) - 1) >> PAGE_BITS
        if last - first >= WIDE_PAGES:
            return set(self._where)
        for page in range(first, last + 1):
            found |= self._pages.get((port, page), set())
        return found
