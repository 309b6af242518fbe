"""The simulated camera: its model on a fake clock (no I/O) and its command line."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import nodemap
from nodemap.transports.fcb import protocol as p
from nodemap.transports.fcb.device import SimConfig, SimLine
from tests.processes import stop_process

H = bytes.fromhex
REPO = Path(__file__).resolve().parents[3]


def exchange(line: SimLine, data: str, now: float = 0.0, until: float | None = None) -> bytes:
    line.feed(H(data), now)
    return line.due(now if until is None else until)


def test_sockets_buffer_full_and_cancel() -> None:
    line = SimLine(1, SimConfig(zoom_speed=0x1000, one_push_time=10))
    assert exchange(line, "81 01 04 38 03 FF") == H("90 41 FF 90 51 FF")
    assert exchange(line, "81 01 04 47 01 00 00 00 FF") == H("90 41 FF")        # 1 s travel
    assert exchange(line, "81 01 04 18 01 FF") == H("90 42 FF")                 # 10 s one-push
    assert exchange(line, "81 01 04 07 00 FF") == H("90 60 03 FF")              # buffer full
    assert exchange(line, "81 09 04 47 FF", 0.5) == H("90 50 00 08 00 00 FF")   # inquiries still work
    assert exchange(line, "81 22 FF", 0.5) == H("90 62 04 FF")                  # cancel socket 2
    assert exchange(line, "81 22 FF", 0.5) == H("90 62 05 FF")                  # nothing there now
    assert line.due(1.0) == H("90 51 FF")                                       # zoom arrived


def test_malformed_and_long_packets() -> None:
    line = SimLine(1)
    assert exchange(line, "81 01 04 47 01 FF") == H("90 60 02 FF")              # wrong length
    assert exchange(line, "81 01 04 7F 01 FF") == H("90 60 02 FF")              # unknown command
    assert exchange(line, "81 09 04 7F FF") == H("90 60 02 FF")                 # unknown inquiry
    assert exchange(line, "81 01 04 47 " + "00 " * 14 + "FF") == H("90 60 01 FF")
    assert exchange(line, "12 34 FF") == b""                                    # noise: ignored
    assert exchange(line, "81 01 04 47 07 0B 00 00 FF") == H("90 41 FF 90 61 41 FF")  # > 0x7AC0


def test_address_set_if_clear_and_broadcast() -> None:
    line = SimLine(3)
    assert exchange(line, "88 30 01 FF") == H("88 30 04 FF")
    assert exchange(line, "88 01 00 01 FF") == H("88 01 00 01 FF")
    assert exchange(line, "83 01 00 01 FF") == H("B0 50 FF")
    assert exchange(line, "88 01 04 00 03 FF", until=1.0) == b""               # no replies
    assert all(c.values["Power"] == 3 for c in line.cameras)
    assert exchange(line, "82 01 04 47 00 00 01 00 FF", 1.0) == H("A0 60 41 FF")  # power off


def test_motion_and_memories_on_a_fake_clock() -> None:
    line = SimLine(1, SimConfig(zoom_speed=0x1000))
    exchange(line, "81 01 04 47 00 04 00 00 FF")                                # 0x0400: 0.25 s
    assert exchange(line, "81 09 04 47 FF", 0.125) == H("90 50 00 02 00 00 FF")
    assert line.due(0.25) == H("90 51 FF")
    assert exchange(line, "81 01 04 3F 01 01 FF", 1.0) == H("90 41 FF 90 51 FF")
    exchange(line, "81 01 04 07 03 FF", 1.0)                                    # wide, back to 0
    assert exchange(line, "81 09 04 47 FF", 2.0) == H("90 50 00 00 00 00 FF")
    assert exchange(line, "81 01 04 3F 02 01 FF", 2.0) == H("90 41 FF")
    assert line.due(2.25) == H("90 51 FF")
    assert exchange(line, "81 09 04 47 FF", 3.0) == H("90 50 00 04 00 00 FF")
    assert exchange(line, "81 01 04 3F 02 05 FF", 3.0) == H("90 41 FF 90 61 41 FF")  # empty memory


def test_faults_noise_is_seeded() -> None:
    def run(seed: int) -> bytes:
        line = SimLine(1, SimConfig(noise=1.0, seed=seed))
        return b"".join(exchange(line, "81 09 04 00 FF") for _ in range(5))
    assert run(3) == run(3)
    assert run(3) != run(4)
    items = p.ReplyParser().feed(run(3))
    assert [i for i in items if not isinstance(i, p.Garbage)] == [p.Completion(1, 0, b"\x02")] * 5


def test_faults_drop_and_silence() -> None:
    line = SimLine(1)
    line.faults.drop_next("ack")
    assert exchange(line, "81 01 04 00 02 FF", until=1.0) == H("90 51 FF")
    line.faults.silent = True
    assert exchange(line, "81 09 04 00 FF") == b""
    with pytest.raises(ValueError, match="unknown reply kind 'everything'"):
        line.faults.drop_next("everything")


def _run_cli(args: list[str]) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "nodemap.transports.fcb.device", *args], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = proc.stdout.readline().strip() if proc.stdout else ""
    return proc, url


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="pseudo-terminals need POSIX")
def test_command_line_pty() -> None:
    proc, url = _run_cli(["--pty", "--zoom-time", "0.05", "--cameras", "2"])
    try:
        assert url.startswith("/dev/"), url
        with nodemap.open(f"fcb:{url}?address=2&timeout=1") as cam:
            cam.features["ZoomPosition"].value = 0x0123
            assert cam.features["ZoomPosition"].value == 0x0123
    finally:
        stop_process(proc, 5)


def test_command_line_tcp() -> None:
    proc, url = _run_cli(["--tcp", "127.0.0.1:0", "--zoom-time", "0.05"])
    try:
        assert url.startswith("socket://127.0.0.1:"), url
        with nodemap.open(f"fcb:{url}?address=1&timeout=1") as cam:
            assert cam.features["DeviceVendorID"].value == 0x20
    finally:
        stop_process(proc, 5)
    deadline = time.monotonic() + 5
    while proc.poll() is None and time.monotonic() < deadline:  # pragma: no cover
        time.sleep(0.01)
