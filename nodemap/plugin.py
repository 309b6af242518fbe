"""The transport plugin contract: what a wire protocol tells the rest of nodemap.

The engine (this package without ``nodemap.app`` and ``nodemap.transports``) never imports a
transport.  Each transport — ours in ``nodemap.transports``, or a third party's in its own
distribution — exports one :class:`TransportPlugin` and registers it under the entry-point
group ``nodemap.transports``::

    [project.entry-points."nodemap.transports"]
    myproto = "myproto.plugin:plugin"

The application layer (``nodemap.app``: ``nodemap.open``, the CLI, the demo, the capture
decoder) loops over the registered plugins; nothing there names a transport.  Everything a
plugin points at can be given as a ``"module:attribute"`` string, imported on first use, so
loading every plugin at start-up stays cheap.  See ``docs/architecture.md``.
"""

from __future__ import annotations

import importlib
from typing import (Any, Callable, Iterable, Mapping, Protocol, Sequence, Union,
                    runtime_checkable)

import attrs

from .port import Port

__all__ = ["CAPABILITIES", "CaptureDecoder", "DemoPlan", "DeviceLink", "DiscoveredDevice",
           "DiscoveryRequest", "Option", "Simulator", "SimulatorSpec", "TransportPlugin",
           "option_values", "resolve"]

#: What a transport can do beyond features (``TransportPlugin.capabilities``): ``registers``
#: raw port access, ``images`` ``cam.stream()``/``grab()``, ``chunks`` chunk data in its
#: frames, ``snapshot`` ``link.snapshot()``, ``files`` ``cam.files`` (the transport's own
#: service or GenApi file access), ``events`` ``cam.events``.  tests/transports/
#: test_capabilities.py holds every plugin with a simulator to its list.
CAPABILITIES = frozenset({"features", "registers", "images", "chunks", "snapshot", "files",
                          "events"})

Target = Union[str, Callable[..., Any]]


def resolve(target: Any) -> Any:
    """A ``"module:attribute"`` string → the attribute (imported now); anything else as is."""
    if not isinstance(target, str):
        return target
    module_name, sep, attribute = target.partition(":")
    if not sep or not module_name or not attribute:
        raise ValueError(f"plugin target {target!r} is not of the form 'module:attribute'")
    value: Any = importlib.import_module(module_name)
    for part in attribute.split("."):
        value = getattr(value, part)
    return value


@runtime_checkable
class DeviceLink(Protocol):
    """What a transport hands to a Camera when it opens a URL.

    ``port``: the Port bound to the description's Port node named ``port_name``.
    ``descriptions(progress)``: the GenApi XML documents (bytes, plain or zip) for this
    device, most specific first; names defined by an earlier document win.  ``progress`` is
    an optional ``callable(done_bytes, total_bytes)`` for downloads.
    ``close()``: release the device (control privilege, serial line, sockets).
    Optional: ``open_stream(nodemap, **options)`` (images), ``snapshot`` (one picture),
    ``files`` (device files), ``open_events(nodemap)`` (events: ``enable``, ``iter``,
    ``subscribe``, ``close``).  Any further public attribute of a link is reachable from the
    Camera as ``cam.<name>``.
    """

    port: Port
    port_name: str

    def descriptions(self, progress: Callable[[int, int], None] | None = None) -> list[bytes]: ...

    def close(self) -> None: ...


@attrs.frozen
class Option:
    """A command-line option a plugin adds to a verb (``nodemap sim``, ``discover``, ``decode``).

    ``kind`` is one of ``"str" "int" "float" "flag" "path" "existing-file"``; the value reaches
    the plugin's function as the keyword ``dest``.
    """

    flags: tuple[str, ...]
    dest: str
    help: str
    kind: str = "str"
    multiple: bool = False
    default: Any = None
    metavar: str | None = None


class Simulator:
    """Running simulated device(s): ``urls`` to open, ``close()`` stops everything."""

    def __init__(self, kind: str, urls: list[str], closers: list[Callable[[], None]],
                 transport: str = "") -> None:
        self.kind = kind
        self.urls = urls
        self.transport = transport
        self._closers = closers

    def close(self) -> None:
        while self._closers:
            closer = self._closers.pop()
            try:
                closer()
            except Exception:  # noqa: BLE001 - best effort: stop the rest too
                pass

    def __enter__(self) -> "Simulator":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Simulator {self.kind} {' '.join(self.urls)}>"


