"""``nodemap events URL [--enable NAME…] [--json]``: a live log of a GigE Vision device's events.

The lead's CLI registers the verb and calls :func:`run` (or :func:`main` with argv).
:func:`open_events` opens the GVCP message channel for a camera (``cam.events``): a
receiver bound on the local address that routes to the device, announced through the
bootstrap MCDA/MCP registers.  :func:`format_event` is one log line (text or JSON).
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from ..errors import UnsupportedError

__all__ = ["open_events", "format_event", "run", "main"]


def _local_address(device_host: str) -> str:
    """The local IPv4 address the kernel routes to ``device_host`` by (no packet sent)."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect((device_host, 3956))
        return str(probe.getsockname()[0])
    finally:
        probe.close()


def open_events(cam: Any) -> Any:
    """The :class:`nodemap.transports.gvcp.events.Events` of a GVCP camera, its message
    channel programmed on the device (MCDA = our address, MCP = our port)."""
    from ..transports.gvcp.events import Events

    host = getattr(cam.link, "host", None)
    if host is None:
        raise UnsupportedError(f"events need a GigE Vision device (gvcp://HOST); a "
                               f"{type(cam.link).__name__} has no message channel")

    def write_register(address: int, value: int) -> None:
        cam.port.write(int(address), int(value).to_bytes(4, "big"))

    return Events(cam.nodemap, write_register, host=_local_address(host))


def format_event(event: Any, as_json: bool = False) -> str:
    """One log line: ``t=… ExposureEnd (0x9001) block 5 EventExposureEndTimestamp=…``."""
    values = {name: event.features[name] for name in event.features
              if name not in event.features.errors}
    if as_json:
        return json.dumps({"name": event.name, "id": event.id, "timestamp": event.timestamp,
                           "block_id": event.block_id, "stream_channel": event.stream_channel,
                           "data": event.data.hex(), "features": values}, default=str)
    shown = " ".join(f"{k}={v}" for k, v in values.items())
    return (f"t={event.timestamp} {event.name} (0x{event.id:04X}) block {event.block_id}"
            f"{' ' + shown if shown else ''}{' data ' + event.data.hex() if event.data else ''}")


def run(url: str, enable: Sequence[str] = (), as_json: bool = False,
        out: TextIO = sys.stdout, *, limit: int | None = None, idle: float | None = None) -> int:
    """Open ``url``, enable ``enable``, print events until Ctrl-C (or ``limit`` events, or
    ``idle`` seconds without one).  Returns the number of events printed."""
    from .camera import open as open_camera

    printed = 0
    with open_camera(url) as cam:
        events = open_events(cam)
        try:
            events.enable(*enable)
            while limit is None or printed < limit:
                event = events.channel.get(timeout=idle if idle is not None else 0.5)
                if event is None:
                    if idle is not None:
                        break
                    continue
                print(format_event(event, as_json), file=out, flush=True)
                printed += 1
        except KeyboardInterrupt:
            pass
        finally:
            events.close()
    return printed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nodemap events",
                                     description="live log of a device's events (Ctrl-C stops)")
    parser.add_argument("url")
    parser.add_argument("--enable", nargs="+", default=[], metavar="NAME",
                        help="EventSelector entries to switch on (EventNotification=On)")
    parser.add_argument("--json", action="store_true", help="one JSON object a line")
    args = parser.parse_args(argv)
    run(args.url, args.enable, args.json)
    return 0
