"""What the viewer pushes over its WebSocket: feature values that changed, per page.

A page says which features it shows (``{"type": "watch", "names": [...]}``); the server
describes the union of those names now and then (every second, and at once after any write
from any page) and sends each page only what differs from what that page last received.
No I/O here: :class:`Watchers` is bookkeeping the server drives.
"""

from __future__ import annotations

import threading
from typing import Any, Hashable

__all__ = ["Watchers"]


class Watchers:
    """Per-client watched names and the last description sent to each."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._watch: dict[Hashable, set[str]] = {}
        self._sent: dict[Hashable, dict[str, Any]] = {}

    def add(self, client: Hashable) -> None:
        with self._lock:
            self._watch[client] = set()
            self._sent[client] = {}

    def remove(self, client: Hashable) -> None:
        with self._lock:
            self._watch.pop(client, None)
            self._sent.pop(client, None)

    def watch(self, client: Hashable, names: list[str]) -> None:
        """Replace what ``client`` shows; forget what it was sent for names it drops."""
        with self._lock:
            wanted = set(names)
            self._watch[client] = wanted
            sent = self._sent.setdefault(client, {})
            for name in list(sent):
                if name not in wanted:
                    del sent[name]

    def forget(self) -> None:
        """Send everything again next time (the camera changed)."""
        with self._lock:
            for sent in self._sent.values():
                sent.clear()

    def names(self) -> list[str]:
        with self._lock:
            return sorted(set().union(*self._watch.values())) if self._watch else []

    def changes(self, described: dict[str, Any]) -> dict[Hashable, dict[str, Any]]:
        """For every client, the descriptions that differ from what it last got (and
        record them as sent)."""
        out: dict[Hashable, dict[str, Any]] = {}
        with self._lock:
            for client, wanted in self._watch.items():
                sent = self._sent[client]
                delta = {n: d for n, d in described.items() if n in wanted and sent.get(n) != d}
                if delta:
                    sent.update(delta)
                    out[client] = delta
        return out
