"""One acquisition API for every transport that makes images.

A transport implements :class:`FrameSource` (start, stop, next_frame, stats, close); the
application gets a :class:`Stream` around it::

    with cam.stream(buffers=8) as stream:        # acquisition starts here ...
        for frame in stream.frames(100, timeout=2.0):
            frame.array
    # ... and stops here, also on an error or Ctrl-C

``Stream`` knows no wire: GVSP, SXH485 snapshots or a test double all look the same.
"""

from __future__ import annotations

import itertools
import logging
from typing import Any, Iterator, Protocol, runtime_checkable

from .frame import Frame

__all__ = ["FrameSource", "Stream"]

log = logging.getLogger("nodemap.imaging")


@runtime_checkable
class FrameSource(Protocol):
    """What a transport provides to stream frames."""

    def start(self) -> None:
        """Start acquisition (program the device, start its stream)."""

    def stop(self) -> None:
        """Stop acquisition on the device; frames already received stay readable."""

    def next_frame(self, timeout: float) -> Frame:
        """The next frame; ``nodemap.errors.TimeoutError`` when none comes in ``timeout`` s."""

    @property
    def stats(self) -> dict[str, int]:
        """Counters (at least completed, incomplete, underruns)."""

    def close(self) -> None:
        """Release the sockets, threads and buffers (idempotent)."""


class Stream:
    """A started-on-entry, stopped-on-exit acquisition over a :class:`FrameSource`."""

    def __init__(self, source: FrameSource) -> None:
        self.source = source
        self._started = False
        self._closed = False

    # ------------------------------------------------------------------ lifetime

    def start(self) -> "Stream":
        if self._closed:
            from nodemap.errors import PortError
            raise PortError("this stream is closed; open a new one with cam.stream()")
        if not self._started:
            self.source.start()
            self._started = True
        return self

    def stop(self) -> None:
        if self._started:
            self._started = False
            self.source.stop()

    def close(self) -> None:
        """Stop acquisition (if running) and release everything; idempotent."""
        if self._closed:
            return
        try:
            self.stop()
        finally:
            self._closed = True
            self.source.close()

    def __enter__(self) -> "Stream":
        try:
            return self.start()
        except BaseException:
            self.close()
            raise

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ frames

    @property
    def running(self) -> bool:
        return self._started

    def next(self, timeout: float = 2.0) -> Frame:
        """One frame (starting acquisition if needed)."""
        self.start()
        return self.source.next_frame(timeout)

    def frames(self, n: int | None = None, timeout: float = 2.0) -> Iterator[Frame]:
        """Yield ``n`` frames (forever when None); each waits at most ``timeout`` seconds."""
        self.start()
        counter = itertools.count() if n is None else range(n)
        for _ in counter:
            yield self.source.next_frame(timeout)

    def __iter__(self) -> Iterator[Frame]:
        return self.frames()

    @property
    def stats(self) -> dict[str, int]:
        return dict(self.source.stats)

    def __repr__(self) -> str:
        state = "closed" if self._closed else ("running" if self._started else "stopped")
        return f"<Stream {state} {self.source!r}>"


def describe_stats(stats: dict[str, Any]) -> str:
    """A one-line summary of a stream's counters."""
    keys = ("completed", "incomplete", "underruns", "resend_requests", "resent_packets",
            "missing_packets", "malformed")
    return ", ".join(f"{k} {stats[k]}" for k in keys if k in stats)
