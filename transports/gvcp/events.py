"""The GVCP message channel on the host: EVENT/EVENTDATA receiver and its event API.

:class:`MessageChannel` owns a UDP socket and one thread.  Every datagram is decoded
with the sans-IO codec (:mod:`.protocol`); an EVENT_CMD or EVENTDATA_CMD with the
ack-required flag is acknowledged (EVENT_ACK / EVENTDATA_ACK, same request id), and a
retransmission (same request id as one of the last :data:`DEDUP_WINDOW` commands from
that sender) is acknowledged again but delivered once.  Each event item is bound to the
node map's ``<EventID>`` ports (:class:`nodemap.events.EventAdapter`) and becomes an
:class:`nodemap.events.Event`, put on a bounded queue for :meth:`Events.iter` and passed
to the callbacks of :meth:`Events.subscribe` (on this thread; a callback that raises is
logged and delivery continues).

Nothing stops the thread but :meth:`MessageChannel.close`: malformed packets, non-event
commands, events of unknown ids (delivered with no features, counted) and a full queue
(the oldest event is dropped, counted) are all counted in :attr:`MessageChannel.stats`.

:func:`deliver_message` is the equivalent of the reference's
``EventAdapterGEV.deliver_message``: a whole GVCP packet bound to a node map.
"""

from __future__ import annotations

import collections
import logging
import select
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import attrs

from nodemap.errors import NodeMapError
from nodemap.events import Event, EventAdapter, EventFeatures
from nodemap.nodemap import NodeMap

from .protocol import (FLAG_ACK_REQUIRED, EventAck, EventCmd, EventDataAck, EventDataCmd,
                       EventItem, GvcpCodecError, decode_command)

__all__ = ["DEDUP_WINDOW", "QUEUE_SIZE", "ChannelStats", "MessageChannel", "Events",
           "local_address_to",
           "deliver_message", "item_bytes", "events_of"]

log = logging.getLogger(__name__)

DEDUP_WINDOW = 64          # request ids remembered per sender for duplicate detection
QUEUE_SIZE = 1024          # events held for iter() before the oldest is dropped

Callback = Callable[[Event], Any]


def item_bytes(item: EventItem, data: bytes = b"", extended: bool = False) -> bytes:
    """The bytes bound to an event's port, as the reference binds them: the event item
    (16 bytes, or 24 in extended-ID mode) whose first two bytes hold its length (item and
    data), then the event data."""
    raw = item.encode(extended, len(data)) + data
    return len(raw).to_bytes(2, "big") + raw[2:]


def events_of(command: EventCmd | EventDataCmd) -> list[tuple[EventItem, bytes]]:
    """(item, bytes bound to its port) for each event of a command."""
    if isinstance(command, EventDataCmd):
        return [(command.event, item_bytes(command.event, command.data, command.extended))]
    return [(item, item_bytes(item, extended=command.extended)) for item in command.events]


def deliver_message(adapter: EventAdapter, packet: bytes) -> list[Event]:
    """Bind a whole EVENT/EVENTDATA packet to the adapter's node map (like
    ``EventAdapterGEV.deliver_message``); GvcpCodecError when it is not one."""
    command = decode_command(packet)
    if not isinstance(command, (EventCmd, EventDataCmd)):
        raise GvcpCodecError(f"{command} is not an EVENT or EVENTDATA command")
    return [_event(adapter, item, raw, command.extended) for item, raw in events_of(command)]


def _event(adapter: EventAdapter, item: EventItem, raw: bytes, extended: bool = False) -> Event:
    known = item.event_id in adapter.ports
    features = adapter.attach(item.event_id, raw) if known else EventFeatures({}, {})
    return Event(adapter.name_of(item.event_id) if known else f"Event0x{item.event_id:04X}",
                 item.event_id, item.timestamp, raw[EventItem.size(extended):], features,
                 item.stream_channel, item.block_id)


@attrs.define(slots=True)
class ChannelStats:
    """Counters of a message channel (read them any time; written by its thread)."""

    packets: int = 0          # datagrams received
    events: int = 0           # events delivered (after duplicate removal)
    acks: int = 0             # acknowledges sent
    duplicates: int = 0       # retransmitted commands acknowledged, not delivered again
    malformed: int = 0        # datagrams that did not decode, or were not event commands
    unknown_ids: int = 0      # events whose id no <EventID> port carries
    queue_drops: int = 0      # events dropped because iter() did not keep up
    callback_errors: int = 0  # exceptions raised by subscribed callbacks


