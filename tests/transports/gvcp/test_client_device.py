"""Our client against our simulated device: registers, memory, status codes, control."""

from __future__ import annotations

import socket
import struct
import threading
import time

import pytest

from nodemap.errors import DeviceError, PortError, TimeoutError
from nodemap.transports.gvcp import protocol as p
from nodemap.transports.gvcp.client import GvcpClient
from nodemap.transports.gvcp.device import SimulatedDevice
from nodemap.transports.gvcp.protocol import Register as R
from nodemap.transports.gvcp.protocol import Status


@pytest.fixture
def client(device: SimulatedDevice):
    c = GvcpClient(device.address, device.port, timeout=0.5, retries=3)
    yield c
    c.close()


def test_register_round_trip(client: GvcpClient) -> None:
    assert client.read_register(0xA000) == 640
    client.write_register(0xA000, 256)
    assert client.read(0xA000, 4) == struct.pack(">I", 256)
    client.write(0xA004, struct.pack(">I", 0xDEADBEEF))
    assert client.read_register(0xA004) == 0xDEADBEEF


def test_memory_unaligned_and_long(client: GvcpClient, device: SimulatedDevice) -> None:
    blob = bytes(range(256)) * 5          # 1280 bytes: three READMEM/WRITEMEM chunks
    client.write(0xB001, blob)             # unaligned: read-modify-write of the edges
    assert client.read(0xB001, len(blob)) == blob
    assert client.read(0xB000, 1) == b"\0"
    assert device.memory.read(0xB001, len(blob)) == blob
    assert client.read(0xB003, 3) == blob[2:5]
    assert client.read(0xB000, 0) == b""


def test_strings_from_bootstrap(client: GvcpClient, device: SimulatedDevice) -> None:
    assert client.read(R.MANUFACTURER_NAME, 32).rstrip(b"\0") == b"nodemap"
    url = client.read(R.FIRST_URL, 512).split(b"\0")[0].decode()
    assert url.startswith("Local:device.xml;100000;")
    client.write(R.USER_DEFINED_NAME, b"bench-left".ljust(16, b"\0"))
    assert client.read(R.USER_DEFINED_NAME, 16).rstrip(b"\0") == b"bench-left"


def test_read_many_uses_concatenation(client: GvcpClient, device: SimulatedDevice) -> None:
    for i in range(300):
        device.memory.set32(0xC000 + 4 * i, i * 7)
    assert client.concatenation                   # reads the capability register once
    sent = client.stats["sent"]
    got = client.read_many([(0xC000 + 4 * i, 4) for i in range(300)] + [(0xC001, 2)])
    assert [struct.unpack(">I", g)[0] for g in got[:300]] == [i * 7 for i in range(300)]
    assert got[300] == device.memory.read(0xC001, 2)
    assert client.concatenation
    assert client.stats["sent"] - sent <= 3 + 1   # 3 READREGs of ≤135 + 1 READMEM


def test_read_many_without_concatenation(make_device) -> None:
    dev = make_device(concatenation=False, registers={0xA000: 1, 0xA004: 2})
    with GvcpClient(dev.address, timeout=0.5) as c:
        assert not c.concatenation
        assert c.read_many([(0xA000, 4), (0xA004, 4)]) == [b"\0\0\0\1", b"\0\0\0\2"]
        ack = c.transact(lambda rid: p.ReadRegCmd(rid, (0xA000, 0xA004)))
        assert ack.status == Status.NOT_IMPLEMENTED      # the device refuses concatenation
        c.write_registers([(0xA000, 5), (0xA004, 6)])    # so the client sends one by one
        assert c.read_registers([0xA000, 0xA004]) == [5, 6]


def test_raw_transact_returns_error_acks(client: GvcpClient) -> None:
    ack = client.transact(lambda rid: p.ReadRegCmd(rid, (0xA000, 0x0011)))
    assert ack.status == Status.BAD_ALIGNMENT and ack.values == (640,)   # type: ignore[union-attr]


