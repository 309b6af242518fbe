"""``sxh485:<pyserial url>?address=N&baudrate=B[&profile=seed|h200&timeout=S&retries=R]``.

Opens (or joins) the serial line, builds the camera's :class:`SXH485Port` and hands
``xml/sxh485.xml`` to the node map.  Anything after ``sxh485:`` that pyserial
understands works: ``/dev/ttyUSB0``, ``COM3``, ``socket://127.0.0.1:7000``,
``rfc2217://host:port``, ``loop://`` …  Our own query parameters are taken out of
the URL; the remaining ones stay with pyserial (``socket://h:p?logging=debug``).

    address   camera address 1–254 (default 1); 255 opens a broadcast port: writes
              reach every camera on the line and get no reply, reads are refused
    baudrate  line speed the camera uses now (default 115200)
    profile   wire-format profile (``seed`` default, ``h200``); see protocol.py
    timeout   seconds to wait for each reply (default 0.5); for ``rfc2217://``
              ``timeout`` belongs to pyserial, use ``reply_timeout``
    retries   re-sends after a timeout or a corrupted reply (default 3)
    probe     1 (default) asks the camera for its status on open, so a wrong
              address or baud rate fails at once with a clear message; 0 skips it

``link.snapshot(path=None, progress=None)`` (``cam.snapshot(...)``) takes a picture
and returns the JPEG bytes.
"""

from __future__ import annotations

from typing import Any, Callable

from nodemap.errors import NodeMapError, PortError
from nodemap.resources import read_description

from ..serial_url import split_serial_url
from . import snapshot as _snapshot
from .bus import Bus
from .port import Kind, SXH485Port, virtual_address
from .protocol import BROADCAST, MessageType, Sxh485CodecError, get_profile

__all__ = ["SXH485Link", "open_link", "parse_url"]

DESCRIPTION = "sxh485.xml"
_OURS = {"address", "baudrate", "profile", "timeout", "reply_timeout", "retries", "probe"}


def parse_url(url: str) -> tuple[str, dict[str, str]]:
    """``"sxh485:socket://h:1?address=2&logging=debug"`` →
    ``("socket://h:1?logging=debug", {"address": "2"})`` (an unknown parameter is a
    ValueError naming close matches)."""
    base, ours = split_serial_url(url, "sxh485", _OURS, "sxh485:/dev/ttyUSB0?address=1")
    if "reply_timeout" in ours:
        ours["timeout"] = ours.pop("reply_timeout")
    return base, ours


class SXH485Link:
    """A camera on an SXH485 line: ``.port``, ``.descriptions()``, ``.snapshot()``."""

    port_name = "Device"

    def __init__(self, port: SXH485Port, bus: Bus) -> None:
        self.port = port
        self.bus = bus
        self._closed = False

    def descriptions(self, progress: Callable[[int, int], None] | None = None) -> list[bytes]:
        xml = read_description(DESCRIPTION)
        if progress is not None:
            progress(len(xml), len(xml))
        return [xml]

    def snapshot(self, path: Any = None,
                 progress: Callable[[int, int], None] | None = None) -> bytes:
        """Take a picture; return the JPEG bytes (and write them to ``path``)."""
        return _snapshot.snapshot(self.port, path, progress)

    def open_stream(self, nodemap: Any = None, *, buffers: int = 8,
                    packet_size: int | None = None, **options: Any) -> Any:
        """A FrameSource whose frames are snapshots (JPEG payload, pixel_format "JPEG")."""
        from .stream import SnapshotSource

        return SnapshotSource(self, nodemap, **options)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.port.close()
            self.bus.release()

    def __repr__(self) -> str:
        return f"<SXH485Link {self.bus.url} address={self.port.address} profile={self.bus.profile.name}>"


def _number(params: dict[str, Any], key: str, kind: type, default: Any) -> Any:
    value = params.get(key)
    if value is None or value == "":
        return default
    try:
        if kind is int and isinstance(value, str):
            return int(value, 16) if value.lower().startswith("0x") else int(value, 10)
        return kind(value)
    except ValueError:
        raise NodeMapError(f"sxh485 URL parameter {key}={value!r} is not a number") from None


def open_link(url: str, *, address: int | None = None, baudrate: int | None = None,
              profile: str | None = None, timeout: float | None = None,
              retries: int | None = None, probe: bool | None = None,
              **serial_options: Any) -> SXH485Link:
    """Open the SXH485 camera named by ``url`` (keyword arguments override the URL)."""
    line, given = parse_url(url)
    params: dict[str, Any] = dict(given)      # URL texts, overridden by typed keywords
    for key, value in (("address", address), ("baudrate", baudrate), ("profile", profile),
                       ("timeout", timeout), ("retries", retries), ("probe", probe)):
        if value is not None:
            params[key] = value
    address_ = _number(params, "address", int, 1)
    try:
        profile_ = get_profile(params.get("profile") or "seed")
    except Sxh485CodecError as exc:
        raise NodeMapError(f"{url!r}: {exc}") from None
    bus = Bus.acquire(line, baudrate=_number(params, "baudrate", int, 115200),
                      profile=profile_,
                      serial_options=serial_options)
    try:
        port = SXH485Port(bus, address_, timeout=_number(params, "timeout", float, 0.5),
                          retries=_number(params, "retries", int, 3))
        if address_ != BROADCAST and _number(params, "probe", int, 1):
            try:
                port.read(virtual_address(Kind.STATUS, MessageType.DEVICE_STATUS), 1)
            except PortError as exc:
                raise exc.with_context(f"no SXH485 camera answers at {url!r}: {exc}") from exc
    except BaseException:
        bus.release()
        raise
    return SXH485Link(port, bus)
