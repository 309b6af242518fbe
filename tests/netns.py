"""Private loopback-only network namespaces for tests (Linux, root).

A test that needs to own a well-known address (Aravis's fake camera on 127.0.0.1:3956) or
to broadcast runs inside a namespace of its own: :class:`Namespace` starts a holder process
with ``unshare -n`` (loopback only, brought up), :meth:`Namespace.run` starts programs in it
with ``nsenter``, and :meth:`Namespace.entered` moves *this thread* into it (``setns``) so the
test's own sockets — and the threads it starts — live there too.  Nothing a test does in
there can reach any real network, and concurrent runs cannot see each other's devices.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import subprocess
import sys
import threading
from typing import Iterator

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


def unavailable() -> str | None:
    """Why private namespaces cannot be made here (None when they can)."""
    if _libc is None:
        return "network namespaces need Linux"
    if os.geteuid() != 0:
        return "network namespaces need root (unshare -n)"
    for tool in ("unshare", "nsenter", "ip"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (apt install util-linux iproute2)"
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True, text=True, timeout=30)
    if probe.returncode:
        return f"unshare -n is refused here: {probe.stderr.strip()[-200:]}"
    return None


def _setns(fd: int) -> None:
    assert _libc is not None
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"setns: {os.strerror(err)}")


class Namespace:
    """A loopback-only network namespace kept alive by a holder process."""

    def __init__(self, lifetime: float = 900) -> None:
        self._holder = subprocess.Popen(
            ["unshare", "-n", "sh", "-c", f"ip link set lo up && echo ready && exec sleep {int(lifetime)}"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self._holder.stdout.readline()  # type: ignore[union-attr]
        if line.strip() != "ready":
            self.close()
            raise OSError(f"could not make a network namespace: {self._holder.stderr.read()}")
        self.pid = self._holder.pid
        self._lock = threading.Lock()

    def command(self, argv: list[str]) -> list[str]:
        """``argv`` prefixed to run inside this namespace."""
        return ["nsenter", "-t", str(self.pid), "-n", "--", *argv]

    def run(self, argv: list[str], **kwargs) -> subprocess.Popen:  # noqa: ANN003
        """Start ``argv`` inside this namespace."""
        return subprocess.Popen(self.command(argv), **kwargs)

    @contextlib.contextmanager
    def entered(self) -> Iterator[None]:
        """This thread (and threads it starts meanwhile) in the namespace, then back."""
        own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        target = os.open(f"/proc/{self.pid}/ns/net", os.O_RDONLY)
        try:
            _setns(target)
            try:
                yield
            finally:
                _setns(own)
        finally:
            os.close(own)
            os.close(target)

    def close(self) -> None:
        if self._holder.poll() is None:
            self._holder.kill()
        self._holder.wait(10)

    def __enter__(self) -> "Namespace":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
