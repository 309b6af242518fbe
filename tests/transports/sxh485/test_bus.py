"""Several cameras on one line: threads never see each other's replies; broadcast."""

from __future__ import annotations

import io
import threading
import time

from PIL import Image

from nodemap.transports.sxh485.link import open_link
from nodemap.transports.sxh485.port import Kind, virtual_address
from nodemap.transports.sxh485.protocol import MessageType

from .conftest import start, stop

RES = virtual_address(Kind.VALUE, MessageType.RESOLUTION)
QUALITY = virtual_address(Kind.VALUE, MessageType.IMAGE_QUALITY)
IR = virtual_address(Kind.VALUE, MessageType.INFRARED)
ADDRESS = virtual_address(Kind.ADDRESS, MessageType.DEVICE_ADDRESS)
PACKET = virtual_address(Kind.VALUE, MessageType.PACKET_SIZE)
ROUNDS = 12


def test_two_cameras_two_threads_never_mix_replies(transport: str) -> None:
    rig = start(transport, addresses=(1, 2))
    links = {address: open_link(rig.url(address)) for address in (1, 2)}
    assert links[1].bus is links[2].bus            # one line, one bus object
    settings = {1: (3, 160, 160), 2: (2, 320, 240)}
    errors: list[BaseException] = []
    seen: dict[int, list[bytes]] = {1: [], 2: []}
    barrier = threading.Barrier(2, timeout=10)

    def drive(address: int) -> None:
        port = links[address].port
        resolution, width, height = settings[address]
        try:
            barrier.wait()
            port.write(RES, bytes([resolution]))
            port.write(PACKET, (64 * address).to_bytes(2, "little"))
            deadline = time.monotonic() + 30
            for round_ in range(ROUNDS):
                if time.monotonic() > deadline:
                    break
                assert port.read(ADDRESS, 1) == bytes([address])
                assert port.read(RES, 1) == bytes([resolution])
                port.write(IR, bytes([round_ % 2]))
                assert port.read(IR, 1) == bytes([round_ % 2])
                if round_ % 4 == 0:
                    data = links[address].snapshot()
                    seen[address].append(data)
                    assert data == rig.camera(address).image
                    with Image.open(io.BytesIO(data)) as image:
                        assert image.size == (width, height)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=drive, args=(a,)) for a in (1, 2)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert not any(t.is_alive() for t in threads), "a driver thread hung"
        assert not errors, errors
        assert len(seen[1]) == len(seen[2]) == ROUNDS // 4
        assert not set(seen[1]) & set(seen[2])
        assert links[1].bus.ignored == 0 and links[1].bus.discarded == 0
        # Each camera answered exactly the requests addressed to it.
        for address in (1, 2):
            camera = rig.camera(address)
            assert camera.replies == camera.requests
    finally:
        for link in links.values():
            link.close()
        stop(rig)


def test_broadcast_changes_every_camera_and_gets_no_reply(transport: str) -> None:
    rig = start(transport, addresses=(1, 2))
    cams = {address: open_link(rig.url(address)) for address in (1, 2)}
    everyone = open_link(rig.url(255))
    try:
        assert everyone.bus is cams[1].bus
        replies = {a: rig.camera(a).replies for a in (1, 2)}
        sent = everyone.bus.sent
        everyone.port.write(RES, b"\x03")
        everyone.port.write(QUALITY, b"\x02")
        assert everyone.bus.sent == sent + 2
        # The next unicast transactions are served after the broadcasts (one line, in order).
        for address in (1, 2):
            assert cams[address].port.read(RES, 1) == b"\x03"
            assert cams[address].port.read(QUALITY, 1) == b"\x02"
            camera = rig.camera(address)
            assert camera.replies == replies[address] + 2   # only the two reads answered
            assert camera.resolution == 3 and camera.quality == 2
        assert everyone.bus.discarded == 0
        import pytest

        from nodemap.errors import PortError
        with pytest.raises(PortError, match="broadcast"):
            everyone.port.read(RES, 1)
    finally:
        everyone.close()
        for link in cams.values():
            link.close()
        stop(rig)
