"""Differential: the same EVENT/EVENTDATA bytes → our event features equal the GenICam
reference's ``EventAdapterGEV.deliver_message`` on the same description."""

from __future__ import annotations

import struct

import pytest

from tests.peers import require_genicam
from hypothesis import given, strategies as st

from nodemap.errors import NodeMapError
from nodemap.events import EventAdapter
from nodemap.nodemap import NodeMap
from nodemap.transports.gvcp.events import deliver_message
from nodemap.transports.gvcp.protocol import EventCmd, EventDataCmd, EventItem

from .differential import as_int64, our_facts, reference_facts
from .xmldesc import EXPOSURE_END, FEATURES, FRAME_END, XML

genapi = require_genicam()


def reference(packets: list[bytes]) -> list[dict[str, object]]:
    return reference_facts(XML, FEATURES, packets)


def ours(packets: list[bytes]) -> list[dict[str, object]]:
    return our_facts(XML, FEATURES, packets)


items = st.builds(EventItem, st.sampled_from([EXPOSURE_END, FRAME_END, 0x1234]),
                  st.integers(0, 0xFFFF), st.integers(0, 0xFFFF), st.integers(0, 2**64 - 1))
ext_items = st.builds(EventItem, st.sampled_from([EXPOSURE_END, FRAME_END, 0x1234]),
                      st.integers(0, 0xFFFF), st.integers(0, 2**64 - 1),
                      st.integers(0, 2**64 - 1))
packets = st.one_of(
    st.builds(lambda r, i, d: EventDataCmd(r, i, d).encode(), st.integers(1, 0xFFFF), items,
              st.binary(min_size=4, max_size=32)),
    st.builds(lambda r, i: EventCmd(r, tuple(i)).encode(), st.integers(1, 0xFFFF),
              st.lists(items, min_size=1, max_size=3)),
    # GigE Vision 2.0 extended-ID commands (flag 0x10, 24-byte items, 64-bit block ids)
    st.builds(lambda r, i, d: EventDataCmd(r, i, d, extended=True).encode(),
              st.integers(1, 0xFFFF), ext_items, st.binary(min_size=4, max_size=32)),
    st.builds(lambda r, i: EventCmd(r, tuple(i), extended=True).encode(),
              st.integers(1, 0xFFFF), st.lists(ext_items, min_size=1, max_size=3)))


@given(st.lists(packets, min_size=1, max_size=8))
def test_event_features_equal_reference(sequence: list[bytes]) -> None:
    assert as_int64(ours(sequence)) == as_int64(reference(sequence))


def test_eventdata_values_named() -> None:
    data = struct.pack(">I", 12345)
    packet = EventDataCmd(7, EventItem(FRAME_END, 0, 42, 0x0102030405060708), data).encode()
    nm = NodeMap.from_xml(XML.encode())
    [event] = deliver_message(EventAdapter(nm), packet)
    assert event.name == "FrameEnd" and event.id == FRAME_END and event.data == data
    assert event.features["EventFrameEndExposureTime"] == 12345
    assert event.features["EventFrameEndTimestamp"] == 0x0102030405060708
    assert event.features["EventFrameEndFrameID"] == 42
    assert nm.features["EventFrameEndExposureTime"].value == 12345
    assert reference([packet])[0]["EventFrameEndExposureTime"] == 12345


def test_event_features_are_the_value_nodes() -> None:
    adapter = EventAdapter(NodeMap.from_xml(XML.encode()))
    assert set(adapter.features_of(FRAME_END)) == {f for f in FEATURES if "FrameEnd" in f}
    assert adapter.name_of(EXPOSURE_END) == "ExposureEnd"
    assert adapter.id_of("FrameEnd") == FRAME_END
    with pytest.raises(NodeMapError, match="no event called 'Nope'"):
        adapter.id_of("Nope")


def test_enable_through_selector_and_notification() -> None:
    from nodemap.port import MemoryPort
    nm = NodeMap.from_xml(XML.encode())
    memory = MemoryPort(0x2000)
    nm.connect(memory)
    adapter = EventAdapter(nm)
    adapter.enable("FrameEnd")
    assert memory.read(0x1000, 8) == bytes([0, 0, 0, 1, 0, 0, 0, 1])
    adapter.enable("FrameEnd", False)
    assert memory.read(0x1004, 4) == bytes(4)
    with pytest.raises(NodeMapError, match="EventSelector has ExposureEnd, FrameEnd"):
        adapter.enable("Bogus")
