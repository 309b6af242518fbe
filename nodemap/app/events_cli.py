"""``nodemap events URL [--enable NAME…] [--json]``: a live log of a device's events.

The lead's CLI registers the verb and calls :func:`run` (or :func:`main` with argv).
:func:`open_events` opens a camera's events (``cam.events``) through its transport: the
link's ``open_events(nodemap)`` (GigE Vision: the GVCP message channel); this module names
no transport.  :func:`format_event` is one log line (text or JSON).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from ..errors import UnsupportedError

__all__ = ["open_events", "format_event", "run", "main"]


def open_events(cam: Any) -> Any:
    """The events of ``cam`` (``enable``, ``iter``, ``subscribe``, ``close``), opened by its
    link's ``open_events(nodemap)``; UnsupportedError when its transport has none."""
    opener = getattr(cam.link, "open_events", None)
    if opener is None:
        raise UnsupportedError(f"{type(cam.link).__name__} delivers no events (its transport "
                               f"does not offer them; GigE Vision devices do: gvcp://HOST)")
    return opener(cam.nodemap)


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
                # iter() ends after that many quiet seconds: the end with --idle, else a
                # poll (so Ctrl-C lands) before waiting again
                for event in events.iter(timeout=idle if idle is not None else 0.5):
                    print(format_event(event, as_json), file=out, flush=True)
                    printed += 1
                    if limit is not None and printed >= limit:
                        break
                else:
                    if idle is not None:
                        break
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
