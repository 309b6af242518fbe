"""``gentl:`` URLs: open one device of a GenTL producer as a nodemap DeviceLink.

Forms::

    gentl:/opt/vendor/lib/producer.cti?device=SERIAL      # one producer, a device by serial
    gentl:/opt/vendor/lib/producer.cti?index=2            # the third device it lists
    gentl:/opt/vendor/lib/producer.cti?interface=ID&index=0
    gentl:?device=SERIAL                                   # every producer on GENICAM_GENTL64_PATH
    gentl:producer.cti?device=SERIAL                       # that file name on the path

``device=`` matches the serial number, then the device ID, user-defined name or display
name; ``index=`` counts every device of the producer (after ``interface=`` narrows them);
without either the first device is opened.  ``access=exclusive|control|readonly`` is
the DEVICE_ACCESS flag (default exclusive); ``timeout=`` the milliseconds
TLUpdateInterfaceList/IFUpdateDeviceList may take.

The link (:class:`GenTLLink`) gives the Camera the remote device's port (DevGetPort) and its
XML; and its modules: ``system``, ``interface``, ``local_device`` and ``data_stream`` (each
a :class:`.producer.Module` with ``.features``), and ``open_stream`` for frames.  Closing
releases in order: the frame sources (buffers revoked), GCUnregisterEvent, DSClose, DevClose, then the producer's last user
closes the interfaces, TLClose and GCCloseLib.
"""

from __future__ import annotations

import ctypes
import logging
import threading
import urllib.parse
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from nodemap.errors import NodeMapError, ParameterError, PortError
from nodemap.urls import split_scheme, unknown_parameters_error

from .api import DEVICE_ACCESS, DEVICE_INFO, EVENT, GC, error_for, producer_path_variable
from .port import GenTLPort
from .producer import DeviceEntry, Module, Producer, producer_paths
from .urls import PortUrl

if TYPE_CHECKING:
    from nodemap.nodemap import NodeMap

    from .stream import GenTLSource

__all__ = ["GenTLLink", "GenTLUrl", "open_link", "parse_url", "find_device", "device_url",
           "URL_PARAMETERS"]

log = logging.getLogger("nodemap.gentl")

URL_PARAMETERS = ("device", "index", "interface", "access", "timeout")
_ACCESS = {"exclusive": DEVICE_ACCESS.EXCLUSIVE, "control": DEVICE_ACCESS.CONTROL,
           "readonly": DEVICE_ACCESS.READONLY, "read-only": DEVICE_ACCESS.READONLY}


class GenTLUrl:
    """A parsed ``gentl:`` URL."""

    def __init__(self, url: str, producer: str, device: str | None, index: int | None,
                 interface: str | None, access: DEVICE_ACCESS, timeout_ms: int) -> None:
        self.url = url
        self.producer = producer
        self.device = device
        self.index = index
        self.interface = interface
        self.access = access
        self.timeout_ms = timeout_ms

    def __repr__(self) -> str:
        return (f"GenTLUrl(producer={self.producer!r}, device={self.device!r}, "
                f"index={self.index!r}, interface={self.interface!r}, "
                f"access={self.access.name.lower()})")


def parse_url(url: str, **options: Any) -> GenTLUrl:
    """``gentl:[PRODUCER][?device=…|index=N|interface=ID|access=…|timeout=MS]``; keyword
    options override the query.  ParameterError for unknown or malformed parameters."""
    scheme, rest = split_scheme(url)
    if scheme != "gentl":
        raise ParameterError(f"{url!r} is not a gentl: URL")
    path, _, query = rest.partition("?")
    params: dict[str, Any] = {k: v[-1] for k, v in
                              urllib.parse.parse_qs(query, keep_blank_values=True).items()}
    unknown = set(params) - set(URL_PARAMETERS)
    if unknown:
        raise unknown_parameters_error(url, unknown, URL_PARAMETERS)
    for key, value in options.items():
        if key in URL_PARAMETERS and value is not None:
            params[key] = value
    index = None
    if params.get("index") not in (None, ""):
        try:
            index = int(params["index"])
        except (TypeError, ValueError):
            raise ParameterError(f"index={params['index']!r} in {url!r} is not a number; "
                                 "use index=0 for the first device") from None
        if index < 0:
            raise ParameterError(f"index={index} in {url!r} is negative")
    access_text = str(params.get("access", "exclusive")).lower()
    if access_text not in _ACCESS:
        raise ParameterError(f"access={access_text!r} in {url!r}: use exclusive, control or "
                             "readonly")
    try:
        timeout_ms = int(params.get("timeout", 500))
    except (TypeError, ValueError):
        raise ParameterError(f"timeout={params['timeout']!r} in {url!r} is not a number of "
                             "milliseconds") from None
    device = params.get("device") or None
    if device is not None and index is not None:
        raise ParameterError(f"{url!r} gives both device= and index=; use one")
    return GenTLUrl(url, urllib.parse.unquote(path), device, index,
                    params.get("interface") or None, _ACCESS[access_text], timeout_ms)


