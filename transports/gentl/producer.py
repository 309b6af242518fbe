"""A loaded GenTL producer and its modules: system, interfaces, devices, data streams.

:class:`Producer` is one ``.cti`` file, initialised (GCInitLib) and with its system module
open (TLOpen).  A producer may be initialised only once per process and its system module
opened only once, so producers are shared: :meth:`Producer.open` returns the same object
for the same file and counts its users; the last :meth:`Producer.close` closes the
interfaces it opened, then TLClose, then GCCloseLib.

:class:`Module` is one open module handle with its info queries, its port
(:class:`.port.GenTLPort`, GCReadPort on the module handle) and its own node map (the
module's XML from its port URLs), built on first use: this is what ``cam.system``,
``cam.interface``, ``cam.local_device`` and ``cam.data_stream`` are.

:func:`producer_paths` lists the producers named by ``GENICAM_GENTL64_PATH`` (or
``GENICAM_GENTL32_PATH`` on a 32-bit Python): folders (their ``*.cti`` files, not
recursively, as the GenTL standard says) or ``.cti`` files, separated by ``;`` on Windows
and ``:`` elsewhere.
"""

from __future__ import annotations

import ctypes
import logging
import os
import threading
from pathlib import Path
from typing import Any, Callable, Mapping

import attrs

from nodemap.errors import XmlError

from .api import (DEVICE_ACCESS, DEVICE_INFO, GC, INTERFACE_INFO, PORT_INFO, TL_INFO,
                  GenTLError, Library, ProducerLoadError, error_for, producer_path_variable)
from .port import GenTLPort
from .urls import PortUrl, module_xml

__all__ = ["Producer", "Module", "DeviceEntry", "InterfaceEntry", "producer_paths",
           "MODULE_PORT_NAMES"]

log = logging.getLogger("nodemap.gentl")

#: The Port node a module's XML reads through, when GCGetPortInfo(PORT_INFO_PORTNAME)
#: does not say (the GenTL SFNC's usual names).
MODULE_PORT_NAMES = {"system": "TLPort", "interface": "InterfacePort",
                     "local device": "DevicePort", "data stream": "StreamPort",
                     "remote device": "Device"}

_INFO_FUNCTION = {"system": "TLGetInfo", "interface": "IFGetInfo",
                  "local device": "DevGetInfo", "data stream": "DSGetInfo"}

_NOT_THERE = (GC.NOT_AVAILABLE, GC.NOT_IMPLEMENTED, GC.INVALID_PARAMETER, GC.NO_DATA,
              GC.INVALID_ID, GC.ERROR)


def producer_paths(environ: Mapping[str, str] | None = None, bits: int | None = None,
                   platform: str | None = None) -> list[Path]:
    """Every producer the environment variable names, in order, without duplicates."""
    env = os.environ if environ is None else environ
    variable = producer_path_variable(bits)
    separator = ";" if (platform or os.name) in ("nt", "win32") else ":"
    found: list[Path] = []
    seen: set[str] = set()
    for entry in env.get(variable, "").split(separator):
        entry = entry.strip().strip('"')
        if not entry:
            continue
        p = Path(entry).expanduser()
        if p.is_dir():
            candidates = sorted(c for c in p.iterdir()
                                if c.suffix.lower() == ".cti" and c.is_file())
        elif p.is_file():
            candidates = [p]
        else:
            log.debug("%s names %s, which does not exist", variable, p)
            continue
        for c in candidates:
            key = os.path.normcase(str(c.resolve()))
            if key not in seen:
                seen.add(key)
                found.append(c)
    return found


@attrs.frozen
class InterfaceEntry:
    """One interface a producer lists."""

    id: str
    display_name: str = ""
    tl_type: str = ""


@attrs.frozen
class DeviceEntry:
    """One device a producer lists (before it is opened)."""

    producer: str           # the producer's path
    interface: str          # interface ID
    id: str                 # device ID (unique within the interface only)
    index: int              # position among all devices of the producer
    vendor: str = ""
    model: str = ""
    serial: str = ""
    user_name: str = ""
    display_name: str = ""
    tl_type: str = ""
    version: str = ""
    access_status: int = 0

    def matches(self, key: str) -> bool:
        return key in (self.serial, self.id, self.user_name, self.display_name) and key != ""


