"""The event adapter: device events bound to the node map's ``<Port>`` nodes with ``<EventID>``.

A description declares where an event's data is read: ``<Port Name="EventExposureEndPort">
<EventID>9001</EventID></Port>`` plus registers on that port (``EventExposureEndTimestamp``
at address 8, length 8, ...).  :class:`EventAdapter` is the engine side of the GenICam
reference's ``EventAdapterGEV``: :meth:`EventAdapter.attach` connects one event's bytes
to every port with that id (so the node map's own event features read them, as after
``deliver_message``), and returns a snapshot of that event's features.

Layout bound to the port, matching the reference for GigE Vision: the event's 16-byte
header (bytes 0-1 the item's length, 2-3 the event id, 4-5 the stream channel, 6-7 the
block id, 8-15 the 64-bit timestamp) followed by the EVENTDATA payload.  In GigE Vision
2.0 extended-ID mode the header is 24 bytes (0-1 length, 2-3 id, 4-5 stream channel, 6-7
reserved, 8-15 the 64-bit block id, 16-23 the timestamp), again as the reference binds
it.  The transport decodes packets (``nodemap.transports.gvcp.events``); this module never sees a socket.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Any

import attrs

from .errors import AccessError, NodeMapError
from .nodemap import NodeMap
from .portfeatures import features_on_ports

__all__ = ["EventBuffer", "Event", "EventFeatures", "EventAdapter", "event_ports"]

log = logging.getLogger(__name__)


class EventBuffer:
    """A read-only Port over one event's bytes."""

    def __init__(self, data: bytes, port_name: str = "event port") -> None:
        self.data = bytes(data)
        self.port_name = port_name

    def read(self, address: int, length: int) -> bytes:
        if address < 0 or length < 0 or address + length > len(self.data):
            raise AccessError(f"{self.port_name}: read of {length} bytes at 0x{address:X} is "
                              f"outside the event's {len(self.data)} bytes (the device sent "
                              "less event data than the description expects)")
        return self.data[address:address + length]

    def write(self, address: int, data: bytes) -> None:
        raise AccessError(f"{self.port_name}: event data is read-only (write of {len(data)} "
                          f"bytes at 0x{address:X} refused)")


class EventFeatures(Mapping[str, Any]):
    """One event's features by name: values read when the event arrived.  A feature the
    event's data did not cover maps to the error that reading it raised (``.errors``);
    looking it up raises that error."""

    def __init__(self, values: dict[str, Any], errors: dict[str, NodeMapError]) -> None:
        self._values = values
        self.errors = errors

    def __getitem__(self, name: str) -> Any:
        if name in self._values:
            return self._values[name]
        if name in self.errors:
            raise self.errors[name]
        raise KeyError(f"no feature {name!r} in this event (it has {sorted(self)})")

    def __iter__(self) -> Iterator[str]:
        return iter(sorted({*self._values, *self.errors}))

    def __len__(self) -> int:
        return len({*self._values, *self.errors})

    def __repr__(self) -> str:
        return f"EventFeatures({self._values!r})"


@attrs.frozen(slots=True)
class Event:
    """One event as delivered to the application."""

    name: str
    id: int
    timestamp: int
    data: bytes
    features: EventFeatures
    stream_channel: int = 0xFFFF
    block_id: int = 0


def _parse_id(text: str) -> int:
    text = text.strip()
    try:
        # GenApi writes EventID as hex digits without a prefix (HexNumber_t).
        return int(text[2:] if text.lower().startswith("0x") else text, 16)
    except ValueError:
        raise NodeMapError(f"<EventID>{text}</EventID> is not a hexadecimal event id") from None


def event_ports(nm: NodeMap) -> dict[int, tuple[str, ...]]:
    """Event id → names of the ``<Port>`` nodes carrying ``<EventID>`` of that id."""
    table: dict[int, list[str]] = {}
    for name in nm.names:
        if nm.element_type(name) != "Port":
            continue
        text = nm.node(name).text("EventID")
        if text:
            table.setdefault(_parse_id(text), []).append(name)
    return {key: tuple(value) for key, value in table.items()}