def candidate_producers(spec: str) -> list[Path]:
    """The producer files a URL's path designates (one file, or the environment's)."""
    if spec:
        p = Path(spec).expanduser()
        if p.is_absolute() or p.exists() or p.parent != Path("."):
            return [p]
        named = [c for c in producer_paths() if c.name.lower() == p.name.lower()]
        if not named:
            raise PortError(f"no producer named {spec!r} on {producer_path_variable()} "
                            f"(it lists {', '.join(str(c) for c in producer_paths()) or 'nothing'}"
                            "); give its full path instead")
        return named
    found = producer_paths()
    if not found:
        raise PortError(f"gentl: without a producer path searches {producer_path_variable()}, "
                        "which names no .cti file; set it to your vendor's producer folder or "
                        "write gentl:/path/to/producer.cti")
    return found


def _describe(entries: list[DeviceEntry]) -> str:
    return ", ".join(f"{e.serial or e.id} ({e.model} on {e.interface})" for e in entries) or \
        "none"


def find_device(producer: Producer, parsed: GenTLUrl) -> DeviceEntry | None:
    """The device of ``producer`` the URL selects (None when it has no match)."""
    entries = producer.devices(parsed.interface, parsed.timeout_ms)
    if parsed.interface is not None and not entries:
        known = [i.id for i in producer.interfaces(parsed.timeout_ms)]
        if parsed.interface not in known:
            raise PortError(f"{producer.path.name} has no interface {parsed.interface!r}; it "
                            f"has {', '.join(known) or 'none'}")
    if parsed.device is not None:
        for field in ("serial", "id", "user_name", "display_name"):
            hits = [e for e in entries if getattr(e, field) == parsed.device]
            if len(hits) == 1:
                return hits[0]
            if len(hits) > 1:
                raise ParameterError(
                    f"device={parsed.device!r} matches {len(hits)} devices of "
                    f"{producer.path.name} ({_describe(hits)}); add interface=ID or use the "
                    "serial number")
        return None
    index = parsed.index or 0
    return entries[index] if index < len(entries) else None


def device_url(entry: DeviceEntry, all_entries: list[DeviceEntry]) -> str:
    """The shortest unambiguous ``gentl:`` URL of ``entry``."""
    base = f"gentl:{urllib.parse.quote(entry.producer)}"
    if entry.serial and sum(1 for e in all_entries if e.serial == entry.serial) == 1:
        return f"{base}?device={urllib.parse.quote(entry.serial, safe='')}"
    if sum(1 for e in all_entries if e.id == entry.id) == 1:
        return f"{base}?device={urllib.parse.quote(entry.id, safe='')}"
    return f"{base}?index={entry.index}"


