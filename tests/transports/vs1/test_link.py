"""The vs1:// link against the simulated VS-1 on loopback, at the Port level.

Waits use generous deadlines only as upper bounds against hangs; no test asserts speed.
"""

from __future__ import annotations

import os
import re
import socket
import time

import pytest

from nodemap.errors import AccessError, DeviceError, NodeMapError, PortError, UnsupportedError
from nodemap.app.plugins import open_link as open_any
from nodemap.transports.vs1.link import VS1Link, open_link, parse_url
from nodemap.transports.vs1.protocol import (
    CONNECTION_BASE,
    PROPRIETARY_SERVICES,
    RESULT_BASE,
    RESULT_COUNT_OFFSET,
    RESULT_DROPPED_OFFSET,
    RESULT_STRIDE,
    ConnectionState,
    RegisterMap,
)

from tests.polling import wait_until

from .conftest import make_sim

SEQ = re.compile(r"^R(\d);SEQ=(\d+);PASS;")
HANG = 30.0  # upper bound for anything that should take a few seconds


def u64(link: VS1Link, address: int) -> int:
    return int.from_bytes(link.port.read(address, 8), "little")


def state(link: VS1Link, service_index: int) -> ConnectionState:
    return ConnectionState(int.from_bytes(
        link.port.read(CONNECTION_BASE + 4 * service_index, 4), "little"))


# ------------------------------------------------------------------ result strings

def test_results_in_order_nothing_lost_at_1000_lines_per_s() -> None:
    count = 2000  # 2 s of output per port at 1,000 lines/s
    with make_sim(rate=1000.0, count=count) as device, \
            open_link(device.url + "&retry=0.1&monitor=0", wait=10) as link:
        received: dict[int, list[str]] = {n: [] for n in range(4)}
        deadline = time.monotonic() + HANG
        # bounded by count (4 x 2000 lines) and by time (the deadline)
        while sum(map(len, received.values())) < 4 * count and time.monotonic() < deadline:
            for n, reader in enumerate(link.results):
                assert reader is not None
                received[n] += [line.text for line in reader.drain()]
            time.sleep(0.01)
        for n, reader in enumerate(link.results):
            assert reader is not None
            seqs = []
            for text in received[n]:
                match = SEQ.match(text)
                assert match, text
                assert int(match.group(1)) == n
                seqs.append(int(match.group(2)))
            assert seqs == list(range(count)), f"port {n}: lost or reordered lines"
            assert reader.dropped == 0 and reader.count == count
            base = RESULT_BASE + RESULT_STRIDE * n
            assert u64(link, base + RESULT_COUNT_OFFSET) == count
            assert u64(link, base + RESULT_DROPPED_OFFSET) == 0
            latest = link.port.read(base, 256).rstrip(b"\0").decode()
            assert latest.startswith(f"R{n};SEQ={count - 1};")


def test_full_buffer_counts_and_exposes_what_it_dropped() -> None:
    count, capacity = 1000, 100
    with make_sim(rate=20000.0, count=count) as device, \
            open_link(device.url + "&retry=0.1&monitor=0", buffer=capacity, wait=10) as link:
        reader = link.results[0]
        assert reader is not None
        assert wait_until(lambda: reader.count == count, HANG)
        assert reader.dropped == count - capacity
        kept = reader.drain()
        seqs = [int(SEQ.match(line.text).group(2)) for line in kept]  # type: ignore[union-attr]
        assert seqs == list(range(count - capacity, count))  # oldest dropped, newest kept
        assert [line.number for line in kept] == seqs
        assert u64(link, RESULT_BASE + RESULT_DROPPED_OFFSET) == count - capacity
        assert reader.buffered == 0


def test_get_and_latest(link: VS1Link) -> None:
    reader = link.results[2]
    assert reader is not None
    first = reader.get(timeout=HANG)
    assert first is not None and first.port_index == 2 and first.number == 0
    assert first.text.startswith("R2;SEQ=0;")
    assert first.received > 0
    assert wait_until(lambda: reader.count == 100, HANG)
    timestamp = u64(link, RESULT_BASE + 2 * RESULT_STRIDE + 0x110)
    assert timestamp == int(reader.latest.received * 1_000_000)  # type: ignore[union-attr]


# ------------------------------------------------------------------ connection monitoring

