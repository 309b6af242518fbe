"""What ``nodemap ui`` with no URL offers: discovered devices and simulators to start.

:class:`Devices` asks every transport plugin's ``discover`` (with the request the user gave
on the command line: an interface, a unicast address, serial lines) and lists every
simulator a plugin can start in this process, as ``nodemap demo`` does.  The page can only
open a URL this object handed out (found, simulated, or given on the command line): it
cannot make the server open arbitrary paths.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Mapping

from ...errors import NodeMapError
from ...plugin import DiscoveryRequest, Simulator

__all__ = ["Devices"]

log = logging.getLogger("nodemap.ui")


class Devices:
    """Discovery results, simulators started from the page, and the URLs allowed to open."""

    def __init__(self, request: DiscoveryRequest | None = None,
                 sim_options: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        self.request = request if request is not None else DiscoveryRequest(timeout=1.0)
        self.sim_options = {k: dict(v) for k, v in (sim_options or {}).items()}
        self.simulators: list[Simulator] = []
        self.allowed: set[str] = set()
        self._lock = threading.Lock()

    def allow(self, url: str) -> None:
        with self._lock:
            self.allowed.add(url)

    def is_allowed(self, url: str) -> bool:
        with self._lock:
            return url in self.allowed

    def offered(self) -> list[dict[str, Any]]:
        """Every simulator that can start inside this process."""
        from .. import plugins

        return [{"name": name, "summary": spec.summary, "transport": plugin.name,
                 "demo": spec.demo.description if spec.demo else ""}
                for name, (plugin, spec) in sorted(plugins.simulators().items())
                if spec.start is not None]

    def discover(self) -> dict[str, Any]:
        """``{"devices": [...], "errors": [...], "simulators": [...]}``; running simulators'
        URLs come first."""
        from .. import plugins

        devices: list[dict[str, Any]] = []
        errors: list[str] = []
        for sim in list(self.simulators):
            for url in sim.urls:
                devices.append({"url": url, "transport": sim.transport or sim.kind,
                                "model": f"simulated {sim.kind}", "vendor": "nodemap",
                                "source": "simulator"})
        remaining = tuple(self.request.serial_ports)
        for name, plugin in plugins.plugins().items():
            if plugin.discover is None:
                continue
            if self.request.only and name not in self.request.only:
                continue
            if not self.request.only and not plugin.discover_by_default:
                continue
            request = DiscoveryRequest(timeout=self.request.timeout,
                                       interface=self.request.interface,
                                       address=self.request.address, serial_ports=remaining,
                                       only=self.request.only, options=self.request.options)
            try:
                found = list(plugin.find(request))
            except (NodeMapError, OSError, ValueError) as exc:
                errors.append(f"{name}: {exc}")
                continue
            claimed = {d.interface for d in found}
            remaining = tuple(p for p in remaining if p not in claimed)
            for d in found:
                row = {k: v for k, v in d.as_dict().items()
                       if isinstance(v, (str, int, float)) and k != "hex"}
                row["source"] = "discovered"
                devices.append(row)
        seen: set[str] = set()
        unique = []
        for row in devices:
            url = str(row["url"])
            if url not in seen:
                seen.add(url)
                unique.append(row)
                self.allow(url)
        return {"devices": unique, "errors": errors, "simulators": self.offered()}

    def start(self, name: str) -> Simulator:
        """Start simulator ``name`` in this process; its URLs become openable."""
        from ..simulators import start_simulator

        sim = start_simulator(name, **self.sim_options.get(name, {}))
        with self._lock:
            self.simulators.append(sim)
        for url in sim.urls:
            self.allow(url)
        return sim

    def close(self) -> None:
        """Stop every simulator started from the page."""
        with self._lock:
            started, self.simulators = self.simulators, []
        for sim in reversed(started):
            sim.close()
