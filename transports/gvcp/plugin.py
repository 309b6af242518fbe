"""The GigE Vision transport as a nodemap plugin (``gvcp://HOST[:PORT]``)."""

from __future__ import annotations

from typing import Iterator

from nodemap.plugin import (DemoPlan, DiscoveredDevice, DiscoveryRequest, Option, SimulatorSpec,
                            TransportPlugin)

__all__ = ["plugin", "discover"]


def discover(request: DiscoveryRequest) -> Iterator[DiscoveredDevice]:
    """GigE Vision devices answering DISCOVERY (broadcast, or unicast to ``--address``)."""
    if request.serial_ports and not (request.address or request.interface or
                                     "gvcp" in request.only):
        return   # the user asked about serial lines only
    from .discovery import discover as gvcp_discover

    for device in gvcp_discover(request.interface, address=request.address,
                                timeout=request.timeout):
        info = device.info
        yield DiscoveredDevice(url=device.url, transport="gvcp", vendor=info.manufacturer,
                               model=info.model, serial=info.serial, mac=device.mac,
                               ip=info.ip, interface=device.interface)


plugin = TransportPlugin(
    name="gvcp",
    summary="GigE Vision cameras over GVCP (UDP 3956)",
    schemes=("gvcp",),
    url_forms=("gvcp://HOST[:PORT][?timeout=S&retries=N&deadline=S&allow_file_url=1]",),
    authority=True,
    open_link="nodemap.transports.gvcp.link:open_link",
    discover=discover,
    simulators=(SimulatorSpec(
        name="gige",
        summary="a GigE Vision device on a loopback address (the demo camera by default)",
        start="nodemap.transports.gvcp.sim:start",
        options=(
            Option(("--xml",), "xml", "the description to serve (default: the demo camera)",
                   kind="existing-file"),
            Option(("--zip",), "zipped", "serve the description zipped (Local:NAME.zip)",
                   kind="flag"),
            Option(("--address",), "addresses", "IPv4 loopback address (default 127.0.0.2)",
                   multiple=True),
            Option(("--port",), "port", "UDP port (default 3956)", kind="int"),
            Option(("--stream-faults",), "stream_faults", "seeded GVSP stream faults, e.g. "
                   "drop=0.05,duplicate=0.01,reorder=0.01,seed=1", metavar="SPEC"),
            Option(("--vendor",), "vendor", "manufacturer name (bootstrap, 32 bytes)"),
            Option(("--model",), "model", "model name (bootstrap, 32 bytes)"),
            Option(("--serial",), "serial", "serial number (bootstrap, 16 bytes)"),
            Option(("--mac",), "mac", "MAC address, e.g. 00:30:53:01:02:03"),
            Option(("--user-name",), "user_name", "user-defined name (bootstrap, 16 bytes)"),
        ),
        demo=DemoPlan(
            label="GigE camera", description="GigE Vision camera (GVCP on loopback UDP)",
            read=("DeviceModelName", "Width", "Height", "PixelFormat", "ExposureTime",
                  "DeviceTemperature"),
            write=("Width",), before_execute=(("TriggerMode", "On"),),
            execute=("TriggerSoftware",), order=10)),),
    decoder="nodemap.transports.gvcp.capture:GvcpCaptureDecoder",
    capabilities=frozenset({"features", "registers", "images", "chunks", "files", "events"}),
    unreachable_hint=("check that the device is powered and reachable (ping it), that its IP "
                      "is in your interface's subnet (nodemap discover), and that no firewall "
                      "blocks UDP 3956"),
)