@pytest.mark.parametrize("action, status", [
    (lambda c: c._check(c.transact(lambda rid: p.ReadRegCmd(rid, (0x0011,)), 4), "READREG"),
     Status.BAD_ALIGNMENT),                                            # the device refuses too
    (lambda c: c.read_register(0x0020), Status.INVALID_ADDRESS),
    (lambda c: c._check(c.transact(lambda rid: p.ReadMemCmd(rid, 0x0300, 540)), "READMEM"),
     Status.INVALID_PARAMETER),
    (lambda c: c.write_register(R.VERSION, 1), Status.WRITE_PROTECT),
    (lambda c: c.write_register(0x100000, 1), Status.WRITE_PROTECT),   # the served XML
    (lambda c: c._check(c.transact(lambda rid: p.WriteRegCmd(rid, ((0x0A02, 1),)), 4),
                        "WRITEREG"), Status.BAD_ALIGNMENT),
    (lambda c: c.read_register(R.TIMESTAMP_CONTROL), Status.ACCESS_DENIED),
    (lambda c: c.read_registers([0xA000, 0x0030]), Status.INVALID_ADDRESS),
])
def test_status_codes(client: GvcpClient, action, status) -> None:
    with pytest.raises(DeviceError) as err:
        action(client)
    assert err.value.status == status
    assert f"0x{status:04X}" in str(err.value)


@pytest.mark.parametrize("action, text", [
    (lambda c: c.read_register(0x0011), "READREG 0x00000011"),
    (lambda c: c.write_register(0x0A02, 1), "WRITEREG 0x00000A02"),
    (lambda c: c.read_registers([0xA000, 0x0A06]), "READREG 0x00000A06"),
    (lambda c: c.write_registers([(0xA000, 1), (0xA001, 2)]), "WRITEREG 0x0000A001"),
    (lambda c: c.read(0x0002, 4), "READREG 0x00000002"),           # `nodemap reg URL 0x0002`
    (lambda c: c.write(0x0A01, b"\0\0\0\1"), "WRITEREG 0x00000A01"),
])
def test_unaligned_register_access_is_refused_before_sending(client: GvcpClient, action,
                                                              text: str) -> None:
    sent = client.stats["sent"]
    with pytest.raises(PortError, match=text + r".*4-byte aligned.*GEV_STATUS_BAD_ALIGNMENT") as err:
        action(client)
    assert not isinstance(err.value, DeviceError)     # refused here, not by the device
    assert client.stats["sent"] == sent
    assert client.read(0x0002, 2) == client.read(0x0000, 4)[2:]   # other lengths: READMEM


def test_invalid_address_names_it(client: GvcpClient) -> None:
    with pytest.raises(DeviceError, match="0x00000020.*INVALID_ADDRESS.*address is not implemented") as err:
        client.read_register(0x20)
    assert (err.value.status, err.value.address) == (Status.INVALID_ADDRESS, 0x20)


@pytest.mark.parametrize("action, address, status", [
    (lambda c: c.read_register(0x0020), 0x0020, Status.INVALID_ADDRESS),
    (lambda c: c.read_registers([0xA000, 0x0030]), 0x0030, Status.INVALID_ADDRESS),
    (lambda c: c.write_register(R.VERSION, 1), R.VERSION, Status.WRITE_PROTECT),
    (lambda c: c.write_registers([(0xA000, 1), (R.VERSION, 1)]), R.VERSION, Status.WRITE_PROTECT),
    (lambda c: c.write_memory(R.VERSION, b"\0\0\0\1"), R.VERSION, Status.WRITE_PROTECT),
    (lambda c: c.read_register(R.TIMESTAMP_CONTROL), R.TIMESTAMP_CONTROL, Status.ACCESS_DENIED),
    (lambda c: c.read_register(0x0011), 0x0011, Status.BAD_ALIGNMENT),   # refused before sending
])
def test_status_and_address_are_fields(client: GvcpClient, action, address: int,
                                       status: int) -> None:
    """The device status and the register address, as attributes (no message parsing)."""
    with pytest.raises(PortError) as err:
        action(client)
    assert (err.value.status, err.value.address) == (status, address)
    assert err.value.feature is None           # the client knows no feature names