class GenTLLink:
    """One opened GenTL device (see the module docstring)."""

    port_name = "Device"

    def __init__(self, producer: Producer, entry: DeviceEntry, local_device: Module,
                 url: str) -> None:
        self.producer = producer
        self.entry = entry
        self.url = url
        self.local_device = local_device
        self._closed = False
        self._lock = threading.RLock()
        self._data_stream: Module | None = None
        self._event: int | None = None
        self._sources: list[Any] = []
        try:
            remote = producer.lib.open_handle("DevGetPort", ctypes.c_void_p(local_device.handle),
                                              what=local_device.what)
            self.remote = Module(producer.lib, remote, "remote device", local_device.label)
            self._port = GenTLPort(producer.lib, remote, f"remote device {local_device.label}")
        except BaseException:
            producer.lib.raw("DevClose", ctypes.c_void_p(local_device.handle))
            raise

    # -- DeviceLink -----------------------------------------------------------------------

    @property
    def port(self) -> GenTLPort:
        return self._port

    @property
    def system(self) -> Module:
        """The producer's system (TL) module: ``cam.system.features``."""
        return self.producer.system

    @property
    def interface(self) -> Module:
        """The interface module the device is on: ``cam.interface.features``."""
        return self.producer.interface(self.entry.interface)

    @property
    def data_stream(self) -> Module:
        """The device's first data stream (opened on first use): ``cam.data_stream``."""
        with self._lock:
            self._check_open()
            if self._data_stream is None:
                lib = self.producer.lib
                dev = ctypes.c_void_p(self.local_device.handle)
                if lib.count("DevGetNumDataStreams", dev, what=self.local_device.what) < 1:
                    from nodemap.errors import UnsupportedError
                    raise UnsupportedError(f"{self.local_device.what} has no data stream: it "
                                           "cannot deliver images")
                sid = lib.string("DevGetDataStreamID", dev, 0, what=self.local_device.what)
                handle = lib.open_handle("DevOpenDataStream", dev, sid.encode(),
                                         what=f"stream {sid} of {self.local_device.what}")
                self._data_stream = Module(lib, handle, "data stream", sid)
            return self._data_stream

    def new_buffer_event(self) -> int:
        """The data stream's EVENT_NEW_BUFFER handle, registered once (GCRegisterEvent)
        and kept until the link closes; stream after stream waits on it."""
        with self._lock:
            ds = self.data_stream
            if self._event is None:
                self._event = self.producer.lib.open_handle(
                    "GCRegisterEvent", ctypes.c_void_p(ds.handle), int(EVENT.NEW_BUFFER),
                    what=f"new-buffer event of {ds.what}")
            return self._event

    @property
    def device_info(self) -> dict[str, Any]:
        """DEVICE_INFO_* the producer answers for the open device."""
        out = {}
        for cmd in DEVICE_INFO:
            value = self.local_device.info(cmd)
            if value is not None:
                out[cmd.name.lower()] = value
        return out

    @property
    def xml_url(self) -> PortUrl | None:
        return self.remote.xml_url

    def descriptions(self, progress: Callable[[int, int], None] | None = None) -> list[bytes]:
        """The remote device's XML, from its port URLs."""
        self._check_open()
        return [self.remote.xml(progress)]

    def open_stream(self, nodemap: NodeMap, *, buffers: int = 8,
                    packet_size: int | None = None, **options: Any) -> GenTLSource:
        """A :class:`.stream.GenTLSource` on the device's first data stream."""
        from .stream import GenTLSource

        self._check_open()
        source = GenTLSource(self, nodemap, buffers=buffers, packet_size=packet_size,
                             **options)
        with self._lock:
            self._sources.append(source)
        return source

    def _forget_source(self, source: GenTLSource) -> None:
        with self._lock:
            if source in self._sources:
                self._sources.remove(source)

    def _check_open(self) -> None:
        if self._closed:
            raise PortError(f"{self.url}: the device is closed; open it again")

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Stream sources, DSClose, DevClose, then the producer (idempotent)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            lib = self.producer.lib
            try:
                for source in list(self._sources):
                    try:
                        source.close()
                    except NodeMapError as exc:
                        log.warning("closing the stream of %s: %s", self.url, exc)
                self._port.close()
                self.remote.close_port()
                steps = []
                if self._data_stream is not None:
                    self._data_stream.close_port()
                    if self._event is not None:
                        code = lib.raw("GCUnregisterEvent",
                                       ctypes.c_void_p(self._data_stream.handle),
                                       int(EVENT.NEW_BUFFER))
                        if code != GC.SUCCESS:
                            log.warning("%s", error_for("GCUnregisterEvent", code,
                                                        lib.last_error(),
                                                        self._data_stream.what))
                        self._event = None
                    steps.append(("DSClose", self._data_stream))
                self.local_device.close_port()
                steps.append(("DevClose", self.local_device))
                for name, module in steps:
                    code = lib.raw(name, ctypes.c_void_p(module.handle))
                    if code != GC.SUCCESS:
                        log.warning("%s", error_for(name, code, lib.last_error(), module.what))
            finally:
                self.producer.close()

    def __enter__(self) -> "GenTLLink":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        e = self.entry
        return (f"<GenTLLink {e.vendor} {e.model} {e.serial or e.id} via "
                f"{Path(e.producer).name}/{e.interface}{' closed' if self._closed else ''}>")


def open_link(url: str, **options: Any) -> GenTLLink:
    """Open the device ``url`` names (see the module docstring)."""
    parsed = parse_url(url, **{k: v for k, v in options.items() if k in URL_PARAMETERS})
    searched = []
    for path in candidate_producers(parsed.producer):
        producer = Producer.open(path)
        try:
            entry = find_device(producer, parsed)
            if entry is None:
                listed = producer.devices(parsed.interface, parsed.timeout_ms)
                searched.append(f"{producer.path.name}: {_describe(listed)}")
                producer.close()
                continue
            module = producer.open_device(entry, parsed.access)
            link = GenTLLink(producer, entry, module, url)   # closes the device if it fails
            log.info("opened %s: %s %s %s", url, entry.vendor, entry.model, entry.serial)
            return link
        except BaseException:
            producer.close()
            raise
    wanted = (f"device {parsed.device!r}" if parsed.device is not None else
              f"device index {parsed.index or 0}")
    where = f" on interface {parsed.interface!r}" if parsed.interface else ""
    raise PortError(f"{url}: no {wanted}{where}; devices found: {'; '.join(searched)}")


