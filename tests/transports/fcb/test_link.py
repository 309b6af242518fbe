"""``fcb:<pyserial url>?address=N``: URL options, the shared bus, start-up, open errors."""

from __future__ import annotations

import pytest

from nodemap.app import plugins
from nodemap.plugin import DeviceLink
from nodemap.errors import NodeMapError, PortError, TimeoutError
from nodemap.resources import read_description
from nodemap.transports.fcb.bus import open_buses
from nodemap.transports.fcb.link import FcbLink, open_link, parse_url

H = bytes.fromhex


@pytest.mark.parametrize("url, serial_url, ours", [
    ("fcb:/dev/ttyUSB0?address=1", "/dev/ttyUSB0", {"address": "1"}),
    ("fcb:/dev/ttyUSB0", "/dev/ttyUSB0", {}),
    ("fcb:COM3?address=2&baudrate=38400", "COM3", {"address": "2", "baudrate": "38400"}),
    ("fcb:socket://127.0.0.1:5678?address=3&timeout=0.5", "socket://127.0.0.1:5678",
     {"address": "3", "timeout": "0.5"}),
    ("fcb:socket://127.0.0.1:5678?logging=debug&address=1", "socket://127.0.0.1:5678?logging=debug",
     {"address": "1"}),
    ("fcb:loop://?address=1&retries=0&init=none", "loop://", {"address": "1", "retries": "0", "init": "none"}),
    ("fcb:rfc2217://10.0.0.1:2217?ign_set_control&address=4&poll_modem=1",
     "rfc2217://10.0.0.1:2217?ign_set_control&poll_modem=1", {"address": "4"}),
])
def test_parse_url(url: str, serial_url: str, ours: dict) -> None:
    assert parse_url(url) == (serial_url, ours)


def test_parse_url_errors() -> None:
    with pytest.raises(NodeMapError, match="names no serial port"):
        parse_url("fcb:?address=1")
    with pytest.raises(NodeMapError, match="not an fcb"):
        parse_url("gvcp://1.2.3.4")


@pytest.mark.parametrize("query, message", [
    ("address=9", "outside 1–7"), ("address=x", "address"), ("init=maybe", "init"),
    ("wait=never", "wait"), ("timeout=soon", "timeout"),
])
def test_bad_options(query: str, message: str) -> None:
    with pytest.raises(NodeMapError, match=message):
        open_link(f"fcb:loop://?{query}")
    assert not open_buses()


def test_missing_device_names_the_remedy() -> None:
    with pytest.raises(PortError, match="cannot open serial line.*permissions"):
        open_link("fcb:/dev/nonexistent-fcb-port?address=1")
    assert not open_buses()


def test_loop_line_has_no_camera() -> None:
    """loop:// echoes our own packets: AddressSet comes back unchanged, 0 cameras."""
    with pytest.raises(PortError, match="found 0 camera.*loops back"):
        open_link("fcb:loop://?address=1&timeout=0.1&retries=0")
    assert not open_buses()


def test_silent_line_times_out_at_start_up(make_sim) -> None:
    sim = make_sim()
    sim.line.faults.silent = True
    with pytest.raises(TimeoutError, match="AddressSet.*init=none"):
        open_link(f"fcb:{sim.url}?address=1&timeout=0.1&retries=0")
    assert not open_buses()


def test_loop_line_with_init_none_opens_and_reads_time_out() -> None:
    link = open_link("fcb:loop://?address=1&timeout=0.1&retries=0&init=none")
    try:
        assert link.bus.cameras_found is None
        with pytest.raises(TimeoutError, match="did not answer"):
            link.port.read(0x00140447000000, 2)
        assert link.bus.garbage_bytes > 0  # our own inquiry came back: not a reply
    finally:
        link.close()
    assert not open_buses()


def test_registry_and_descriptions(make_sim) -> None:
    sim = make_sim()
    link = plugins.open_link(f"fcb:{sim.url}?address=1&timeout=0.5")
    try:
        assert isinstance(link, FcbLink) and isinstance(link, DeviceLink)
        assert link.port_name == "Device"
        seen: list[tuple[int, int]] = []
        assert link.descriptions(lambda done, total: seen.append((done, total))) == [
            read_description("sony-fcb.xml")]
        assert seen and seen[-1][0] == seen[-1][1]
        assert link.address == 1 and "camera 1" in repr(link)
    finally:
        link.close()
        link.close()  # idempotent
    assert not open_buses()


def test_links_share_one_bus(make_sim, make_link) -> None:
    sim = make_sim(cameras=2)
    first = make_link(sim, 1)
    second = open_link(f"fcb:{sim.url}?address=2&timeout=0.5")
    assert first.bus is second.bus and first.bus.refcount == 2
    assert bytes(sim.line.rx).count(H("88 30 01 FF")) == 1  # start-up once per line
    second.close()
    assert first.port.read(0x00210400000000, 1) == b"\x02"  # the line stays open


def test_address_beyond_the_chain(make_sim, make_link) -> None:
    sim = make_sim(cameras=2)
    make_link(sim, 1)
    with pytest.raises(PortError, match="found 2 camera"):
        make_link(sim, 3)


def test_baud_rate_must_match_the_open_line(make_sim, make_link) -> None:
    sim = make_sim()
    make_link(sim, 1)
    with pytest.raises(PortError, match="9600 baud"):
        make_link(sim, 1, query="baudrate=38400")


def test_init_clear_sends_only_if_clear(make_sim, make_link) -> None:
    sim = make_sim()
    make_link(sim, 1, query="init=clear")
    assert bytes(sim.line.rx) == H("88 01 00 01 FF")


def test_wait_ack_returns_before_the_lens_arrives(make_sim, make_link) -> None:
    sim = make_sim(zoom_speed=1.0)
    port = make_link(sim, 1, query="wait=ack").port
    port.write(0x00140447000000, H("40 00"))  # returns after the ACK
    assert len(port.jobs()) == 1
    (socket,) = port.jobs()
    assert port.cancel(socket)


def test_options_as_keywords(make_sim, make_link) -> None:
    sim = make_sim(cameras=2)
    link = open_link(f"fcb:{sim.url}?address=1&timeout=0.3", address=2, retries=0)
    try:
        assert link.address == 2 and link.bus.retries == 0 and link.bus.timeout == 0.3
    finally:
        link.close()
