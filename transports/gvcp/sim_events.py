"""The simulated device's events: which its XML declares, which the host enabled, and a
thread that sends them on the message channel.

Description-driven: every ``EventSelector`` entry ``X`` with features ``EventX…`` on a
``<Port>`` with an ``<EventID>`` is an event the device can send, with that id (the
naming rule of :class:`nodemap.events.EventAdapter`).  The host enables it the SFNC way
(``EventSelector = X``, ``EventNotification = On``); the device reads the notifications
through its side-effect-free :class:`.sim_probe.Probe`, again only after the host has
written a register (:meth:`SimEvents.changed`).

:meth:`SimEvents.emit` never blocks the caller (the stream thread, the GVCP thread): it
queues the event (a bounded queue; beyond :data:`QUEUE_SIZE` the oldest is dropped and
counted) and one thread sends it with :class:`.event_sender.EventSender` to MCDA:MCP,
waiting MCTT ms for the acknowledge and retransmitting the same bytes up to MCRC times.
An event with data goes as EVENTDATA (0x00C2), the others as EVENT (0x00C0).  With the
64-bit block id enabled (GVSP configuration 0x0960 bit 30, the switch the stream already
follows) the device sends extended-ID commands (flag 0x10, 24-byte items), so event and
stream block ids agree.  Nothing is sent while MCP or MCDA is 0 (the channel closed).
"""

from __future__ import annotations

import collections
import logging
import socket
import threading
from typing import Any, Callable

import attrs

from nodemap.errors import NodeMapError
from nodemap.events import EventAdapter

from .event_sender import EventSender
from .protocol import EventItem
from .protocol import Register as R
from .sim_probe import Probe

__all__ = ["QUEUE_SIZE", "MC_TIMEOUT_MS", "MC_RETRIES", "PendingEvent", "SimEvents"]

log = logging.getLogger("nodemap.gvcp.device")

QUEUE_SIZE = 1024         # events waiting to be sent before the oldest is dropped
MC_TIMEOUT_MS = 300       # power-on MCTT
MC_RETRIES = 2            # power-on MCRC


@attrs.frozen(slots=True)
class PendingEvent:
    """An event queued for the message channel."""

    name: str
    event_id: int
    block_id: int
    timestamp: int
    data: bytes | None = None          # not None: sent as EVENTDATA
    stream_channel: int = 0xFFFF


class SimEvents:
    """Event ids from the XML, enabled set from the registers, one sending thread."""

    def __init__(self, probe: Probe, memory: Any, address: str,
                 extended: Callable[[], bool] = lambda: False) -> None:
        self.probe = probe
        self.memory = memory
        self.address = address
        self.extended = extended
        self.ids: dict[str, int] = {}
        adapter = EventAdapter(probe.nodemap)
        for entry in probe.entries("EventSelector"):
            try:
                self.ids[entry] = adapter.id_of(entry)
            except NodeMapError:
                continue            # a selector entry with no <EventID> port: never sent
        self.stats = {"queued": 0, "sent": 0, "dropped": 0, "unacknowledged": 0,
                      "retransmitted": 0, "not_enabled": 0}
        self._enabled: frozenset[str] | None = None
        self._queue: collections.deque[PendingEvent] = collections.deque()
        self._ready = threading.Condition()
        self._stop = threading.Event()
        self._sender: EventSender | None = None
        self._sender_key: tuple[Any, ...] | None = None
        self._thread: threading.Thread | None = None
        self.sequence: dict[str, int] = collections.defaultdict(int)

    # ------------------------------------------------------------------ settings

    def changed(self) -> None:
        """The host wrote a device register: re-read the notifications when next needed."""
        self._enabled = None

    def enabled(self) -> frozenset[str]:
        """Names of the events whose EventNotification is not Off."""
        current = self._enabled
        if current is None:
            current = frozenset(entry for entry, value in
                                self.probe.selected("EventSelector", "EventNotification")
                                if entry in self.ids and str(value) != "Off")
            self._enabled = current
        return current

    def _destination(self) -> tuple[str, int] | None:
        ip = self.memory.get32(R.MCDA)
        port = self.memory.get32(R.MCP) & 0xFFFF
        if not ip or not port:
            return None
        return socket.inet_ntoa(ip.to_bytes(4, "big")), port

    # ------------------------------------------------------------------ producing

    def emit(self, name: str, block_id: int = 0, timestamp: int = 0, data: bytes | None = None,
             stream_channel: int = 0xFFFF) -> bool:
        """Queue event ``name`` if the description has it, the host enabled it and the
        message channel is open; never blocks.  True when queued."""
        event_id = self.ids.get(name)
        if event_id is None or name not in self.enabled() or self._destination() is None:
            self.stats["not_enabled"] += 1
            return False
        event = PendingEvent(name, event_id, block_id, timestamp, data, stream_channel)
        with self._ready:
            if len(self._queue) >= QUEUE_SIZE:
                self._queue.popleft()
                self.stats["dropped"] += 1
            self._queue.append(event)
            self.stats["queued"] += 1
            self._ready.notify()
        self._ensure_thread()
        return True

    # ------------------------------------------------------------------ sending

    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            if self._stop.is_set():
                return
            self._thread = threading.Thread(target=self._run, daemon=True,
                                            name=f"gvcp-device-events-{self.address}")
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            with self._ready:
                while not self._queue and not self._stop.is_set():
                    self._ready.wait(0.5)
                if self._stop.is_set():
                    return
                event = self._queue.popleft()
            try:
                self._send(event)
            except OSError as exc:
                log.info("message channel: %s not sent (%s)", event.name, exc)
                self.stats["unacknowledged"] += 1
            except Exception:  # pragma: no cover - a bug must not end event delivery
                log.exception("message channel: sending %s failed", event.name)

    def _sender_for(self, destination: tuple[str, int]) -> EventSender:
        timeout = self.memory.get32(R.MCTT) or MC_TIMEOUT_MS
        retries = self.memory.get32(R.MCRC)
        key = (destination, timeout, retries)
        if self._sender is None or self._sender_key != key:
            source_port = self._sender.source_port if self._sender is not None else 0
            if self._sender is not None:
                self._sender.close()
            try:
                sender = EventSender(destination, timeout_ms=timeout, retries=retries,
                                     source=(self.address, source_port))
            except OSError:
                sender = EventSender(destination, timeout_ms=timeout, retries=retries,
                                     source=(self.address, 0))
            self._sender, self._sender_key = sender, key
            self.memory.set32(R.MCSP, sender.source_port)
        return self._sender

    def _send(self, event: PendingEvent) -> None:
        destination = self._destination()
        if destination is None:
            self.stats["dropped"] += 1          # the host closed the channel meanwhile
            return
        sender = self._sender_for(destination)
        before = sender.retransmitted
        item = EventItem(event.event_id, event.stream_channel, event.block_id, event.timestamp)
        extended = self.extended()
        if event.data is None:
            acked = sender.send_event(item, extended=extended)
        else:
            acked = sender.send_eventdata(item, event.data, extended=extended)
        self.stats["retransmitted"] += sender.retransmitted - before
        self.stats["sent"] += 1
        if not acked:
            self.stats["unacknowledged"] += 1

    def reopen(self) -> None:
        """Send again after :meth:`close` (the device was stopped and started)."""
        self._stop.clear()

    def pending(self) -> int:
        with self._ready:
            return len(self._queue)

    def close(self) -> None:
        self._stop.set()
        with self._ready:
            self._ready.notify_all()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(5.0)
        if self._sender is not None:
            self._sender.close()
            self._sender = None