class MessageChannel:
    """A bound UDP socket receiving the device's messages on one thread."""

    def __init__(self, adapter: EventAdapter, host: str = "0.0.0.0", port: int = 0, *,
                 queue_size: int = QUEUE_SIZE) -> None:
        self.adapter = adapter
        self.stats = ChannelStats()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            self._sock.bind((host, port))
        except OSError as exc:
            self._sock.close()
            raise NodeMapError(f"cannot bind the GVCP message channel to {host}:{port}: "
                               f"{exc.strerror}; pick another address or port 0") from None
        self._sock.setblocking(False)
        self.address: tuple[str, int] = self._sock.getsockname()
        self._queue: collections.deque[Event] = collections.deque(maxlen=queue_size)
        self._ready = threading.Condition()
        self._subscribers: list[tuple[int | None, Callback]] = []
        self._recent: dict[tuple[str, int], collections.OrderedDict[int, None]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"gvcp-events-{self.address[1]}",
                                        daemon=True)
        self._thread.start()

    # -- thread ------------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                readable, _w, _x = select.select([self._sock], [], [], 0.1)
            except (OSError, ValueError):
                return  # socket closed under us by close()
            if not readable:
                continue
            for _ in range(256):  # drain a burst, bounded, then re-check stop
                try:
                    packet, sender = self._sock.recvfrom(2048)
                except BlockingIOError:
                    break
                except OSError:
                    if self._stop.is_set():
                        return
                    self.stats.malformed += 1  # e.g. ICMP error surfaced on the socket
                    break
                try:
                    self.handle(packet, sender)
                except Exception:  # never let one datagram kill the channel
                    self.stats.malformed += 1
                    log.exception("message channel: datagram from %s:%d not handled", *sender)

    def handle(self, packet: bytes, sender: tuple[str, int]) -> None:
        """Decode, acknowledge, de-duplicate and deliver one datagram."""
        self.stats.packets += 1
        try:
            command = decode_command(packet)
        except GvcpCodecError as exc:
            self.stats.malformed += 1
            log.debug("message channel: malformed datagram from %s:%d: %s", *sender, exc)
            return
        if not isinstance(command, (EventCmd, EventDataCmd)):
            self.stats.malformed += 1
            log.debug("message channel: %s is not an event command; ignored", command)
            return
        if command.flags & FLAG_ACK_REQUIRED:
            ack = (EventAck if isinstance(command, EventCmd) else EventDataAck)(command.req_id)
            try:
                self._sock.sendto(ack.encode(), sender)
                self.stats.acks += 1
            except OSError as exc:
                log.debug("message channel: ack to %s:%d failed: %s", *sender, exc)
        recent = self._recent.setdefault(sender, collections.OrderedDict())
        if command.req_id in recent:
            self.stats.duplicates += 1
            return
        recent[command.req_id] = None
        if len(recent) > DEDUP_WINDOW:
            recent.popitem(last=False)
        for item, raw in events_of(command):
            if item.event_id not in self.adapter.ports:
                self.stats.unknown_ids += 1
            event = _event(self.adapter, item, raw, command.extended)
            self.stats.events += 1
            self._publish(event)

    def _publish(self, event: Event) -> None:
        with self._ready:
            if len(self._queue) == self._queue.maxlen:
                self.stats.queue_drops += 1
            self._queue.append(event)
            self._ready.notify_all()
        for event_id, callback in list(self._subscribers):
            if event_id is None or event_id == event.id:
                try:
                    callback(event)
                except Exception:
                    self.stats.callback_errors += 1
                    log.exception("event callback %r raised on %s (0x%04X); delivery continues",
                                  callback, event.name, event.id)

    # -- consumers ---------------------------------------------------------------------
    def subscribe(self, callback: Callback, event_id: int | None = None) -> None:
        self._subscribers.append((event_id, callback))

    def unsubscribe(self, callback: Callback) -> None:
        self._subscribers = [(i, c) for i, c in self._subscribers if c is not callback]

    def get(self, timeout: float | None = None) -> Event | None:
        """The next queued event, waiting up to ``timeout`` seconds (None: forever)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._ready:
            while not self._queue:
                if self._stop.is_set():
                    return None
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return None
                self._ready.wait(0.2 if remaining is None else min(remaining, 0.2))
            return self._queue.popleft()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5.0)
        self._sock.close()
        with self._ready:
            self._ready.notify_all()

    def __enter__(self) -> "MessageChannel":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def local_address_to(device_host: str) -> str:
    """The local IPv4 address the kernel routes to ``device_host`` by (no packet sent)."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect((device_host, 3956))
        return str(probe.getsockname()[0])
    finally:
        probe.close()


class Events:
    """``cam.events``: enable events by name, iterate them, subscribe callbacks.

    ``register_write(address, value)`` programs the device's message channel (MCDA,
    MCP; MCTT/MCRC keep the device's defaults) when the channel opens, and closes it
    (MCP = 0) on :meth:`close`."""

    def __init__(self, nm: NodeMap, register_write: Callable[[int, int], None] | None = None,
                 *, host: str = "127.0.0.1", port: int = 0, queue_size: int = QUEUE_SIZE) -> None:
        self.adapter = EventAdapter(nm)
        self.channel = MessageChannel(self.adapter, host, port, queue_size=queue_size)
        self._register_write = register_write
        if register_write is not None:
            import ipaddress

            from .protocol import Register
            register_write(Register.MCDA, int(ipaddress.IPv4Address(self.channel.address[0])))
            register_write(Register.MCP, self.channel.address[1])

    @property
    def stats(self) -> ChannelStats:
        return self.channel.stats

    def enable(self, *names: str) -> None:
        for name in names:
            self.adapter.enable(name, True)

    def disable(self, *names: str) -> None:
        for name in names:
            self.adapter.enable(name, False)

    def subscribe(self, name: str | None, callback: Callback) -> None:
        """Call ``callback(event)`` on the events thread for ``name`` (None: every event)."""
        self.channel.subscribe(callback, None if name is None else self.adapter.id_of(name))

    def unsubscribe(self, callback: Callback) -> None:
        self.channel.unsubscribe(callback)

    def iter(self, timeout: float | None = 1.0) -> Iterator[Event]:
        """Events as they arrive; ends after ``timeout`` seconds without one."""
        while True:
            event = self.channel.get(timeout)
            if event is None:
                return
            yield event

    def close(self) -> None:
        """Close the device's message channel (MCP = 0: it stops sending) and ours."""
        if self._register_write is not None:
            from .protocol import Register
            try:
                self._register_write(Register.MCP, 0)
            except Exception as exc:  # noqa: BLE001 - the link may be gone already
                log.debug("message channel: could not close it on the device (%s)", exc)
            self._register_write = None
        self.channel.close()
