"""A pool of preallocated frame buffers whose ownership follows the delivered views.

A receiver fills a pool buffer in place, then hands the application a *lease*: a
memoryview of that buffer.  The buffer comes back to the pool only when the lease and
every view derived from it (slices, ``numpy.frombuffer`` arrays, ``Frame.array``) are
gone — never while something can still read it — so a slow consumer makes the receiver
run out of buffers (counted as underruns) instead of seeing its pixels overwritten.

The lease is a tiny ctypes array object laid over the buffer: it exports the buffer, is
referenced by every memoryview made from it, and supports weak references, so a weak
reference's callback on it returns the buffer at exactly the right moment.
"""

from __future__ import annotations

import collections
import ctypes
import threading
import weakref
from typing import Any, cast

__all__ = ["BufferPool"]


class BufferPool:
    """``count`` buffers of ``size`` bytes; ``acquire``/``lease``/``give_back``."""

    def __init__(self, count: int, size: int) -> None:
        if count < 1:
            raise ValueError(f"a stream needs at least one buffer (buffers={count})")
        if size < 1:
            raise ValueError(f"buffer size must be positive (got {size})")
        self.count = count
        self.size = size
        self.buffers: list[bytearray] = [bytearray(size) for _ in range(count)]
        self._free: collections.deque[int] = collections.deque(range(count))
        # A subclass of the array type (not the array type itself), so that each lease is
        # an object a weakref.finalize can watch.
        self._lease_type = cast("type[ctypes.Array[ctypes.c_ubyte]]",
                                type("FrameBuffer", (ctypes.c_ubyte * size,), {}))
        self._lock = threading.Lock()
        self._leased: set[int] = set()
        self._refs: dict[int, weakref.ref[Any]] = {}

    @property
    def free(self) -> int:
        """Buffers ready for a new frame."""
        return len(self._free)

    @property
    def leased(self) -> int:
        """Buffers held by delivered frames (or views of them)."""
        return len(self._leased)

    def acquire(self) -> int | None:
        """A free buffer's index, or None when every buffer is in use."""
        try:
            return self._free.popleft()
        except IndexError:
            return None

    def give_back(self, index: int) -> None:
        """Return a buffer that was acquired but never leased (e.g. a dropped frame)."""
        self._free.append(index)

    def lease(self, index: int, nbytes: int) -> memoryview:
        """A memoryview of the first ``nbytes`` of buffer ``index`` that owns the buffer:
        it returns to the pool when this view and all views made from it are released."""
        holder = self._lease_type.from_buffer(self.buffers[index])

        def gone(_ref: "weakref.ref[Any]", index: int = index) -> None:
            self._returned(index)

        with self._lock:
            self._leased.add(index)
            # a weak reference whose callback gives the buffer back (cheaper than
            # weakref.finalize); the reference itself is kept until then
            self._refs[index] = weakref.ref(holder, gone)
        return memoryview(holder).cast("B")[:nbytes]

    def _returned(self, index: int) -> None:
        with self._lock:
            self._leased.discard(index)
            self._refs.pop(index, None)
        self._free.append(index)
