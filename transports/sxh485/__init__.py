"""SXH485 serial JPEG cameras (RS-232/RS-485): parameters and snapshots as features.

Rooms: ``protocol`` (sans-IO frames, CRC-16, profiles, stream parser) · ``bus`` (one
shared, locked serial line per pyserial URL) · ``port`` (parameters as virtual
registers) · ``snapshot`` (packet-by-packet JPEG transfer and checks) · ``link``
(``sxh485:`` URLs) · ``device`` (a simulated camera on a pty or TCP).
The features are described in ``xml/sxh485.xml``.
"""

from __future__ import annotations

import importlib
from typing import Any

_HOMES = {"SXH485Link": "link", "open_link": "link", "parse_url": "link", "Kind": "port",
          "SXH485Port": "port", "virtual_address": "port", "PROFILES": "protocol",
          "Frame": "protocol", "FrameParser": "protocol", "Profile": "protocol",
          "crc16": "protocol", "decode": "protocol", "encode": "protocol"}

__all__ = ["open_link", "parse_url", "SXH485Link", "SXH485Port", "Kind", "virtual_address",
           "PROFILES", "Profile", "Frame", "FrameParser", "crc16", "encode", "decode"]


def __getattr__(name: str) -> Any:
    """Lazy re-exports: importing the package (e.g. for its plugin) stays cheap."""
    if name in _HOMES:
        return getattr(importlib.import_module(f".{_HOMES[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
