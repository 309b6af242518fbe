"""Loopback addresses of this test run, so concurrent runs never share a device.

Every simulated GigE device binds UDP 3956 on an address of its own.  The addresses of one
run differ from another run's: the second octet comes from the process id
(``127.<run>.<n>.<m>``), and :func:`loopback` checks that nothing else holds the port there
before handing an address out.
"""

from __future__ import annotations

import itertools
import os
import socket
import threading

_RUN = 16 + os.getpid() % 224          # 127.16.x.x - 127.239.x.x: one block per run
_counter = itertools.count(1)
_lock = threading.Lock()


def _free(address: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind((address, port))
        except OSError:
            return False
    return True


def loopback(port: int = 3956) -> str:
    """A loopback address of this run where UDP ``port`` is free."""
    with _lock:
        for _ in range(4096):
            n = next(_counter)
            address = f"127.{_RUN}.{(n // 250) % 250}.{n % 250 + 2}"
            if _free(address, port):
                return address
    raise RuntimeError(f"no free loopback address for UDP {port} in 127.{_RUN}.x.x")
