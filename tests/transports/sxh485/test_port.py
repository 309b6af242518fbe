"""The virtual-register Port over a real pty and over pyserial socket://."""

from __future__ import annotations

import pytest

from nodemap.errors import DeviceError, PortError, TimeoutError
from nodemap.app.plugins import open_link as open_any_link
from nodemap.transports.sxh485.bus import Bus
from nodemap.transports.sxh485.link import SXH485Link, open_link, parse_url
from nodemap.transports.sxh485.port import Kind, VirtualAddress, virtual_address
from nodemap.transports.sxh485.protocol import MessageType

from .conftest import Rig

RES = virtual_address(Kind.VALUE, MessageType.RESOLUTION)
QUALITY = virtual_address(Kind.VALUE, MessageType.IMAGE_QUALITY)
IR = virtual_address(Kind.VALUE, MessageType.INFRARED)
LOW_POWER = virtual_address(Kind.VALUE, MessageType.LOW_POWER)
PACKET = virtual_address(Kind.VALUE, MessageType.PACKET_SIZE)
STATUS = virtual_address(Kind.STATUS, MessageType.DEVICE_STATUS)
ADDRESS = virtual_address(Kind.ADDRESS, MessageType.DEVICE_ADDRESS)
BAUD = virtual_address(Kind.BAUD, MessageType.BAUD_RATE)
CAPTURE = virtual_address(Kind.CAPTURE, MessageType.CAPTURE)
SIZE = virtual_address(Kind.VALUE, MessageType.IMAGE_INFO)
DATA = virtual_address(Kind.IMAGE, MessageType.READ_PACKET)


def test_addresses_match_the_xml_layout() -> None:
    assert RES == 0x0030_0000 and DATA == 0x1320_0000 and CAPTURE == 0x6300_0000
    assert VirtualAddress.decode(DATA + 5) == VirtualAddress(Kind.IMAGE, 0x32, 5)
    with pytest.raises(PortError, match="kind"):
        VirtualAddress.decode(0x9000_0000)


def test_url_parameters_are_separated_from_pyserial_ones() -> None:
    assert parse_url("sxh485:socket://127.0.0.1:9?logging=debug&address=3&baudrate=9600") == \
        ("socket://127.0.0.1:9?logging=debug", {"address": "3", "baudrate": "9600"})
    assert parse_url("sxh485:/dev/ttyUSB0?address=1&profile=h200&timeout=0.2") == \
        ("/dev/ttyUSB0", {"address": "1", "profile": "h200", "timeout": "0.2"})
    assert parse_url("sxh485:rfc2217://h:1?timeout=3&reply_timeout=0.1&address=2") == \
        ("rfc2217://h:1?timeout=3", {"timeout": "0.1", "address": "2"})
    assert parse_url("sxh485:COM3") == ("COM3", {})


def test_parameters_read_and_write(rig: Rig) -> None:
    link = open_any_link(rig.url(1))
    assert isinstance(link, SXH485Link) and link.port_name == "Device"
    camera = rig.camera(1)
    port = link.port
    try:
        assert port.read(RES, 1) == b"\x01"
        for register, attribute, values in ((RES, "resolution", (0, 3, 2)),
                                            (QUALITY, "quality", (2, 1, 0)),
                                            (IR, "infrared", (1, 0)),
                                            (LOW_POWER, "low_power", (1, 0))):
            for value in values:
                port.write(register, bytes([value]))
                assert getattr(camera, attribute) == value
                assert port.read(register, 1) == bytes([value])
        port.write(PACKET, (128).to_bytes(2, "little"))
        assert camera.packet_size == 128 and port.read(PACKET, 2) == b"\x80\x00"
        port.write(IR, b"\x01")
        assert port.read(STATUS, 1) == b"\x04"
        assert port.read(SIZE, 4) == bytes(4)           # no picture yet
        port.write(CAPTURE, b"\x01")
        assert port.read(CAPTURE, 1) == b"\x00"          # done
        assert port.read(STATUS, 1)[0] & 0x01           # picture ready
        size = int.from_bytes(port.read(SIZE, 4), "little")
        assert size == len(camera.image or b"")
        assert port.read(DATA, size) == camera.image
        assert port.read(DATA + 100, 300) == camera.image[100:400]   # spans packets
    finally:
        link.close()


