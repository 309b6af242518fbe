"""Adversarial GigE Vision devices (issue 14, "Done when"): hostile acks and hostile content.

A :class:`HostileDevice` is the simulated device with one bad habit: a ``tamper`` function
rewrites the acks it sends (shorter or longer than asked, for another address, lying length
fields, unknown status codes, the wrong ack code, endless PENDING_ACK, garbage discovery
data), or its first URL and memory hold hostile content (NUL escapes, 4 GiB lengths,
wrapping addresses, host files, zip archives with absolute or ``..`` member names, thousands
of members, no XML, a bomb; XML with a multi-megabyte attribute).

Each case opens the device the way a user does — ``nodemap.open("gvcp://…")`` with the
default settings — and reads a feature.  It must end either with the right answer (the
case is tolerated: nothing is ever extracted to disk, a name is only a name) or with the
:class:`~nodemap.errors.NodeMapError` subclass that says what is wrong; any other exception
fails.  Time is bounded by the client's own deadlines; pytest-timeout is only the hang guard.
"""

from __future__ import annotations

import io
import logging
import select
import socket
import struct
import threading
import zipfile
from typing import Callable, Iterator

import pytest

import nodemap
from nodemap.errors import DeviceError, NodeMapError, TimeoutError, XmlError
from nodemap.resources import read_description
from nodemap.transports.gvcp import discovery
from nodemap.transports.gvcp import protocol as p
from nodemap.transports.gvcp.client import GvcpClient
from nodemap.transports.gvcp.device import SimulatedDevice
from nodemap.transports.gvcp.errors import ShortWriteError
from nodemap.transports.gvcp.protocol import Register as R
from nodemap.transports.gvcp.sim import DEMO_REGISTERS
from tests.addresses import loopback

pytestmark = pytest.mark.timeout(120)

DEMO = read_description("demo-camera.xml")
XML_AT = 0x20_0000          # where content cases put their blob (clear of the demo's registers)

Tamper = Callable[[p.Command | None, bytes], list[bytes]]


