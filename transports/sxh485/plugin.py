"""The SXH485 serial JPEG camera transport as a nodemap plugin (``sxh485:PORT?address=N``)."""

from __future__ import annotations

from typing import Iterator

from nodemap.errors import NodeMapError
from nodemap.plugin import (DemoPlan, DiscoveredDevice, DiscoveryRequest, Option, SimulatorSpec,
                            TransportPlugin)

__all__ = ["plugin", "discover", "address_list"]

SERIAL_HINT = ("check the serial port name and permissions, the cable, the baud rate "
               "(?baudrate=) and the camera address (?address=); nodemap discover --serial "
               "PORT probes the line")


def address_list(text: str) -> list[int]:
    """``"1-8"`` or ``"1,5,9"`` → camera addresses 1-254; ValueError for anything else."""
    out: list[int] = []
    for part in str(text).split(","):
        part = part.strip()
        if not part:
            continue
        low, sep, high = part.partition("-")
        try:
            out += list(range(int(low), int(high) + 1)) if sep else [int(low)]
        except ValueError:
            raise ValueError(f"--sxh485-addresses {text!r}: use e.g. 1-8 or 1,5,9") from None
    return [a for a in out if 1 <= a <= 254][:254]


def discover(request: DiscoveryRequest) -> Iterator[DiscoveredDevice]:
    """SXH485 cameras answering on each ``--serial`` line at ``--sxh485-addresses``."""
    if not request.serial_ports:
        return
    from .link import open_link

    addresses = address_list(request.options.get("sxh485_addresses") or "1-8")
    short = min(max(request.timeout / 4, 0.1), 0.5)
    for port in request.serial_ports:
        for address in addresses:
            try:
                link = open_link(f"sxh485:{port}?address={address}&timeout={short}&retries=0")
            except (NodeMapError, OSError):
                continue
            link.close()
            yield DiscoveredDevice(url=f"sxh485:{port}?address={address}", transport="sxh485",
                                   model="SXH485 camera", interface=port)


plugin = TransportPlugin(
    name="sxh485",
    summary="SXH485 serial JPEG cameras (RS-232/RS-485)",
    schemes=("sxh485",),
    url_forms=("sxh485:PORT?address=N&baudrate=115200",),
    open_link="nodemap.transports.sxh485.link:open_link",
    discover=discover,
    discover_options=(Option(("--sxh485-addresses",), "sxh485_addresses",
                             "SXH485 addresses to probe on --serial lines (e.g. 1-8 or 1,5,9)",
                             default="1-8"),),
    simulators=(SimulatorSpec(
        name="sxh485",
        summary="SXH485 cameras on a pseudo-terminal (or --tcp)",
        start="nodemap.transports.sxh485.sim:start",
        options=(Option(("--address",), "addresses", "camera address (repeatable; default 1)",
                        multiple=True),
                 Option(("--tcp",), "tcp", "serve on TCP instead of a pty (open it as "
                        "socket://HOST:PORT)", metavar="HOST:PORT")),
        demo=DemoPlan(
            label="SXH485 camera", description="SXH485 serial JPEG camera",
            read=("Resolution", "ImageQuality", "PacketSize", "DeviceStatus"),
            write=("Resolution", "ImageQuality"), execute=("TriggerSoftware",), order=30)),),
    decoder="nodemap.transports.sxh485.capture:SXH485CaptureDecoder",
    decode_options=(Option(("--profile",), "sxh485_profile", "SXH485 wire profile (seed, h200)",
                           default="seed"),),
    capabilities=frozenset({"features", "snapshot", "images"}),
    unreachable_hint=SERIAL_HINT,
)
