"""The simulated camera runs from the command line (pty and TCP)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from nodemap.transports.sxh485.device import SimulatedCamera, SimulatedLine
from nodemap.transports.sxh485.link import open_link
from nodemap.transports.sxh485.port import Kind, virtual_address
from nodemap.transports.sxh485.protocol import Frame, MessageType, encode
from tests.processes import stop_process

REPO = Path(__file__).resolve().parents[3]


def first_line(process: subprocess.Popen, timeout: float = 20.0) -> str:
    """The process's first stdout line, or fail after ``timeout`` s (no hang)."""
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.append(process.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    if not lines or not lines[0]:
        process.kill()
        pytest.fail(f"device printed nothing: {process.stderr.read() if process.poll() is not None else ''}")
    return lines[0].strip()


@pytest.mark.parametrize("mode", [
    pytest.param(["--pty"], marks=pytest.mark.skipif(os.name != "posix", reason="POSIX only")),
    ["--tcp", "127.0.0.1:0"],
])
def test_device_command_line(mode: list[str]) -> None:
    process = subprocess.Popen([sys.executable, "-m", "nodemap.transports.sxh485.device", *mode,
                                "--address", "3", "--address", "4"],
                               cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        printed = first_line(process)
        line = printed if mode[0] == "--pty" else "socket://" + printed.split()[1]
        for address in (3, 4):
            link = open_link(f"sxh485:{line}?address={address}&timeout=1")
            try:
                value = link.port.read(virtual_address(Kind.ADDRESS, MessageType.DEVICE_ADDRESS), 1)
                assert value == bytes([address])
            finally:
                link.close()
    finally:
        stop_process(process)
        process.stdout.close()
        process.stderr.close()


def test_simulated_line_is_sans_io() -> None:
    """The byte handling works without any I/O: bytes in, bytes out."""
    line = SimulatedLine([SimulatedCamera(address=5)])
    session = line.session()
    assert session.receive(encode(Frame(6, MessageType.RESOLUTION))) == b""      # not ours
    out = session.receive(encode(Frame(5, MessageType.RESOLUTION, b"\x02")))
    assert out[:2] == b"\xEB\x90" and out[2] == 5 and out[3] == 0x83
    assert line.camera(5).resolution == 2
    damaged = bytearray(encode(Frame(5, MessageType.RESOLUTION, b"\x03")))
    damaged[-1] ^= 1
    assert session.receive(bytes(damaged)) == b"" and line.discarded == 1
    assert line.camera(5).resolution == 2            # a bad-CRC frame is discarded
