"""The simulated device asking its own XML about selected features, without side effects.

Chunk and event settings sit behind selectors (``ChunkSelector``/``ChunkEnable``,
``EventSelector``/``EventNotification``).  To read "is chunk X enabled" the device must
set the selector — but the selector register is the host's too: writing it would change
what the host reads back.  :class:`Probe` is a node map over an *overlay* of the device's
register memory: reads come from the memory, writes stay in a private overlay that is
dropped after each question.  So the device walks selectors freely while the host sees
its own selector values untouched.

One probe serves the stream thread (per-frame chunk values) and the device thread
(events), so every question holds the probe's lock.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from nodemap.errors import NodeMapError
from nodemap.nodemap import NodeMap

__all__ = ["OverlayPort", "Probe"]

log = logging.getLogger("nodemap.gvcp.device")


class OverlayPort:
    """Reads from ``memory`` (anything with ``read(address, length)``), except spans
    written here, which read back from the overlay until :meth:`clear`."""

    def __init__(self, memory: Any) -> None:
        self.memory = memory
        self._overlay: dict[int, int] = {}     # byte address → byte written here

    def read(self, address: int, length: int) -> bytes:
        data: bytes = self.memory.read(address, length)
        if not self._overlay:
            return data
        out = bytearray(data)
        for offset in range(length):
            byte = self._overlay.get(address + offset)
            if byte is not None:
                out[offset] = byte
        return bytes(out)

    def write(self, address: int, data: bytes) -> None:
        for offset, byte in enumerate(data):
            self._overlay[address + offset] = byte

    def clear(self) -> None:
        self._overlay.clear()


class Probe:
    """The device's side-effect-free node map over its register memory."""

    def __init__(self, xml: bytes, memory: Any) -> None:
        self.nodemap = NodeMap.from_xml(xml)
        self.port = OverlayPort(memory)
        ports = [n for n in self.nodemap.names if self.nodemap.element_type(n) == "Port"]
        for name in ports or ["Device"]:
            self.nodemap.connect(self.port, name)
        self.lock = threading.RLock()

    def __contains__(self, name: str) -> bool:
        return name in self.nodemap

    def value(self, name: str, default: Any = None, attribute: str = "value") -> Any:
        """A feature's current value (caches dropped first: the host writes behind our
        back); ``default`` when the XML lacks it or it cannot be read."""
        return self.values({name: (default, attribute)})[name]

    def values(self, wanted: dict[str, tuple[Any, str]]) -> dict[str, Any]:
        """Several features read after one cache drop: ``{name: (default, attribute)}`` →
        ``{name: value}`` (``attribute`` is ``"value"`` or ``"int_value"``)."""
        out: dict[str, Any] = {}
        with self.lock:
            self.nodemap.invalidate()
            for name, (default, attribute) in wanted.items():
                if name not in self.nodemap:
                    out[name] = default
                    continue
                try:
                    out[name] = getattr(self.nodemap.features[name], attribute)
                except (NodeMapError, KeyError, AttributeError, ValueError) as exc:
                    log.debug("device probe: cannot read %s (%s): using %r", name, exc,
                              default)
                    out[name] = default
        return out

    def entries(self, selector: str) -> list[str]:
        """The implemented entries of an Enumeration (empty when absent)."""
        if selector not in self.nodemap:
            return []
        with self.lock:
            try:
                return list(self.nodemap.features[selector].entries)
            except (NodeMapError, AttributeError):
                return []

    def selected(self, selector: str, feature: str) -> list[tuple[str, Any]]:
        """``(entry, value of feature)`` for each entry of ``selector``, set in the overlay
        only (the host's selector is untouched); entries whose feature cannot be read are
        skipped."""
        out: list[tuple[str, Any]] = []
        with self.lock:
            try:
                for entry in self.entries(selector):
                    self.nodemap.invalidate()
                    try:
                        self.nodemap.features[selector].value = entry
                        value = self.nodemap.features[feature].value
                    except (NodeMapError, KeyError, ValueError) as exc:
                        log.debug("device probe: %s[%s=%s] unreadable (%s)", feature, selector,
                                  entry, exc)
                        continue
                    out.append((entry, value))
            finally:
                self.port.clear()
                self.nodemap.invalidate()
        return out
