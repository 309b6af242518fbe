"""An event rebinds only its own ports: the features on the device port keep their cached
values (no device read), the event's features show the new event's bytes."""

from __future__ import annotations

import struct

from nodemap.events import EventAdapter
from nodemap.nodemap import NodeMap
from nodemap.port import MemoryPort
from nodemap.transports.gvcp.events import deliver_message
from nodemap.transports.gvcp.protocol import EventDataCmd, EventItem

from .xmldesc import FRAME_END, XML

#: the same description with every register cachable, so a stale cache would show
CACHED_XML = XML.replace("<Cachable>NoCache</Cachable>", "<Cachable>WriteThrough</Cachable>")


def _packet(frame_id: int, timestamp: int, exposure: int) -> bytes:
    return EventDataCmd(1, EventItem(FRAME_END, 0, frame_id, timestamp),
                        struct.pack(">I", exposure)).encode()


def _setup() -> tuple[NodeMap, MemoryPort, EventAdapter]:
    assert CACHED_XML != XML
    nm = NodeMap.from_xml(CACHED_XML.encode())
    memory = MemoryPort(0x2000)
    memory.memory[0x1003] = 1  # EventSelector = FrameEnd
    nm.connect(memory)
    return nm, memory, EventAdapter(nm)


def test_event_keeps_device_features_cached() -> None:
    nm, memory, adapter = _setup()
    assert nm.features["EventSelector"].value == "FrameEnd"
    assert nm.features["EventNotification"].value == "Off"
    reads = memory.reads
    assert reads >= 2
    for frame_id in range(1, 6):
        [event] = deliver_message(adapter, _packet(frame_id, 1000 + frame_id, 7 * frame_id))
        assert event.features["EventFrameEndFrameID"] == frame_id
        assert nm.features["EventFrameEndTimestamp"].value == 1000 + frame_id
        assert nm.features["EventFrameEndExposureTime"].value == 7 * frame_id
        # the device features were not computed from the event port: still cached
        assert nm.features["EventSelector"].value == "FrameEnd"
        assert nm.features["EventNotification"].value == "Off"
        assert nm.features["EventSelector"].access == "RW"
        assert memory.reads == reads


def test_event_port_values_are_not_kept_across_events() -> None:
    """Cachable registers on the event port read the new event's bytes, never the
    previous event's cached span; a device invalidation still reaches the device."""
    nm, memory, adapter = _setup()
    assert nm.features["EventSelector"].value == "FrameEnd"
    deliver_message(adapter, _packet(1, 11, 111))
    first = {n: nm.features[n].value for n in
             ("EventFrameEndFrameID", "EventFrameEndTimestamp", "EventFrameEndExposureTime")}
    assert first == {"EventFrameEndFrameID": 1, "EventFrameEndTimestamp": 11,
                     "EventFrameEndExposureTime": 111}
    deliver_message(adapter, _packet(2, 22, 222))
    assert nm.features["EventFrameEndFrameID"].value == 2
    assert nm.features["EventFrameEndTimestamp"].value == 22
    assert nm.features["EventFrameEndExposureTime"].value == 222
    memory.memory[0x1003] = 0  # the device changed behind the cache
    assert nm.features["EventSelector"].value == "FrameEnd"  # cached, as before events
    nm.invalidate("EventSelector")
    assert nm.features["EventSelector"].value == "ExposureEnd"


def test_unbinding_an_event_port_makes_its_features_unavailable() -> None:
    nm, _memory, adapter = _setup()
    deliver_message(adapter, _packet(3, 33, 333))
    assert nm.features["EventFrameEndFrameID"].value == 3
    nm.bind(None, "EventFrameEndPort")
    assert nm.features["EventFrameEndFrameID"].access not in ("RO", "RW")
    assert nm.features["EventSelector"].access == "RW"