def test_killed_result_service_is_reported(sim, link: VS1Link) -> None:  # type: ignore[no-untyped-def]
    assert state(link, 3) is ConnectionState.Connected
    sim.kill("result1")
    # 3 s is an upper bound against hangs; a closed service is seen at once
    assert wait_until(lambda: state(link, 3) is not ConnectionState.Connected, 3.0)
    assert state(link, 3) in (ConnectionState.Dropped, ConnectionState.Refused)
    assert wait_until(lambda: state(link, 3) is ConnectionState.Refused, HANG)
    assert state(link, 2) is ConnectionState.Connected  # the others are untouched
    sim.restart("result1")
    assert wait_until(lambda: state(link, 3) is ConnectionState.Connected, HANG)
    assert link.results[1].connections == 2  # type: ignore[union-attr]


@pytest.mark.parametrize("service, index", [("ftp", 0), ("http", 1)])
def test_killed_ftp_and_http_are_reported(sim, link: VS1Link, service: str,  # type: ignore[no-untyped-def]
                                          index: int) -> None:
    assert wait_until(lambda: state(link, index) is ConnectionState.Connected, HANG)
    sim.kill(service)
    assert wait_until(lambda: state(link, index) is ConnectionState.Refused, 3.0)
    sim.restart(service)
    assert wait_until(lambda: state(link, index) is ConnectionState.Connected, HANG)


def test_nothing_listening_is_refused() -> None:
    ports = []
    for _ in range(6):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        ports.append(sock)
    numbers = [s.getsockname()[1] for s in ports]
    for sock in ports:
        sock.close()  # bound then closed: nothing listens there
    url = (f"vs1://127.0.0.1?ftp={numbers[0]}&http={numbers[1]}&results="
           f"{','.join(map(str, numbers[2:]))}&retry=0.1&monitor=0.1")
    with open_link(url) as link:
        assert wait_until(lambda: set(link.connection_states().values()) == {"Refused"}, HANG)
        with pytest.raises(PortError, match="cannot connect"):
            link.files.list()  # type: ignore[union-attr]
        with pytest.raises(PortError):
            link.port.read(0x0003_0300, 256)  # BootHostName


def test_close_stops_every_thread(sim) -> None:  # type: ignore[no-untyped-def]
    link = open_link(sim.url + "&retry=0.1&monitor=0.1", wait=10)
    threads = [r._thread for r in link.results if r is not None] + [link._monitor._thread]
    link.close()
    assert not any(t.is_alive() for t in threads)
    assert set(link.connection_states().values()) == {"Closed"}
    link.close()  # idempotent


def test_disabled_services() -> None:
    with open_link("vs1://127.0.0.1?ftp=0&http=0&results=0,0,0,0&monitor=0") as link:
        assert link.files is None and link.results == [None, None, None, None]
        assert link.port.read(RESULT_BASE, 4) == b"\0\0\0\0"
        assert u64(link, RESULT_BASE + RESULT_COUNT_OFFSET) == 0
        with pytest.raises(DeviceError, match="disabled"):
            link.port.read(0x0003_0000, 256)
        assert state(link, 2) is ConnectionState.NotConnected


# ------------------------------------------------------------------ FTP

def test_ftp_round_trip_byte_for_byte(link: VS1Link, tmp_path) -> None:  # type: ignore[no-untyped-def]
    files = link.files
    assert files is not None
    payload = bytes(range(256)) * 512 + os.urandom(4099) + b"\r\n\n\r\x00"
    assert files.upload(payload, "job.avp") == len(payload)
    assert "job.avp" in files.list()
    assert files.download("job.avp") == payload
    assert files.size("job.avp") == len(payload)
    source = tmp_path / "local.bin"
    source.write_bytes(payload[::-1])
    files.upload(source, "reversed.bin")
    target = tmp_path / "back.bin"
    assert files.download("reversed.bin", target) == payload[::-1]
    assert target.read_bytes() == payload[::-1]
    files.delete("job.avp")
    assert "job.avp" not in files.list()
    assert state(link, 0) is ConnectionState.Connected


def test_ftp_errors_name_the_file(link: VS1Link) -> None:
    files = link.files
    assert files is not None
    with pytest.raises(DeviceError, match="missing.txt") as info:
        files.download("missing.txt")
    assert info.value.status == 550
    assert files.list("") == []


def test_ftp_wrong_password() -> None:
    with make_sim(user="vs1", password="right") as device, \
            open_link(device.url + "&monitor=0&results=0,0,0,0", user="vs1", password="wrong") as link:
        with pytest.raises(DeviceError, match="refused") as info:
            link.files.list()  # type: ignore[union-attr]
        assert info.value.status == 530


# ------------------------------------------------------------------ HTTP boot parameters

def test_boot_parameters_as_strings(link: VS1Link) -> None:
    assert link.port.read(0x0003_0300, 256).rstrip(b"\0") == b"host"  # BootHostName
    assert link.port.read(0x0003_0B00, 256).rstrip(b"\0") == b"VS1-SIM"  # BootTargetName
    assert link.port.read(0x0003_0500, 256).rstrip(b"\0") == b"127.0.0.1:ffffff00"
    assert link.boot_parameters()["flags"] == "0x8"
    assert b"<pre>" in link.boot_page()
    with pytest.raises(DeviceError, match="no 'startup script' entry"):
        link.port.read(0x0003_0C00, 256)  # BootStartupScript is not on the page


