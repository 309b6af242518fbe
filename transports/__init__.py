"""Transport registry: a URL scheme names the wire protocol that opens a device.

``open_link(url)`` returns a :class:`DeviceLink`: a connected :class:`nodemap.port.Port`
plus the XML descriptions that describe the device.  ``nodemap.open(url)`` wraps a
link in a :class:`nodemap.camera.Camera`.  Transport modules are imported only when
their scheme is used, so ``import nodemap`` stays fast.

Registered schemes (``scheme`` → ``module:function``)::

    gvcp://HOST[:PORT]            GigE Vision over GVCP (UDP 3956)
    fcb:<pyserial url>?address=N  Sony FCB block camera over VISCA
    sxh485:<pyserial url>?...     SXH485 serial JPEG camera
    vs1://HOST                    VS-1 smart camera (standard services only)
    mem:PATH_TO_XML               a MemoryPort-backed simulation of any XML

A third party adds a scheme with :func:`register_scheme`.
"""

from __future__ import annotations

import importlib
from typing import Any, Callable, Protocol, runtime_checkable

from nodemap.errors import NodeMapError
from nodemap.port import Port

__all__ = ["DeviceLink", "open_link", "open_port", "register_scheme", "schemes", "split_scheme"]


@runtime_checkable
class DeviceLink(Protocol):
    """What a transport hands to a Camera.

    ``port``: the Port bound to the description's Port node named ``port_name``.
    ``descriptions()``: the GenApi XML documents (bytes, plain or zip) for this device,
    most specific first; names defined by an earlier document win.  ``progress`` is an
    optional ``callable(done_bytes, total_bytes)`` for downloads.
    ``close()``: release the device (control privilege, serial line, sockets).
    Any further public attribute of a link (``snapshot``, ``files`` ...) is reachable
    from the Camera as ``cam.<name>``.
    """

    port: Port
    port_name: str

    def descriptions(self, progress: Callable[[int, int], None] | None = None) -> list[bytes]: ...

    def close(self) -> None: ...


_SCHEMES: dict[str, str] = {
    "gvcp": "nodemap.transports.gvcp.link:open_link",
    "fcb": "nodemap.transports.fcb.link:open_link",
    "sxh485": "nodemap.transports.sxh485.link:open_link",
    "vs1": "nodemap.transports.vs1.link:open_link",
    "mem": "nodemap.transports.memory:open_link",
}


def register_scheme(scheme: str, target: str | Callable[..., DeviceLink]) -> None:
    """Register ``scheme`` → an opener ``(url, **options) -> DeviceLink``
    (a callable, or a ``"module:function"`` string imported on first use)."""
    _SCHEMES[scheme.lower()] = target  # type: ignore[assignment]


def schemes() -> list[str]:
    """The URL schemes that can be opened."""
    return sorted(_SCHEMES)


def split_scheme(url: str) -> tuple[str, str]:
    """``"fcb:/dev/ttyUSB0?address=1"`` → ``("fcb", "/dev/ttyUSB0?address=1")``;
    ``"gvcp://10.0.0.2"`` → ``("gvcp", "10.0.0.2")``."""
    scheme, sep, rest = url.partition(":")
    if not sep or not scheme:
        raise NodeMapError(
            f"{url!r} has no scheme; use one of {', '.join(s + ':' for s in schemes())}")
    if rest.startswith("//") and scheme.lower() in ("gvcp", "vs1"):
        rest = rest[2:]
    return scheme.lower(), rest


def _opener(scheme: str) -> Callable[..., DeviceLink]:
    try:
        target = _SCHEMES[scheme]
    except KeyError:
        raise NodeMapError(
            f"unknown URL scheme {scheme!r}; known schemes: {', '.join(schemes())}") from None
    if callable(target):
        return target
    module_name, _, function = target.partition(":")
    return getattr(importlib.import_module(module_name), function)


def open_link(url: str, **options: Any) -> DeviceLink:
    """Open the device at ``url`` and return its link (port + descriptions)."""
    scheme, _ = split_scheme(url)
    return _opener(scheme)(url, **options)


def open_port(url: str, **options: Any) -> Port:
    """Open the device at ``url`` and return just its Port (raw register access)."""
    return open_link(url, **options).port
