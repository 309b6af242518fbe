"""How big one frame's buffer must be, from a device's node map.

Every image-making transport sizes its buffers the same way: the SFNC ``PayloadSize``
feature when it reads as a positive number, else ``Width × Height`` at the bits of
``PixelFormat`` (Mono8 when the description has none).
"""

from __future__ import annotations

import logging
from typing import Any

from ..errors import NodeMapError, UnsupportedError
from . import pfnc

__all__ = ["payload_size"]

log = logging.getLogger("nodemap.imaging")


def payload_size(nodemap: Any, device: str) -> int:
    """Bytes of one frame of ``nodemap``'s device (``device`` names it in messages)."""
    features = nodemap.features
    if "PayloadSize" in features:
        try:
            size = int(features["PayloadSize"].value)
            if size > 0:
                return size
        except NodeMapError as exc:
            log.warning("PayloadSize of %s unreadable (%s); computing it from Width, Height "
                        "and PixelFormat", device, exc)
    try:
        width = int(features["Width"].value)
        height = int(features["Height"].value)
        code = (features["PixelFormat"].int_value if "PixelFormat" in features
                else pfnc.code_of("Mono8"))
        size = pfnc.payload_size(code, width, height)
    except (NodeMapError, KeyError) as exc:
        raise UnsupportedError(
            f"cannot size the stream buffers of {device}: the device XML has no readable "
            f"PayloadSize nor Width/Height/PixelFormat ({exc})") from exc
    if size <= 0:
        raise UnsupportedError(
            f"cannot size the stream buffers of {device}: PayloadSize is not positive and "
            f"Width × Height = {width} × {height} makes an empty frame; set Width and Height "
            f"(the device's registers may be unset)")
    return size