def test_device_errors_name_the_address(rig: Rig) -> None:
    link = open_link(rig.url(1))
    try:
        with pytest.raises(DeviceError, match="address 1 rejected .*out of range") as info:
            link.port.write(RES, b"\x09")
        assert (info.value.status, info.value.address) == (0x83, RES)   # fields, too
        with pytest.raises(PortError, match="no picture") as failed:
            link.port.read(DATA, 1)
        assert failed.value.address == DATA
        with pytest.raises(DeviceError, match="no picture"):   # the camera says so too
            link.port.request(MessageType.READ_PACKET, b"\x00\x00")
        with pytest.raises(PortError, match="read-only"):
            link.port.write(STATUS, b"\x00")
        with pytest.raises(PortError, match="Length"):
            link.port.read(RES, 2)
    finally:
        link.close()


def test_absent_camera_times_out_with_a_remedy(rig: Rig) -> None:
    with pytest.raises(TimeoutError, match="address 9 .*baud rate"):
        open_link(rig.url(9, timeout=0.05, retries=1))
    assert rig.camera(1).requests == 0          # camera 1 ignored frames for address 9


def test_device_address_change_is_followed(rig: Rig) -> None:
    link = open_link(rig.url(1))
    try:
        link.port.write(ADDRESS, b"\x2A")
        assert rig.line.cameras[0].address == 42 and link.port.address == 42
        assert link.port.read(ADDRESS, 1) == b"\x2A"
        with pytest.raises(DeviceError):
            link.port.write(ADDRESS, b"\xFF")       # 255 is broadcast, not an address
    finally:
        link.close()


@pytest.mark.parametrize("index, rate", [(1, 9600), (3, 57600), (0, 4800)])
def test_baud_rate_switches_after_confirmation(pty_rig: Rig, index: int, rate: int) -> None:
    """On a pty the simulated camera checks the host's line speed: it ignores frames
    sent at any other speed than its own, so this only passes if the host switches
    after (not before) the camera's confirmation."""
    link = open_link(pty_rig.url(1, baudrate=115200))
    try:
        link.port.write(BAUD, bytes([index]))
        assert pty_rig.camera(1).baudrate == rate
        assert link.bus.baudrate == rate
        assert link.port.read(RES, 1) == b"\x01"      # talks at the new speed
        assert link.port.read(BAUD, 1) == bytes([index])
        assert pty_rig.line.ignored_speed == 0
        link.port.write(BAUD, b"\x04")
        assert link.bus.baudrate == 115200
        assert link.port.read(RES, 1) == b"\x01"
    finally:
        link.close()


def test_wrong_line_speed_fails_clearly(pty_rig: Rig) -> None:
    with pytest.raises(TimeoutError, match="9600 bd"):
        open_link(pty_rig.url(1, baudrate=9600, timeout=0.05, retries=0))
    assert pty_rig.line.ignored_speed == 1


def test_bus_is_shared_per_line_and_closed_by_the_last_user(rig: Rig) -> None:
    first = open_link(rig.url(1))
    second = open_link(rig.url(1))
    try:
        assert first.bus is second.bus and first.bus.users == 2
    finally:
        first.close()
        first.close()                      # idempotent
    assert second.port.read(RES, 1) == b"\x01"
    second.close()
    assert rig.serial_url not in Bus._open


def test_open_errors() -> None:
    with pytest.raises(PortError, match="cannot open serial line"):
        open_link("sxh485:/nonexistent/tty?address=1")
    from nodemap.errors import NodeMapError
    with pytest.raises(NodeMapError, match="not a number"):
        open_link("sxh485:loop://?address=x")


def test_h200_profile_end_to_end(transport: str) -> None:
    from .conftest import start, stop
    rig = start(transport, profile="h200")
    try:
        link = open_link(rig.url(1, profile="h200"))
        try:
            link.port.write(RES, b"\x03")
            data = link.snapshot()
            assert data == rig.camera(1).image
        finally:
            link.close()
        assert bytes(rig.line.received[:2]) == b"\x90\xEB"
        assert b"\x01\x48\x02\x00" in bytes(rig.line.received)   # read image 0x48
    finally:
        stop(rig)