class EventAdapter:
    """Binds event bytes to a node map; one per node map (thread-safe via its lock)."""

    def __init__(self, nm: NodeMap) -> None:
        self.nodemap = nm
        self.ports = event_ports(nm)
        self._features: dict[int, tuple[str, ...]] = {}
        self._names: dict[int, str] = {}

    @property
    def ids(self) -> tuple[int, ...]:
        return tuple(sorted(self.ports))

    def features_of(self, event_id: int) -> tuple[str, ...]:
        """The features whose registers are on this event's ports (value nodes only, the
        registers behind them excluded when a named feature wraps them)."""
        cached = self._features.get(event_id)
        if cached is not None:
            return cached
        ports = set(self.ports.get(event_id, ()))
        nm = self.nodemap
        result = features_on_ports(
            nm, ports, lambda name: nm.element_type(name) not in ("Category", "Port", "EnumEntry"))
        self._features[event_id] = result
        return result

    def name_of(self, event_id: int) -> str:
        """The SFNC name of an event (``ExposureEnd`` for features ``EventExposureEnd…``
        and an EventSelector entry ``ExposureEnd``), else ``Event0x9001``."""
        cached = self._names.get(event_id)
        if cached is not None:
            return cached
        name = f"Event0x{event_id:04X}"
        features = self.features_of(event_id)
        for entry in self.selector_entries():
            if any(f == f"Event{entry}" or f.startswith(f"Event{entry}") and
                   f[len(entry) + 5:len(entry) + 6].isupper() for f in features):
                if name.startswith("Event0x") or len(entry) > len(name):
                    name = entry
        self._names[event_id] = name
        return name

    def selector_entries(self) -> list[str]:
        """The EventSelector's entry names as the description lists them (no device
        access needed: names are resolved before a port is connected)."""
        if "EventSelector" not in self.nodemap:
            return []
        element = self.nodemap.node("EventSelector").element
        return [name for child in element
                if isinstance(child.tag, str) and child.tag.rsplit("}", 1)[-1] == "EnumEntry"
                and (name := child.get("Name"))]

    def id_of(self, name: str) -> int:
        """The id of the event called ``name`` (``ExposureEnd``); NodeMapError if unknown."""
        for event_id in self.ids:
            if self.name_of(event_id) == name:
                return event_id
        known = ", ".join(self.name_of(i) for i in self.ids) or "none"
        raise NodeMapError(f"no event called {name!r} in this description (events with an "
                           f"<EventID> port: {known})")

    def attach(self, event_id: int, item: bytes) -> EventFeatures:
        """Connect ``item`` (16- or 24-byte header + data) to the ports of ``event_id`` and read
        that event's features.  An unknown id binds nothing and returns no features."""
        nm = self.nodemap
        ports = self.ports.get(event_id, ())
        values: dict[str, Any] = {}
        errors: dict[str, NodeMapError] = {}
        with nm.lock:
            for port in ports:
                nm.bind(EventBuffer(item, port), port)  # only this port's nodes go stale
            for name in self.features_of(event_id):
                try:
                    values[name] = nm.node(name).get()
                except NodeMapError as exc:
                    errors[name] = exc
        return EventFeatures(values, errors)

    def enable(self, name: str, on: bool = True) -> None:
        """``EventSelector = name; EventNotification = On|Off`` through the description."""
        features = self.nodemap.features
        for needed in ("EventSelector", "EventNotification"):
            if needed not in features:
                raise NodeMapError(f"cannot enable event {name!r}: the description has no "
                                   f"{needed} feature")
        selector = features["EventSelector"]
        if name not in selector.entries:
            raise NodeMapError(f"cannot enable event {name!r}: EventSelector has "
                               f"{', '.join(selector.entries)}")
        with self.nodemap.lock:
            selector.value = name
            notification = features["EventNotification"]
            choices = notification.entries
            wanted = ("On", "GigEVisionEvent", "GenICamEvent") if on else ("Off",)
            for choice in wanted:
                if choice in choices:
                    notification.value = choice
                    return
        raise NodeMapError(f"cannot {'enable' if on else 'disable'} event {name!r}: "
                           f"EventNotification has {', '.join(choices)}")
