"""``nodemap sim gige``: start a simulated GigE Vision device in this process.

Without an XML it serves the demo camera (``xml/demo-camera.xml``) with the power-on values
in :data:`DEMO_REGISTERS` (also when ``--xml`` names a copy of the demo camera's file); with
another XML its registers start at zero.  The device
binds a loopback address (127.0.0.2 by default; a free port when 3956 is taken and the
user named neither address nor port).
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

from nodemap.plugin import Simulator
from nodemap.resources import read_description

__all__ = ["DEMO_REGISTERS", "DEMO_XML", "start"]

DEMO_XML = "demo-camera.xml"

#: Power-on register values of the simulated demo camera (address → 32-bit value).
DEMO_REGISTERS: dict[int, int] = {
    0xA000: 1280,        # Width
    0xA004: 960,         # Height
    0xA010: 1280,        # SensorWidth
    0xA014: 960,         # SensorHeight
    0xA018: 0x01080001,  # PixelFormat = Mono8
    0xA020: 1000,        # ExposureTime raw (10 us units) = 10 ms
    0xA028: 0,           # Gain[All]
    0xA02C: 12,          # Gain[Red]
    0xA030: 0,           # Gain[Green]
    0xA034: 18,          # Gain[Blue]
    0xA054: 385,         # DeviceTemperature[Sensor] = 38.5 C
    0xA058: 412,         # DeviceTemperature[Mainboard] = 41.2 C
    0xA074: 0x41F00000,  # AcquisitionFrameRate = 30.0 Hz (IEEE float; 0 = as fast as it can)
    0xA080: 0x00000005,  # LineStatusAll: lines 0 and 2 high
}


def _checked_xml(path: Path) -> bytes:
    """The bytes of ``path`` if nodemap can load them as a description (else ValueError)."""
    from nodemap.errors import NodeMapError
    from nodemap.nodemap import NodeMap

    data = path.read_bytes()
    try:
        NodeMap.from_xml(data).documents  # the whole parse: opening only indexes names
    except NodeMapError as exc:
        raise ValueError(f"--xml {path}: not a usable GenApi description: {exc} (check it "
                         f"with: nodemap lint {path})") from None
    return data


def start(xml: Path | str | None = None, addresses: list[str] | tuple[str, ...] = (),
          port: int | None = None, stream_faults: str | None = None,
          vendor: str | None = None, model: str | None = None, serial: str | None = None,
          mac: str | None = None, user_name: str | None = None, zipped: bool = False,
          **_: object) -> Simulator:
    """Start a simulated GigE Vision device; returns the running :class:`Simulator`.

    ``stream_faults`` (e.g. ``"drop=0.05,duplicate=0.01,reorder=0.01,seed=1"``) injects
    seeded faults into the GVSP stream; ``vendor``/``model``/``serial``/``mac``/``user_name``
    set the bootstrap identity (printable ASCII, 32 or 16 bytes); ``zipped`` serves the description zipped.  The description goes
    where its own registers leave room (see ``placement.py``).  Invalid values raise
    ValueError naming the option.
    """
    from . import protocol as p
    from .device import SimulatedDevice
    from .streamer import parse_stream_faults

    if port is not None and not 0 <= port <= 0xFFFF:
        raise ValueError(f"--port {port}: a UDP port is 0-65535")
    for address in addresses:
        try:
            ipaddress.IPv4Address(address)
        except ValueError:
            raise ValueError(f"--address {address!r}: not an IPv4 address (e.g. 127.0.0.2)") \
                from None
    faults = parse_stream_faults(stream_faults) if stream_faults else None
    mac_number = None
    if mac is not None:
        parts = mac.replace("-", ":").split(":")
        if len(parts) != 6 or not all(len(x) in (1, 2) for x in parts):
            raise ValueError(f"--mac {mac!r}: use six hex bytes, e.g. 00:30:53:01:02:03")
        try:
            mac_number = p.parse_mac(mac)
        except ValueError:
            raise ValueError(f"--mac {mac!r}: use six hex bytes, e.g. 00:30:53:01:02:03") \
                from None
    for option, text, size in (("--vendor", vendor, 32), ("--model", model, 32),
                               ("--serial", serial, 16), ("--user-name", user_name, 16)):
        if text is None:
            continue
        if not (text.isascii() and text.isprintable()):   # no NUL, escapes or 8-bit text
            raise ValueError(f"{option} {text!r}: use printable ASCII (the bootstrap "
                             f"registers hold ASCII text)")
        if len(text) > size:
            raise ValueError(f"{option} {text!r}: at most {size} bytes (a bootstrap field)")
    if xml is None:
        data, name, registers = read_description(DEMO_XML), DEMO_XML, dict(DEMO_REGISTERS)
    else:
        path = Path(xml)
        data, name, registers = _checked_xml(path), path.name, {}
        if data == read_description(DEMO_XML):   # the demo camera, named by its path
            registers = dict(DEMO_REGISTERS)
    candidates = [(a, 3956 if port is None else port) for a in (list(addresses) or ["127.0.0.2"])]
    if not addresses and port is None:
        candidates.append(("127.0.0.2", 0))   # 3956 taken: any free port
    last: Exception | None = None
    for address, udp_port in candidates:
        device = SimulatedDevice(data, address=address, port=udp_port, xml_name=name,
                                 zipped=zipped,
                                 manufacturer=vendor or "nodemap",
                                 model=model or "NM-Demo-1300", serial=serial, mac=mac_number,
                                 registers=registers, stream_faults=faults)
        if user_name:
            device.memory.write(p.Register.USER_DEFINED_NAME,
                                user_name.encode().ljust(16, b"\0"))
        try:
            device.start()
        except OSError as exc:
            last = exc
            continue
        url = f"gvcp://{address}" + (f":{device.port}" if device.port != 3956 else "")
        return Simulator("gige", [url], [device.stop], "udp")
    raise OSError(f"cannot bind a simulated GigE device on "
                  f"{', '.join(f'{a}:{p}' for a, p in candidates)}: {last}")
