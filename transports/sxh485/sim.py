"""``nodemap sim sxh485``: simulated SXH485 cameras on one line (a pty, or TCP)."""

from __future__ import annotations

from typing import Any, Iterable

from nodemap.plugin import Simulator

from ..serial_sim import has_pty, split_tcp

__all__ = ["start", "parse_addresses"]


def parse_addresses(addresses: Iterable[str | int]) -> list[int]:
    """Camera addresses 1-254 from the command line (decimal or 0x hex)."""
    out = []
    for text in addresses:
        try:
            number = text if isinstance(text, int) else int(str(text), 0)
        except ValueError:
            number = -1
        if not 1 <= number <= 254:
            raise ValueError(f"--address {text!r}: an SXH485 camera address is a number "
                             f"1-254 (0 is reserved, 255 is broadcast)")
        out.append(number)
    return out or [1]


def start(addresses: Iterable[str | int] = (), tcp: str | None = None, **_: object) -> Simulator:
    """Start simulated SXH485 cameras at ``addresses`` (default 1) on one line."""
    from .device import PtyServer, SimulatedCamera, SimulatedLine, TcpServer

    numbers = parse_addresses(addresses)
    where = split_tcp(tcp) if tcp else None
    line = SimulatedLine([SimulatedCamera(address=a) for a in numbers])
    server: Any
    if where is None and has_pty():
        try:
            server = PtyServer(line).start()
            serial_url, transport = server.path, "pty"
        except OSError:
            server = TcpServer(line, "127.0.0.1", 0).start()
            serial_url, transport = server.url, "tcp"
    else:
        server = TcpServer(line, *(where or ("127.0.0.1", 0))).start()
        serial_url, transport = server.url, "tcp"
    urls = [f"sxh485:{serial_url}?address={a}" for a in numbers]
    return Simulator("sxh485", urls, [server.close], transport)
