"""`nodemap sim vs1` and `nodemap discover --vs1` (issue: VS-1 smart cameras)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time

from click.testing import CliRunner

import nodemap
from nodemap.app.cli import main


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_discover_vs1_prints_raw_announcements():
    port = _free_udp_port()
    stop = threading.Event()

    def announce() -> None:
        # until the listener is done (however slow the machine), bounded by count and time
        deadline = time.monotonic() + 60
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            for _ in range(1200):
                sock.sendto(b"VS1\x00hello", ("127.0.0.1", port))
                if stop.wait(0.05) or time.monotonic() > deadline:
                    return

    sender = threading.Thread(target=announce, daemon=True)
    sender.start()
    try:
        result = CliRunner().invoke(main, ["discover", "--vs1", "--vs1-host", "127.0.0.1",
                                           "--vs1-port", str(port), "--timeout", "1",
                                           "--json"])
    finally:
        stop.set()
        sender.join(timeout=30)
    assert result.exit_code == 0, result.output
    heard = json.loads(result.output)
    assert heard and heard[0]["hex"] == b"VS1\x00hello".hex()
    assert heard[0]["source"].startswith("127.0.0.1:")


def test_sim_vs1_serves_a_camera_nodemap_can_open():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        base = probe.getsockname()[1]
    base = 20000 + base % 30000  # leave room for the six ports above it
    process = subprocess.Popen(
        [sys.executable, "-m", "nodemap.app.cli", "sim", "vs1", "--address", "127.0.0.1",
         "--port", str(base)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        first = process.stdout.readline()  # type: ignore[union-attr]
        assert "simulated VS-1" in first, first
        url = first.split(": ", 1)[1].strip()
        with nodemap.open(url) as cam:
            assert "ResultString0" in cam.features
            assert cam.features["ResultString0"].kind == "String"
    finally:
        process.terminate()
        process.wait(timeout=10)
