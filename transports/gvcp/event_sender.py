"""Device side of the GVCP message channel: send EVENT/EVENTDATA with MCTT/MCRC retries.

The simulated device programs :class:`EventSender` from its bootstrap registers: MCDA/MCP
(destination), MCTT (ack timeout, ms) and MCRC (retransmissions).  Each :meth:`send`
uses a fresh request id (never 0), asks for an ack and retransmits the *same* bytes
(same request id, so the host delivers it once) until EVENT_ACK/EVENTDATA_ACK of that id
arrives or the retries are spent.  Blocking: the simulated device calls it from its
event thread (:mod:`.sim_events`).  ``extended=True`` sends GigE Vision 2.0 extended-ID
commands (flag 0x10, 24-byte items with a 64-bit block id).
"""

from __future__ import annotations

import logging
import socket
import time

from .protocol import (EventAck, EventCmd, EventDataAck, EventDataCmd, EventItem,
                       GvcpCodecError, decode_ack)

__all__ = ["EventSender"]

log = logging.getLogger(__name__)


class EventSender:
    """One message-channel source socket (MCSP) sending to ``destination``."""

    def __init__(self, destination: tuple[str, int], *, timeout_ms: int = 300,
                 retries: int = 3, source: tuple[str, int] = ("0.0.0.0", 0)) -> None:
        self.destination = destination
        self.timeout_ms = max(1, timeout_ms)
        self.retries = max(0, retries)
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind(source)
        self.source_port: int = self._sock.getsockname()[1]
        self._req_id = 0
        self.sent = 0
        self.retransmitted = 0
        self.unacknowledged = 0

    def _next_id(self) -> int:
        self._req_id = self._req_id % 0xFFFF + 1
        return self._req_id

    def send_event(self, *items: EventItem, extended: bool = False) -> bool:
        """EVENT_CMD with ``items`` (24-byte extended-ID items when ``extended``); True
        when acknowledged."""
        return self._send(EventCmd(self._next_id(), tuple(items), extended=extended), EventAck)

    def send_eventdata(self, item: EventItem, data: bytes, extended: bool = False) -> bool:
        """EVENTDATA_CMD with ``data``; True when acknowledged."""
        return self._send(EventDataCmd(self._next_id(), item, data, extended=extended),
                          EventDataAck)

    def _send(self, command: EventCmd | EventDataCmd, ack_type: type) -> bool:
        raw = command.encode()
        for attempt in range(self.retries + 1):
            self._sock.sendto(raw, self.destination)
            self.sent += 1
            if attempt:
                self.retransmitted += 1
            deadline = time.monotonic() + self.timeout_ms / 1000
            while (remaining := deadline - time.monotonic()) > 0:
                self._sock.settimeout(remaining)
                try:
                    reply = self._sock.recv(64)
                except (socket.timeout, ConnectionRefusedError):
                    break
                try:
                    ack = decode_ack(reply)
                except GvcpCodecError:
                    continue
                if isinstance(ack, ack_type) and ack.req_id == command.req_id:
                    return True
        self.unacknowledged += 1
        log.debug("message channel: %s not acknowledged after %d retries", command, self.retries)
        return False

    def close(self) -> None:
        self._sock.close()
