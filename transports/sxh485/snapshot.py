"""Snapshots: take a picture, fetch it packet by packet, prove the JPEG is whole.

``snapshot(port)`` sends Capture, learns the picture's size from the reply (or asks
with ImageInfo), reads every packet (the port re-requests any packet whose reply
fails its CRC or never arrives) and returns the JPEG bytes only if they are exactly
the announced size and run from SOI (``FF D8``) to EOI (``FF D9``).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Callable

from nodemap.errors import ProtocolError

from .port import SXH485Port

__all__ = ["snapshot", "check_jpeg"]

log = logging.getLogger("nodemap.sxh485")

SOI = b"\xFF\xD8"
EOI = b"\xFF\xD9"


def check_jpeg(data: bytes, size: int | None = None, *, address: int | None = None) -> bytes:
    """Return ``data`` if it is a whole JPEG (of ``size`` bytes); else ProtocolError."""
    where = f" from camera {address}" if address is not None else ""
    if size is not None and len(data) != size:
        raise ProtocolError(f"picture{where} has {len(data)} bytes, the camera announced {size}; "
                            f"take the snapshot again")
    if not data.startswith(SOI):
        raise ProtocolError(f"picture{where} does not start with the JPEG SOI marker FF D8 "
                            f"(starts {data[:4].hex(' ')})")
    if not data.rstrip(b"\x00").endswith(EOI):
        raise ProtocolError(f"picture{where} does not end with the JPEG EOI marker FF D9 "
                            f"(ends {data[-4:].hex(' ')}); it is truncated")
    return data


def snapshot(port: SXH485Port, path: str | os.PathLike[str] | None = None,
             progress: Callable[[int, int], None] | None = None) -> bytes:
    """Take a picture and return its JPEG bytes (also written to ``path`` if given).

    ``progress(done_bytes, total_bytes)`` is called after each packet.
    """
    with port._lock:
        size = port.capture()
        if progress is not None:
            progress(0, size)
        data = port.read_image(0, size, progress)
    check_jpeg(data, size, address=port.address)
    log.debug("snapshot from camera %d: %d bytes", port.address, len(data))
    if path is not None:
        Path(path).write_bytes(data)
    return data