def test_user_invalid_ranges(make_device) -> None:
    dev = make_device(invalid=[(0x20000, 0x30000)], read_only=[(0xA100, 0xA104)])
    with GvcpClient(dev.address, timeout=0.5) as c:
        with pytest.raises(DeviceError) as err:
            c.read(0x20000, 8)
        assert err.value.status == Status.INVALID_ADDRESS
        with pytest.raises(DeviceError) as err:
            c.write_register(0xA100, 3)
        assert err.value.status == Status.WRITE_PROTECT


def test_control_privilege(device: SimulatedDevice) -> None:
    with GvcpClient(device.address, timeout=0.5) as a, GvcpClient(device.address, timeout=0.5) as b:
        a.take_control()
        assert a.has_control and device.controller == a.local_address
        assert b.read_register(0xA000) == 640                 # others may read
        with pytest.raises(DeviceError) as err:
            b.write_register(0xA000, 1)                      # but not write
        assert err.value.status == Status.ACCESS_DENIED
        with pytest.raises(DeviceError, match="another application holds it"):
            b.take_control()
        a.write_register(0xA000, 2)
        a.release_control()
        assert device.controller is None
        b.take_control(exclusive=True)
        with pytest.raises(DeviceError) as err:
            a.read_register(0xA000)                          # exclusive: not even reads
        assert err.value.status == Status.ACCESS_DENIED
    assert device.controller is None                         # close released it


def test_heartbeat_keeps_control_beyond_the_timeout(make_device) -> None:
    # Sequenced by the heartbeats the device receives, not by sleeping: the test goes on once
    # the heartbeats alone (no other command) have spanned more than two timeouts.
    timeout_ms = 1000
    beats: list[float] = []
    spanned = threading.Event()

    def tap(direction: str, peer: tuple[str, int], data: bytes) -> None:
        if direction != "in":
            return
        try:
            cmd = p.decode_command(data)
        except p.GvcpCodecError:
            return
        if isinstance(cmd, p.ReadRegCmd) and cmd.addresses[:1] == (R.CCP,):   # a heartbeat
            beats.append(time.monotonic())
            if beats[-1] - beats[0] > 2 * timeout_ms / 1000:
                spanned.set()

    dev = make_device(heartbeat_timeout_ms=timeout_ms, tap=tap)
    with GvcpClient(dev.address, timeout=1.0) as c:
        c.take_control()
        beats.clear()
        assert c.heartbeat_period <= timeout_ms / 3000
        assert spanned.wait(60), f"heartbeats seen: {len(beats)}"
        assert len(beats) >= 3
        assert dev.controller == c.local_address and dev.stats["control_expired"] == 0
        assert not c.control_lost.is_set()
        c.write_register(0xA000, 9)


def test_lost_control_is_detected_and_reported(make_device) -> None:
    dev = make_device(heartbeat_timeout_ms=200)
    lost = threading.Event()
    with GvcpClient(dev.address, timeout=0.1, on_control_lost=lambda why: lost.set()) as c:
        c.take_control(heartbeat=False)
        c._hb_stop.clear()
        # no heartbeat: the device expires control...
        deadline = time.monotonic() + 5
        while dev.controller is not None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert dev.controller is None and dev.stats["control_expired"] == 1
        # ...and a heartbeat started now sees CCP = 0 and reports it
        c._heartbeat_timeout_ms = 60
        t = threading.Thread(target=c._heartbeat, daemon=True)
        t.start()
        assert lost.wait(5)
        assert c.control_lost.is_set() and not c.has_control
        assert "CCP=0x0" in c.control_lost_reason
        other = GvcpClient(dev.address, timeout=0.2)
        other.take_control(heartbeat=False)
        with pytest.raises(DeviceError, match="control was lost"):
            c.write_register(0xA000, 1)
        other.close()


