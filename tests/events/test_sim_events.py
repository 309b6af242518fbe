"""The simulated demo camera's events end to end: EventSelector/EventNotification through its
XML, EVENT/EVENTDATA on the message channel with MCTT/MCRC retries, one ExposureEnd per
frame whose features match the frame, the reference's EventAdapterGEV and tshark on the
very bytes the simulator sent, extended-ID mode, and a bounded device-side storm."""

from __future__ import annotations

import ipaddress
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

from tests.peers import require_genicam

import nodemap
from nodemap.events import EventAdapter
from nodemap.nodemap import NodeMap
from nodemap.resources import read_description
from nodemap.transports.gvcp import protocol as p
from nodemap.transports.gvcp.events import deliver_message
from nodemap.transports.gvcp.sim_events import QUEUE_SIZE

from ..addresses import loopback
from ..demo import demo_camera, demo_device
from .differential import as_int64, our_facts, reference_facts

XML = read_description("demo-camera.xml")
EVENTS = ("AcquisitionStart", "FrameStart", "ExposureEnd", "FrameEnd", "Test")
W, H = 64, 32


@pytest.fixture
def cam() -> Iterator[nodemap.Camera]:  # type: ignore[name-defined]
    with demo_camera(Width=W, Height=H, AcquisitionFrameRate=200.0) as (device, camera):
        camera.device = device  # type: ignore[attr-defined]
        yield camera


def notify(cam, name: str, on: bool = True) -> None:
    cam.features["EventSelector"].value = name
    cam.features["EventNotification"].value = "On" if on else "Off"


def triggered(cam, n: int) -> list:
    """Exactly ``n`` frames: TriggerMode On and one TriggerSoftware per frame (frames kept
    as (frame_id, timestamp) so the stream's buffers go back)."""
    cam.features["TriggerMode"].value = "On"
    out = []
    with cam.stream(buffers=4) as stream:
        for _ in range(n):
            cam.features["TriggerSoftware"].execute()
            frame = stream.next(timeout=10.0)
            out.append(Shot(frame.frame_id, frame.timestamp))
    return out


class Shot(NamedTuple):
    frame_id: int
    timestamp: int


def test_one_exposure_end_per_frame_with_matching_features(cam) -> None:
    cam.features["ExposureTime"].value = 1500.0           # 1.5 ms = 1,500,000 ticks at 1 GHz
    events = cam.events
    events.enable("ExposureEnd")
    frames = triggered(cam, 5)
    got = []
    for event in events.iter(timeout=5.0):
        got.append(event)
        if len(got) == 5:
            break
    assert len(frames) == 5 and [e.name for e in got] == ["ExposureEnd"] * 5
    assert [e.block_id for e in got] == [f.frame_id for f in frames]
    for event, frame in zip(got, frames):
        assert event.id == 0x9001 and not event.data
        assert event.features["EventExposureEndFrameID"] == frame.frame_id
        assert event.timestamp == frame.timestamp + 1_500_000
        assert event.features["EventExposureEndTimestamp"] == event.timestamp
    assert events.channel.get(timeout=0.3) is None        # nothing else was enabled
    assert events.stats.malformed == events.stats.duplicates == 0
    assert cam.nodemap.features["EventExposureEndFrameID"].value == frames[-1].frame_id


def test_every_frame_event_and_acquisition_start(cam) -> None:
    events = cam.events
    events.enable("AcquisitionStart", "FrameStart", "FrameEnd")
    frames = triggered(cam, 3)
    got = []
    deadline = time.monotonic() + 10.0
    while len(got) < 7 and time.monotonic() < deadline:
        event = events.channel.get(timeout=1.0)
        if event is not None:
            got.append(event)
    names = [e.name for e in got]
    assert names[0] == "AcquisitionStart" and names.count("FrameStart") == 3
    assert names.count("FrameEnd") == 3 and len(got) == 7
    starts = [e for e in got if e.name == "FrameStart"]
    assert [(e.block_id, e.timestamp) for e in starts] == \
        [(f.frame_id, f.timestamp) for f in frames]
    ends = [e for e in got if e.name == "FrameEnd"]
    assert all(end.timestamp >= start.timestamp for start, end in zip(starts, ends))
    assert [e.features["EventFrameEndFrameID"] for e in ends] == [f.frame_id for f in frames]


def test_test_event_carries_event_data(cam) -> None:
    events = cam.events
    events.enable("Test")
    for _ in range(3):
        cam.features["TestEventGenerate"].execute()
    got = [e for _, e in zip(range(3), events.iter(timeout=5.0))]
    assert [e.name for e in got] == ["Test"] * 3
    assert [e.features["EventTestSequence"] for e in got] == [1, 2, 3]
    assert all(e.features["EventTestLineStatusAll"] == 5 for e in got)
    assert got[0].data == bytes.fromhex("00000005 00000001")
    assert got[0].timestamp < got[1].timestamp < got[2].timestamp


