"""Aravis's fake GigE Vision camera (a real peer) for every test folder.

``fake_camera`` yields its address, 127.0.0.1:3956.  The camera runs in a private network
namespace of this run (tests/netns.py) and the test — its sockets and the threads it
starts — runs inside that namespace too, so the camera can own 127.0.0.1:3956 whatever
else the machine runs.  Where namespaces cannot be made (not root, not Linux) it runs on
the host if 127.0.0.1:3956 is free, and the tests skip fast with the reason if it is not.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path
from typing import Iterator

import pytest

from nodemap.transports.gvcp import protocol as p
from tests.peers import missing
from tests.processes import stop_process

HERE = Path(__file__).resolve().parent / "transports" / "gvcp"
SYSTEM_PYTHON = "/usr/bin/python3"
FAKE_CAMERA = ("127.0.0.1", p.GVCP_PORT)


def _aravis_available() -> str | None:
    if not os.path.exists(SYSTEM_PYTHON):
        return f"{SYSTEM_PYTHON} (Debian's python with python3-gi) is absent"
    probe = subprocess.run(
        [SYSTEM_PYTHON, "-c", "import gi; gi.require_version('Aravis', '0.8'); "
                              "from gi.repository import Aravis"],
        capture_output=True, text=True, timeout=30)
    if probe.returncode:
        return ("Aravis GObject binding not importable by /usr/bin/python3 "
                f"(apt install gir1.2-aravis-0.8 python3-gi): {probe.stderr.strip()[-200:]}")
    return None


def _answers_discovery(address: tuple[str, int]) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.2)
        try:
            s.sendto(p.DiscoveryCmd(1).encode(), address)
            data = s.recv(2048)
        except OSError:
            return False
    try:
        return isinstance(p.decode_ack(data), p.DiscoveryAck)
    except Exception:
        return False


def _start_fake_camera(prefix: list[str]) -> subprocess.Popen:
    proc = subprocess.Popen([*prefix, SYSTEM_PYTHON, str(HERE / "aravis_fake.py"),
                             "--lifetime", "900"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    line = proc.stdout.readline().decode().strip()  # type: ignore[union-attr]
    if line != "running":
        proc.kill()
        pytest.fail(f"Aravis fake camera did not start: {line} "
                    f"{proc.stderr.read().decode()[-500:]}")  # type: ignore[union-attr]
    return proc


@pytest.fixture(scope="session")
def _fake_camera_home() -> Iterator[object]:
    """Where Aravis's fake camera runs: a private network namespace of this run (so it can
    own 127.0.0.1:3956 whatever else runs on the machine), or — where namespaces cannot be
    made (not root, not Linux) — the host's 127.0.0.1:3956 if it is free."""
    reason = _aravis_available()
    if reason:
        missing(reason)
    from tests import netns

    why_not = netns.unavailable()
    if why_not is None:
        namespace = netns.Namespace()
        proc = _start_fake_camera(namespace.command([]))
        try:
            with namespace.entered():
                deadline = time.monotonic() + 15
                while not _answers_discovery(FAKE_CAMERA):
                    if time.monotonic() > deadline or proc.poll() is not None:
                        pytest.fail("Aravis fake camera did not answer DISCOVERY within 15 s")
                    time.sleep(0.1)
            yield namespace
        finally:
            stop_process(proc, 5)
            namespace.close()
        return
    if _answers_discovery(FAKE_CAMERA):
        missing(f"127.0.0.1:3956 is taken by another GVCP device and no private network "
                f"namespace can be made here ({why_not}); stop it or run as root")
    proc = _start_fake_camera([])
    try:
        yield None
    finally:
        stop_process(proc, 5)


@pytest.fixture
def fake_camera(_fake_camera_home) -> Iterator[tuple[str, int]]:
    """Aravis's fake GigE Vision camera at 127.0.0.1:3956.  With a private namespace the
    test itself (its sockets and the threads it starts) runs inside it."""
    if _fake_camera_home is None:
        yield FAKE_CAMERA
        return
    with _fake_camera_home.entered():
        yield FAKE_CAMERA
