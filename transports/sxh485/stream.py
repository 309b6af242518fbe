"""SXH485 as a frame source: each frame is one snapshot (a JPEG fetched packet by packet).

``SXH485Link.open_stream`` returns a :class:`SnapshotSource`, so ``cam.stream()`` and
``cam.grab()`` work on an SXH485 camera exactly as on a GigE Vision one: ``frame.payload``
is the JPEG, ``frame.pixel_format == "JPEG"``, ``frame.array`` is decoded with Pillow.
The camera has no stream of its own: ``next_frame`` takes the next snapshot on demand
(``buffers`` and ``packet_size`` do not apply; the serial packet size is the camera's
PacketSize feature).
"""

from __future__ import annotations

import itertools
import logging
import time
from typing import Any

from nodemap.errors import PortError, ProtocolError
from nodemap.imaging.frame import Frame

from . import snapshot as _snapshot

__all__ = ["SnapshotSource", "jpeg_size"]

log = logging.getLogger("nodemap.sxh485")

_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
JPEG_PAYLOAD_TYPE = 0x0006      # the GVSP payload type of JPEG blocks, for symmetry


def jpeg_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a JPEG's start-of-frame marker; ProtocolError if none."""
    pos = 2
    n = len(data)
    while pos + 4 <= n:
        if data[pos] != 0xFF:
            pos += 1
            continue
        marker = data[pos + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7 or marker == 0xFF:
            pos += 1 if marker == 0xFF else 2
            continue
        length = int.from_bytes(data[pos + 2:pos + 4], "big")
        if marker in _SOF and pos + 9 <= n:
            height = int.from_bytes(data[pos + 5:pos + 7], "big")
            width = int.from_bytes(data[pos + 7:pos + 9], "big")
            return width, height
        if marker == 0xDA:          # start of scan before any SOF: not a usable JPEG
            break
        pos += 2 + length
    raise ProtocolError("the JPEG has no start-of-frame marker: its size is unknown")


class SnapshotSource:
    """A FrameSource over an :class:`~.link.SXH485Link` (one snapshot per frame)."""

    def __init__(self, link: Any, nodemap: Any = None, **_options: Any) -> None:
        self.link = link
        self.nodemap = nodemap
        self._ids = itertools.count(1)
        self._running = False
        self._closed = False
        self.stats: dict[str, int] = {"completed": 0, "incomplete": 0, "underruns": 0,
                                      "bytes": 0, "errors": 0}

    def start(self) -> None:
        if self._closed:
            raise PortError("this SXH485 snapshot stream is closed; open a new one")
        self._running = True

    def stop(self) -> None:
        self._running = False

    def next_frame(self, timeout: float) -> Frame:
        """Take a snapshot now.  The serial port's own timeouts bound it (``timeout`` is the
        budget reported in errors; the port's ``?timeout=`` governs each packet)."""
        if not self._running:
            raise PortError("the SXH485 snapshot stream is stopped; use it inside "
                            "`with cam.stream() as stream:`")
        started = time.monotonic()
        try:
            data = _snapshot.snapshot(self.link.port)
        except PortError:
            self.stats["errors"] += 1
            raise
        width, height = jpeg_size(data)
        self.stats["completed"] += 1
        self.stats["bytes"] += len(data)
        log.debug("snapshot %d×%d, %d bytes in %.3f s", width, height, len(data),
                  time.monotonic() - started)
        return Frame(data, width=width, height=height, pixel_format="JPEG",
                     frame_id=next(self._ids), timestamp=time.monotonic_ns(),
                     payload_type=JPEG_PAYLOAD_TYPE)

    def close(self) -> None:
        self._running = False
        self._closed = True

    def __repr__(self) -> str:
        return f"<SnapshotSource {self.link!r}>"