@attrs.frozen
class DemoPlan:
    """How ``nodemap demo`` tours a simulator: features to read and write, values to set
    before executing a command, commands to try (the first that exists is used)."""

    label: str
    description: str
    read: tuple[str, ...] = ()
    write: tuple[str, ...] = ()
    before_execute: tuple[tuple[str, Any], ...] = ()
    execute: tuple[str, ...] = ()
    order: int = 50


@attrs.frozen
class SimulatorSpec:
    """A simulated device a plugin offers as ``nodemap sim NAME``.

    ``start(**options) -> Simulator`` runs it in this process (threads) and returns at once;
    ``options`` become the verb's command-line options; ``demo`` makes ``nodemap demo`` start
    it (with default options) and tour it.  A simulator that runs its own
    blocking main loop instead gives ``main(**options) -> int`` (an exit status).
    Invalid option values raise ``ValueError`` with a message for the user.
    """

    name: str
    summary: str
    start: Target | None = None
    main: Target | None = None
    options: tuple[Option, ...] = ()
    demo: DemoPlan | None = None


@attrs.frozen
class DiscoveryRequest:
    """What ``nodemap discover`` asks every plugin: the common knobs plus plugin options."""

    timeout: float = 1.0
    interface: str | None = None
    address: str | None = None
    serial_ports: tuple[str, ...] = ()
    only: frozenset[str] = frozenset()        # plugin names the user asked for; empty = all
    options: Mapping[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class DiscoveredDevice:
    """One device a plugin found; ``url`` opens it."""

    url: str
    transport: str
    vendor: str = ""
    model: str = ""
    serial: str = ""
    mac: str = ""
    ip: str = ""
    interface: str = ""
    extra: Mapping[str, Any] = attrs.field(factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in attrs.asdict(self).items() if k != "extra"}
        out.update(self.extra)
        return out


@runtime_checkable
class CaptureDecoder(Protocol):
    """Annotates captured bytes of one protocol for ``nodemap decode``.

    ``decode_next(data, context)`` looks at the start of ``data``: if a packet of this
    protocol starts there it returns ``(size, decoded)`` (a ``nodemap.capture.Decoded``),
    otherwise None.  Decoders are asked in ascending ``priority``; the one with the most
    distinctive framing goes first.
    """

    name: str
    priority: int

    def decode_next(self, data: bytes, context: Any) -> tuple[int, Any] | None: ...


@attrs.frozen
class TransportPlugin:
    """Everything the rest of nodemap needs to know about one transport.

    ``open_link(url, **options) -> DeviceLink`` opens a URL of one of ``schemes``.
    ``discover(request) -> iterable of DiscoveredDevice`` finds devices (it returns nothing
    when the request does not concern it, e.g. no serial ports for a serial transport).
    ``decoder() -> CaptureDecoder`` annotates captures; ``decode_options`` are its options.
    ``capabilities`` ⊆ :data:`CAPABILITIES`.  ``unreachable_hint`` says what to check when a
    device of this transport does not answer.
    """

    name: str
    summary: str
    schemes: tuple[str, ...]
    open_link: Target
    url_forms: tuple[str, ...] = ()
    authority: bool = False            # URLs are written scheme://HOST (the // is not part)
    discover: Target | None = None
    discover_options: tuple[Option, ...] = ()
    discover_by_default: bool = True
    simulators: tuple[SimulatorSpec, ...] = ()
    decoder: Target | None = None
    decode_options: tuple[Option, ...] = ()
    capabilities: frozenset[str] = frozenset({"features"})
    unreachable_hint: str = "check the URL and that the device is powered and connected"

    def __attrs_post_init__(self) -> None:
        unknown = set(self.capabilities) - CAPABILITIES
        if unknown:
            raise ValueError(f"plugin {self.name!r}: unknown capabilities {sorted(unknown)}; "
                             f"use {sorted(CAPABILITIES)}")
        if not self.schemes:
            raise ValueError(f"plugin {self.name!r} names no URL scheme")

    def opener(self) -> Callable[..., DeviceLink]:
        opener: Callable[..., DeviceLink] = resolve(self.open_link)
        return opener

    def find(self, request: DiscoveryRequest) -> Iterable[DiscoveredDevice]:
        if self.discover is None:
            return ()
        found: Iterable[DiscoveredDevice] = resolve(self.discover)(request)
        return found

    def capture_decoder(self, **options: Any) -> CaptureDecoder | None:
        if self.decoder is None:
            return None
        decoder: CaptureDecoder | None = resolve(self.decoder)(**options)
        return decoder


def option_values(options: Sequence[Option], given: Mapping[str, Any]) -> dict[str, Any]:
    """The values of ``options`` picked out of ``given`` (by ``dest``), defaults filled in."""
    return {o.dest: given.get(o.dest, o.default) for o in options}
