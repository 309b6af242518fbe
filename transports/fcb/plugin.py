"""The Sony FCB (VISCA) transport as a nodemap plugin (``fcb:PORT?address=N``)."""

from __future__ import annotations

from typing import Iterator

from nodemap.errors import NodeMapError
from nodemap.plugin import (DemoPlan, DiscoveredDevice, DiscoveryRequest, Option, SimulatorSpec,
                            TransportPlugin)

__all__ = ["plugin", "discover"]

SERIAL_HINT = ("check the serial port name and permissions, the cable, the baud rate "
               "(?baudrate=) and the camera address (?address=); nodemap discover --serial "
               "PORT probes the line")


def discover(request: DiscoveryRequest) -> Iterator[DiscoveredDevice]:
    """FCB cameras on each ``--serial`` line: AddressSet tells how many are chained."""
    from .link import open_link

    short = min(max(request.timeout / 4, 0.1), 0.5)
    for port in request.serial_ports:
        try:
            link = open_link(f"fcb:{port}?address=1&timeout={short}&retries=0")
        except (NodeMapError, OSError):
            continue
        try:
            count = getattr(getattr(link, "bus", None), "cameras_found", None) or 1
        finally:
            link.close()
        for address in range(1, min(count, 7) + 1):
            yield DiscoveredDevice(url=f"fcb:{port}?address={address}", transport="fcb",
                                   vendor="Sony", model="FCB (VISCA)", interface=port)


plugin = TransportPlugin(
    name="fcb",
    summary="Sony FCB block cameras over VISCA serial (RS-232/RS-485)",
    schemes=("fcb",),
    url_forms=("fcb:PORT?address=N", "fcb:socket://HOST:PORT?address=N"),
    open_link="nodemap.transports.fcb.link:open_link",
    discover=discover,
    simulators=(SimulatorSpec(
        name="fcb",
        summary="Sony FCB cameras on a pseudo-terminal (or --tcp)",
        start="nodemap.transports.fcb.sim:start",
        options=(Option(("--cameras",), "cameras", "cameras on the line", kind="int", default=1),
                 Option(("--tcp",), "tcp", "serve on TCP instead of a pty (open it as "
                        "socket://HOST:PORT)", metavar="HOST:PORT")),
        demo=DemoPlan(
            label="FCB camera", description="Sony FCB block camera (VISCA on a serial line)",
            read=("ZoomPosition", "FocusMode", "WhiteBalanceMode", "ExposureMode"),
            write=("ZoomPosition", "WhiteBalanceMode"), execute=("MemorySet", "ZoomStop"),
            order=20)),),
    decoder="nodemap.transports.fcb.capture:FcbCaptureDecoder",
    capabilities=frozenset({"features"}),
    unreachable_hint=SERIAL_HINT,
)