def test_request_ids_wrap_and_skip_zero(client: GvcpClient) -> None:
    client.session.req_id = 0xFFFE
    assert client.session.next_id() == 0xFFFF
    assert client.session.next_id() == 1
    client.session.req_id = 0xFFFE
    for _ in range(4):
        client.read_register(0xA000)
    assert client.session.req_id == 3


class _Rogue:
    """A hand-driven 'device' socket to feed the client exact datagrams."""

    def __init__(self, address: str) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((address, 0))
        self.sock.settimeout(2)
        self.address = self.sock.getsockname()

    def serve(self, script) -> threading.Thread:
        t = threading.Thread(target=script, args=(self.sock,), daemon=True)
        t.start()
        return t


def test_stale_mismatched_and_pending_acks() -> None:
    from tests.transports.gvcp.conftest import next_address
    rogue = _Rogue(next_address())

    def script(sock: socket.socket) -> None:
        data, peer = sock.recvfrom(2048)
        cmd = p.decode_command(data)
        rid = cmd.req_id
        sock.sendto(p.ReadRegAck(rid - 1 or 0xFFFF, (1,)).encode(), peer)      # stale id
        sock.sendto(p.WriteRegAck(rid, 1).encode(), peer)                      # wrong ack code
        sock.sendto(p.ReadRegAck(rid, (1, 2)).encode(), peer)                  # wrong length
        sock.sendto(b"\x00\x00\x00\x81\x00\x08", peer)                         # malformed
        sock.sendto(p.PendingAck(rid, 10_000).encode(), peer)                  # extend deadline
        # the stimulus, not synchronisation: answer only after the client's own timeout
        time.sleep(1.5)
        sock.sendto(p.ReadRegAck(rid, (0x1234,)).encode(), peer)

    c = GvcpClient(*rogue.address, timeout=1.0, retries=1)
    t = rogue.serve(script)
    assert c.read_register(0xA000) == 0x1234
    t.join(10)
    assert c.stats["stale"] == 1 and c.stats["mismatched"] == 2 and c.stats["malformed"] == 1
    assert c.stats["pending"] == 1 and c.stats["retries"] == 0
    c.close()
    rogue.sock.close()


def test_retry_resends_the_identical_packet() -> None:
    from tests.transports.gvcp.conftest import next_address
    rogue = _Rogue(next_address())
    seen: list[bytes] = []

    def script(sock: socket.socket) -> None:
        for _ in range(3):
            data, peer = sock.recvfrom(2048)
            seen.append(data)
        sock.sendto(p.WriteRegAck(p.decode_command(data).req_id, 1).encode(), peer)

    sent: list[bytes] = []
    # Counts as lower bounds: a loaded machine may add a retry before the ack arrives.
    c = GvcpClient(*rogue.address, timeout=0.05, retries=100,
                   tap=lambda d, peer, data: sent.append(data) if d == "out" else None)
    t = rogue.serve(script)
    c.write_register(0xA000, 7)
    t.join(10)
    assert len(seen) == 3 and len(set(seen)) == 1
    assert len(sent) >= 3 and set(sent) == set(seen)          # every retry: the same bytes
    assert c.stats["retries"] == len(sent) - 1
    c.close()
    rogue.sock.close()


def test_timeout_names_device_and_remedy() -> None:
    from tests.transports.gvcp.conftest import next_address
    rogue = _Rogue(next_address())      # bound, never answers
    c = GvcpClient(*rogue.address, timeout=0.03, retries=2)
    with pytest.raises(TimeoutError, match=r"no answer from GigE Vision device .* 2 attempt"):
        c.read_register(0xA000)
    assert isinstance(TimeoutError("x"), PortError)
    c.close()
    rogue.sock.close()


