"""``nodemap sim fcb``: simulated Sony FCB cameras on one VISCA line (a pty, or TCP)."""

from __future__ import annotations

from nodemap.plugin import Simulator

from ..serial_sim import has_pty, split_tcp

__all__ = ["start"]


def start(cameras: int = 1, tcp: str | None = None, **_: object) -> Simulator:
    """Start ``cameras`` simulated FCB cameras daisy-chained on one line."""
    from .device import SimServer

    if not 1 <= cameras <= 7:
        raise ValueError(f"--cameras {cameras}: a VISCA line has 1-7 cameras")
    where = split_tcp(tcp) if tcp else None
    server = SimServer(cameras=cameras)
    transport = "pty"
    if where is None and has_pty():
        try:
            server.start_pty()
        except OSError:
            server = SimServer(cameras=cameras)
            server.start_tcp()
            transport = "tcp"
    else:
        server.start_tcp(*(where or ("127.0.0.1", 0)))
        transport = "tcp"
    urls = [f"fcb:{server.url}?address={n}" for n in range(1, cameras + 1)]
    return Simulator("fcb", urls, [server.close], transport)
