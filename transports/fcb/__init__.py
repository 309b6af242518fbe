"""Sony FCB block cameras over VISCA (RS-232 daisy chain / RS-485).

Rooms: :mod:`.protocol` (sans-IO VISCA codec and stream parser), :mod:`.address`
(the virtual register layout the XML uses), :mod:`.bus` (one shared line, reader
thread, sockets), :mod:`.port` (registers ↔ commands/inquiries), :mod:`.link`
(``fcb:<pyserial url>?address=N``), :mod:`.device` (a simulated camera).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["open_link"]


if TYPE_CHECKING:
    from .link import FcbLink


def open_link(url: str, **options: Any) -> FcbLink:
    """Open ``fcb:<pyserial url>?address=N``; see :mod:`nodemap.transports.fcb.link`."""
    from .link import open_link as _open_link

    return _open_link(url, **options)
