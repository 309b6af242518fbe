"""The VS-1 smart camera transport as a nodemap plugin (``vs1://HOST``)."""

from __future__ import annotations

from typing import Iterator

from nodemap.plugin import (DiscoveredDevice, DiscoveryRequest, Option, SimulatorSpec,
                            TransportPlugin)

__all__ = ["plugin", "discover", "simulate"]


def discover(request: DiscoveryRequest) -> Iterator[DiscoveredDevice]:
    """Record VS-1 announce datagrams for ``timeout`` seconds (raw: the layout is not
    published); only when asked (``--vs1`` or ``--transport vs1``)."""
    if "vs1" not in request.only:
        return
    from .announce import listen

    host = request.options.get("vs1_host") or "0.0.0.0"
    port = request.options.get("vs1_port") or 49495
    for heard in listen(request.timeout, port=port, host=host):
        yield DiscoveredDevice(
            url=f"vs1://{heard.source[0]}", transport="vs1", ip=heard.source[0],
            model="VS-1 (announcement, undecoded)",
            extra={"source": f"{heard.source[0]}:{heard.source[1]}", "received": heard.received,
                   "hex": heard.data.hex(), "describe": heard.describe()})


def simulate(addresses: tuple[str, ...] = (), port: int | None = None, **_: object) -> int:
    """Run the simulated VS-1 until Ctrl-C (its own main loop); returns the exit status."""
    from . import device

    argv = ["--host", addresses[0] if addresses else "127.0.0.1"]
    if port is not None:
        argv += ["--base-port", str(port)]
    return device.main(argv)


plugin = TransportPlugin(
    name="vs1",
    summary="VS-1 smart cameras (standard services: FTP, HTTP, result ports, announcements)",
    schemes=("vs1",),
    url_forms=("vs1://HOST",),
    authority=True,
    open_link="nodemap.transports.vs1.link:open_link",
    discover=discover,
    discover_by_default=False,
    discover_options=(
        Option(("--vs1",), "vs1", "listen for VS-1 announce datagrams (printed raw: the format "
               "is not published)", kind="flag", default=False),
        Option(("--vs1-port",), "vs1_port", "UDP port of VS-1 announcements", kind="int",
               default=49495),
        Option(("--vs1-host",), "vs1_host", "local address to listen on for VS-1 "
               "announcements", default="0.0.0.0"),
    ),
    simulators=(SimulatorSpec(
        name="vs1",
        summary="a VS-1's FTP, HTTP, result streams and announcements on --port and the six "
                "ports above it (default: the real ports, which need root), on --address",
        main=simulate,
        options=(Option(("--address",), "addresses", "address to serve on (default 127.0.0.1)",
                        multiple=True),
                 Option(("--port",), "port", "first of seven consecutive ports", kind="int"))),),
    capabilities=frozenset({"features", "files"}),
    unreachable_hint="check the camera's address and that its FTP/HTTP services are enabled",
)
