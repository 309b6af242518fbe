"""Default settings against lossy links, dead devices and endless PENDING_ACK.

A seeded lossy proxy (``lossy.py``) sits between the client and a simulated device:
with the defaults (the adaptive retransmission timer, no ``?timeout=``/``?retries=``)
a camera opens through 10 % and 20 % loss each way with 5 % duplication, and 200
write + read-back operations pass; a dead device and a device answering only
PENDING_ACK fail with a TimeoutError saying so.  pytest-timeout is only the hang guard:
nothing here asserts how long anything took.
"""

from __future__ import annotations

import socket
import threading
from typing import Iterator

import pytest

import nodemap
from nodemap.errors import TimeoutError
from nodemap.resources import read_description
from nodemap.app.plugins import open_link
from nodemap.transports.gvcp import protocol as p
from nodemap.transports.gvcp.client import GvcpClient
from nodemap.transports.gvcp.device import SimulatedDevice
from tests.transports.gvcp.lossy import LossyProxy, random_loopback

DEMO_XML = read_description("demo-camera.xml")
REGISTERS = {0xA000: 640, 0xA004: 480, 0xA010: 1280, 0xA014: 1024, 0xA018: 0x01080001}


@pytest.fixture
def device() -> Iterator[SimulatedDevice]:
    dev = SimulatedDevice(DEMO_XML, address=random_loopback(), port=0, registers=REGISTERS)
    dev.start()
    yield dev
    dev.stop()


@pytest.mark.timeout(180)
@pytest.mark.parametrize("loss, seed", [(0.10, 11), (0.20, 12), (0.20, 13)])
def test_open_with_defaults_through_a_lossy_link(device: SimulatedDevice, loss: float,
                                                 seed: int) -> None:
    with LossyProxy((device.address, device.port), loss=loss, duplicate=0.05,
                    seed=seed) as proxy:
        host, port = proxy.address
        with nodemap.open(f"gvcp://{host}:{port}") as cam:
            features = cam.features
            assert features["Width"].value == 640 and features["Height"].value == 480
            features["Width"].value = 320
            assert features["Width"].value == 320
            stats = dict(cam.port.stats)
    assert device.memory.get32(0xA000) == 320
    # The XML really came through the lossy link, and the link really lost packets.
    assert stats["sent"] > len(DEMO_XML) // p.MAX_MEM
    assert proxy.stats["dropped"] >= 5 and stats["retries"] >= 1


@pytest.mark.timeout(240)
def test_200_writes_read_back_through_20_percent_loss(device: SimulatedDevice) -> None:
    with LossyProxy((device.address, device.port), loss=0.20, duplicate=0.05, seed=7) as proxy:
        with GvcpClient(*proxy.address) as client:
            for i in range(200):
                address = 0xA000 + 4 * (i % 8)
                value = (i * 2654435761) & 0xFFFFFFFF
                client.write_register(address, value)
                assert client.read_register(address) == value, i
            stats = dict(client.stats)
    assert proxy.stats["dropped"] >= 40 and proxy.stats["duplicated"] >= 5
    assert stats["retries"] >= 20 and stats["stale"] >= 1   # duplicates arrive late and drop


@pytest.fixture
def silent() -> Iterator[tuple[str, int]]:
    """A bound UDP socket that never answers: a dead device."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((random_loopback(), 0))
    yield sock.getsockname()
    sock.close()


@pytest.mark.timeout(30)
def test_dead_device_fails_with_defaults(silent: tuple[str, int]) -> None:
    with GvcpClient(*silent) as client:
        with pytest.raises(TimeoutError, match=r"no answer from GigE Vision device .* to "
                                               r"READREG_CMD id=1 \[0x0000A000\] after \d+ "
                                               r"attempt\(s\) over \d+ ms"):
            client.read_register(0xA000)
        assert client.stats["sent"] >= 2 and client.stats["retries"] == client.stats["sent"] - 1
    host, port = silent
    with pytest.raises(TimeoutError, match="DISCOVERY_CMD"):
        open_link(f"gvcp://{host}:{port}")


@pytest.mark.timeout(30)
def test_timeout_and_retries_in_the_url_still_override(silent: tuple[str, int]) -> None:
    host, port = silent
    with pytest.raises(TimeoutError, match=r"DISCOVERY_CMD id=1 after 2 attempt\(s\)"):
        open_link(f"gvcp://{host}:{port}?timeout=0.05&retries=2")
    with pytest.raises(TimeoutError, match=r"after 1 attempt\(s\)"):
        open_link(f"gvcp://{host}:{port}?retries=1")
    with pytest.raises(nodemap.errors.PortError, match="timeout must be a positive number"):
        open_link(f"gvcp://{host}:{port}?timeout=-1")


class PendingForever:
    """A 'device' that answers every command with PENDING_ACK (100 ms) and nothing else."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((random_loopback(), 0))
        self.sock.settimeout(0.05)
        self.address = self.sock.getsockname()
        self.answered = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        for _ in range(100_000):                    # bounded by count and by the stop event
            if self._stop.is_set():
                return
            try:
                data, peer = self.sock.recvfrom(2048)
            except socket.timeout:
                continue
            except OSError:
                return
            cmd = p.decode_command(data)
            self.sock.sendto(p.PendingAck(cmd.req_id, 100).encode(), peer)
            self.answered += 1

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.sock.close()


@pytest.mark.timeout(60)
def test_endless_pending_ack_is_capped_by_the_overall_deadline() -> None:
    dev = PendingForever()
    try:
        with GvcpClient(*dev.address, deadline=0.6) as client:
            with pytest.raises(TimeoutError, match=r"did not complete READREG_CMD id=1 "
                                                   r"\[0x0000A000\]: the device answered only "
                                                   r"PENDING_ACK .* overall deadline of 0.6 s"):
                client.read_register(0xA000)
            assert client.stats["pending"] >= 1
        host, port = dev.address
        with pytest.raises(TimeoutError, match=r"DISCOVERY_CMD.*only PENDING_ACK.*deadline=") as err:
            open_link(f"gvcp://{host}:{port}?deadline=0.4")
        assert "0.4 s" in str(err.value)
        # The fixed timer is capped the same way.
        with GvcpClient(*dev.address, timeout=0.05, retries=100, deadline=0.3) as client:
            with pytest.raises(TimeoutError, match="only PENDING_ACK"):
                client.write_register(0xA000, 1)
    finally:
        dev.close()