def test_pending_ack_from_the_device(make_device) -> None:
    # The device answers PENDING_ACK at once and the real ack 2 s later (pending_ms / 2),
    # well after the client's 1 s timeout: only the PENDING_ACK keeps it waiting.
    dev = make_device(pending_ms=4000)
    with GvcpClient(dev.address, timeout=1.0, retries=1) as c:
        started = time.monotonic()
        c.write_register(0xA000, 11)
        assert time.monotonic() - started >= 1.0         # lower bound: it did wait past it
        assert c.stats["pending"] == 1 and c.stats["retries"] == 0
        assert c.read_register(0xA000) == 11


def test_closed_client_refuses(device: SimulatedDevice) -> None:
    c = GvcpClient(device.address, timeout=0.2)
    c.close()
    c.close()
    with pytest.raises(PortError, match="closed"):
        c.read_register(0)


def test_device_answers_retries_without_executing_twice(device: SimulatedDevice) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(1)
        raw = p.WriteMemCmd(77, 0xA010, b"abcd").encode()
        s.sendto(raw, (device.address, device.port))
        first = s.recv(2048)
        device.memory.write(0xA010, b"zzzz")
        s.sendto(raw, (device.address, device.port))
        assert s.recv(2048) == first
        assert device.memory.read(0xA010, 4) == b"zzzz"
        assert device.stats["retransmitted_acks"] == 1


def test_device_command_line_help(capsys) -> None:
    from nodemap.transports.gvcp.device import main
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "--address" in capsys.readouterr().out


def test_device_runs_from_the_command_line(tmp_path) -> None:
    import subprocess
    import sys
    from tests.transports.gvcp.conftest import SIMPLE_XML, ROOT_DIR, next_address
    xml = tmp_path / "cam.xml"
    xml.write_bytes(SIMPLE_XML)
    address = next_address()
    proc = subprocess.Popen([sys.executable, "-m", "nodemap.transports.gvcp.device", "--address", address,
                             "--xml", str(xml), "--zip", "--register", "0xA000=320"],
                            cwd=ROOT_DIR, stdout=subprocess.PIPE, text=True)
    try:
        assert "GVCP device on" in proc.stdout.readline()
        with GvcpClient(address, timeout=0.3, retries=10) as c:
            assert c.read_register(0xA000) == 320
            assert ".zip;" in c.read(R.FIRST_URL, 512).decode("latin-1")
    finally:
        proc.terminate()
        proc.wait(10)


def test_a_second_device_on_a_held_address_is_refused(make_device) -> None:
    from nodemap.transports.gvcp import discovery
    from tests.transports.gvcp.conftest import SIMPLE_XML

    first = make_device(serial="FIRST1")
    second = SimulatedDevice(SIMPLE_XML, address=first.address, port=first.port, serial="THIEF2")
    with pytest.raises(OSError, match=rf"UDP {first.address}:{first.port} is already in use"):
        second.start()
    [found] = discovery.discover(address=first.address, timeout=1.0)
    assert found.info.serial == "FIRST1"     # the first device still answers its clients


def test_a_device_status_reaches_the_feature_with_its_fields(make_device) -> None:
    """Through a node map: the GEV status and the address from the client, the feature
    (the register node that failed) from the node map — fields, and the same words."""
    import nodemap

    dev = make_device(invalid=[(0xA004, 0xA008)], read_only=[(0xA000, 0xA004)])
    with nodemap.open(f"gvcp://{dev.address}?timeout=0.5") as cam:
        with pytest.raises(DeviceError) as err:
            cam.features["Height"].value
        assert (err.value.status, err.value.address, err.value.feature) == \
            (Status.INVALID_ADDRESS, 0xA004, "HeightReg")
        assert str(err.value).startswith("HeightReg: read at 0xA004 failed: ")
        assert "INVALID_ADDRESS" in str(err.value)
        with pytest.raises(DeviceError) as err:
            cam.features["Width"].value = 64
        assert (err.value.status, err.value.address, err.value.feature) == \
            (Status.WRITE_PROTECT, 0xA000, "WidthReg")