class Module:
    """An open GenTL module: ``info(cmd)``, ``port``, ``features`` (its own node map)."""

    def __init__(self, lib: Library, handle: int, kind: str, label: str, *,
                 info_prefix: tuple[Any, ...] | None = None) -> None:
        self.lib = lib
        self.handle = handle
        self.kind = kind
        self.label = label
        self._port: GenTLPort | None = None
        self._nodemap: Any = None
        self.xml_url: PortUrl | None = None
        self._info_prefix = info_prefix
        self._lock = threading.Lock()

    @property
    def what(self) -> str:
        return f"{self.kind} {self.label}"

    def info(self, cmd: int, default: Any = None) -> Any:
        """One info query of this module (``default`` when the producer has no answer)."""
        fn = _INFO_FUNCTION[self.kind]
        try:
            return self.lib.info(fn, ctypes.c_void_p(self.handle), cmd=cmd, what=self.what)
        except GenTLError as exc:
            if default is not None or exc.status in _NOT_THERE:
                return default
            raise

    @property
    def port(self) -> GenTLPort:
        """This module's own register port (GCReadPort on the module handle)."""
        if self._port is None:
            self._port = GenTLPort(self.lib, self.handle, f"{self.what} module")
        return self._port

    def port_info(self, cmd: int, default: Any = None) -> Any:
        try:
            return self.lib.info("GCGetPortInfo", ctypes.c_void_p(self.handle), cmd=cmd,
                                 what=self.what)
        except GenTLError:
            return default

    @property
    def port_name(self) -> str:
        """The Port node its XML reads through (GCGetPortInfo PORTNAME, else the usual)."""
        return str(self.port_info(PORT_INFO.PORTNAME, "") or MODULE_PORT_NAMES[self.kind])

    def xml(self, progress: Callable[[int, int], None] | None = None) -> bytes:
        blob, url = module_xml(self.lib, self.handle, self.port.read, self.what,
                               progress=progress)
        self.xml_url = url
        return blob

    @property
    def nodemap(self) -> Any:
        """This module's node map (nodemap's engine over the module's XML and port)."""
        with self._lock:
            if self._nodemap is None:
                from nodemap.nodemap import NodeMap

                try:
                    nm = NodeMap.from_xml(self.xml())
                except XmlError as exc:
                    raise XmlError(f"the {self.what} module's XML: {exc}") from exc
                nm.connect(self.port, name=self.port_name)
                self._nodemap = nm
            return self._nodemap

    @property
    def features(self) -> Any:
        """``cam.system.features["TLVendorName"].value`` and the like."""
        return self.nodemap.features

    def close_port(self) -> None:
        if self._port is not None:
            self._port.close()

    def __repr__(self) -> str:
        return f"<GenTL {self.what}>"


_registry: dict[str, "Producer"] = {}
_registry_lock = threading.RLock()