def test_malformed_boot_page_is_a_protocol_error() -> None:
    from nodemap.errors import ProtocolError

    with make_sim(boot_page=b"<html><body>Welcome</body></html>") as device, \
            open_link(device.url + "&monitor=0&results=0,0,0,0") as link:
        with pytest.raises(ProtocolError, match="no 'label : value' pairs"):
            link.port.read(0x0003_0300, 256)


def test_wrong_boot_path_is_explained(sim) -> None:  # type: ignore[no-untyped-def]
    with open_link(sim.url + "&monitor=0&results=0,0,0,0&boot_path=/boot.html") as link:
        with pytest.raises(DeviceError, match="HTTP 404.*boot_path") as info:
            link.boot_page()
        assert info.value.status == 404


# ------------------------------------------------------------------ proprietary services

@pytest.mark.parametrize("service", PROPRIETARY_SERVICES, ids=lambda s: str(s.port))
def test_proprietary_services_raise_the_explained_error(link: VS1Link, service) -> None:  # type: ignore[no-untyped-def]
    address = RegisterMap.proprietary_address(service.port)
    for access in (lambda: link.port.read(address, 4), lambda: link.port.write(address, b"\1\0\0\0")):
        with pytest.raises(UnsupportedError) as info:
            access()
        message = str(info.value)
        assert f"port {service.port}" in message and service.name in message
        assert "proprietary" in message and "undocumented" in message


def test_writes_are_refused(link: VS1Link) -> None:
    with pytest.raises(AccessError, match="ResultString0.*read-only"):
        link.port.write(RESULT_BASE, b"x")


# ------------------------------------------------------------------ URL

def test_url_parsing() -> None:
    host, settings = parse_url("vs1://10.1.2.3?ftp=2121&results=1,2,3,4&timeout=0.5&keepalive=no")
    assert host == "10.1.2.3" and settings["ftp"] == 2121 and settings["http"] == 80
    assert settings["results"] == (1, 2, 3, 4) and settings["timeout"] == 0.5
    assert settings["keepalive"] is False
    assert parse_url("vs1://cam.local/")[0] == "cam.local"
    with pytest.raises(NodeMapError, match="unknown vs1:// option.*fpt"):
        parse_url("vs1://h?fpt=21")
    with pytest.raises(NodeMapError, match="4 comma-separated"):
        parse_url("vs1://h?results=1,2")
    with pytest.raises(NodeMapError, match="names no camera"):
        parse_url("vs1://?ftp=1")
    with pytest.raises(NodeMapError, match="not valid"):
        parse_url("vs1://h?ftp=abc")


def test_registry_opens_vs1(sim) -> None:  # type: ignore[no-untyped-def]
    link = open_any(sim.url + "&monitor=0")
    try:
        assert isinstance(link, VS1Link) and link.port_name == "Device"
        [xml] = link.descriptions()
        assert b"ResultString0" in xml
    finally:
        link.close()


def test_unanswered_connects_are_timed_out(monkeypatch: pytest.MonkeyPatch) -> None:
    """A camera that never answers (off, wrong address): connect() times out."""
    import nodemap.transports.vs1.link as link_module
    import nodemap.transports.vs1.results as results_module

    def silent(*args: object, **kwargs: object) -> socket.socket:
        raise socket.timeout("timed out")

    monkeypatch.setattr(results_module, "connect", silent)
    monkeypatch.setattr(link_module, "connect", silent)
    with open_link("vs1://127.0.0.1?ftp=1&http=2&results=3,4,5,6&retry=0.05&monitor=0.05") as link:
        assert wait_until(lambda: set(link.connection_states().values()) == {"TimedOut"}, HANG)
        assert state(link, 4) is ConnectionState.TimedOut


def test_long_result_lines_are_cut_on_a_character_boundary() -> None:
    line = "é" * 200  # 400 bytes of UTF-8
    with make_sim(count=1, line_format="{seq}" + line) as device, \
            open_link(device.url + "&monitor=0", wait=10) as link:
        reader = link.results[0]
        assert reader is not None
        assert wait_until(lambda: reader.count == 1, HANG)
        assert reader.latest.text == "0" + line  # type: ignore[union-attr]  # kept whole
        raw = link.port.read(RESULT_BASE, 256)
        assert raw.rstrip(b"\0").decode("utf-8") == ("0" + line)[:128]
