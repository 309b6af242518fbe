"""Snapshots: real JPEGs at every resolution, packet size honoured, faults survived."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from nodemap.errors import PortError, ProtocolError
from nodemap.transports.sxh485.device import Faults
from nodemap.transports.sxh485.link import open_link
from nodemap.transports.sxh485.port import MAX_IMAGE_BYTES, MAX_PACKETS, Kind, virtual_address
from nodemap.transports.sxh485.protocol import RESOLUTIONS, MessageType
from nodemap.transports.sxh485.snapshot import check_jpeg

from .conftest import Rig, start, stop

RES = virtual_address(Kind.VALUE, MessageType.RESOLUTION)
QUALITY = virtual_address(Kind.VALUE, MessageType.IMAGE_QUALITY)
PACKET = virtual_address(Kind.VALUE, MessageType.PACKET_SIZE)


@pytest.mark.parametrize("index", range(len(RESOLUTIONS)))
def test_snapshot_at_each_resolution(rig: Rig, index: int, tmp_path) -> None:
    link = open_link(rig.url(1))
    seen: list[tuple[int, int]] = []
    try:
        link.port.write(RES, bytes([index]))
        link.port.write(QUALITY, b"\x02")
        link.port.write(PACKET, (4096).to_bytes(2, "little"))
        target = tmp_path / "shot.jpg"
        data = link.snapshot(target, progress=lambda done, total: seen.append((done, total)))
    finally:
        link.close()
    assert target.read_bytes() == data == rig.camera(1).image
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        assert image.format == "JPEG" and image.size == RESOLUTIONS[index]
    assert seen[-1] == (len(data), len(data))
    assert all(a[0] <= b[0] for a, b in zip(seen, seen[1:]))


def test_packet_size_is_honoured(rig: Rig) -> None:
    link = open_link(rig.url(1))
    try:
        link.port.write(RES, b"\x03")
        link.port.write(PACKET, (100).to_bytes(2, "little"))
        before = rig.camera(1).requests
        data = link.snapshot()
        requests = rig.camera(1).requests - before
    finally:
        link.close()
    packets = -(-len(data) // 100)
    assert requests == 2 + packets            # capture + image info + one per packet
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (160, 160)


def test_quality_levels_differ(rig: Rig) -> None:
    sizes = []
    link = open_link(rig.url(1))
    try:
        link.port.write(RES, b"\x02")
        for quality in (0, 1, 2):
            link.port.write(QUALITY, bytes([quality]))
            sizes.append(len(link.snapshot()))
    finally:
        link.close()
    assert sizes[0] > sizes[1] > sizes[2]


@pytest.mark.parametrize("faults", [Faults(corrupt=0.05, seed=5), Faults(corrupt=0.05, seed=11),
                                    Faults(noise=0.2, corrupt=0.05, drop=0.02, seed=3)],
                         ids=["corrupt5%-a", "corrupt5%-b", "noise+corrupt+lost"])
def test_snapshot_survives_corrupted_replies(transport: str, faults: Faults) -> None:
    rig = start(transport, faults=faults)
    try:
        link = open_link(rig.url(1, timeout=0.2, retries=8))
        try:
            link.port.write(RES, b"\x02")
            link.port.write(QUALITY, b"\x01")
            link.port.write(PACKET, (128).to_bytes(2, "little"))
            shots = [link.snapshot() for _ in range(2)]
            retries = link.bus.retries
        finally:
            link.close()
    finally:
        stop(rig)
    for data in shots:
        check_jpeg(data)
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            assert image.size == (320, 240)
    assert shots[1] == rig.camera(1).image
    assert retries > 0, "the fault injector should have damaged some replies"


def test_check_jpeg() -> None:
    good = b"\xFF\xD8" + b"x" * 10 + b"\xFF\xD9"
    assert check_jpeg(good, len(good)) == good
    with pytest.raises(ProtocolError, match="announced"):
        check_jpeg(good, 99)
    with pytest.raises(ProtocolError, match="SOI"):
        check_jpeg(b"\x00" + good)
    with pytest.raises(ProtocolError, match="truncated"):
        check_jpeg(good[:-1])


def _announcing(monkeypatch: pytest.MonkeyPatch, size: int, packet: int | None = None) -> list[int]:
    """Make every simulated camera announce pictures of ``size`` bytes (and, with ``packet``,
    send ImageData packets of that many bytes); returns the packet indices requested."""
    from nodemap.transports.sxh485.device import SimulatedCamera

    original = SimulatedCamera.handle
    asked: list[int] = []

    def hostile(self, message_type: int, params: bytes):  # type: ignore[no-untyped-def]
        status, data, after = original(self, message_type, params)
        if message_type in (MessageType.CAPTURE, MessageType.IMAGE_INFO):
            return status, size.to_bytes(4, "little"), after
        if message_type == MessageType.READ_PACKET:
            asked.append(int.from_bytes(params, "little"))
            if packet is not None:
                return status, params + bytes(packet), after
        return status, data, after

    monkeypatch.setattr(SimulatedCamera, "handle", hostile)
    return asked


@pytest.mark.parametrize("size", [0xFFFFFFFF, MAX_IMAGE_BYTES + 1, 1 << 31])
def test_an_implausible_announced_size_is_refused_before_any_packet(
        rig: Rig, monkeypatch: pytest.MonkeyPatch, size: int) -> None:
    asked = _announcing(monkeypatch, size)
    link = open_link(rig.url(1))
    try:
        with pytest.raises(PortError, match=rf"announces a picture of {size} bytes.*no picture "
                                            rf"of this camera can exceed {MAX_IMAGE_BYTES} bytes"):
            link.snapshot()
    finally:
        link.close()
    assert asked == []


def test_more_packets_than_a_16_bit_index_is_refused(rig: Rig, monkeypatch: pytest.MonkeyPatch) -> None:
    asked = _announcing(monkeypatch, MAX_IMAGE_BYTES, packet=8)
    link = open_link(rig.url(1))
    try:
        with pytest.raises(PortError, match=rf"needs {-(-MAX_IMAGE_BYTES // 8)} packets, more "
                                            rf"than the {MAX_PACKETS}"):
            link.snapshot()
    finally:
        link.close()
    assert asked == [0]


def test_the_largest_real_picture_is_within_the_bound(rig: Rig) -> None:
    link = open_link(rig.url(1))
    try:
        link.port.write(RES, b"\x00")
        data = link.snapshot()
    finally:
        link.close()
    assert 0 < len(data) <= MAX_IMAGE_BYTES