class Producer:
    """One initialised producer with its system module open (shared; see module doc)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lib = Library(path)
        self._users = 0
        self._interfaces: dict[str, Module] = {}
        self._lock = threading.RLock()
        try:
            self.lib.call("GCInitLib", what=str(path))
        except GenTLError as exc:
            raise ProducerLoadError(f"GCInitLib of {path} failed: {exc}") from exc
        try:
            tl = self.lib.open_handle("TLOpen", what=str(path))
        except BaseException:
            self.lib.raw("GCCloseLib")
            raise
        self.system = Module(self.lib, tl, "system", path.name)

    # -- sharing --------------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> "Producer":
        """The producer at ``path`` (loaded and initialised on first use), one more user."""
        p = Path(path).expanduser()
        if not p.exists():
            raise ProducerLoadError(f"GenTL producer {p} does not exist; check the path (or "
                                    f"{producer_path_variable()})")
        key = os.path.normcase(str(p.resolve()))
        with _registry_lock:
            producer = _registry.get(key)
            if producer is None:
                producer = cls(p.resolve())
                _registry[key] = producer
            producer._users += 1
            return producer

    def close(self) -> None:
        """One user fewer; the last closes interfaces, TLClose, GCCloseLib."""
        with _registry_lock:
            self._users -= 1
            if self._users > 0:
                return
            _registry.pop(os.path.normcase(str(self.path)), None)
            errors = []
            for module in reversed(list(self._interfaces.values())):
                module.close_port()
                code = self.lib.raw("IFClose", ctypes.c_void_p(module.handle))
                if code != GC.SUCCESS:
                    errors.append(error_for("IFClose", code, self.lib.last_error(),
                                            module.what))
            self._interfaces.clear()
            self.system.close_port()
            for name, args in (("TLClose", (ctypes.c_void_p(self.system.handle),)),
                               ("GCCloseLib", ())):
                code = self.lib.raw(name, *args)
                if code != GC.SUCCESS:
                    errors.append(error_for(name, code, self.lib.last_error(), str(self.path)))
            for exc in errors:
                log.warning("closing GenTL producer %s: %s", self.path.name, exc)

    def __enter__(self) -> "Producer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def users(self) -> int:
        return self._users

    # -- information ----------------------------------------------------------------------

    def info(self) -> dict[str, Any]:
        """TL_INFO_* of the system module that the producer answers."""
        out = {}
        for cmd in TL_INFO:
            value = self.system.info(cmd)
            if value is not None:
                out[cmd.name.lower()] = value
        return out

    # -- interfaces -----------------------------------------------------------------------

    def interfaces(self, timeout_ms: int = 500) -> list[InterfaceEntry]:
        """The interfaces now present (TLUpdateInterfaceList first)."""
        lib, tl = self.lib, ctypes.c_void_p(self.system.handle)
        with self._lock:
            changed = ctypes.c_uint8(0)
            lib.call("TLUpdateInterfaceList", tl, ctypes.byref(changed), int(timeout_ms),
                     what=self.path.name)
            out = []
            for index in range(lib.count("TLGetNumInterfaces", tl, what=self.path.name)):
                iid = lib.string("TLGetInterfaceID", tl, index, what=self.path.name)
                out.append(InterfaceEntry(iid, self._interface_info(iid, INTERFACE_INFO.DISPLAYNAME),
                                          self._interface_info(iid, INTERFACE_INFO.TLTYPE)))
            return out

    def _interface_info(self, iid: str, cmd: int) -> str:
        try:
            return str(self.lib.info("TLGetInterfaceInfo", ctypes.c_void_p(self.system.handle),
                                     iid.encode(), cmd=cmd, what=iid))
        except GenTLError:
            return ""

    def interface(self, iid: str) -> Module:
        """The interface module ``iid``, opened once and kept while the producer lives."""
        with self._lock:
            module = self._interfaces.get(iid)
            if module is None:
                handle = self.lib.open_handle("TLOpenInterface",
                                              ctypes.c_void_p(self.system.handle), iid.encode(),
                                              what=f"interface {iid}")
                module = Module(self.lib, handle, "interface", iid)
                self._interfaces[iid] = module
            return module

    # -- devices --------------------------------------------------------------------------

    def devices(self, interface: str | None = None, timeout_ms: int = 500) -> list[DeviceEntry]:
        """Every device of every interface (or of ``interface``), with its info."""
        out: list[DeviceEntry] = []
        with self._lock:
            for entry in self.interfaces(timeout_ms):
                if interface is not None and entry.id != interface:
                    continue
                module = self.interface(entry.id)
                h = ctypes.c_void_p(module.handle)
                changed = ctypes.c_uint8(0)
                self.lib.call("IFUpdateDeviceList", h, ctypes.byref(changed), int(timeout_ms),
                              what=module.what)
                for index in range(self.lib.count("IFGetNumDevices", h, what=module.what)):
                    did = self.lib.string("IFGetDeviceID", h, index, what=module.what)

                    def get(cmd: int, default: Any = "") -> Any:
                        try:
                            value = self.lib.info("IFGetDeviceInfo", h, did.encode(), cmd=cmd,
                                                  what=f"device {did}")
                        except GenTLError:
                            return default
                        return default if value is None else value

                    out.append(DeviceEntry(
                        producer=str(self.path), interface=entry.id, id=did, index=len(out),
                        vendor=str(get(DEVICE_INFO.VENDOR)), model=str(get(DEVICE_INFO.MODEL)),
                        serial=str(get(DEVICE_INFO.SERIAL_NUMBER)),
                        user_name=str(get(DEVICE_INFO.USER_DEFINED_NAME)),
                        display_name=str(get(DEVICE_INFO.DISPLAYNAME)),
                        tl_type=str(get(DEVICE_INFO.TLTYPE)),
                        version=str(get(DEVICE_INFO.VERSION)),
                        access_status=int(get(DEVICE_INFO.ACCESS_STATUS, 0) or 0)))
        return out

    def open_device(self, entry: DeviceEntry, access: DEVICE_ACCESS) -> Module:
        """IFOpenDevice: the local device module of ``entry``."""
        with self._lock:
            module = self.interface(entry.interface)
            label = entry.serial or entry.id
            handle = self.lib.open_handle("IFOpenDevice", ctypes.c_void_p(module.handle),
                                          entry.id.encode(), int(access),
                                          what=f"device {entry.id} on {entry.interface}, "
                                               f"access {access.name.lower()}")
        return Module(self.lib, handle, "local device", label)

    def __repr__(self) -> str:
        return f"<GenTL Producer {self.path} ({self._users} users)>"


