"""The GVCP message channel receiver over loopback: acks, duplicates delivered once,
malformed packets and unknown ids counted, callbacks that raise, a bounded storm."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from nodemap.events import Event
from nodemap.nodemap import NodeMap
from nodemap.transports.gvcp.events import Events
from nodemap.transports.gvcp.protocol import (EventCmd, EventDataAck, EventDataCmd, EventItem,
                                              ReadRegCmd, decode_ack)

from ..addresses import loopback
from ..polling import wait_until
from .xmldesc import EXPOSURE_END, FRAME_END, XML


@pytest.fixture
def events() -> Iterator[Events]:
    ev = Events(NodeMap.from_xml(XML.encode()), host=loopback(0), queue_size=64)
    yield ev
    ev.close()
    assert not ev.channel.alive


@pytest.fixture
def device(events: Events) -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((events.channel.address[0], 0))
    sock.settimeout(10.0)
    yield sock
    sock.close()


def test_eventdata_acknowledged_and_delivered(events: Events, device: socket.socket) -> None:
    packet = EventDataCmd(9, EventItem(FRAME_END, 0, 5, 777), (4242).to_bytes(4, "big")).encode()
    device.sendto(packet, events.channel.address)
    ack = decode_ack(device.recv(64))
    assert ack == EventDataAck(9)
    event = next(events.iter(timeout=10.0))
    assert (event.name, event.id, event.timestamp) == ("FrameEnd", FRAME_END, 777)
    assert event.features["EventFrameEndExposureTime"] == 4242
    assert event.features["EventFrameEndFrameID"] == 5


def test_retransmission_delivered_once(events: Events, device: socket.socket) -> None:
    packet = EventCmd(3, (EventItem(EXPOSURE_END, 0, 1, 10),)).encode()
    for _ in range(3):
        device.sendto(packet, events.channel.address)
        device.recv(64)  # each copy is acknowledged
    device.sendto(EventCmd(4, (EventItem(EXPOSURE_END, 0, 2, 20),)).encode(), events.channel.address)
    device.recv(64)
    stream = events.iter(timeout=10.0)
    assert [next(stream).timestamp, next(stream).timestamp] == [10, 20]
    assert events.channel.get(timeout=0.2) is None
    assert events.stats.duplicates == 2 and events.stats.acks == 4


def test_bad_input_counted_receiver_survives(events: Events, device: socket.socket) -> None:
    raising: list[Event] = []
    after: list[Event] = []

    def boom(event: Event) -> None:
        raising.append(event)
        raise RuntimeError("callback failure")

    events.subscribe("ExposureEnd", boom)
    events.subscribe(None, after.append)
    garbage = [b"", b"\x42", b"\x42\x01\x00\xc0\x00\x20\x00\x01", b"\xff" * 600,
               b"\x42\x01\x00\xc0\x00\x05\x00\x02abcde", ReadRegCmd(5, (0,)).encode(),
               b"\x42\x01\x00\xc2\x00\x04\x00\x03abcd"]
    for raw in garbage:
        device.sendto(raw, events.channel.address)
    device.sendto(EventCmd(10, (EventItem(0x4444, 0, 0, 1),)).encode(), events.channel.address)
    device.sendto(EventCmd(11, (EventItem(EXPOSURE_END, 0, 0, 2),)).encode(), events.channel.address)
    assert wait_until(lambda: len(after) == 2)
    assert events.stats.malformed == len(garbage)
    assert events.stats.unknown_ids == 1 and after[0].name == "Event0x4444"
    assert events.stats.callback_errors == 1 and len(raising) == 1
    assert events.channel.alive


def test_storm_bounded(events: Events, device: socket.socket) -> None:
    """10,000 events sent as fast as possible (bounded by count and 20 s): the queue
    holds at most its size, drops are counted, the thread survives, delivery goes on."""
    seen = threading.Event()
    count = [0]

    def counter(event: Event) -> None:
        count[0] += 1
        if event.timestamp == 10_000:
            seen.set()

    events.subscribe(None, counter)
    deadline = time.monotonic() + 20.0
    sent = 0
    for i in range(1, 10_001):
        if time.monotonic() > deadline:
            break
        device.sendto(EventCmd(i & 0xFFFF or 1, (EventItem(EXPOSURE_END, 0, 0, i),), flags=0)
                      .encode(), events.channel.address)
        sent += 1
    # a marker after the storm, repeated (bounded) since the kernel may drop datagrams
    for attempt in range(100):
        device.sendto(EventCmd(20000 + attempt, (EventItem(EXPOSURE_END, 0, 0, 10_000),),
                               flags=0).encode(), events.channel.address)
        if seen.wait(0.2):
            break
    assert seen.is_set()
    assert events.channel.alive
    stats = events.stats
    assert stats.events == count[0] >= 1
    assert len(events.channel._queue) <= 64
    assert stats.queue_drops == max(0, stats.events - 64)
    # kernel buffer losses are the sender's; what arrived was either queued or counted
    assert stats.packets <= sent + 100


def test_cli_line_formats(events: Events, device: socket.socket) -> None:
    import json

    from nodemap.app.events_cli import format_event
    device.sendto(EventDataCmd(21, EventItem(FRAME_END, 0, 8, 55), (7).to_bytes(4, "big"))
                  .encode(), events.channel.address)
    event = next(events.iter(timeout=10.0))
    line = format_event(event)
    assert line.startswith("t=55 FrameEnd (0x9002) block 8") and "EventFrameEndExposureTime=7" in line
    record = json.loads(format_event(event, as_json=True))
    assert record["features"]["EventFrameEndExposureTime"] == 7 and record["data"] == "00000007"


@given(st.binary(max_size=96))
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_handle_never_raises_on_random_bytes(events: Events, raw: bytes) -> None:
    before = events.stats.malformed + events.stats.events + events.stats.duplicates
    events.channel.handle(b"\x42" + raw, ("127.0.0.1", 1))
    after = events.stats.malformed + events.stats.events + events.stats.duplicates
    assert after > before  # counted one way or another
