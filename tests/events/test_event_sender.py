"""Device-side sender with MCTT/MCRC retries against our receiver: acknowledged events
delivered once; a lost ack makes it retransmit the same request id, still delivered once."""

from __future__ import annotations

import socket
import threading

from nodemap.nodemap import NodeMap
from nodemap.transports.gvcp.event_sender import EventSender
from nodemap.transports.gvcp.events import Events
from nodemap.transports.gvcp.protocol import EventItem, decode_command

from ..addresses import loopback
from .xmldesc import EXPOSURE_END, FRAME_END, XML


def test_sender_and_receiver() -> None:
    events = Events(NodeMap.from_xml(XML.encode()), host=loopback(0))
    sender = EventSender(events.channel.address, timeout_ms=2000, retries=2)
    try:
        assert sender.send_event(EventItem(EXPOSURE_END, 0, 1, 11))
        assert sender.send_eventdata(EventItem(FRAME_END, 0, 1, 12), (3).to_bytes(4, "big"))
        stream = events.iter(timeout=10.0)
        first, second = next(stream), next(stream)
        assert (first.name, second.name) == ("ExposureEnd", "FrameEnd")
        assert second.features["EventFrameEndExposureTime"] == 3
        assert sender.retransmitted == 0 and events.stats.acks == 2
    finally:
        sender.close()
        events.close()


def test_lost_ack_retransmits_same_id() -> None:
    """A relay drops the first copy's ack: the sender retries with the same request id."""
    events = Events(NodeMap.from_xml(XML.encode()), host=loopback(0))
    relay = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    relay.bind((events.channel.address[0], 0))
    relay.settimeout(10.0)
    sender = EventSender(relay.getsockname(), timeout_ms=200, retries=3)
    seen_ids: list[int] = []

    def run_relay() -> None:
        for copy in range(2):
            packet, origin = relay.recvfrom(2048)
            seen_ids.append(decode_command(packet).req_id)
            relay.sendto(packet, events.channel.address)
            ack = relay.recv(64)
            if copy:  # the first ack is "lost"
                relay.sendto(ack, origin)

    thread = threading.Thread(target=run_relay)
    thread.start()
    try:
        assert sender.send_event(EventItem(EXPOSURE_END, 0, 4, 44))
        thread.join(20.0)
        assert len(seen_ids) == 2 and seen_ids[0] == seen_ids[1]
        assert sender.retransmitted >= 1  # a slow machine may retry once more
        assert next(events.iter(timeout=10.0)).timestamp == 44
        assert events.channel.get(timeout=0.2) is None
        assert events.stats.duplicates == 1
    finally:
        thread.join(20.0)
        sender.close()
        relay.close()
        events.close()