def test_disabled_events_and_closed_channel_send_nothing(cam) -> None:
    events = cam.events
    events.enable("Test")
    events.disable("Test")
    cam.features["TestEventGenerate"].execute()
    assert events.channel.get(timeout=0.5) is None
    stats = cam.device.events.stats
    assert stats["queued"] == 0 and stats["not_enabled"] >= 1
    notify(cam, "Test")
    cam.port.write(p.Register.MCP, bytes(4))              # the host closes the channel
    cam.features["TestEventGenerate"].execute()
    assert events.channel.get(timeout=0.5) is None and stats["queued"] == 0


# ---------------------------------------------------------------- the simulator's bytes

class RawChannel:
    """A message channel socket of the test: records every datagram, acks on request."""

    def __init__(self, host: str) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, 0))
        self.sock.settimeout(5.0)
        self.address = self.sock.getsockname()

    def program(self, cam, timeout_ms: int = 300, retries: int = 2) -> None:
        write = cam.port.write
        write(p.Register.MCDA, int(ipaddress.IPv4Address(self.address[0])).to_bytes(4, "big"))
        write(p.Register.MCP, self.address[1].to_bytes(4, "big"))
        write(p.Register.MCTT, timeout_ms.to_bytes(4, "big"))
        write(p.Register.MCRC, retries.to_bytes(4, "big"))

    def receive(self, n: int, ack: bool = True) -> list[tuple[bytes, tuple[str, int]]]:
        out = []
        for _ in range(n):
            data, sender = self.sock.recvfrom(2048)
            out.append((data, sender))
            command = p.decode_command(data)
            if ack:
                reply = (p.EventAck if isinstance(command, p.EventCmd) else p.EventDataAck)
                self.sock.sendto(reply(command.req_id).encode(), sender)
        return out

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def raw(cam) -> Iterator[RawChannel]:
    channel = RawChannel(loopback(0))
    channel.program(cam)
    yield channel
    channel.close()


FEATURES = [f"Event{e}{suffix}" for e in EVENTS for suffix in ("", "Timestamp", "FrameID")
            if not (e == "Test" and suffix == "FrameID")] + \
    ["EventTestLineStatusAll", "EventTestSequence"]

def reference(packets: list[bytes]) -> list[dict[str, object]]:
    require_genicam()
    return as_int64(reference_facts(XML, FEATURES, packets))


def ours(packets: list[bytes]) -> list[dict[str, object]]:
    return as_int64(our_facts(XML, FEATURES, packets))


def test_reference_and_tshark_agree_on_the_simulators_packets(cam, raw, tmp_path: Path) -> None:
    for name in EVENTS:
        notify(cam, name)
    frames = triggered(cam, 2)
    cam.features["TestEventGenerate"].execute()
    received = raw.receive(1 + 3 * 2 + 1)                # AcquisitionStart, 3 per frame, Test
    packets = [data for data, _ in received]
    commands = [p.decode_command(x) for x in packets]
    kinds = [type(c).__name__ for c in commands]
    assert kinds.count("EventDataCmd") == 1 and kinds.count("EventCmd") == 7
    assert all(c.flags & p.FLAG_ACK_REQUIRED and not c.extended for c in commands)
    ids = sorted(c.events[0].block_id for c in commands
                 if isinstance(c, p.EventCmd) and c.events[0].event_id == 0x9001)
    assert ids == [f.frame_id for f in frames]
    assert received[0][1][1] == cam.device.memory.get32(p.Register.MCSP)   # source = MCSP
    assert ours(packets) == reference(packets)
    tshark_clean(packets, received[0][1], raw.address, tmp_path)


def tshark_clean(packets: list[bytes], device: tuple[str, int], host: tuple[str, int],
                 tmp_path: Path) -> None:
    from tests.peers import require_executable
    from tests.transports.gvcp.pcap import write_pcap

    tshark = require_executable("tshark", "apt install tshark")
    pcap = tmp_path / "sim-events.pcap"
    assert write_pcap(pcap, [(device, host, x) for x in packets]) == len(packets)
    detail = subprocess.run([tshark, "-r", str(pcap), "-V", "-d", f"udp.port=={host[1]},gvcp"],
                            capture_output=True, text=True, timeout=120)
    assert detail.returncode == 0, detail.stderr
    for bad in ("Malformed", "[Expert Info (Error", "[Expert Info (Warning"):
        assert bad not in detail.stdout, [x for x in detail.stdout.splitlines() if bad in x][:5]
    assert detail.stdout.count("Command: EVENT_CMD") + \
        detail.stdout.count("Command: EVENTDATA_CMD") == len(packets)


