"""GigE Vision 2.0 extended-ID events (flag 0x10): the 24-byte item layout both ways, clear
errors for bad sizes, and our sender → our message channel with 64-bit block ids."""

from __future__ import annotations

import struct

import pytest

from nodemap.nodemap import NodeMap
from nodemap.transports.gvcp import protocol as p
from nodemap.transports.gvcp.event_sender import EventSender
from nodemap.transports.gvcp.events import Events, item_bytes

from ..addresses import loopback
from .xmldesc import EXPOSURE_END, FRAME_END, XML

ITEM = p.EventItem(EXPOSURE_END, 3, 0x1122334455667788, 0x0102030405060708)


def test_event_cmd_layout() -> None:
    raw = p.EventCmd(7, (ITEM,), extended=True).encode()
    assert raw[:8] == bytes.fromhex("42 11 00c0 0018 0007")      # ack + extended-ID flags
    assert raw[8:] == struct.pack(">HHHHQQ", 24, EXPOSURE_END, 3, 0, 0x1122334455667788,
                                  0x0102030405060708)
    again = p.decode_command(raw)
    assert isinstance(again, p.EventCmd) and again.extended and again.events == (ITEM,)


def test_eventdata_cmd_layout_counts_its_data() -> None:
    raw = p.EventDataCmd(8, ITEM, b"\xAA" * 6, extended=True).encode()
    assert struct.unpack_from(">H", raw, 8)[0] == 24 + 6          # event_size: item + data
    again = p.decode_command(raw)
    assert isinstance(again, p.EventDataCmd) and again.data == b"\xAA" * 6
    assert again.event == ITEM


def test_flag_alone_selects_the_layout() -> None:
    """A command decoded with the flag is extended; the standard form truncates block ids."""
    std = p.EventCmd(1, (p.EventItem(1, 0, 0x12345, 9),)).encode()
    assert p.decode_command(std).events[0].block_id == 0x2345     # 16 bits on the wire
    ext = p.EventCmd(1, (p.EventItem(1, 0, 0x12345, 9),), flags=p.FLAG_ACK_REQUIRED
                     | p.FLAG_EXTENDED_ID)
    assert ext.extended and p.decode_command(ext.encode()).events[0].block_id == 0x12345


@pytest.mark.parametrize("payload, message", [
    (bytes(16), "not a non-empty multiple of 24"),
    (bytes(30), "not a non-empty multiple of 24"),
])
def test_bad_extended_event_sizes(payload: bytes, message: str) -> None:
    raw = bytes.fromhex("42 11 00c0") + struct.pack(">HH", len(payload), 1) + payload
    with pytest.raises(p.GvcpCodecError, match=message):
        p.decode_command(raw)


@pytest.mark.parametrize("event_size", [0, 23, 41])
def test_bad_eventdata_event_size(event_size: int) -> None:
    body = struct.pack(">HHHHQQ", event_size, 1, 0, 0, 5, 6) + bytes(16)
    raw = bytes.fromhex("42 11 00c2") + struct.pack(">HH", len(body), 1) + body
    with pytest.raises(p.GvcpCodecError, match="event_size"):
        p.decode_command(raw)


def test_bound_bytes_are_the_24_byte_item_then_data() -> None:
    raw = item_bytes(ITEM, b"\x01\x02", extended=True)
    assert len(raw) == 26 and raw[:2] == (26).to_bytes(2, "big")
    assert raw[8:16] == (0x1122334455667788).to_bytes(8, "big") and raw[24:] == b"\x01\x02"


def test_sender_extended_to_message_channel() -> None:
    events = Events(NodeMap.from_xml(XML.encode()), host=loopback(0))
    sender = EventSender(events.channel.address, timeout_ms=2000, retries=2)
    try:
        assert sender.send_event(ITEM, extended=True)
        assert sender.send_eventdata(p.EventItem(FRAME_END, 0, 2**40 + 1, 77), b"\0\0\0\x2A",
                                     extended=True)
        stream = events.iter(timeout=10.0)
        first, second = next(stream), next(stream)
        assert (first.name, first.block_id, first.timestamp) == \
            ("ExposureEnd", 0x1122334455667788, 0x0102030405060708)
        assert (second.name, second.block_id, second.data) == ("FrameEnd", 2**40 + 1,
                                                                b"\0\0\0\x2A")
        assert events.stats.malformed == 0 and events.stats.acks == 2
    finally:
        sender.close()
        events.close()
