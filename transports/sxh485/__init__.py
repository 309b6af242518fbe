"""SXH485 serial JPEG cameras (RS-232/RS-485): parameters and snapshots as features.

Rooms: ``protocol`` (sans-IO frames, CRC-16, profiles, stream parser) · ``bus`` (one
shared, locked serial line per pyserial URL) · ``port`` (parameters as virtual
registers) · ``snapshot`` (packet-by-packet JPEG transfer and checks) · ``link``
(``sxh485:`` URLs) · ``device`` (a simulated camera on a pty or TCP).
The features are described in ``xml/sxh485.xml``.
"""

from .link import SXH485Link, open_link, parse_url
from .port import Kind, SXH485Port, virtual_address
from .protocol import PROFILES, Frame, FrameParser, Profile, crc16, decode, encode

__all__ = ["open_link", "parse_url", "SXH485Link", "SXH485Port", "Kind", "virtual_address",
           "PROFILES", "Profile", "Frame", "FrameParser", "crc16", "encode", "decode"]