class HostileDevice(SimulatedDevice):
    """The simulated device, with every ack it sends passed through ``tamper(cmd, ack)``."""

    def __init__(self, *args: object, tamper: Tamper | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.tamper = tamper
        self._command: p.Command | None = None

    def _handle(self, data: bytes, peer: tuple[str, int]) -> None:
        try:
            self._command = p.decode_command(data)
        except p.GvcpCodecError:
            self._command = None
        super()._handle(data, peer)

    def _send(self, data: bytes, peer: tuple[str, int], delay: float = 0.0) -> None:
        for out in (self.tamper(self._command, data) if self.tamper else [data]):
            super()._send(out, peer, delay)


def _payload(ack: bytes, payload: bytes) -> bytes:
    """``ack`` with another payload and a length field that tells its size."""
    return ack[:4] + struct.pack(">H", len(payload)) + ack[6:8] + payload


def _on(kind: type, change: Callable[[p.Command, bytes], list[bytes]]) -> Tamper:
    def tamper(cmd: p.Command | None, ack: bytes) -> list[bytes]:
        return change(cmd, ack) if isinstance(cmd, kind) else [ack]
    return tamper


def _on_xml_read(change: Callable[[p.ReadMemCmd, bytes], list[bytes]]) -> Tamper:
    """Tamper only with the READMEMs of the description (not of the bootstrap URL)."""
    def tamper(cmd: p.Command | None, ack: bytes) -> list[bytes]:
        if isinstance(cmd, p.ReadMemCmd) and cmd.address >= 0x1_0000:
            return change(cmd, ack)
        return [ack]
    return tamper


def _open_and_read(device: SimulatedDevice) -> int:
    with nodemap.open(f"gvcp://{device.address}") as cam:
        return int(cam.features["Width"].value)


@pytest.fixture
def make_hostile() -> Iterator[Callable[..., HostileDevice]]:
    started: list[HostileDevice] = []

    def make(tamper: Tamper | None = None, xml: bytes = DEMO,
             setup: Callable[[HostileDevice], None] | None = None) -> HostileDevice:
        device = HostileDevice(xml, address=loopback(), tamper=tamper, broadcast_address=None,
                               registers=dict(DEMO_REGISTERS))
        if setup is not None:
            setup(device)
        started.append(device.start())
        return device

    yield make
    for device in started:
        device.stop()


# ----------------------------------------------------------------- hostile acks

UNUSABLE = r"unusable datagram\(s\) dropped \(stale, mismatched or malformed\)"

WIRE_CASES: dict[str, tuple[Tamper, type[NodeMapError], str]] = {
    "READMEM ack shorter than asked":
        (_on_xml_read(lambda c, a: [_payload(a, a[8:-4])]), XmlError, UNUSABLE),
    "READMEM ack longer than asked":
        (_on_xml_read(lambda c, a: [_payload(a, a[8:] + bytes(4))]), XmlError, UNUSABLE),
    "READMEM ack of an odd length":
        (_on_xml_read(lambda c, a: [_payload(a, a[8:-1])]), XmlError, UNUSABLE),
    "READMEM ack for another address":
        (_on_xml_read(lambda c, a: [_payload(a, struct.pack(">I", c.address + 4) + a[12:])]),
         XmlError, r"READMEM_ACK for 0x00[0-9A-F]+, asked 0x00[0-9A-F]+"),
    "READMEM ack whose length field lies":
        (_on_xml_read(lambda c, a: [a[:4] + struct.pack(">H", 0xFFF0) + a[6:]]),
         XmlError, UNUSABLE),
    "READMEM answered with a READREG_ACK":
        (_on_xml_read(lambda c, a: [a[:2] + struct.pack(">H", p.Cmd.READREG_ACK) + a[4:]]),
         XmlError, UNUSABLE),
    "READMEM answered by an unknown status":
        (_on_xml_read(lambda c, a: [struct.pack(">H", 0x8FFF) + a[2:]]),
         XmlError, r"READMEM 0x[0-9A-F]+ \+\d+: device answered GEV_STATUS_ERROR \(0x8FFF\)"),
    "READMEM answered by PENDING_ACK forever":
        (_on_xml_read(lambda c, a: [p.PendingAck(c.req_id, 60_000).encode()]),
         XmlError, r"answered only PENDING_ACK .* overall deadline"),
    "READREG ack with fewer values":
        (_on(p.ReadRegCmd, lambda c, a: [_payload(a, a[8:-4])]), NodeMapError, UNUSABLE),
    "READREG ack with more values":
        (_on(p.ReadRegCmd, lambda c, a: [_payload(a, a[8:] + bytes(4))]), NodeMapError,
         UNUSABLE),
    "READREG answered by an unknown status":
        (_on(p.ReadRegCmd, lambda c, a: [struct.pack(">H", 0x8FFF) + a[2:]]), DeviceError,
         r"device answered GEV_STATUS_ERROR \(0x8FFF\)"),
    "DISCOVERY ack truncated":
        (_on(p.DiscoveryCmd, lambda c, a: [_payload(a, a[8:40])]), TimeoutError,
         rf"DISCOVERY_CMD .*{UNUSABLE}"),
    "DISCOVERY ack without payload":
        (_on(p.DiscoveryCmd, lambda c, a: [_payload(a, b"")]), TimeoutError,
         rf"DISCOVERY_CMD .*{UNUSABLE}"),
}


@pytest.mark.parametrize("case", list(WIRE_CASES))
def test_hostile_acks_end_in_a_clear_error(make_hostile, case: str) -> None:
    tamper, error, message = WIRE_CASES[case]
    device = make_hostile(tamper)
    with pytest.raises(error, match=message):
        _open_and_read(device)


@pytest.mark.parametrize("case, tamper", [
    ("garbage (latin-1, control) bytes in the discovery strings",
     _on(p.DiscoveryCmd,
         lambda c, a: [a[:8 + 0x48] + b"\xff\x1b[2J" * ((len(a) - 8 - 0x48) // 4)])),
    ("fifty stale acks before each real description chunk",
     _on_xml_read(lambda c, a: [a[:6] + struct.pack(">H", (c.req_id - 1) or 0xFFFF) + a[8:]] * 50
                  + [a])),
    ("every register ack sent three times",
     _on(p.ReadRegCmd, lambda c, a: [a, a, a])),
])
def test_tolerated_oddities_still_give_the_right_answer(make_hostile, case: str,
                                                        tamper: Tamper) -> None:
    assert _open_and_read(make_hostile(tamper)) == DEMO_REGISTERS[0xA000], case


# ----------------------------------------------------------------- hostile content

def _url(text: bytes | str) -> Callable[[HostileDevice], None]:
    raw = text.encode("latin-1") if isinstance(text, str) else text
    padded = raw.ljust(p.URL_LENGTH, b"\0")[:p.URL_LENGTH]
    return lambda device: device.memory.write(R.FIRST_URL, padded)


def _blob(data: bytes, name: str) -> Callable[[HostileDevice], None]:
    def setup(device: HostileDevice) -> None:
        device.memory.write(XML_AT, data)
        _url(f"Local:{name};{XML_AT:X};{len(data):X}")(device)
    return setup


def _zip(*members: tuple[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


CONTENT_CASES: dict[str, tuple[Callable[[HostileDevice], None], str]] = {
    "URL with %00 as address": (_url("Local:x.xml;%00;10"), "is not of the form"),
    "URL with a negative address": (_url("Local:x.xml;-10;10"), "is not of the form"),
    "URL with a 480-digit address": (_url("Local:x.xml;" + "F" * 480 + ";10"),
                                      "beyond the 32-bit GigE Vision address space"),
    "URL with an empty name": (_url("Local:;100000;10"), "is not of the form"),
    "URL of semicolons": (_url("Local:;;;;;;"), "is not of the form"),
    "URL announcing 4 GiB": (_url("Local:x.xml;100000;FFFFFFFF"), "past the end of the 32-bit"),
    "URL wrapping past 4 GiB": (_url("Local:x.xml;FFFFFFFC;8"), "past the end of the 32-bit"),
    "URL without a NUL, 512 bytes": (_url("A" * 512), "unsupported XML URL"),
    "URL of blanks": (_url(" " * 40), "first URL is empty"),
    "URL naming a host file": (_url("File:///etc/passwd"), "names a file on this host"),
    "URL naming a host file with %00": (_url("File:///etc/passwd%00.xml"),
                                        "names a file on this host"),
    "URL of another scheme": (_url("ftp://127.0.0.1:1/x.xml"), "unsupported XML URL"),
    "http URL where nothing listens": (_url("http://127.0.0.1:1/x.xml"), "refused"),
    "description cut short by its URL": (_url("Local:a%00b.xml;100000;10"), "malformed XML"),
    "zip with thousands of members": (_blob(_zip(*((f"m{i}", b"x") for i in range(3000)),
                                                 ("cam.xml", DEMO)), "cam.zip"),
                                      "3001 members"),
    "zip without XML": (_blob(_zip(("readme.txt", b"hello")), "cam.zip"), "holds no XML"),
    "empty zip": (_blob(_zip(), "cam.zip"), "contains no XML"),
    "zip bomb": (_blob(_zip(("cam.xml", b"<" + b" " * (80 << 20))), "cam.zip"), "zip bomb"),
    "neither XML nor zip": (_blob(b"\x00\x01" * 100, "cam.xml"), "neither XML nor a zip"),
}


@pytest.mark.parametrize("case", list(CONTENT_CASES))
def test_hostile_content_ends_in_an_xml_error(make_hostile, case: str) -> None:
    setup, message = CONTENT_CASES[case]
    device = make_hostile(setup=setup)
    with pytest.raises(XmlError, match=message) as info:
        _open_and_read(device)
    assert "root:" not in str(info.value)          # never a host file's content


@pytest.mark.parametrize("case, setup", [
    ("zip member with an absolute path", _blob(_zip(("/etc/cam.xml", DEMO)), "cam.zip")),
    ("zip member climbing out with ..", _blob(_zip(("../../cam.xml", DEMO)), "cam.zip")),
    ("zip with two XML members", _blob(_zip(("cam.xml", DEMO), ("b.xml", b"<x/>")), "cam.zip")),
    ("XML with a 3 MB attribute", _blob(DEMO.replace(
        b"<RegisterDescription", b'<RegisterDescription Junk="' + b"A" * 3_000_000 + b'"', 1),
        "cam.xml")),
    ("URL name of latin-1 bytes",
     lambda d: (_blob(DEMO, "x.xml")(d),
                _url(f"Local:\xff\xfe.xml;{XML_AT:X};{len(DEMO):X}")(d))),
])
def test_odd_but_harmless_content_loads(make_hostile, tmp_path, monkeypatch, case: str,
                                        setup: Callable[[HostileDevice], None]) -> None:
    monkeypatch.chdir(tmp_path)
    assert _open_and_read(make_hostile(setup=setup)) == DEMO_REGISTERS[0xA000], case
    assert list(tmp_path.iterdir()) == []          # a description is never extracted to disk


@pytest.mark.parametrize("answer, message", [
    (b"garbage\r\n\r\n", "not a valid HTTP answer"),
    (b"HTTP/1.0 200 OK\r\nContent-Length: abc\r\n\r\n<x/>", "not a number"),
    (b"HTTP/1.0 200 OK\r\nContent-Length: 9000\r\n\r\n" + DEMO[:100], "sent 100 of the 9000"),
])
def test_a_hostile_http_server_named_by_the_device_is_an_xml_error(make_hostile, answer: bytes,
                                                                   message: str) -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(30)

    def answer_once() -> None:
        try:
            conn, _ = server.accept()
        except OSError:
            return
        with conn:
            conn.recv(4096)
            conn.sendall(answer)

    thread = threading.Thread(target=answer_once, daemon=True)
    thread.start()
    try:
        device = make_hostile(setup=_url(f"http://127.0.0.1:{server.getsockname()[1]}/x.xml"))
        with pytest.raises(XmlError, match=message):
            _open_and_read(device)
    finally:
        thread.join(30)
        server.close()


# ----------------------------------------------------------------- hostile discovery acks

class DiscoveryLiar:
    """Answers each DISCOVERY with ``replies(cmd)`` — a list of raw datagrams."""

    def __init__(self, replies: Callable[[p.DiscoveryCmd], list[bytes]]) -> None:
        self.replies = replies
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((loopback(), 0))
        self.address = self.sock.getsockname()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        for _ in range(1000):                       # bounded by count and by the stop event
            ready, _, _ = select.select([self.sock], [], [], 0.05)
            if self._stop.is_set():
                return
            if not ready:
                continue
            data, peer = self.sock.recvfrom(2048)
            cmd = p.decode_command(data)
            assert isinstance(cmd, p.DiscoveryCmd)
            for reply in self.replies(cmd):
                self.sock.sendto(reply, peer)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(10)
        self.sock.close()


GOOD_INFO = p.DeviceInfo(mac=0x0200_0000_0042, ip="127.0.0.42", mask="255.0.0.0",
                         manufacturer="Good\xff\x1b", model="Cam", serial="S42", user_name="u")


def _garbage_then_good(cmd: p.DiscoveryCmd) -> list[bytes]:
    good = p.DiscoveryAck(cmd.req_id, GOOD_INFO).encode()
    return [
        b"", b"\x00", b"\xff" * 7,                              # shorter than a header
        good[:40],                                              # truncated
        good[:4] + struct.pack(">H", 0xFFFF) + good[6:],        # length field lies
        p.DiscoveryAck(cmd.req_id ^ 0x5555, GOOD_INFO).encode(),  # another request's
        p.ReadRegAck(cmd.req_id, (1,)).encode(),                # another ack code
        bytes(range(256)) * 2,                                  # noise
        good,
    ]


def test_discovery_keeps_the_one_good_ack_among_garbage() -> None:
    liar = DiscoveryLiar(_garbage_then_good)
    try:
        found = discovery.discover(address=liar.address[0], port=liar.address[1], timeout=1.0)
    finally:
        liar.close()
    assert [(d.info.serial, d.info.manufacturer, d.mac) for d in found] == \
        [("S42", "Good\xff\x1b", "02:00:00:00:00:42")]


def test_a_discovery_flood_is_bounded() -> None:
    liar = DiscoveryLiar(lambda cmd: [b"\x00\x00\x00\x03\x00\x00" + bytes(2)] * 900)
    try:
        assert discovery.discover(address=liar.address[0], port=liar.address[1],
                                  timeout=1.0) == []
    finally:
        liar.close()


# ----------------------------------------------------------------- short writes

def _index(ack: bytes, index: int, reserved: int = 0) -> list[bytes]:
    """``ack`` (WRITEREG_ACK / WRITEMEM_ACK, SUCCESS) with another written count."""
    return [ack[:8] + struct.pack(">HH", reserved, index)]


def _short_writereg(written: int) -> Tamper:
    """Every WRITEREG but the one taking control (CCP) acknowledged with ``written``."""
    return _on(p.WriteRegCmd, lambda c, a: [a] if c.pairs[0][0] == R.CCP else _index(a, written))


def _client(device: HostileDevice) -> GvcpClient:
    client = GvcpClient(device.address, device.port, timeout=0.5, retries=2)
    client.take_control(heartbeat=False)
    return client


WIDTH = 0xA000   # the demo camera's Width register (DEMO_REGISTERS[0xA000] is its value)


@pytest.mark.parametrize("debug", [False, True], ids=["fast path", "decoded (debug log)"])
def test_a_writereg_ack_with_a_zero_count_is_accepted(make_hostile, caplog, debug: bool) -> None:
    """viva-genicam's fake camera answers every WRITEREG with index 0: 0 is "not filled in"."""
    device = make_hostile(_short_writereg(0))
    if debug:
        caplog.set_level(logging.DEBUG, logger="nodemap.transports.gvcp.client")
    client = _client(device)
    try:
        client.write_register(WIDTH, 64)
        client.write_registers([(WIDTH, 72), (WIDTH + 4, 40)])
        assert client.read_registers([WIDTH, WIDTH + 4]) == [72, 40]
    finally:
        client.close()


def test_a_concatenated_writereg_ack_names_the_first_unwritten_register(make_hostile) -> None:
    device = make_hostile(_short_writereg(2))
    client = _client(device)
    try:
        assert client.concatenation
        with pytest.raises(ShortWriteError, match=r"WRITEREG 0x0000A000 .* wrote only 2 of 3 "
                                                  r"registers \(8 of 12 bytes.*0x0000A008"):
            client.write_registers([(WIDTH, 64), (WIDTH + 4, 48), (WIDTH + 8, 0)])
    finally:
        client.close()


def test_a_writemem_ack_with_fewer_bytes_is_a_short_write(make_hostile) -> None:
    device = make_hostile(_on(p.WriteMemCmd, lambda c, a: _index(a, len(c.data) - 4)))
    client = _client(device)
    try:
        with pytest.raises(ShortWriteError, match=r"WRITEMEM 0x00200000 .* wrote only 12 of 16 "
                                                  r"bytes .*nothing from 0x0020000C on") as info:
            client.write_memory(XML_AT, bytes(range(16)))
    finally:
        client.close()
    assert (info.value.address, info.value.asked, info.value.written) == (XML_AT, 16, 12)
    assert isinstance(info.value, NodeMapError)


def test_a_short_write_reaches_the_feature_user(make_hostile) -> None:
    device = make_hostile(_on(p.WriteMemCmd, lambda c, a: _index(a, 8)))
    with nodemap.open(f"gvcp://{device.address}") as cam:
        with pytest.raises(NodeMapError, match=r"WRITEMEM 0x0000A100 .* wrote only 8 of 32 bytes"):
            cam.features["DeviceUserLabel"].value = "a label longer than eight bytes"


def test_writemem_acks_that_echo_the_address_are_accepted(make_hostile) -> None:
    """Aravis's fake camera puts the address in WRITEMEM_ACK's payload: not a count."""
    device = make_hostile(_on(p.WriteMemCmd,
                              lambda c, a: _index(a, c.address & 0xFFFF, c.address >> 16)))
    client = _client(device)
    try:
        client.write_memory(XML_AT + 0x10, bytes(range(8)))
        assert client.read_memory(XML_AT + 0x10, 8) == bytes(range(8))
    finally:
        client.close()
