"""``fcb:<pyserial url>?address=N``: open a Sony FCB camera as a DeviceLink.

Everything after ``fcb:`` is a pyserial URL (``/dev/ttyUSB0``, ``COM3``,
``socket://127.0.0.1:5678``, ``loop://``, ``rfc2217://...``).  Query keys that belong
to nodemap are taken out; every other key stays with the pyserial URL::

    address=1..7            camera address on the line (default 1)
    baudrate=9600           line speed (FCB default 9600; 38400 on newer models)
    timeout=1.0             seconds to wait for an ACK / inquiry reply
    retries=2               re-sends after a missing reply
    completion_timeout=15   seconds to wait for a command's completion
    init=full|clear|none    start-up: AddressSet + IF_Clear (full), IF_Clear only, nothing
    wait=completion|ack     plain value writes return after the completion (default) or ACK

The same keys are accepted as keyword arguments (``nodemap.open(url, timeout=0.5)``),
plus ``xml=bytes`` to use another description than the shipped ``sony-fcb.xml`` and
``serial=obj`` to run over an already open serial-like object.  Links to the same line
share one :class:`~nodemap.transports.fcb.bus.FcbBus`.
"""

from __future__ import annotations

import logging
from typing import Any, Callable

from lxml import etree

from nodemap.errors import NodeMapError, PortError
from nodemap.resources import read_description

from ..serial_url import split_serial_url
from .bus import FcbBus, acquire_bus, release_bus
from .port import FcbPort

__all__ = ["FcbLink", "open_link", "parse_url", "register_labels"]

log = logging.getLogger("nodemap.fcb")

_OURS = ("address", "baudrate", "timeout", "retries", "completion_timeout", "init", "wait")
_DEFAULTS: dict[str, Any] = {"address": 1, "baudrate": 9600, "timeout": 1.0, "retries": 2,
                             "completion_timeout": 15.0, "init": "full", "wait": "completion"}


def parse_url(url: str) -> tuple[str, dict[str, str]]:
    """``fcb:socket://h:1?address=2&logging=debug`` → ``("socket://h:1?logging=debug",
    {"address": "2"})``: the pyserial URL and nodemap's own options (an unknown parameter
    is a ValueError naming close matches)."""
    return split_serial_url(url, "fcb", _OURS, "fcb:/dev/ttyUSB0?address=1, fcb:COM3?address=1 "
                            "or fcb:socket://127.0.0.1:5678?address=1")


def register_labels(xml: bytes) -> dict[int, str]:
    """Register address → the feature name that reaches it (for error messages)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             huge_tree=False)
    try:
        root = etree.fromstring(xml, parser)
    except etree.XMLSyntaxError:
        return {}
    registers: dict[str, int] = {}
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        name = element.get("Name")
        if name is None:
            continue
        for child in element:
            if isinstance(child.tag, str) and etree.QName(child).localname == "Address":
                try:
                    registers[name] = int((child.text or "").strip(), 0)
                except ValueError:
                    pass
    labels = {address: name for name, address in registers.items()}
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        for child in element:
            if isinstance(child.tag, str) and etree.QName(child).localname == "pValue":
                target = (child.text or "").strip()
                owner = element.get("Name")
                if target in registers and owner is not None:
                    labels[registers[target]] = owner
    return labels


class FcbLink:
    """One FCB camera: ``.port`` (an :class:`FcbPort`), ``.bus``, ``.address``."""

    port_name = "Device"

    def __init__(self, port: FcbPort, bus: FcbBus, xml: bytes, url: str) -> None:
        self.port = port
        self.bus = bus
        self.url = url
        self._xml = xml
        self._closed = False

    @property
    def address(self) -> int:
        return self.port.address

    def descriptions(self, progress: Callable[[int, int], None] | None = None) -> list[bytes]:
        if progress:
            progress(len(self._xml), len(self._xml))
        return [self._xml]

    def cancel(self, socket: int) -> bool:
        """Cancel the command on socket 1 or 2 of this camera."""
        return self.port.cancel(socket)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            release_bus(self.bus)

    def __repr__(self) -> str:
        return f"<FcbLink camera {self.address} on {self.bus.name}>"


def _option(ours: dict[str, str], options: dict[str, Any], key: str, cast: Callable[[Any], Any]) -> Any:
    raw = options.get(key, ours.get(key, _DEFAULTS[key]))
    try:
        return cast(raw)
    except (TypeError, ValueError):
        raise NodeMapError(f"fcb: option {key}={raw!r} is not valid") from None


def open_link(url: str, **options: Any) -> FcbLink:
    """Open ``fcb:<pyserial url>?address=N`` (see the module docstring for options)."""
    serial_url, ours = parse_url(url)
    address = _option(ours, options, "address", lambda v: int(str(v), 0))
    if not 1 <= address <= 7:
        raise NodeMapError(f"{url!r}: camera address {address} outside 1–7")
    baudrate = _option(ours, options, "baudrate", int)
    timeout = _option(ours, options, "timeout", float)
    retries = _option(ours, options, "retries", int)
    completion_timeout = _option(ours, options, "completion_timeout", float)
    init = _option(ours, options, "init", str)
    if init not in ("full", "clear", "none"):
        raise NodeMapError(f"{url!r}: init={init!r}; use full, clear or none")
    wait = _option(ours, options, "wait", str)
    if wait not in ("completion", "ack"):
        raise NodeMapError(f"{url!r}: wait={wait!r}; use completion or ack")
    serial_obj = options.get("serial")
    xml = options.get("xml") or read_description("sony-fcb.xml")

    def opener() -> FcbBus:
        if serial_obj is not None:
            line = serial_obj
        else:
            import serial  # pyserial

            try:
                line = serial.serial_for_url(serial_url, baudrate=baudrate, timeout=0.05,
                                             write_timeout=max(timeout, 1.0))
            except (serial.SerialException, ValueError, OSError) as exc:
                raise PortError(f"cannot open serial line {serial_url!r}: {exc}; check the "
                                f"device name and permissions (dialout group on Linux)") from exc
        return FcbBus(line, name=serial_url, timeout=timeout, retries=retries,
                      completion_timeout=completion_timeout)

    def start(bus: FcbBus) -> None:
        if init == "full":
            bus.address_set()
        if init in ("full", "clear"):
            bus.if_clear_all()

    key = f"obj:{id(serial_obj)}" if serial_obj is not None else serial_url
    bus = acquire_bus(key, opener, start)
    try:
        line_baud = getattr(bus.serial, "baudrate", baudrate)
        if serial_obj is None and line_baud != baudrate:
            raise PortError(f"{url!r}: the line {serial_url} is already open at {line_baud} "
                            f"baud; every camera on one line shares its baud rate")
        if bus.cameras_found == 0:
            raise PortError(f"{url!r}: AddressSet came back unchanged (88 30 01 FF), so "
                            f"AddressSet found 0 cameras: the line loops back to the controller "
                            f"without a camera; check the cabling and the camera's power")
        if bus.cameras_found is not None and address > bus.cameras_found:
            raise PortError(f"{url!r}: AddressSet found {bus.cameras_found} camera(s) on "
                            f"{serial_url}, so there is no camera {address}; the chain numbers "
                            f"cameras 1, 2, … from the controller")
        port = FcbPort(bus.session(address), names=register_labels(xml),
                       wait_completion=(wait == "completion"))
    except BaseException:
        release_bus(bus)
        raise
    log.debug("opened camera %d on %s (%d user(s) of the line)", address, bus.name, bus.refcount)
    return FcbLink(port, bus, xml, url)
