"""A lossy UDP proxy for GVCP tests: seeded loss and duplication in both directions.

``LossyProxy(device_address, loss=0.2, duplicate=0.05, seed=1)`` listens on a random
loopback address (port 0); a client talking to ``proxy.address`` reaches the device
through it, and every datagram in either direction is dropped with probability
``loss`` or delivered twice with probability ``duplicate``, from one seeded RNG per
direction.  The forwarding thread is bounded by a packet count and by time.
"""

from __future__ import annotations

import random
import select
import socket
import threading
import time

__all__ = ["LossyProxy", "random_loopback"]

_pick = random.SystemRandom()


def random_loopback() -> str:
    """A loopback address no other concurrent test run is likely to hold."""
    return f"127.{_pick.randrange(1, 255)}.{_pick.randrange(0, 256)}.{_pick.randrange(2, 255)}"


class LossyProxy:
    """Forward UDP between one client and ``device``, losing and duplicating datagrams."""

    def __init__(self, device: tuple[str, int], *, loss: float = 0.0, duplicate: float = 0.0,
                 seed: int = 0, max_packets: int = 500_000, max_seconds: float = 300.0) -> None:
        self.device = device
        self.loss = loss
        self.duplicate = duplicate
        self.stats = {"to_device": 0, "to_client": 0, "dropped": 0, "duplicated": 0}
        self._rng = {True: random.Random(seed), False: random.Random(seed + 1)}
        self._max_packets = max_packets
        self._max_seconds = max_seconds
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind((random_loopback(), 0))
        self.address: tuple[str, int] = self._sock.getsockname()
        self._client: tuple[str, int] | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="lossy-proxy")

    def __enter__(self) -> "LossyProxy":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(10)
        self._sock.close()

    def _run(self) -> None:
        end = time.monotonic() + self._max_seconds
        for _ in range(self._max_packets):
            if self._stop.is_set() or time.monotonic() > end:
                return
            ready, _, _ = select.select([self._sock], [], [], 0.05)
            if not ready:
                continue
            try:
                data, peer = self._sock.recvfrom(4096)
            except OSError:
                return
            to_device = peer != self.device
            if to_device:
                self._client = peer
                target: tuple[str, int] | None = self.device
            else:
                target = self._client
            if target is None:
                continue
            rng = self._rng[to_device]
            if rng.random() < self.loss:
                self.stats["dropped"] += 1
                continue
            copies = 2 if rng.random() < self.duplicate else 1
            if copies == 2:
                self.stats["duplicated"] += 1
            for _ in range(copies):
                self.stats["to_device" if to_device else "to_client"] += 1
                try:
                    self._sock.sendto(data, target)
                except OSError:
                    pass