def test_mctt_mcrc_retransmit_the_same_bytes(cam, raw) -> None:
    raw.program(cam, timeout_ms=40, retries=2)
    notify(cam, "Test")
    cam.features["TestEventGenerate"].execute()
    copies = raw.receive(3, ack=False)                    # the first try and MCRC = 2 retries
    assert len({data for data, _ in copies}) == 1
    raw.sock.settimeout(0.5)
    with pytest.raises(socket.timeout):
        raw.sock.recvfrom(2048)                           # no fourth copy
    stats = cam.device.events.stats
    deadline = time.monotonic() + 5.0
    while stats["unacknowledged"] < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert stats["unacknowledged"] == 1 and stats["retransmitted"] == 2


def test_extended_id_mode_sends_64_bit_block_ids(cam, raw, tmp_path: Path) -> None:
    device = cam.device
    device.memory.set32(0x0960, 0x40000000)               # 64-bit block ids (GVSP config)
    device._next_block = 2**33 + 7
    notify(cam, "ExposureEnd")
    notify(cam, "Test")
    frames = triggered(cam, 2)
    cam.features["TestEventGenerate"].execute()
    received = raw.receive(3)
    packets = [data for data, _ in received]
    commands = [p.decode_command(x) for x in packets]
    assert all(c.extended and c.flags & p.FLAG_EXTENDED_ID for c in commands)
    assert [c.events[0].block_id for c in commands[:2]] == [f.frame_id for f in frames]
    assert frames[0].frame_id == 2**33 + 7
    test = commands[2]
    assert isinstance(test, p.EventDataCmd) and test.data == bytes.fromhex("0000000500000001")
    assert test.event.event_id == 0x4FFF                  # GigE Vision's test event id
    assert len(packets[2]) == 8 + 24 + 8                  # header, 24-byte item, data
    assert ours(packets) == reference(packets)
    tshark_clean(packets, received[0][1], raw.address, tmp_path)
    # our client decodes them too: 64-bit block ids and the data after the 24-byte item
    adapter = EventAdapter(NodeMap.from_xml(XML))
    [first] = deliver_message(adapter, packets[0])
    assert first.block_id == frames[0].frame_id and first.name == "ExposureEnd"
    [last] = deliver_message(adapter, packets[2])
    assert last.data == test.data and last.timestamp == test.event.timestamp
    # the demo XML's event features describe the standard 16-byte item: in extended-ID mode
    # they read other bytes — the same ones the reference reads (compared above)
    assert last.features["EventTest"] == 0x4FFF


def test_device_storm_is_bounded_and_counted(cam, raw) -> None:
    """10,000 events queued at once (bounded by count and 20 s) while the host never acks:
    the device queue holds at most QUEUE_SIZE, drops are counted, emit never blocks."""
    raw.program(cam, timeout_ms=1, retries=0)
    notify(cam, "Test")
    events = cam.device.events
    deadline = time.monotonic() + 20.0
    emitted = 0
    for i in range(10_000):
        if time.monotonic() > deadline:
            break
        assert events.emit("Test", 0, i, b"\0" * 8)
        emitted += 1
    assert emitted == 10_000
    assert events.pending() <= QUEUE_SIZE
    stats = events.stats
    assert stats["queued"] == 10_000
    assert stats["dropped"] >= 10_000 - QUEUE_SIZE - stats["sent"] - 1
    # the device still answers GVCP and still sends
    assert cam.features["Width"].value == W
    raw.sock.settimeout(5.0)
    assert p.decode_command(raw.sock.recvfrom(2048)[0]).code == p.Cmd.EVENTDATA



def test_closing_events_closes_the_devices_message_channel(cam) -> None:
    events = cam.events
    events.enable("Test")
    assert cam.device.memory.get32(p.Register.MCP) == events.channel.address[1]
    events.close()
    assert cam.device.memory.get32(p.Register.MCP) == 0
    cam.features["TestEventGenerate"].execute()
    assert cam.device.events.stats["queued"] == 0


def test_nodemap_events_logs_the_simulators_test_event() -> None:
    """``nodemap events URL --enable Test -n 1`` (events_cli.run, through the link's
    open_events — the app layer names no transport) prints the Test event, id 0x4FFF."""
    import io
    import threading

    from nodemap.app.events_cli import run

    out = io.StringIO()
    result: list[object] = []
    with demo_device() as device:
        worker = threading.Thread(target=lambda: result.append(
            run(f"gvcp://{device.address}", ["Test"], out=out, limit=1, idle=30.0)),
            daemon=True)
        worker.start()
        deadline = time.monotonic() + 30
        for _ in range(3000):           # until the CLI has opened the channel and enabled Test
            if device.test_event() or time.monotonic() > deadline or not worker.is_alive():
                break
            time.sleep(0.01)
        worker.join(timeout=30)
    assert result == [1], out.getvalue()
    assert " Test (0x4FFF) block 0 " in out.getvalue() and "EventTestSequence=" in out.getvalue()
