"""The registry of transport plugins: entry points of the group ``nodemap.transports``.

Every installed distribution that declares ``[project.entry-points."nodemap.transports"]``
contributes a :class:`~nodemap.plugin.TransportPlugin`; nodemap's own transports register
the same way (see ``pyproject.toml``).  :func:`register` adds one at run time (tests, scripts).
A plugin that fails to load is reported by :func:`load_errors` and left out, so one broken
third-party package does not take the command down.
"""

from __future__ import annotations

import importlib
import logging
import threading
from importlib import metadata
from typing import Any

from ..errors import NodeMapError
from ..plugin import DeviceLink, SimulatorSpec, TransportPlugin, resolve
from ..port import Port
from ..urls import split_scheme

__all__ = ["GROUP", "plugins", "plugin_for", "register", "unregister", "schemes",
           "simulators", "open_link", "open_port", "load_errors", "reload"]

GROUP = "nodemap.transports"
log = logging.getLogger("nodemap.plugins")

_lock = threading.Lock()
_loaded: dict[str, TransportPlugin] | None = None
_extra: dict[str, TransportPlugin] = {}
_errors: dict[str, str] = {}


def _load() -> dict[str, TransportPlugin]:
    global _loaded
    with _lock:
        if _loaded is None:
            found: dict[str, TransportPlugin] = {}
            for entry in sorted(metadata.entry_points(group=GROUP), key=lambda e: e.name):
                try:
                    plugin = resolve(entry.value)
                    if not isinstance(plugin, TransportPlugin):
                        raise TypeError(f"{entry.value} is a {type(plugin).__name__}, not a "
                                        f"nodemap.plugin.TransportPlugin")
                except Exception as exc:  # noqa: BLE001 - report, keep the others
                    _errors[entry.name] = f"{type(exc).__name__}: {exc}"
                    log.warning("transport plugin %r (%s) not loaded: %s", entry.name,
                                entry.value, exc)
                    continue
                found.setdefault(plugin.name, plugin)
            _loaded = found
        return {**_loaded, **_extra}


def plugins() -> dict[str, TransportPlugin]:
    """Every usable plugin by name, in name order."""
    return dict(sorted(_load().items()))


def register(plugin: TransportPlugin) -> None:
    """Add ``plugin`` for this process (it wins over an installed one of the same name)."""
    if not isinstance(plugin, TransportPlugin):
        raise TypeError("register() takes a nodemap.plugin.TransportPlugin")
    _extra[plugin.name] = plugin


def unregister(name: str) -> None:
    """Remove a plugin added with :func:`register`."""
    _extra.pop(name, None)


def reload() -> None:
    """Forget the loaded entry points (after installing a distribution in this process)."""
    global _loaded
    with _lock:
        _loaded = None
        _errors.clear()
    importlib.invalidate_caches()


def load_errors() -> dict[str, str]:
    """Entry points that could not be loaded → why."""
    _load()
    return dict(_errors)


def schemes() -> list[str]:
    """Every URL scheme some plugin opens."""
    return sorted({s for p in plugins().values() for s in p.schemes})


def plugin_for(url_or_scheme: str) -> TransportPlugin:
    """The plugin that opens ``url_or_scheme`` (``"gvcp://..."`` or ``"gvcp:"``)."""
    scheme = split_scheme(url_or_scheme)[0]
    for plugin in plugins().values():
        if scheme in plugin.schemes:
            return plugin
    raise NodeMapError(f"unknown URL scheme {scheme!r}; known schemes: "
                       f"{', '.join(s + ':' for s in schemes())} (a transport plugin adds more)")


def simulators() -> dict[str, tuple[TransportPlugin, SimulatorSpec]]:
    """Every simulator by its ``nodemap sim`` name."""
    return {spec.name: (plugin, spec) for plugin in plugins().values() for spec in plugin.simulators}


def open_link(url: str, **options: Any) -> DeviceLink:
    """Open the device at ``url`` and return its link (port + descriptions)."""
    return plugin_for(url).opener()(url, **options)


def open_port(url: str, **options: Any) -> Port:
    """Open the device at ``url`` and return just its Port (raw register access)."""
    return open_link(url, **options).port
